/**
 * Built-in rules against real programs run by the test, and end-to-end through the built binary:
 *   - plink 0.78 (-v -batch) against a listener on 127.0.0.1 that accepts and never answers: its
 *     stderr ends after "We claim version" and plink.network.silent-server fires at end of input;
 *     against one that closes at once: plink.network.closed;
 *   - a real process named "remmina" that maps a library then replaced the way dpkg does it
 *     (write .dpkg-new, rename): the real ProcessScan's process.stale event raises
 *     client.stale-library with the pid, start time, library, package and upgrade time;
 *   - `connwatch replay --json` (dist/) on the rdesktop 1.8 incident and the 1.9 capture.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Event } from '../../../agent/event.js';
import { PackageHistory } from '../../../agent/correlate/packages.js';
import { VirtualClock } from '../../../agent/correlate/clock.js';
import { LineRouter } from '../../../agent/parsers/router.js';
import { Pipeline } from '../../../agent/pipeline.js';
import { RuleRunner } from '../../../agent/rules/runner.js';
import { AlertGate } from '../../../agent/sinks/gate.js';
import { clockTime, ProcessScan } from '../../../agent/sources/process-scan.js';
import { FIXTURES, jsonLines, runCli, waitFor } from '../../helpers/cli.js';
import { plinkEnv } from '../../helpers/putty.js';
import { builtinRules, Collect, replayBuiltin, ruleIds } from './run.js';

const MAPPER_C = fileURLToPath(new URL('../../helpers/mapper.c', import.meta.url));
const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const f of cleanup.reverse()) f();
});

function listen(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, sockets })));
}

/** Runs real plink -v -batch against 127.0.0.1:port until `done(stderr)` or it exits; returns its stderr file. */
async function runPlink(port: number, done: (stderr: string) => boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'connwatch-plink-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  mkdirSync(home);
  let stderr = '';
  const child: ChildProcess = spawn('plink', ['-v', '-batch', '-ssh', '-P', String(port), 'nobody@127.0.0.1', 'true'], {
    env: { ...process.env, ...plinkEnv(home) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await waitFor(() => done(stderr) || child.exitCode !== null, 30_000, 'plink output');
  if (child.exitCode === null) child.kill('SIGKILL');
  await exited;
  const file = join(dir, 'plink.stderr');
  writeFileSync(file, stderr);
  return file;
}

describe('real plink against broken servers on 127.0.0.1', () => {
  it('a listener that never answers: plink.network.silent-server', async () => {
    const { server, sockets } = await listen(() => {});
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });
    const file = await runPlink((server.address() as { port: number }).port, (e) => /We claim version: /.test(e));
    expect(readFileSync(file, 'utf8')).toMatch(/Connected to 127\.0\.0\.1/);
    const { alerts } = await replayBuiltin([file], { program: 'plink' });
    expect(ruleIds(alerts)).toEqual(['plink.network.silent-server']);
    expect(alerts[0]!.severity).toBe('error');
  }, 60_000);

  it('a listener that closes at once: plink.network.closed', async () => {
    const { server } = await listen((s) => s.destroy());
    cleanup.push(() => server.close());
    const file = await runPlink((server.address() as { port: number }).port, () => false);
    const { alerts } = await replayBuiltin([file], { program: 'plink' });
    expect(ruleIds(alerts)).toEqual(['plink.network.closed']);
  }, 60_000);
});

describe('real process that still maps a library replaced by an upgrade', () => {
  it('client.stale-library names the program, pid, start time, library, package and upgrade time, and what to do', async () => {
    mkdirSync(join(homedir(), '.cache'), { recursive: true });
    const home = mkdtempSync(join(homedir(), '.cache', 'connwatch-stale-'));
    cleanup.push(() => rmSync(home, { recursive: true, force: true }));
    const remmina = join(home, 'remmina');
    execFileSync('cc', ['-o', remmina, MAPPER_C, '-ldl']);
    const lib = join(home, 'libfreerdp2.so.2.11.7');
    const build = (path: string, v: number) => {
      writeFileSync(`${path}.c`, `int fake_version(void) { return ${v}; }\n`);
      execFileSync('cc', ['-shared', '-fPIC', '-o', path, `${path}.c`]);
      rmSync(`${path}.c`);
    };
    build(lib, 1);
    const infoDir = join(home, 'info');
    mkdirSync(infoDir);
    writeFileSync(join(infoDir, 'libfreerdp2-2:amd64.list'), `/.\n${home}\n${lib}\n`);
    const child = spawn(remmina, [lib], { stdio: ['ignore', 'pipe', 'ignore'] });
    cleanup.push(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor(() => out.includes('ready\n'), 20_000, 'the mapper to load the library');

    // The upgrade, as dpkg does it, and its dpkg.log lines through the real router.
    build(`${lib}.dpkg-new`, 2);
    renameSync(`${lib}.dpkg-new`, lib);
    const d = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    const dpkgLog = join(home, 'dpkg.log');
    appendFileSync(dpkgLog, `${stamp} upgrade libfreerdp2-2:amd64 2.11.7+dfsg1-6~deb12u1 2.11.7+dfsg1-6~deb12u2\n`);
    const packages = new PackageHistory({ infoDir });
    const scan = new ProcessScan({ packages, onEvent: async () => {}, log: { debug: () => {}, warn: () => {} } });
    const router = new LineRouter();
    for (const e of router.route({ sourceId: 'dpkg', text: readFileSync(dpkgLog, 'utf8').trimEnd(), receivedAt: Date.now(), position: { source: 'dpkg', line: 1 } })) scan.notePackageEvent(e);

    const found = (await scan.scanNow()).filter((e: Event) => e.pid === child.pid);
    expect(found).toHaveLength(1);
    const record = new Collect();
    const pipeline = new Pipeline({ runner: new RuleRunner(builtinRules().rules, new VirtualClock(0)), gate: new AlertGate({ record: [record] }) });
    await pipeline.handleEvent(found[0]!);
    const alerts = record.alerts;
    expect(ruleIds(alerts)).toEqual(['client.stale-library']);
    const e = found[0]!;
    expect(alerts[0]!.title).toBe('Remmina still runs the old libfreerdp2.so.2.11.7');
    expect(alerts[0]!.message).toBe(
      `Remmina (pid ${child.pid}, started ${String(e.detail.startedAt)}) still uses libfreerdp2.so.2.11.7 replaced by the upgrade of libfreerdp2-2 at ${clockTime(new Date(stamp.replace(' ', 'T')).getTime())} — quit all Remmina windows (remmina -q) and start it again.`,
    );
    expect(alerts[0]!.severity).toBe('warning');
    expect(alerts[0]!.category).toBe('stale');
  }, 60_000);
});

describe('connwatch replay --json (built binary)', () => {
  it('rdesktop 1.8 incident: rdesktop.credssp.failed', async () => {
    const r = await runCli(['replay', '--json', join(FIXTURES, 'incidents', 'rdesktop-1.8-credssp.txt')]);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((a) => a.rule)).toEqual(['rdesktop.credssp.failed']);
  });

  it('rdesktop 1.9 capture (stdout and stderr): rdesktop.credssp.failed, with the server\'s "CredSSP required" merged in', async () => {
    const dir = join(FIXTURES, 'rdp', '11-rdp-nla-shadow-server', 'a3-rdesktop-answer-yes-to-cert');
    const r = await runCli(['replay', '--json', '--program', 'rdesktop', join(dir, 'client.stderr'), join(dir, 'client.stdout')]);
    expect(r.code).toBe(0);
    const alerts = jsonLines(r.stdout);
    expect(alerts.map((a) => a.rule)).toEqual(['rdesktop.credssp.failed']);
    expect(String(alerts[0]!.message)).toContain('CredSSP required by server');
  });
});
