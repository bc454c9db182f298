/**
 * The unit `connwatch install` writes, checked the two ways that matter:
 *
 * 1. `systemd-analyze verify --user` accepts it with no output at all (it exits 0 on warnings,
 *    so any output fails the test), rendered into temporary HOMEs with real paths, one of them
 *    with a space, a percent sign and a dollar in it (systemd quoting and specifiers).
 * 2. Its exact ExecStart line (and Environment= lines), read back from the file, started the way
 *    the user manager would (HOME, PATH, the session bus; nothing else) with a config that
 *    watches a temporary log: the agent starts, and the founding incident written into the log
 *    arrives as a Notify call on a real notification server on a private D-Bus bus.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_NODE_OPTIONS, parseExecLine } from '../../agent/install/service.js';
import { FIXTURES, runCli, waitFor } from '../helpers/cli.js';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';
import { tempHome, type TempHome } from './home.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

function verify(unitFile: string): Promise<{ code: number; output: string }> {
  const runtime = mkdtempSync(join(tmpdir(), 'connwatch-xdg-runtime-'));
  return new Promise((resolve) => {
    execFile(
      'systemd-analyze',
      ['verify', '--user', '--man=no', unitFile],
      { env: { ...process.env, XDG_RUNTIME_DIR: runtime }, timeout: 60_000 },
      (err, stdout, stderr) => {
        rmSync(runtime, { recursive: true, force: true });
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

async function installInto(h: TempHome): Promise<string> {
  const r = await runCli(['install'], { env: h.env() });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return join(h.home, '.config', 'systemd', 'user', 'connwatch.service');
}

function unitLines(text: string, key: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

describe('the installed unit', () => {
  it('passes systemd-analyze verify --user with no output, and its ExecStart points at real files', async () => {
    const h = tempHome();
    cleanup.push(() => rmSync(h.root, { recursive: true, force: true }));
    const unit = await installInto(h);
    const v = await verify(unit);
    expect(v.output).toBe('');
    expect(v.code).toBe(0);
    const argv = parseExecLine(unitLines(readFileSync(unit, 'utf8'), 'ExecStart')[0]!);
    expect(argv).toEqual([process.execPath, ...AGENT_NODE_OPTIONS, expect.stringMatching(/\/dist\/agent\/cli\/main\.js$/), 'run']);
    expect(existsSync(argv[0]!)).toBe(true);
    expect(existsSync(argv[1 + AGENT_NODE_OPTIONS.length]!)).toBe(true);
  });

  it('quotes paths with a space, % and $ so systemd reads them back unchanged', async () => {
    const h = tempHome();
    cleanup.push(() => rmSync(h.root, { recursive: true, force: true }));
    const odd = join(h.root, 'odd home 100% $x');
    mkdirSync(odd);
    const env = { ...h.env(), HOME: odd };
    const r = await runCli(['install'], { env });
    expect(r.code, r.stdout).toBe(0);
    const unit = join(odd, '.config', 'systemd', 'user', 'connwatch.service');
    const v = await verify(unit);
    expect(v.output).toBe('');
    const text = readFileSync(unit, 'utf8');
    expect(parseExecLine(unitLines(text, 'ReadWritePaths')[0]!)).toEqual([join(odd, '.local', 'state', 'connwatch')]);
    expect(existsSync(join(odd, '.local', 'state', 'connwatch'))).toBe(true);
  });

  it('the verify step itself fails on a bad unit (so the checks above can fail)', async () => {
    const h = tempHome();
    cleanup.push(() => rmSync(h.root, { recursive: true, force: true }));
    const unit = await installInto(h);
    writeFileSync(unit, readFileSync(unit, 'utf8').replace('[Service]\n', '[Service]\nProtectSystm=strict\n'));
    expect((await verify(unit)).output).toMatch(/Unknown key 'ProtectSystm'/);
  });
});

describe('the installed unit’s ExecStart, run as the user manager would', () => {
  let server: NotifyServer | undefined;
  let agent: ChildProcess | undefined;

  it('starts the agent, which watches the configured log and notifies the founding incident', async () => {
    const h = tempHome();
    cleanup.push(() => rmSync(h.root, { recursive: true, force: true }));
    server = await startNotifyServer();
    cleanup.push(() => server?.stop());
    const log = join(h.root, 'plink.log');
    writeFileSync(log, '');
    const unit = await installInto(h);
    const config = join(h.home, '.config', 'connwatch', 'config.json');
    expect(readFileSync(config, 'utf8')).toBe('{}\n'); // what install wrote
    writeFileSync(config, JSON.stringify({ sources: [{ type: 'file', path: log }], replaceDefaultSources: true }));

    const text = readFileSync(unit, 'utf8');
    const [cmd, ...args] = parseExecLine(unitLines(text, 'ExecStart')[0]!);
    const env: NodeJS.ProcessEnv = { HOME: h.home, PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', ...server.env };
    for (const e of unitLines(text, 'Environment')) {
      const [kv] = parseExecLine(e);
      const i = kv!.indexOf('=');
      env[kv!.slice(0, i)] = kv!.slice(i + 1);
    }
    const child = spawn(cmd!, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
    agent = child;
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('connwatch running') || child.exitCode !== null, 30_000, 'the agent to start');
    expect(out).toContain('connwatch running');

    const transcript = readFileSync(join(FIXTURES, 'incidents', 'plink-0.60-gex-fail-openssh-7.2.txt'), 'utf8');
    expect(transcript).toContain('expected key exchange group packet from server');
    for (const line of transcript.split(/(?<=\n)/)) appendFileSync(log, line);
    const [call] = await server.waitForCalls(1, 30_000);
    expect(call!.appName).toBe('connwatch');
    expect(call!.body).toMatch(/expected key exchange group packet from server/);
    // the agent wrote its state where the unit lets it write (ReadWritePaths)
    const stateDir = parseExecLine(unitLines(text, 'ReadWritePaths')[0]!)[0]!;
    await waitFor(() => existsSync(join(stateDir, 'status.json')), 10_000, 'the status file');
    expect(readFileSync(join(stateDir, 'alerts.jsonl'), 'utf8')).toMatch(/plink\.kex\.gex-old-client/);
    expect(agent).toBeDefined();
  });
});
