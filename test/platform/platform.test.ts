/**
 * The platform layer on this (Linux) machine: every platform's decisions are plain functions of
 * an environment, so Windows and macOS paths, the task XML and the LaunchAgent plist are checked
 * here too; .ci/wine-lane runs the Windows ones for real under Wine.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { install } from '../../agent/install/install.js';
import { uninstall } from '../../agent/install/uninstall.js';
import { realSystem, type System } from '../../agent/doctor/system.js';
import { checkToastEnabled, checkToastSession, puttySessionFindings } from '../../agent/doctor/windows.js';
import { doctorContext } from '../../agent/doctor/check.js';
import { checksFor } from '../../agent/doctor/index.js';
import { platformFor, PLATFORMS } from '../../agent/platform/index.js';
import { LABEL, renderLaunchAgent } from '../../agent/platform/launch-agent.js';
import { logFileGlob, parseRegQuery, sessionLogs } from '../../agent/platform/putty-sessions.js';
import { renderTaskXml, taskXmlBytes, winQuote } from '../../agent/platform/task-xml.js';
import { windowsSources } from '../../agent/platform/windows.js';
import { toastOptions } from '../../agent/sinks/toast.js';
import type { Alert } from '../../agent/alert.js';

const { linux, windows, macos } = PLATFORMS;
const HERE = fileURLToPath(new URL('.', import.meta.url));

describe('choosing the platform', () => {
  it('maps process.platform once: win32 → Windows, darwin → macOS, the rest → Linux', () => {
    expect(platformFor('win32').id).toBe('windows');
    expect(platformFor('darwin').id).toBe('macos');
    expect(platformFor('linux').id).toBe('linux');
    expect(platformFor('freebsd').id).toBe('linux');
    expect(platformFor('linux', 'macos').id).toBe('macos');
  });

  it('a CONNWATCH_PLATFORM naming no platform is a usage error that lists the names', () => {
    expect(() => platformFor('linux', 'beos')).toThrow(/CONNWATCH_PLATFORM="beos" names no platform/);
  });

  it('each platform names its notifier and autostart', () => {
    expect([linux.notifier, windows.notifier, macos.notifier]).toEqual(['notify-send', 'windows-toaster', 'notification-center']);
    expect(windows.autostart).toMatch(/logon task/);
    expect(macos.autostart).toMatch(/LaunchAgent/);
  });
});

describe('paths', () => {
  it('Linux: XDG base directories', () => {
    const p = linux.paths({ HOME: '/home/ann', XDG_STATE_HOME: '/var/st' });
    expect(p.configFile).toBe('/home/ann/.config/connwatch/config.json');
    expect(p.stateDir).toBe('/var/st/connwatch');
    expect(p.captureDir).toBe('/var/st/connwatch/captures');
  });

  it('Windows: config roams in %APPDATA%, state and captures stay in %LOCALAPPDATA%', () => {
    const p = windows.paths({ APPDATA: 'C:\\Users\\Ann\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\Ann\\AppData\\Local' });
    expect(p.configFile).toBe('C:\\Users\\Ann\\AppData\\Roaming\\connwatch\\config.json');
    expect(p.rulesDir).toBe('C:\\Users\\Ann\\AppData\\Roaming\\connwatch\\rules.d');
    expect(p.historyFile).toBe('C:\\Users\\Ann\\AppData\\Local\\connwatch\\alerts.jsonl');
    expect(p.captureDir).toBe('C:\\Users\\Ann\\AppData\\Local\\connwatch\\captures');
    expect(p.runtimeDir).toBeUndefined();
    // without the variables (a stripped environment): from USERPROFILE
    expect(windows.paths({ USERPROFILE: 'D:\\Profiles\\ann' }).stateDir).toBe('D:\\Profiles\\ann\\AppData\\Local\\connwatch');
  });

  it('macOS: ~/Library/Application Support for config and state, ~/Library/Logs for the agent\'s output', () => {
    const p = macos.paths({ HOME: '/Users/ann' });
    expect(p.configFile).toBe('/Users/ann/Library/Application Support/connwatch/config.json');
    expect(p.stateDir).toBe('/Users/ann/Library/Application Support/connwatch/state');
    expect(p.logDir).toBe('/Users/ann/Library/Logs/connwatch');
  });
});

describe('saved PuTTY sessions (reg query)', () => {
  // the output of reg.exe (Wine 8) after importing test/platform/wine/putty-sessions.reg
  const text = readFileSync(join(HERE, 'reg-query-sessions.txt'), 'utf8');

  it('reads LogFileName, LogType and LogFileClash of every session, names %XX-decoded', () => {
    expect(parseRegQuery(text)).toEqual([
      { name: 'debian vm', logFileName: 'C:\\Users\\Public\\putty-logs\\&H-&Y&M&D-&T.log', logType: 3, logFileClash: 0 },
      { name: 'printable', logFileName: 'C:\\Users\\Public\\printable.log', logType: 1, logFileClash: -1 },
      { name: 'relative', logFileName: 'putty.log', logType: 4, logFileClash: -1 },
    ]);
  });

  it('an empty value and a session without logging settings get PuTTY\'s defaults', () => {
    const s = parseRegQuery('\r\nHKEY_CURRENT_USER\\Software\\SimonTatham\\PuTTY\\Sessions\\Default%20Settings\r\n    HostName    REG_SZ    \r\n    LogFileName    REG_SZ    \r\n');
    expect(s).toEqual([{ name: 'Default Settings', logType: 0, logFileClash: -1 }]);
  });

  it('PuTTY\'s &H &P &Y &M &D &T become wildcards, && an ampersand', () => {
    expect(logFileGlob('C:\\logs\\&H-&P-&Y&M&D-&T && more.log')).toBe('C:\\logs\\*-*-***-* & more.log');
  });

  it('only SSH-packet logs with a full path are sources; the others are reported with what to change', () => {
    const r = sessionLogs(parseRegQuery(text));
    expect(r.globs).toEqual([{ session: 'debian vm', glob: 'C:\\Users\\Public\\putty-logs\\*-***-*.log' }]);
    expect(r.unusable).toEqual([
      { session: 'printable', why: expect.stringMatching(/printable output only \(LogType 1\).*SSH packets/) },
      { session: 'relative', why: expect.stringMatching(/"putty\.log" is a relative path/) },
    ]);
    const findings = puttySessionFindings(parseRegQuery(text));
    expect(findings.map((f) => f.status)).toEqual(['ok', 'warn', 'warn']);
  });

  it('the Windows default sources: captures, the plink-logs folder, and each usable session\'s log files', () => {
    const p = windows.paths({ APPDATA: 'C:\\R', LOCALAPPDATA: 'C:\\L' });
    expect(windowsSources(p, parseRegQuery(text)).map((s) => [s.type, s.path, s.program])).toEqual([
      ['captures', 'C:\\L\\connwatch\\captures\\*.jsonl', undefined],
      ['file', 'C:\\L\\connwatch\\plink-logs\\*.log', 'plink'],
      ['file', 'C:\\Users\\Public\\putty-logs\\*-***-*.log', 'plink'],
    ]);
  });
});

/** Parses XML with Python's expat (a real XML parser) and returns the text of the named elements. */
function xmlValues(bytes: Buffer, tags: string[]): Record<string, string[]> {
  const script = `
import sys, json, xml.dom.minidom as m
d = m.parseString(sys.stdin.buffer.read())
print(json.dumps({t: [''.join(n.data for n in e.childNodes if n.nodeType == n.TEXT_NODE) for e in d.getElementsByTagName(t)] for t in ${JSON.stringify(tags)}}))`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: bytes, encoding: 'utf8' })) as Record<string, string[]>;
}

describe('the logon task XML (schtasks /create /xml)', () => {
  const inputs = {
    userId: 'PC\\Ann & Bob',
    node: 'C:\\Program Files\\nodejs\\node.exe',
    nodeOptions: ['--max-semi-space-size=1'],
    agent: 'C:\\Users\\Ann & Bob\\AppData\\Roaming\\npm\\node_modules\\connwatch\\dist\\agent\\cli\\main.js',
    workDir: 'C:\\Users\\Ann & Bob\\AppData\\Local\\connwatch',
    conhost: 'C:\\Windows\\System32\\conhost.exe',
  };
  const bytes = taskXmlBytes(renderTaskXml(inputs));

  it('is UTF-16LE with a byte order mark and well-formed XML as an XML parser reads it', () => {
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const v = xmlValues(bytes, ['LogonType', 'RunLevel', 'UserId', 'Command', 'Arguments', 'WorkingDirectory', 'ExecutionTimeLimit', 'Hidden', 'MultipleInstancesPolicy']);
    expect(v.LogonType).toEqual(['InteractiveToken']);
    expect(v.RunLevel).toEqual(['LeastPrivilege']);
    expect(v.UserId).toEqual(['PC\\Ann & Bob', 'PC\\Ann & Bob']);
    expect(v.Command).toEqual(['C:\\Windows\\System32\\conhost.exe']);
    expect(v.Arguments).toEqual([`--headless "C:\\Program Files\\nodejs\\node.exe" --max-semi-space-size=1 "${inputs.agent}" run`]);
    expect(v.WorkingDirectory).toEqual([inputs.workDir]);
    expect(v.ExecutionTimeLimit).toEqual(['PT0S']);
    expect(v.Hidden).toEqual(['true']);
    expect(v.MultipleInstancesPolicy).toEqual(['IgnoreNew']);
  });

  it('quotes arguments as CommandLineToArgvW reads them', () => {
    expect(winQuote('plain')).toBe('plain');
    expect(winQuote('')).toBe('""');
    expect(winQuote('C:\\a b\\')).toBe('"C:\\a b\\\\"');
    expect(winQuote('say "hi"')).toBe('"say \\"hi\\""');
  });
});

describe('the macOS LaunchAgent plist', () => {
  const plist = renderLaunchAgent({
    node: '/opt/homebrew/bin/node',
    nodeOptions: ['--max-semi-space-size=1'],
    agent: '/Users/ann/lib/node_modules/connwatch/dist/agent/cli/main.js',
    workDir: '/Users/ann/Library/Application Support/connwatch/state',
    logDir: '/Users/ann/Library/Logs/connwatch',
    path: '/opt/homebrew/bin:/usr/bin:/bin',
  });

  it('is a property list plistlib reads, with the keys and types launchd expects', () => {
    const parsed = JSON.parse(execFileSync('python3', ['-c', 'import sys, json, plistlib; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], { input: plist, encoding: 'utf8' })) as Record<string, unknown>;
    expect(parsed).toEqual({
      Label: LABEL,
      ProgramArguments: ['/opt/homebrew/bin/node', '--max-semi-space-size=1', '/Users/ann/lib/node_modules/connwatch/dist/agent/cli/main.js', 'run'],
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 30,
      ProcessType: 'Interactive',
      LimitLoadToSessionType: 'Aqua',
      WorkingDirectory: '/Users/ann/Library/Application Support/connwatch/state',
      StandardOutPath: '/Users/ann/Library/Logs/connwatch/agent.log',
      StandardErrorPath: '/Users/ann/Library/Logs/connwatch/agent.err.log',
      EnvironmentVariables: { PATH: '/opt/homebrew/bin:/usr/bin:/bin' },
    });
  });

  it('escapes XML in paths (a folder named "R&D <old>")', () => {
    const p = renderLaunchAgent({ node: '/n', nodeOptions: [], agent: '/R&D <old>/main.js', workDir: '/w', logDir: '/l', path: '/bin' });
    const parsed = JSON.parse(execFileSync('python3', ['-c', 'import sys, json, plistlib; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], { input: p, encoding: 'utf8' })) as { ProgramArguments: string[] };
    expect(parsed.ProgramArguments).toEqual(['/n', '/R&D <old>/main.js', 'run']);
  });
});

describe('install and uninstall as macOS does them (a stand-in launchctl records its argv)', () => {
  it.skipIf(process.platform === 'win32')('writes the plist into ~/Library/LaunchAgents, bootstraps it into gui/UID; uninstall boots it out and removes exactly it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'connwatch-macos-'));
    const home = join(root, 'home');
    const stub = join(root, 'stub');
    mkdirSync(home);
    mkdirSync(stub);
    const argv = join(root, 'argv.log');
    writeFileSync(join(stub, 'launchctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argv}'\ncase "$1" in bootout) exit 3;; esac\nexit 0\n`);
    chmodSync(join(stub, 'launchctl'), 0o755);
    const sys: System = { ...realSystem({ HOME: home, PATH: `${stub}:/usr/bin:/bin` }), uid: 501 };
    const lines: string[] = [];
    expect(await install({ sys, platform: macos, out: (l) => lines.push(l), node: '/usr/local/bin/node' })).toBe(0);
    const plist = join(home, 'Library', 'LaunchAgents', 'connwatch.agent.plist');
    expect(readFileSync(plist, 'utf8')).toContain('<string>/usr/local/bin/node</string>');
    expect(existsSync(join(home, 'Library', 'Logs', 'connwatch'))).toBe(true);
    expect(readFileSync(argv, 'utf8').trim().split('\n')).toEqual([`bootout gui/501/${LABEL}`, `bootstrap gui/501 ${plist}`]);
    expect(lines.join('\n')).toMatch(/starts with your session from now on \(a LaunchAgent/);

    writeFileSync(argv, '');
    const said: string[] = [];
    // bootout answers 3 here (not loaded): uninstall reports it and still removes the file
    await uninstall({ sys, platform: macos, out: (l) => said.push(l) });
    expect(readFileSync(argv, 'utf8').trim()).toBe(`bootout gui/501/${LABEL}`);
    expect(existsSync(plist)).toBe(false);
    expect(said.join('\n')).toMatch(/removed .*connwatch\.agent\.plist/);
    expect(existsSync(join(home, 'Library', 'Application Support', 'connwatch', 'config.json'))).toBe(true);
  });

  it('--dry-run on Windows prints the task XML and the schtasks and SnoreToast commands, writes nothing', async () => {
    const lines: string[] = [];
    const sys: System = { ...realSystem({ APPDATA: 'C:\\R', LOCALAPPDATA: 'C:\\L', USERDOMAIN: 'PC', USERNAME: 'ann' }) };
    expect(await install({ sys, platform: windows, dryRun: true, out: (l) => lines.push(l), node: 'C:\\node\\node.exe', snoreToast: 'C:\\st\\snoretoast-x64.exe' })).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('would write C:\\L\\connwatch\\connwatch-task.xml:');
    expect(text).toContain('<UserId>PC\\ann</UserId>');
    expect(text).toContain('would run: schtasks /create /tn connwatch /xml C:\\L\\connwatch\\connwatch-task.xml /f');
    expect(text).toContain('would run: C:\\st\\snoretoast-x64.exe -install connwatch\\connwatch.lnk C:\\node\\node.exe connwatch.agent');
  });
});

describe('Windows doctor checks (a stand-in environment and reg)', () => {
  const ctx = (env: NodeJS.ProcessEnv, reg: Record<string, { code: number; stdout: string }> = {}) =>
    doctorContext({ env, procRoot: '/proc', uid: 0, run: async (_cmd, args) => ({ stderr: '', ...(reg[args[1] ?? ''] ?? { code: 1, stdout: '' }) }) }, { config: undefined });

  it('a service account (session 0) is named as the reason no toast can show', () => {
    expect(checkToastSession(ctx({ USERNAME: 'SYSTEM', USERPROFILE: 'C:\\Windows\\system32\\config\\systemprofile' }))[0]).toMatchObject({ status: 'fail', finding: expect.stringMatching(/session 0/) });
    expect(checkToastSession(ctx({ USERNAME: 'ann', USERPROFILE: 'C:\\Users\\ann' }))[0]!.status).toBe('ok');
  });

  it('notifications switched off for all apps, or for connwatch, are found in the registry; Focus Assist is named', async () => {
    const push = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\PushNotifications';
    const app = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Notifications\\Settings\\connwatch.agent';
    expect((await checkToastEnabled(ctx({}, { [push]: { code: 0, stdout: `\r\n${push}\r\n    ToastEnabled    REG_DWORD    0x0\r\n` } })))[0]).toMatchObject({ status: 'fail', finding: expect.stringMatching(/every app/) });
    expect((await checkToastEnabled(ctx({}, { [app]: { code: 0, stdout: `\r\n${app}\r\n    Enabled    REG_DWORD    0x0\r\n` } })))[0]).toMatchObject({ status: 'fail', finding: expect.stringMatching(/off for connwatch/) });
    expect((await checkToastEnabled(ctx({}, { [push]: { code: 0, stdout: `    ToastEnabled    REG_DWORD    0x1\r\n` } })))[0]).toMatchObject({ status: 'ok', fix: expect.stringMatching(/Focus assist/) });
  });

  it('doctor runs the common checks and the platform\'s own, not the Linux ones, elsewhere', () => {
    const names = (id: 'windows' | 'macos') => checksFor(PLATFORMS[id]).map(([n]) => n);
    expect(names('windows')).toEqual(['config', 'log-file', 'checkpoints', 'rules', 'toast-session', 'toast-shortcut', 'toast-enabled', 'logon-task', 'putty-sessions']);
    expect(names('macos')).toEqual(['config', 'log-file', 'checkpoints', 'rules', 'launch-agent', 'notification-center']);
    expect(checksFor(linux).map(([n]) => n)).toContain('notify-send');
  });
});

describe('toast options', () => {
  const alert: Alert = { id: 'a', rule: 'r.x', severity: 'critical', category: 'hang', title: 'T', message: 'M', remedy: 'R', program: 'plink', time: 0, key: 'k', count: 2, evidence: [], host: 'h' };
  it('Windows: the app id of the shortcut, sound only for critical; macOS: grouped by rule, sound from error up', () => {
    expect(toastOptions('windows-toaster', alert)).toEqual({ title: 'T (×2) — h', message: 'M\n\nR', appID: 'connwatch.agent' });
    expect(toastOptions('windows-toaster', { ...alert, severity: 'warning' })).toMatchObject({ silent: true });
    expect(toastOptions('notification-center', alert)).toEqual({ title: 'T (×2) — h', message: 'M\n\nR', group: 'connwatch.r.x', sound: true });
  });
});

describe('the notifier each platform asks for', () => {
  it('notify-send on Linux, the toast sink with its backend on Windows and macOS', async () => {
    const { notifierFor } = await import('../../agent/platform/notifier.js');
    const { DesktopSink } = await import('../../agent/sinks/desktop.js');
    const { ToastSink } = await import('../../agent/sinks/toast.js');
    const logger = { warn: () => undefined, info: () => undefined };
    expect(notifierFor(linux, logger)).toBeInstanceOf(DesktopSink);
    expect(notifierFor(windows, logger)).toBeInstanceOf(ToastSink);
    expect(notifierFor(macos, logger)).toBeInstanceOf(ToastSink);
  });
});
