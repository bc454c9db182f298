/**
 * The stale-client scan beyond Debian: a real running client (test/helpers/mapper.c compiled as
 * "remmina" or "xfreerdp") maps a library, an "upgrade" replaces it the way that system's package
 * manager does, the history is written in that manager's own log format, PackageLogs reads it
 * into a PackageHistory, and one ProcessScan finding names the package (or Flatpak app, or snap)
 * and its update time.
 *
 *   - dnf/rpm: /var/log/dnf.rpm.log lines (the Upgrade/Upgraded pair); the library is owned by a
 *     real rpm package (built with rpmbuild, registered with `rpm --dbpath DIR -i --justdb`), so
 *     ownership comes from the real `rpm -qf`; rpm replaces a file by writing `<file>;<id>` and
 *     renaming it over.
 *   - pacman: /var/log/pacman.log's "[ALPM] upgraded" line; ownership from a pacman local database
 *     directory (`<name>-<ver>-<rel>/files`, "%FILES%" then paths without the leading slash).
 *   - Flatpak: the client runs in a mount namespace of its own (unshare -m, root or unprivileged
 *     user namespaces needed) with the app's deploy directory bind-mounted, as bubblewrap mounts
 *     it on /app; `flatpak update` is a new commit directory and the `active` link moved to it.
 *     The history is flatpak's journal entry (MESSAGE_ID c7b39b1e…), written into a real journal
 *     file by systemd-journal-remote and read back by the real journalctl --file.
 *   - snap: a snap mount root of the test's own (the scan's snapRoot) with revision directories
 *     and the `current` link snap refresh moves. snapd cannot run here (it needs systemd as PID 1
 *     and squashfs mounts), so `snap changes --abs-time` is a stand-in script printing snapd's
 *     table in its real layout; the parsing and everything after it is the real code.
 *
 * Everything lives under ~/.cache/connwatch-test-* (the scan ignores /tmp on purpose).
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackageLogs } from '../../agent/correlate/package-logs.js';
import { PackageHistory } from '../../agent/correlate/packages.js';
import type { Event } from '../../agent/event.js';
import { clockTime, ProcessScan } from '../../agent/sources/process-scan.js';
import { buildLib, startMapper } from '../helpers/mapper.js';

const MAPPER_C = fileURLToPath(new URL('../helpers/mapper.c', import.meta.url));
const quiet = { debug: () => {}, warn: (m: string) => console.warn(m) };
const has = (cmd: string) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd]).status === 0;
const JOURNAL_REMOTE = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].find((p) => existsSync(p));
const children: ChildProcess[] = [];
const track = (c: ChildProcess) => void children.push(c);
let home: string;



function client(name: string): string {
  const exe = join(home, 'bin', name);
  if (!existsSync(exe)) {
    mkdirSync(dirname(exe), { recursive: true });
    execFileSync('cc', ['-o', exe, MAPPER_C, '-ldl']);
  }
  return exe;
}

const pad = (n: number) => String(n).padStart(2, '0');
/** dnf.rpm.log's stamp: UTC with "+0000". */
const dnfStamp = (d: Date) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+0000`;
/** pacman.log's stamp (pacman ≥ 5.1): local time with the offset, e.g. "+0100". */
const pacmanStamp = (d: Date) => {
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
};
const second = (d: Date) => new Date(d).setMilliseconds(0);

/** A scan of our own processes with this history; returns the findings about `pid`. */
function scanner(history: PackageHistory, sandbox = {}): { scan: ProcessScan; about: (pid: number) => Promise<Event[]> } {
  const scan = new ProcessScan({ packages: history, sandbox, onEvent: async () => undefined, log: quiet });
  return { scan, about: async (pid) => (await scan.scanNow()).filter((e) => e.pid === pid) };
}

beforeAll(() => {
  mkdirSync(join(homedir(), '.cache'), { recursive: true });
  home = mkdtempSync(join(homedir(), '.cache', 'connwatch-test-'));
});

afterAll(() => {
  for (const c of children) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (home) rmSync(home, { recursive: true, force: true });
});

describe.skipIf(!has('rpmbuild') || !has('rpm'))('Fedora: dnf.rpm.log and rpm -qf', () => {
  it('names freerdp-libs, both versions and the dnf time for an xfreerdp that maps the replaced library', async () => {
    const dir = join(home, 'fedora');
    const lib = join(dir, 'usr', 'lib64', 'libfreerdp2.so.2');
    buildLib(lib, 1);
    // the package that owns the library, in an rpm database of our own
    const top = join(dir, 'rpmbuild');
    for (const d of ['SPECS', 'BUILD', 'RPMS', 'SOURCES', 'BUILDROOT']) mkdirSync(join(top, d), { recursive: true });
    writeFileSync(
      join(top, 'SPECS', 'freerdp-libs.spec'),
      `Name: freerdp-libs\nEpoch: 2\nVersion: 2.11.2\nRelease: 1.fc39\nSummary: test\nLicense: ASL 2.0\nBuildArch: noarch\n%description\ntest\n%install\nmkdir -p %{buildroot}${dirname(lib)}\necho x > %{buildroot}${lib}\n%files\n${lib}\n`,
    );
    execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '--define', '__os_install_post %{nil}', '-bb', join(top, 'SPECS', 'freerdp-libs.spec')], { stdio: 'ignore' });
    const db = join(dir, 'rpmdb');
    mkdirSync(db);
    execFileSync('rpm', ['--dbpath', db, '--initdb']);
    execFileSync('rpm', ['--dbpath', db, '-i', '--justdb', '--nodeps', '--ignoreos', join(top, 'RPMS', 'noarch', 'freerdp-libs-2.11.2-1.fc39.noarch.rpm')], { stdio: 'ignore' });

    const xfreerdp = await startMapper(client('xfreerdp'), [lib], track);
    const dnfLog = join(dir, 'dnf.rpm.log');
    const before = new Date(Date.now() - 86_400_000);
    writeFileSync(dnfLog, `${dnfStamp(before)} INFO --- logging initialized ---\n${dnfStamp(before)} SUBDEBUG Installed: freerdp-libs-2:2.11.1-1.fc39.x86_64\n`);
    const history = new PackageHistory({ infoDir: join(dir, 'no-dpkg'), pacmanDir: join(dir, 'no-pacman'), rpmDbPath: db });
    let changes = 0;
    const logs = new PackageLogs({ history, dnfLog, pacmanLog: '', journalctl: [], snap: [], onChange: () => changes++ });
    expect(await logs.poll()).toBe(1); // yesterday's install: known, but older than the client
    const { about } = scanner(history);
    expect(await about(xfreerdp.pid)).toEqual([]);

    // dnf upgrade: rpm writes the new file beside the old one and renames it over
    const at = new Date();
    buildLib(`${lib};65b2c1a3`, 2);
    renameSync(`${lib};65b2c1a3`, lib);
    const t2 = new Date(at.getTime() + 2000);
    writeFileSync(
      dnfLog,
      `${dnfStamp(at)} INFO --- logging initialized ---\n${dnfStamp(at)} SUBDEBUG Upgrade: freerdp-libs-2:2.11.2-1.fc39.x86_64\n${dnfStamp(t2)} SUBDEBUG Upgraded: freerdp-libs-2:2.11.1-1.fc39.x86_64\n`,
      { flag: 'a' },
    );
    expect(await logs.poll()).toBe(2);
    expect(changes).toBe(1);
    const [e, ...more] = await about(xfreerdp.pid);
    expect(more).toEqual([]);
    expect(e!.detail).toMatchObject({
      file: lib,
      deleted: true,
      programLabel: 'xfreerdp',
      package: 'freerdp-libs',
      packageAction: 'upgrade',
      packageVersion: '2:2.11.2-1.fc39',
      packageOldVersion: '2:2.11.1-1.fc39',
      replacedAtFrom: 'dnf',
      replacedAt: clockTime(second(t2)),
      replacedAtIso: new Date(second(t2)).toISOString(),
    });
  });
});

describe('Arch: pacman.log and the pacman local database', () => {
  it('names freerdp, its versions and the pacman time for a Remmina that maps the replaced library', async () => {
    const dir = join(home, 'arch');
    const lib = join(dir, 'usr', 'lib', 'libfreerdp2.so.2.11.2');
    buildLib(lib, 1);
    const local = join(dir, 'local');
    const entry = join(local, 'freerdp-2:2.11.2-1');
    mkdirSync(entry, { recursive: true });
    writeFileSync(join(local, 'ALPM_DB_VERSION'), '9\n');
    writeFileSync(join(entry, 'desc'), '%NAME%\nfreerdp\n\n%VERSION%\n2:2.11.2-1\n\n');
    // pacman's files list: directories and files, relative to /, under "%FILES%"
    const rel = lib.slice(1);
    const parts = rel.split('/');
    const dirs = parts.slice(0, -1).map((_, i) => `${parts.slice(0, i + 1).join('/')}/`);
    writeFileSync(join(entry, 'files'), `%FILES%\n${dirs.join('\n')}\n${rel}\n\n%BACKUP%\n`);
    writeFileSync(join(local, 'zlib-1:1.3-1'), ''); // a stray file is no package and no problem

    const remmina = await startMapper(client('remmina'), [lib], track);
    const log = join(dir, 'pacman.log');
    writeFileSync(log, '');
    const history = new PackageHistory({ infoDir: join(dir, 'no-dpkg'), pacmanDir: local, rpmDbPath: join(dir, 'no-rpm') });
    const logs = new PackageLogs({ history, dnfLog: '', pacmanLog: log, journalctl: [], snap: [] });
    await logs.poll();
    const { about } = scanner(history);
    expect(await about(remmina.pid)).toEqual([]);

    // pacman -Syu: the library file replaced (pacman extracts to a temporary name and renames)
    const at = new Date();
    buildLib(`${lib}.pacnew-tmp`, 2);
    renameSync(`${lib}.pacnew-tmp`, lib);
    const s = pacmanStamp(at);
    writeFileSync(
      log,
      [
        `[${s}] [PACMAN] Running 'pacman -Syu'`,
        `[${s}] [PACMAN] starting full system upgrade`,
        `[${s}] [ALPM] transaction started`,
        `[${s}] [ALPM] upgraded freerdp (2:2.11.1-1 -> 2:2.11.2-1)`,
        `[${s}] [ALPM] transaction completed`,
        `[${s}] [ALPM] running '30-systemd-update.hook'...`,
        '',
      ].join('\n'),
      { flag: 'a' },
    );
    expect(await logs.poll()).toBe(1);
    const [e, ...more] = await about(remmina.pid);
    expect(more).toEqual([]);
    expect(e!.detail).toMatchObject({
      file: lib,
      programLabel: 'Remmina',
      package: 'freerdp',
      packageAction: 'upgrade',
      packageVersion: '2:2.11.2-1',
      packageOldVersion: '2:2.11.1-1',
      replacedAtFrom: 'pacman',
      replacedAt: clockTime(second(at)),
    });
  });
});

/** unshare -m works here (root, or unprivileged user namespaces): the Flatpak case can run. */
const unshareArgs = (): string[] | undefined => {
  for (const args of process.getuid?.() === 0 ? [['-m'], ['-rm']] : [['-rm']]) {
    if (spawnSync('unshare', [...args, 'true']).status === 0) return args;
  }
  return undefined;
};
const UNSHARE = unshareArgs();

describe.skipIf(!UNSHARE || !JOURNAL_REMOTE)('Flatpak: an old deploy still mounted, flatpak\'s journal history', () => {
  it('names the app, its update time and the Flatpak remedy; nothing while the deploy is the active one', async () => {
    const inst = join(home, 'flatpak');
    const branch = join(inst, 'app', 'org.remmina.Remmina', 'x86_64', 'stable');
    const oldCommit = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b';
    const newCommit = '8d2c3f5e1b0a9c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d';
    buildLib(join(branch, oldCommit, 'files', 'lib', 'libfreerdp2.so.2'), 1);
    symlinkSync(oldCommit, join(branch, 'active'));
    const app = join(home, 'sandbox-app'); // where bubblewrap would mount /app
    mkdirSync(app);
    const remmina = client('remmina');
    // the client in its own mount namespace, the deploy bind-mounted read-only as bubblewrap does
    const script = `mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && exec "$3" "$2/lib/libfreerdp2.so.2"`;
    const proc = await startMapper('unshare', [...UNSHARE!, '--', 'sh', '-c', script, 'sh', join(branch, oldCommit, 'files'), app, remmina], track);

    const history = new PackageHistory({ infoDir: join(home, 'no-dpkg'), pacmanDir: join(home, 'no-pacman'), rpmDbPath: join(home, 'no-rpm') });
    const { about } = scanner(history, { flatpakDirs: [join(home, 'no-such-installation'), inst], snapRoot: join(home, 'no-snap') });
    expect(await about(proc.pid)).toEqual([]);

    // flatpak update: the new commit deployed beside the old one, `active` moved, the old one kept
    const at = new Date();
    buildLib(join(branch, newCommit, 'files', 'lib', 'libfreerdp2.so.2'), 2);
    symlinkSync(newCommit, join(branch, 'active.tmp'));
    renameSync(join(branch, 'active.tmp'), join(branch, 'active'));
    const fields: Array<[string, string]> = [
      ['__REALTIME_TIMESTAMP', String(at.getTime() * 1000)],
      ['MESSAGE', 'system: Updated app/org.remmina.Remmina/x86_64/stable from flathub'],
      ['MESSAGE_ID', 'c7b39b1e006b464599465e105b361485'],
      ['PRIORITY', '5'],
      ['SYSLOG_IDENTIFIER', 'flatpak'],
      ['FLATPAK_VERSION', '1.14.10'],
      ['INSTALLATION', 'system'],
      ['OPERATION', 'deploy update'],
      ['REMOTE', 'flathub'],
      ['REF', 'app/org.remmina.Remmina/x86_64/stable'],
      ['COMMIT', newCommit],
      ['OLD_COMMIT', oldCommit],
    ];
    const journal = join(home, 'flatpak.journal');
    execFileSync(JOURNAL_REMOTE!, ['-o', journal, '-'], { input: `${fields.map(([k, v]) => `${k}=${v}`).join('\n')}\n\n`, stdio: ['pipe', 'ignore', 'pipe'] });
    const logs = new PackageLogs({ history, dnfLog: '', pacmanLog: '', journalctl: ['journalctl', '--file', journal], flatpakDirs: [inst], snap: [] });
    expect(await logs.poll()).toBe(1);
    expect(await logs.poll()).toBe(0); // after the cursor: read once

    const [e, ...more] = await about(proc.pid);
    expect(more).toEqual([]);
    expect(e!.detail).toMatchObject({
      file: app,
      programLabel: 'Remmina',
      package: 'org.remmina.Remmina',
      sandbox: 'flatpak',
      sandboxRevision: oldCommit,
      sandboxCurrent: newCommit,
      fileName: `the Flatpak app org.remmina.Remmina of commit ${oldCommit.slice(0, 12)}`,
      packageAction: 'upgrade',
      packageVersion: `stable@${newCommit.slice(0, 12)}`,
      packageOldVersion: `stable@${oldCommit.slice(0, 12)}`,
      replacedAtFrom: 'flatpak',
      replacedAt: clockTime(at.getTime()),
    });
    expect(e!.detail.remedy).toBe(
      `Quit and restart Remmina: it still runs the Flatpak app org.remmina.Remmina of commit ${oldCommit.slice(0, 12)}, which flatpak update replaced (flatpak kill org.remmina.Remmina also ends it). No package needs upgrading.`,
    );
    expect(String(e!.raw.text)).toContain(`${branch}/${oldCommit}/files ${app}`);
  });
});

describe('snap: an old revision still mapped after snap refresh', () => {
  it('names the snap, the refresh time and the snap remedy', async () => {
    const root = join(home, 'snap');
    const lib = (rev: number) => join(root, 'remmina', String(rev), 'usr', 'lib', 'x86_64-linux-gnu', 'libfreerdp2.so.2');
    buildLib(lib(6419), 1);
    symlinkSync('6419', join(root, 'remmina', 'current'));
    const proc = await startMapper(client('remmina'), [lib(6419)], track);
    // snapd cannot run here: a stand-in prints `snap changes --abs-time` as snapd 2.x lays it out
    const table = join(home, 'snap-changes.txt');
    writeFileSync(table, 'ID   Status  Spawn                 Ready                 Summary\n');
    const snapCmd = join(home, 'bin', 'snap');
    writeFileSync(snapCmd, `#!/bin/sh\n[ "$1 $2" = "changes --abs-time" ] || exit 64\nexec cat "${table}"\n`);
    chmodSync(snapCmd, 0o755);

    const history = new PackageHistory({ infoDir: join(home, 'no-dpkg'), pacmanDir: join(home, 'no-pacman'), rpmDbPath: join(home, 'no-rpm') });
    const logs = new PackageLogs({ history, dnfLog: '', pacmanLog: '', journalctl: [], snap: [snapCmd] });
    const { about } = scanner(history, { flatpakDirs: [], snapRoot: root });
    await logs.poll();
    expect(await about(proc.pid)).toEqual([]);

    const at = new Date();
    buildLib(lib(6501), 2);
    symlinkSync('6501', join(root, 'remmina', 'current.tmp'));
    renameSync(join(root, 'remmina', 'current.tmp'), join(root, 'remmina', 'current'));
    const iso = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
    writeFileSync(table, `ID   Status  Spawn                 Ready                 Summary\n41   Done    ${iso(new Date(at.getTime() - 20_000))}  ${iso(at)}  Auto-refresh snap "remmina"\n`);
    expect(await logs.poll()).toBe(1);

    const [e, ...more] = await about(proc.pid);
    expect(more).toEqual([]);
    expect(e!.detail).toMatchObject({
      file: lib(6419),
      package: 'remmina',
      sandbox: 'snap',
      sandboxRevision: '6419',
      sandboxCurrent: '6501',
      packageAction: 'upgrade',
      replacedAtFrom: 'snap',
      replacedAt: clockTime(second(at)),
    });
    expect(e!.detail.remedy).toMatch(/^Quit and restart Remmina: it still runs revision 6419 of the snap remmina, which snap refresh replaced/);
  });
});
