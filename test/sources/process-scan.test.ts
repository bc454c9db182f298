/**
 * ProcessScan against real processes: a small C program (test/helpers/mapper.c) copied as
 * "remmina" dlopen()s libraries we build, and the libraries are then replaced the way dpkg does it
 * (write <file>.dpkg-new, rename it over the file). The dpkg.log lines of that "upgrade" go through
 * the real router and dpkg parser into a PackageHistory whose dpkg database is a directory of ours.
 *
 * The positive case lives under ~/.cache (not /tmp, which the scan ignores on purpose); a second
 * process shows that a replaced library under /tmp and an executable memfd mapping give nothing,
 * and the test checks their maps really show " (deleted)" and "/memfd:" so the filter is what
 * kept them out. The in-place case (same name, another inode, no " (deleted)") needs a bind mount
 * to happen for real, so it runs on a proc-like tree of real files.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackageHistory } from '../../agent/correlate/packages.js';
import type { Event } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { clockTime, decodeDev, isIgnoredPath, parseMapsLine, ProcessScan } from '../../agent/sources/process-scan.js';
import { buildLib, startMapper } from '../helpers/mapper.js';

const MAPPER_C = fileURLToPath(new URL('../helpers/mapper.c', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/upgrade/', import.meta.url));
const quiet = { debug: () => {}, warn: (m: string) => console.warn(m) };

const pad = (n: number) => String(n).padStart(2, '0');
const dpkgStamp = (d: Date) =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;


/** dpkg's way: unpack next to the file as .dpkg-new, then rename(2) over it. */
function replaceLikeDpkg(path: string, version: number): void {
  buildLib(`${path}.dpkg-new`, version);
  renameSync(`${path}.dpkg-new`, path);
}


/** Feeds dpkg.log lines through the real router (no program given: it must recognise dpkg). */
function routeLines(lines: string[]): Event[] {
  const router = new LineRouter();
  return lines.flatMap((text, i) => router.route({ sourceId: 'test-dpkg', text, receivedAt: Date.now(), position: { source: 'test-dpkg', line: i + 1 } }));
}

describe('ProcessScan: a client that still maps a library replaced by an upgrade', () => {
  let home: string;
  let tmp: string;
  let freerdpLib: string;
  let winprLib: string;
  let tmpLib: string;
  let infoDir: string;
  let dpkgLog: string;
  let client: ChildProcess;
  let decoy: ChildProcess;
  let spawnedFrom: number;
  let spawnedTo: number;
  const children: ChildProcess[] = [];
  const delivered: Event[] = [];
  let packages: PackageHistory;
  let scan: ProcessScan;
  const ours = (events: Event[]) => events.filter((e) => e.pid === client.pid || e.pid === decoy.pid);

  beforeAll(async () => {
    mkdirSync(join(homedir(), '.cache'), { recursive: true });
    home = mkdtempSync(join(homedir(), '.cache', 'connwatch-test-'));
    tmp = mkdtempSync('/tmp/connwatch-test-');
    const remmina = join(home, 'remmina');
    execFileSync('cc', ['-o', remmina, MAPPER_C, '-ldl']);
    freerdpLib = join(home, 'libfreerdp2.so.2.11.7');
    winprLib = join(home, 'libwinpr2.so.2.11.7');
    tmpLib = join(tmp, 'libtmpdemo.so.1');
    buildLib(freerdpLib, 1);
    buildLib(winprLib, 1);
    buildLib(tmpLib, 1);
    infoDir = join(home, 'info');
    mkdirSync(infoDir);
    writeFileSync(join(infoDir, 'libfakefreerdp2-2:amd64.list'), `/.\n${home}\n${freerdpLib}\n`);
    writeFileSync(join(infoDir, 'libfakewinpr2-2:amd64.list'), `/.\n${home}\n${winprLib}\n`);
    writeFileSync(join(infoDir, 'unrelated.list'), `/.\n/usr/share/doc/unrelated\n`);
    dpkgLog = join(home, 'dpkg.log');
    writeFileSync(dpkgLog, '');
    spawnedFrom = Date.now();
    client = await startMapper(remmina, [freerdpLib, winprLib]);
    decoy = await startMapper(remmina, ['--memfd', 'connwatch-jit', tmpLib]);
    spawnedTo = Date.now();
    children.push(client, decoy);
    packages = new PackageHistory({ infoDir });
    scan = new ProcessScan({ packages, onEvent: async (e) => void delivered.push(e), log: quiet });
  });

  afterAll(() => {
    for (const c of children) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
    if (home) rmSync(home, { recursive: true, force: true });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('finds nothing while the libraries on disk are the ones mapped', async () => {
    expect(isIgnoredPath(freerdpLib)).toBe(false);
    const events = await scan.scanNow();
    expect(ours(events)).toEqual([]);
    expect(scan.stats.processesChecked).toBeGreaterThanOrEqual(2);
  });

  it('reports the client once, naming pid, file, package and times, after a dpkg-style upgrade', async () => {
    const when = new Date();
    replaceLikeDpkg(freerdpLib, 2);
    replaceLikeDpkg(tmpLib, 2);
    const stamp = dpkgStamp(when);
    const lines = [
      `${stamp} startup archives unpack`,
      `${stamp} upgrade libfakefreerdp2-2:amd64 2.11.7+dfsg1-6~deb12u1 2.11.7+dfsg1-6~deb12u2`,
      `${stamp} status half-configured libfakefreerdp2-2:amd64 2.11.7+dfsg1-6~deb12u1`,
      `${stamp} status unpacked libfakefreerdp2-2:amd64 2.11.7+dfsg1-6~deb12u2`,
    ];
    appendFileSync(dpkgLog, lines.map((l) => `${l}\n`).join(''));
    const parsed = routeLines(readFileSync(dpkgLog, 'utf8').trimEnd().split('\n'));
    expect(parsed.map((e) => `${e.program} ${e.kind}`)).toEqual(['dpkg pkg.run', 'dpkg pkg.change', 'dpkg pkg.status', 'dpkg pkg.status']);
    for (const e of parsed) scan.notePackageEvent(e);
    const stampMs = new Date(when).setMilliseconds(0);
    expect(packages.lastChangeOf('libfakefreerdp2-2:amd64')).toMatchObject({ action: 'upgrade', time: stampMs, from: 'dpkg' });

    // The decoy really maps a deleted library under /tmp and an executable memfd.
    const decoyMaps = readFileSync(`/proc/${decoy.pid}/maps`, 'utf8').split('\n').map(parseMapsLine);
    expect(decoyMaps.some((m) => m?.path === tmpLib && m.deleted && m.perms.includes('x'))).toBe(true);
    expect(decoyMaps.some((m) => m?.path.startsWith('/memfd:connwatch-jit') && m.perms.includes('x') && m.inode !== 0n)).toBe(true);

    const events = ours(await scan.scanNow());
    expect(events).toHaveLength(1);
    const [e] = events as [Event];
    expect(delivered).toContain(e);
    expect(e).toMatchObject({ kind: 'process.stale', program: 'remmina', pid: client.pid, timeFrom: 'arrival', pattern: 'proc.deleted' });
    expect(e.detail).toMatchObject({
      file: freerdpLib,
      fileName: 'libfreerdp2.so.2.11.7',
      files: freerdpLib,
      fileCount: 1,
      deleted: true,
      reason: 'deleted',
      exe: join(home, 'remmina'),
      exeDeleted: false,
      comm: 'remmina',
      programLabel: 'Remmina',
      restartHint: 'remmina -q',
      remedy: 'quit all Remmina windows (remmina -q) and start it again',
      package: 'libfakefreerdp2-2',
      packages: 'libfakefreerdp2-2',
      packageAction: 'upgrade',
      packageVersion: '2.11.7+dfsg1-6~deb12u2',
      packageOldVersion: '2.11.7+dfsg1-6~deb12u1',
      replacedAt: clockTime(stampMs),
      replacedAtIso: new Date(stampMs).toISOString(),
      replacedAtFrom: 'dpkg',
    });
    // Start time from /proc/PID/stat + btime (whole seconds, so allow for that).
    const started = e.detail.startedAtMs as number;
    expect(started).toBeGreaterThanOrEqual(spawnedFrom - 2000);
    expect(started).toBeLessThanOrEqual(spawnedTo + 2000);
    expect(e.detail.startedAt).toBe(clockTime(started));
    expect(e.detail.startedAtIso).toBe(new Date(started).toISOString());
    expect(e.raw).toMatchObject({ source: 'proc', file: `/proc/${client.pid}/maps`, text: `pid ${client.pid} remmina maps ${freerdpLib} (deleted)` });
  });

  it('does not report the same stale set twice', async () => {
    expect(ours(await scan.scanNow())).toEqual([]);
  });

  it('reports again when another library of the same process is replaced, with both files', async () => {
    replaceLikeDpkg(winprLib, 2);
    const events = ours(await scan.scanNow());
    expect(events).toHaveLength(1);
    expect(events[0]!.pid).toBe(client.pid);
    // libfreerdp stays the named file (it ranks before libwinpr); the set holds both.
    expect(events[0]!.detail).toMatchObject({ file: freerdpLib, fileCount: 2, packages: 'libfakefreerdp2-2,libfakewinpr2-2' });
    expect(String(events[0]!.detail.files).split(',').sort()).toEqual([freerdpLib, winprLib].sort());
    expect(ours(await scan.scanNow())).toEqual([]);
  });

  it('asks for a scan soon after a replacing package line, and not for a configure line', async () => {
    const seen: Event[] = [];
    const soon = new ProcessScan({ soonDelayMs: 50, intervalMs: 3_600_000, onEvent: async (e) => void seen.push(e), log: quiet });
    soon.start(); // first scan right away
    await expect.poll(() => soon.stats.scans, { timeout: 20_000 }).toBe(1);
    const configure = routeLines([`${dpkgStamp(new Date())} configure libfakefreerdp2-2:amd64 2.11.7+dfsg1-6~deb12u2 <none>`]);
    soon.notePackageEvent(configure[0]!);
    await new Promise((r) => setTimeout(r, 300));
    expect(soon.stats.scans).toBe(1);
    const upgrade = routeLines([`${dpkgStamp(new Date())} upgrade libfakefreerdp2-2:amd64 2.11.7+dfsg1-6~deb12u2 2.11.7+dfsg1-6~deb12u3`]);
    soon.notePackageEvent(upgrade[0]!);
    soon.notePackageEvent(upgrade[0]!); // debounced: one scan for both
    await expect.poll(() => soon.stats.scans, { timeout: 20_000 }).toBe(2);
    soon.stop();
    expect(ours(seen).filter((e) => e.pid === client.pid)).toHaveLength(1);
  });
});

describe('ProcessScan: same name, another inode (no " (deleted)"), on a proc-like tree', () => {
  let dir: string;
  beforeAll(() => {
    mkdirSync(join(homedir(), '.cache'), { recursive: true });
    dir = mkdtempSync(join(homedir(), '.cache', 'connwatch-proc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function fakeProc(pid: number, lib: string, devHex: string, inode: bigint): string {
    const root = join(dir, `proc-${pid}`);
    const p = join(root, String(pid));
    mkdirSync(p, { recursive: true });
    writeFileSync(join(root, 'stat'), 'cpu  1 2 3 4\nbtime 1763700000\n');
    writeFileSync(join(p, 'comm'), 'xfreerdp\n');
    writeFileSync(join(p, 'stat'), `${pid} (xfreerdp) S 1 ${pid} ${pid} 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 0 12345 1000 100\n`);
    writeFileSync(join(p, 'maps'), `7f0000000000-7f0000001000 r-xp 00001000 ${devHex} ${inode}                    ${lib}\n`);
    symlinkSync('/usr/bin/xfreerdp', join(p, 'exe'));
    symlinkSync('/', join(p, 'root'));
    return root;
  }

  it('reports a mapping whose inode is not the one at the path now, on the same device', async () => {
    const lib = join(dir, 'libfreerdp2.so.2.11.7');
    writeFileSync(lib, 'new library');
    const st = statSync(lib, { bigint: true });
    const { major, minor } = decodeDev(st.dev);
    const hex = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
    const root = fakeProc(4242, lib, hex, st.ino + 1n);
    const scan = new ProcessScan({ procRoot: root, onEvent: async () => {}, log: quiet });
    const events = await scan.scanNow();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ pid: 4242, program: 'freerdp', pattern: 'proc.replaced' });
    expect(events[0]!.detail).toMatchObject({
      file: lib,
      deleted: false,
      reason: 'replaced',
      programLabel: 'xfreerdp',
      restartHint: 'close every xfreerdp window',
      exe: '/usr/bin/xfreerdp',
      startedAtMs: 1763700000_000 + 123450,
      replacedAtFrom: 'file-ctime',
    });
    // The same inode is not stale; another device it cannot compare (no map_files) is left alone.
    expect(await new ProcessScan({ procRoot: fakeProc(4243, lib, hex, st.ino), onEvent: async () => {}, log: quiet }).scanNow()).toEqual([]);
    expect(await new ProcessScan({ procRoot: fakeProc(4244, lib, 'ff:7f', st.ino + 1n), onEvent: async () => {}, log: quiet }).scanNow()).toEqual([]);
  });

  it('reads the real " (deleted)" maps lines of the shared capture', () => {
    const lines = readFileSync(join(FIXTURES, 'proc-maps-deleted-lines.txt'), 'utf8').trimEnd().split('\n');
    const entries = lines.map((l) => parseMapsLine(l.replace(/^\/proc\/\d+\/maps:/, '')));
    expect(entries).toHaveLength(5);
    for (const e of entries) expect(e).toMatchObject({ path: '/srv/captures/stale/libdemo.so.1', deleted: true, major: 0xfe, minor: 0, inode: 2173041n });
    expect(entries.filter((e) => e!.perms.includes('x'))).toHaveLength(1);
    expect(decodeDev(65024n)).toEqual({ major: 0xfe, minor: 0 }); // stat -c %d of the same disk
    // glibc's makedev (sys/sysmacros.h): large majors and minors are split around the 8/12 low bits.
    const makedev = (ma: bigint, mi: bigint) => ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
    for (const [ma, mi] of [[8, 2], [0, 21], [259, 0], [0x103ab, 0x1234], [4095, 1048575]] as const) {
      expect(decodeDev(makedev(BigInt(ma), BigInt(mi)))).toEqual({ major: ma, minor: mi });
    }
  });

  it('ignores what needrestart ignores', () => {
    for (const p of ['/memfd:jit (deleted)', '/dev/shm/x', '/tmp/a.so', '/var/tmp/a.so', '/run/user/1000/a.so', '/SYSV00000000 (deleted)', '/drm', '[vdso]', '/usr/lib/x/orcexec.abc123', '/home/u/jna123.tmp'])
      expect(isIgnoredPath(p), p).toBe(true);
    for (const p of ['/usr/lib/x86_64-linux-gnu/libfreerdp2.so.2.11.7 (deleted)', '/usr/bin/remmina', '/opt/tmp/x.so']) expect(isIgnoredPath(p), p).toBe(false);
  });

  it('reports an unreadable proc as a ConnwatchError with a hint', async () => {
    const scan = new ProcessScan({ procRoot: join(dir, 'no-such-proc'), onEvent: async () => {}, log: quiet });
    await expect(scan.scanNow()).rejects.toMatchObject({ code: 'SOURCE_UNREADABLE', hint: expect.stringContaining('/proc') });
  });
});
