/* global process, console, URL */
// The Windows test lane's in-process part: runs under Wine with the Windows node.exe (see
// .ci/wine-lane), against the built dist/. Plain node:test, so no test runner has to start under
// Wine. Each test names what it proves on Windows' own terms (win32 paths, reg.exe, schtasks.exe,
// SnoreToast's command line).
import assert from 'node:assert/strict';
import cp from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { win32 } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dist = (p) => new URL(`../../../dist/agent/${p}`, import.meta.url).href;
const { platform } = await import(dist('platform/index.js'));
const { paths } = await import(dist('config/paths.js'));
const { defaultSources } = await import(dist('config/config.js'));
const { readPuttySessions, sessionLogs } = await import(dist('platform/putty-sessions.js'));
const { install } = await import(dist('install/install.js'));
const { uninstall } = await import(dist('install/uninstall.js'));
const { realSystem } = await import(dist('doctor/system.js'));
const { ToastSink } = await import(dist('sinks/toast.js'));
const { shortcutPath, APP_ID } = await import(dist('platform/windows.js'));
const { snoreToastPath } = await import(dist('platform/autostart.js'));
const { checkToastShortcut, checkToastSession } = await import(dist('doctor/windows.js'));
const here = win32.dirname(fileURLToPath(import.meta.url));

test('the platform is chosen once from process.platform: Windows', () => {
  assert.equal(process.platform, 'win32');
  assert.equal(platform().id, 'windows');
  assert.equal(platform().notifier, 'windows-toaster');
});

test('config in %APPDATA%\\connwatch, state and captures in %LOCALAPPDATA%\\connwatch', () => {
  const p = paths();
  assert.equal(p.configDir, win32.join(process.env.APPDATA, 'connwatch'));
  assert.equal(p.configFile, win32.join(process.env.APPDATA, 'connwatch', 'config.json'));
  assert.equal(p.stateDir, win32.join(process.env.LOCALAPPDATA, 'connwatch'));
  assert.equal(p.captureDir, win32.join(process.env.LOCALAPPDATA, 'connwatch', 'captures'));
  assert.equal(p.runtimeDir, undefined);
  assert.match(p.stateDir, /^[A-Z]:\\/);
});

test('saved PuTTY sessions: LogFileName/LogType/LogFileClash read with reg query from a .reg imported into the registry', () => {
  const imp = cp.spawnSync('reg', ['import', win32.join(here, 'putty-sessions.reg')], { encoding: 'utf8' });
  assert.equal(imp.status, 0, `reg import: ${imp.stdout}${imp.stderr}`);
  const { sessions, error } = readPuttySessions();
  assert.equal(error, undefined);
  const byName = Object.fromEntries(sessions.map((s) => [s.name, s]));
  assert.deepEqual(byName['debian vm'], { name: 'debian vm', logFileName: 'C:\\Users\\Public\\putty-logs\\&H-&Y&M&D-&T.log', logType: 3, logFileClash: 0 });
  assert.equal(byName.printable.logType, 1);
  assert.equal(byName.printable.logFileClash, -1);
  const r = sessionLogs(sessions);
  assert.deepEqual(r.globs, [{ session: 'debian vm', glob: 'C:\\Users\\Public\\putty-logs\\*-***-*.log' }]);
  assert.deepEqual(r.unusable.map((u) => u.session).sort(), ['printable', 'relative']);
  // the default sources of a fresh process include that session's log files
  const out = cp.spawnSync(process.execPath, ['--input-type=module', '-e', `const { defaultSources } = await import(${JSON.stringify(dist('config/config.js'))}); const { paths } = await import(${JSON.stringify(dist('config/paths.js'))}); console.log(JSON.stringify(defaultSources(paths())))`], { encoding: 'utf8' });
  const sources = JSON.parse(out.stdout);
  assert.ok(sources.some((s) => s.type === 'file' && s.program === 'plink' && s.path === 'C:\\Users\\Public\\putty-logs\\*-***-*.log'), out.stdout + out.stderr);
  assert.ok(defaultSources(paths()).some((s) => s.path === win32.join(paths().stateDir, 'plink-logs', '*.log')));
});

test('install registers the logon task (schtasks /xml) and the Start-menu shortcut; uninstall removes exactly those', async () => {
  const lines = [];
  const out = (l) => lines.push(l);
  const sys = realSystem();
  const task = 'C:\\windows\\system32\\Tasks\\connwatch';
  const lnk = shortcutPath(process.env);
  assert.equal(await install({ sys, out }), 0, lines.join('\n'));
  const xmlFile = win32.join(paths().stateDir, 'connwatch-task.xml');
  const bytes = readFileSync(xmlFile);
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe], 'UTF-16LE with a byte order mark');
  const xml = bytes.subarray(2).toString('utf16le');
  assert.match(xml, /<LogonType>InteractiveToken<\/LogonType>/);
  assert.match(xml, /<RunLevel>LeastPrivilege<\/RunLevel>/);
  assert.match(xml, /<Command>[A-Z]:\\windows\\System32\\conhost\.exe<\/Command>/i);
  assert.ok(xml.includes(`--headless ${process.execPath.includes(' ') ? `&quot;${process.execPath}&quot;` : process.execPath} --max-semi-space-size=1`), xml);
  assert.ok(existsSync(task), `schtasks registered ${task}\n${lines.join('\n')}`);
  // Wine's Task Scheduler parsed our file and stored what it implements (it drops triggers and
  // principals): the settings it kept prove the XML is read as Task Scheduler reads it
  const raw = readFileSync(task);
  const stored = raw[0] === 0xff && raw[1] === 0xfe ? raw.subarray(2).toString('utf16le') : raw.toString('utf8');
  for (const kept of ['<Author>connwatch</Author>', '<Hidden>true</Hidden>', '<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>', '<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>']) assert.ok(stored.includes(kept), `${kept} in\n${stored}`);
  assert.ok(existsSync(lnk), `SnoreToast -install wrote ${lnk}\n${lines.join('\n')}`);
  assert.ok(lines.some((l) => l.startsWith('ran: schtasks /create /tn connwatch /xml')), lines.join('\n'));
  assert.deepEqual(checkToastShortcut({ sys }).map((r) => r.status), ['ok']);
  assert.deepEqual(checkToastSession({ sys }).map((r) => r.status), ['ok']);

  const before = lines.length;
  assert.equal(await uninstall({ sys, out }), 0, lines.join('\n'));
  const said = lines.slice(before).join('\n');
  assert.ok(!existsSync(task), `the task is gone\n${said}`);
  assert.ok(!existsSync(lnk), `the shortcut is gone\n${said}`);
  assert.ok(!existsSync(win32.dirname(lnk)), `the shortcut's folder install created is gone\n${said}`);
  assert.ok(!existsSync(xmlFile));
  assert.ok(existsSync(paths().configFile), 'the configuration stays');
  assert.match(said, /ran: schtasks \/delete \/tn connwatch \/f/);
  assert.deepEqual(checkToastShortcut({ sys }).map((r) => r.status), ['fail']);
});

test('install --shims writes plink.cmd; started by its full path (XLaunch "Run Local"), the real plink runs under connwatch wrap with its arguments and exit code, and is captured', async () => {
  // the "real" plink.exe: a copy of this node.exe, so it can say which arguments it got
  const fake = win32.join(process.env.LOCALAPPDATA, 'fake-putty');
  mkdirSync(fake, { recursive: true });
  const realPlink = win32.join(fake, 'plink.exe');
  copyFileSync(process.execPath, realPlink);
  process.env.PATH = `${fake};${process.env.PATH}`;
  const lines = [];
  const sys = realSystem();
  assert.equal(await install({ sys, out: (l) => lines.push(l), shims: true }), 0, lines.join('\n'));
  const shim = win32.join(paths().stateDir, 'bin', 'plink.cmd');
  assert.ok(existsSync(shim), lines.join('\n'));
  const text = readFileSync(shim, 'utf8');
  assert.match(text, /^@echo off\r\nrem connwatch-managed: /);
  assert.ok(text.includes(`set "CONNWATCH_REAL=${realPlink}"\r\n`), text);
  assert.ok(lines.some((l) => l.startsWith(`plink through connwatch: ${shim}`)), lines.join('\n'));

  // -v after "--" is one of the script's arguments for node, and tells wrap not to add its own
  const script = 'process.stdout.write(JSON.stringify(process.argv.slice(1)));process.exitCode=3';
  const before = existsSync(paths().captureDir) ? readdirSync(paths().captureDir).length : 0;
  const r = cp.spawnSync(`"${shim}" -e "${script}" -- "a b" c -v`, { shell: true, encoding: 'utf8', windowsHide: true });
  assert.equal(r.status, 3, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(JSON.parse(r.stdout.trim()), ['a b', 'c', '-v']);
  const captures = readdirSync(paths().captureDir).filter((f) => f.endsWith('.jsonl'));
  assert.ok(captures.length > before, `a capture was written in ${paths().captureDir}`);
  const newest = captures.map((f) => win32.join(paths().captureDir, f)).sort().pop();
  const recs = readFileSync(newest, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(recs.some((x) => x.program === 'plink'), JSON.stringify(recs));
  assert.ok(recs.some((x) => typeof x.text === 'string' && x.text.includes('a b')), JSON.stringify(recs));

  const n = lines.length;
  assert.equal(await uninstall({ sys, out: (l) => lines.push(l) }), 0, lines.join('\n'));
  assert.ok(!existsSync(shim), `uninstall removed the shim\n${lines.slice(n).join('\n')}`);
});

test('the notifier: node-notifier WindowsToaster runs SnoreToast with exactly these arguments (untrusted text as single argv elements)', async () => {
  const calls = [];
  const real = cp.execFile;
  cp.execFile = function (file, args, ...rest) {
    calls.push({ file, args: [...args] });
    return real.call(this, file, args, ...rest);
  };
  const warnings = [];
  try {
    const sink = new ToastSink({ kind: 'windows-toaster', logger: { warn: (m) => warnings.push(m), info: () => {} } });
    const alert = {
      id: 'a1', rule: 'plink.sshlog.hostkey-hang', severity: 'error', category: 'hang', program: 'plink', time: Date.now(), key: 'k', count: 1, evidence: [],
      title: 'plink stopped at the host key of 10.0.0.5',
      message: 'host "x" & calc.exe\n%PATH% ^| echo $(id) `whoami`',
      remedy: '-batch first',
      host: '10.0.0.5',
    };
    await sink.deliver(alert);
    assert.equal(calls.length, 1);
    const { file, args } = calls[0];
    assert.equal(file, snoreToastPath());
    const pipe = args[args.indexOf('-pipeName') + 1];
    assert.match(pipe, /^\\\\\.\\pipe\\notifierPipe-[0-9a-f-]{36}$/);
    // node-notifier's order (mapToWin8 renames title/message last); every value one argv element
    assert.deepEqual(args, [
      '-appID', APP_ID,
      '-silent',
      '-pipeName', pipe,
      '-m', 'host "x" & calc.exe\n%PATH% ^| echo $(id) `whoami`\n\n-batch first',
      '-t', 'plink stopped at the host key of 10.0.0.5 — 10.0.0.5',
    ]);
    // SnoreToast cannot show a toast under Wine: the sink keeps the alert and says why
    assert.equal(sink.status.state, 'unavailable', 'SnoreToast crashes under Wine: the alert stays pending');
    assert.equal(sink.pending().length, 1);
    assert.match(warnings.join('\n'), /SnoreToast could not show "plink stopped at the host key of 10\.0\.0\.5 — 10\.0\.0\.5".*\n {2}hint: Run `connwatch doctor`/);
    console.log(`# SnoreToast under Wine: sink status ${sink.status.state}${sink.status.error ? `: ${sink.status.error.message}` : ''}`);
  } finally {
    cp.execFile = real;
  }
});
