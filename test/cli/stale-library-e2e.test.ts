/**
 * Issue 9, end to end: the built `connwatch run` finds a client that still maps a library an
 * "upgrade" replaced, joins it with the dpkg.log it tails and with a dpkg database of the test's
 * own (`dpkgInfoDir` in config.json), and raises exactly one `client.stale-library` alert, seen
 * in the alert history and as a notification on a real notification server (dbusmock on a
 * private D-Bus session bus).
 *
 * The clients are test/helpers/mapper.c compiled as `remmina` (a watched program): it dlopen()s
 * libraries built with cc, so they are mapped r-xp as libfreerdp is in Remmina. Everything lives
 * under ~/.cache/connwatch-test-* (not /tmp: the scan ignores temporary mappings on purpose,
 * and a decoy proves it). Libraries are replaced exactly as dpkg 1.21 unpacks a file: hard-link
 * backup `<file>.dpkg-tmp`, new content written to `<file>.dpkg-new`, rename(2) over `<file>`,
 * backup removed (real capture: shared fixtures real/14-upgrade-while-running/b). The dpkg.log
 * lines are the real openssh-client upgrade of test/fixtures/upgrade/dpkg.log (lines 57-61 and
 * 523-526) with the package, versions and time of this upgrade put in.
 *
 * A "sentinel" client whose library is replaced before the agent starts (and owned by no
 * package) must be reported first: it proves the agent's scans really ran while the other client
 * was still clean, so "no alert before the replacement" can fail.
 *
 * Two agents:
 *   A. a scan every second: no alert before the replacement (also while the dpkg "upgrade" line
 *      is already read, as dpkg writes it before unpacking), one alert after it with the pid,
 *      start time, file, package and the dpkg time, still one after several more scans; none
 *      for a decoy that maps a replaced library under /tmp and an executable memfd;
 *   B. a scan every hour, the issue's order (replace, then the log lines): nothing until the
 *      dpkg line arrives; the line alone makes the agent look again and report.
 *
 * Needs: cc (gcc), dbus-daemon, python3-dbusmock, libnotify-bin; `npm run build` beforehand.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../agent/alert.js';
import { clockTime } from '../../agent/sources/process-scan.js';
import { assertBuilt, FIXTURES, ROOT, startCli, waitFor } from '../helpers/cli.js';
import { buildLib, startMapper } from '../helpers/mapper.js';
import { startNotifyServer, type NotifyCall, type NotifyServer } from '../helpers/notify-server.js';

const MAPPER_C = join(ROOT, 'test', 'helpers', 'mapper.c');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pad = (n: number) => String(n).padStart(2, '0');
/** dpkg.log's time stamp: local time, to the second. */
const dpkgStamp = (d: Date) =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

/** What to undo at the end, newest first; run even when a test or a hook failed. */
const cleanup: Array<() => void | Promise<void>> = [];
const children = new Set<ChildProcess>();
const track = (c: ChildProcess) => void children.add(c);
// A worker that dies must not leave mappers sleeping forever.
const killChildren = () => {
  for (const c of children) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
};
process.once('exit', killChildren);


/** dpkg's unpack of one file: backup link, new file beside it, rename(2) over, backup removed. */
function replaceLikeDpkg(path: string, version: number): void {
  linkSync(path, `${path}.dpkg-tmp`);
  buildLib(`${path}.dpkg-new`, version);
  renameSync(`${path}.dpkg-new`, path);
  unlinkSync(`${path}.dpkg-tmp`);
}


function stopMappers(list: ChildProcess[]): void {
  for (const c of list) {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    children.delete(c);
  }
}

/**
 * The real lines of dpkg's in-place upgrade of openssh-client (unpack: 57-61, configure:
 * 523-526 of the fixture), renamed to this package and these versions, stamped with these times.
 */
function upgradeLines(pkg: string, oldV: string, newV: string, unpackAt: Date, configureAt: Date): { unpack: string[]; unpacked: string; configure: string[] } {
  const real = readFileSync(join(FIXTURES, 'upgrade', 'dpkg.log'), 'utf8').split('\n');
  const pick = (from: number, to: number) => real.slice(from - 1, to);
  const unpack = pick(57, 61);
  const configure = pick(523, 526);
  // the fixture is what we think it is
  expect(unpack[0]).toBe('2026-11-21 13:26:26 upgrade openssh-client:amd64 1:9.2p1-2+deb12u6 1:9.2p1-2+deb12u10');
  expect(configure[3]).toBe('2026-11-21 13:26:42 status installed openssh-client:amd64 1:9.2p1-2+deb12u10');
  const rewrite = (line: string, at: Date) =>
    line
      .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, `${dpkgStamp(at)} `)
      .replace(' openssh-client:amd64 ', ` ${pkg}:amd64 `)
      .replaceAll('1:9.2p1-2+deb12u10', newV)
      .replaceAll('1:9.2p1-2+deb12u6', oldV);
  return {
    unpack: [`${dpkgStamp(unpackAt)} startup archives unpack`, ...unpack.slice(0, 4).map((l) => rewrite(l, unpackAt))],
    unpacked: rewrite(unpack[4]!, unpackAt),
    configure: [`${dpkgStamp(configureAt)} startup packages configure`, ...configure.map((l) => rewrite(l, configureAt))],
  };
}

/** A throwaway agent: its own config, state and history, the notification server's bus. */
interface Agent {
  history(): Alert[];
  /** client.stale-library records about this pid (the evidence is "pid N remmina maps …"). */
  staleFor(pid: number): Alert[];
  linesRead(): number;
  output(): string;
  stop(): Promise<number | null>;
}

/** A world of its own under `home`: the client's library (owned by `pkg`), a sentinel library, a dpkg info dir. */
function world(home: string, name: string, libName: string, pkg: string): { dir: string; lib: string; sentinelLib: string; infoDir: string } {
  const dir = join(home, name);
  mkdirSync(dir);
  const lib = join(dir, libName);
  buildLib(lib, 1);
  const sentinelLib = join(dir, 'libsentinel.so.1');
  buildLib(sentinelLib, 1);
  const infoDir = join(dir, 'dpkg-info');
  mkdirSync(infoDir);
  writeFileSync(join(infoDir, `${pkg}:amd64.list`), `/.\n${dir}\n${lib}\n`);
  return { dir, lib, sentinelLib, infoDir };
}

async function startAgent(dir: string, config: object, server: NotifyServer): Promise<Agent> {
  const configDir = join(dir, '.config');
  const stateDir = join(dir, '.local', 'state');
  mkdirSync(join(configDir, 'connwatch'), { recursive: true });
  writeFileSync(join(configDir, 'connwatch', 'config.json'), JSON.stringify(config, null, 2));
  const env: NodeJS.ProcessEnv = { ...process.env, ...server.env, HOME: dir, XDG_CONFIG_HOME: configDir, XDG_STATE_HOME: stateDir };
  delete env.JOURNAL_STREAM;
  const cli = startCli(['run', '--fold', '200ms'], env);
  cleanup.push(() => cli.stop().then(() => undefined));
  const historyFile = join(stateDir, 'connwatch', 'alerts.jsonl');
  const statusFile = join(stateDir, 'connwatch', 'status.json');
  const history = (): Alert[] => {
    let text = '';
    try {
      text = readFileSync(historyFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Alert);
  };
  const agent: Agent = {
    history,
    staleFor: (pid) => history().filter((a) => a.rule === 'client.stale-library' && a.evidence.some((e) => e.text.startsWith(`pid ${pid} `))),
    linesRead: () => {
      try {
        return (JSON.parse(readFileSync(statusFile, 'utf8')) as { stats: { lines: number } }).stats.lines;
      } catch {
        return 0;
      }
    },
    output: cli.output,
    stop: cli.stop,
  };
  await waitFor(() => cli.output().includes('connwatch running') || cli.child.exitCode !== null, 30_000, 'the agent to start');
  if (cli.child.exitCode !== null) throw new Error(`connwatch run exited (${cli.child.exitCode}):\n${cli.output()}`);
  return agent;
}

/** waitFor for a value that is undefined until it is there; on time-out, says what the agent logged. */
async function waitForValue<T>(get: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string, agent?: Agent): Promise<T> {
  try {
    return (await waitFor(get, timeoutMs, what)) as T;
  } catch (err) {
    throw new Error(`${(err as Error).message}${agent ? `\n--- connwatch run said:\n${agent.output()}` : ''}`, { cause: err });
  }
}

/** Notifications about this pid (the body carries the message "… (pid N, started …) …"). */
const notesFor = (calls: NotifyCall[], pid: number) => calls.filter((c) => c.body.includes(`(pid ${pid},`));

describe('connwatch run: a client still mapping a library replaced by an upgrade', () => {
  let home: string;
  let tmp: string;
  let remmina: string;
  let server: NotifyServer;

  beforeAll(async () => {
    assertBuilt();
    mkdirSync(join(homedir(), '.cache'), { recursive: true });
    home = mkdtempSync(join(homedir(), '.cache', 'connwatch-test-'));
    cleanup.push(() => rmSync(home, { recursive: true, force: true }));
    tmp = mkdtempSync('/tmp/connwatch-test-');
    cleanup.push(() => rmSync(tmp, { recursive: true, force: true }));
    remmina = join(home, 'remmina');
    execFileSync('cc', ['-o', remmina, MAPPER_C, '-ldl']);
    server = await startNotifyServer();
    cleanup.push(() => server.stop());
  });

  afterAll(async () => {
    killChildren();
    for (const undo of cleanup.reverse()) {
      try {
        await undo();
      } catch (err) {
        console.warn(`cleanup: ${(err as Error).message}`);
      }
    }
    process.removeListener('exit', killChildren);
  });

  describe('A: scanning every second', () => {
    let dir: string;
    let lib: string;
    let tmpLib: string;
    let dpkgLog: string;
    let client: ChildProcess & { pid: number };
    let decoy: ChildProcess & { pid: number };
    let sentinel: ChildProcess & { pid: number };
    let spawned: { from: number; to: number };
    let agent: Agent;
    let upgradeAt: Date;

    beforeAll(async () => {
      let sentinelLib: string;
      let infoDir: string;
      ({ dir, lib, sentinelLib, infoDir } = world(home, 'a', 'libfreerdp2.so.2.11.7', 'libfreerdp2-2'));
      tmpLib = join(tmp, 'libtmpdemo.so.1');
      buildLib(tmpLib, 1);
      // owned by a package too, so only the /tmp rule keeps it out
      writeFileSync(join(infoDir, 'libtmpdemo1:amd64.list'), `/.\n${tmp}\n${tmpLib}\n`);
      writeFileSync(join(infoDir, 'unrelated.list'), '/.\n/usr/share/doc/unrelated\n');
      dpkgLog = join(dir, 'dpkg.log');
      writeFileSync(dpkgLog, '');

      spawned = { from: Date.now(), to: 0 };
      client = await startMapper(remmina, [lib], track);
      spawned.to = Date.now();
      decoy = await startMapper(remmina, ['--memfd', 'connwatch-jit', tmpLib], track);
      sentinel = await startMapper(remmina, [sentinelLib], track);
      // stale from the start: the decoy's /tmp library and the sentinel's library
      replaceLikeDpkg(tmpLib, 2);
      replaceLikeDpkg(sentinelLib, 2);

      agent = await startAgent(
        dir,
        {
          replaceDefaultSources: true,
          sources: [
            { type: 'file', path: dpkgLog, program: 'dpkg' },
            { type: 'process-scan', programs: ['remmina'], interval: '1s', dpkgInfoDir: infoDir },
          ],
        },
        server,
      );
    });

    afterAll(async () => {
      await agent?.stop();
      stopMappers([client, decoy, sentinel].filter((c) => c !== undefined));
    });

    it('reports nothing for the client while the library it maps is the one on disk, also once dpkg logged the upgrade', async () => {
      // the agent's scans run: the sentinel, stale from the start, is reported
      await waitForValue(() => agent.staleFor(sentinel.pid)[0], 30_000, "the sentinel's alert", agent);
      await sleep(2500); // more than two scan intervals
      expect(agent.staleFor(client.pid)).toEqual([]);

      // dpkg writes "upgrade" (and the status lines) before it unpacks the files
      upgradeAt = new Date();
      const lines = upgradeLines('libfreerdp2-2', '2.11.7+dfsg1-6~deb12u1', '2.11.7+dfsg1-6~deb12u2', upgradeAt, upgradeAt);
      appendFileSync(dpkgLog, lines.unpack.map((l) => `${l}\n`).join(''));
      // the pipeline is serial: once the 5th line is taken up, the "upgrade" line (2nd) is handled
      await waitForValue(() => agent.linesRead() >= lines.unpack.length || undefined, 30_000, 'the agent to read the dpkg lines', agent);
      await sleep(2500);
      expect(agent.staleFor(client.pid)).toEqual([]);
      expect(notesFor(await server.calls(), client.pid)).toEqual([]);
    });

    it('after the replacement: one alert naming Remmina, its pid and start, the file, the package and the upgrade time', async () => {
      replaceLikeDpkg(lib, 2);
      const lines = upgradeLines('libfreerdp2-2', '2.11.7+dfsg1-6~deb12u1', '2.11.7+dfsg1-6~deb12u2', upgradeAt, new Date());
      appendFileSync(dpkgLog, `${lines.unpacked}\n`);
      appendFileSync(dpkgLog, lines.configure.map((l) => `${l}\n`).join(''));

      const alert = await waitForValue(() => agent.staleFor(client.pid)[0], 30_000, "the client's stale-library alert", agent);
      const started = [clockTime(spawned.from), clockTime(spawned.to)];
      const m = /^Remmina \(pid (\d+), started (\d\d:\d\d)\) still uses libfreerdp2\.so\.2\.11\.7 replaced by the upgrade of libfreerdp2-2 at (\d\d:\d\d) — quit all Remmina windows \(remmina -q\) and start it again\.$/.exec(alert.message);
      expect(m, alert.message).not.toBeNull();
      expect(Number(m![1])).toBe(client.pid);
      expect(started).toContain(m![2]);
      expect(m![3]).toBe(clockTime(upgradeAt.getTime())); // dpkg's time of the upgrade, not the file's
      expect(alert).toMatchObject({ rule: 'client.stale-library', severity: 'warning', category: 'stale', program: 'remmina', title: 'Remmina still runs the old libfreerdp2.so.2.11.7' });
      expect(alert.evidence.map((e) => e.text)).toEqual([`pid ${client.pid} remmina maps ${lib} (deleted)`]);
      expect(alert.remedy).toMatch(/^Restart it: quit all Remmina windows \(remmina -q\) and start it again \(remmina -q\)\./);

      // and on the desktop
      const note = await waitForValue(async () => notesFor(await server.calls(), client.pid)[0], 30_000, 'the notification', agent);
      expect(note.summary).toBe('Remmina still runs the old libfreerdp2.so.2.11.7');
      expect(note.body).toContain(`(pid ${client.pid}, started ${m![2]}) still uses libfreerdp2.so.2.11.7 replaced by the upgrade of libfreerdp2-2 at ${m![3]}`);
      expect(note.body).toContain('remmina -q');
      expect(note.appName).toBe('connwatch');
      expect(note.hints).toMatchObject({ urgency: 1, category: 'x-connwatch.stale' });
    });

    it('stays one alert over several more scans; the /tmp library and the memfd never count', async () => {
      // the decoy really maps a replaced library under /tmp and an executable memfd, both " (deleted)"
      const maps = readFileSync(`/proc/${decoy.pid}/maps`, 'utf8');
      expect(maps).toMatch(new RegExp(` r-xp .* ${tmpLib.replace(/[.]/g, '\\.')} \\(deleted\\)\\n`));
      expect(maps).toMatch(/ r-xp .* \/memfd:connwatch-jit \(deleted\)\n/);

      await sleep(4000); // four more scan intervals
      expect(agent.staleFor(client.pid)).toHaveLength(1);
      expect(notesFor(await server.calls(), client.pid)).toHaveLength(1);
      expect(agent.staleFor(decoy.pid)).toEqual([]);
      expect(notesFor(await server.calls(), decoy.pid)).toEqual([]);
      expect(agent.staleFor(sentinel.pid)).toHaveLength(1);
      // nothing in the history names the temporary or memfd mappings at all
      expect(agent.history().filter((a) => JSON.stringify(a).includes(tmpLib) || JSON.stringify(a).includes('memfd'))).toEqual([]);
    });
  });

  describe('B: scanning every hour, the dpkg line makes the agent look again', () => {
    let dir: string;
    let lib: string;
    let dpkgLog: string;
    let client: ChildProcess & { pid: number };
    let sentinel: ChildProcess & { pid: number };
    let agent: Agent;

    beforeAll(async () => {
      let sentinelLib: string;
      let infoDir: string;
      ({ dir, lib, sentinelLib, infoDir } = world(home, 'b', 'libwinpr2.so.2.11.7', 'libwinpr2-2'));
      dpkgLog = join(dir, 'dpkg.log');
      writeFileSync(dpkgLog, '');
      client = await startMapper(remmina, [lib], track);
      sentinel = await startMapper(remmina, [sentinelLib], track);
      replaceLikeDpkg(sentinelLib, 2);
      agent = await startAgent(
        dir,
        {
          replaceDefaultSources: true,
          sources: [
            { type: 'file', path: dpkgLog, program: 'dpkg' },
            { type: 'process-scan', interval: '1h', dpkgInfoDir: infoDir },
          ],
        },
        server,
      );
    });

    afterAll(async () => {
      await agent?.stop();
      stopMappers([client, sentinel].filter((c) => c !== undefined));
    });

    it('replaced library, then the dpkg lines: reported only after the lines, with the package and the dpkg time', async () => {
      // the first scan at start is over once it reported the sentinel; the next regular one is an hour away
      await waitForValue(() => agent.staleFor(sentinel.pid)[0], 30_000, "the sentinel's alert", agent);
      replaceLikeDpkg(lib, 2);
      await sleep(2000);
      expect(agent.staleFor(client.pid)).toEqual([]);

      const at = new Date();
      const lines = upgradeLines('libwinpr2-2', '2.11.7+dfsg1-6~deb12u1', '2.11.7+dfsg1-6~deb12u2', at, at);
      appendFileSync(dpkgLog, [...lines.unpack, lines.unpacked, ...lines.configure].map((l) => `${l}\n`).join(''));
      const alert = await waitForValue(() => agent.staleFor(client.pid)[0], 30_000, "the client's stale-library alert", agent);
      expect(alert.message).toMatch(
        new RegExp(`^Remmina \\(pid ${client.pid}, started \\d\\d:\\d\\d\\) still uses libwinpr2\\.so\\.2\\.11\\.7 replaced by the upgrade of libwinpr2-2 at ${clockTime(at.getTime())} — `),
      );
      const note = await waitForValue(async () => notesFor(await server.calls(), client.pid)[0], 30_000, 'the notification', agent);
      expect(note.summary).toBe('Remmina still runs the old libwinpr2.so.2.11.7');
      await sleep(1500);
      expect(agent.staleFor(client.pid)).toHaveLength(1);
    });
  });
});
