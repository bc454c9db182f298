/**
 * PackageHistory: the last file-replacing change of each package, fed with the events of the real
 * dpkg.log and apt history of the shared capture; and `dpkg -S`-style lookups over a dpkg info
 * directory of our own (usrmerge both ways, a library whose versioned name is gone, the cache)
 * and over this machine's real /var/lib/dpkg/info.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alternatives, PackageHistory, packageOfPacmanEntry, soStem } from '../../agent/correlate/packages.js';
import { parseDnfRpmLine } from '../../agent/parsers/dnf.js';
import { parsePacmanLine } from '../../agent/parsers/pacman.js';
import type { Event } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/upgrade/', import.meta.url));

function events(file: string): Event[] {
  const router = new LineRouter();
  const lines = readFileSync(join(FIXTURES, file), 'utf8').split('\n');
  return lines.flatMap((text, i) => router.route({ sourceId: file, text, receivedAt: 0, position: { source: file, line: i + 1 } }));
}

describe('PackageHistory: what changed when', () => {
  it('keeps the last replacing change per package; dpkg time wins over the apt run start', () => {
    const h = new PackageHistory();
    const dpkg = events('dpkg.log');
    const apt = events('apt-history.log');
    const kept = [...dpkg, ...apt].filter((e) => h.record(e)).length;
    expect(kept).toBe(16 + 120 + 16 + 120); // upgrades and installs, from both logs; configure/trigproc/status are not kept
    expect(h.lastChangeOf('openssh-client')).toEqual({
      package: 'openssh-client',
      arch: 'amd64',
      action: 'upgrade',
      oldVersion: '1:9.2p1-2+deb12u6',
      newVersion: '1:9.2p1-2+deb12u10',
      time: new Date(2026, 10, 21, 13, 26, 26).getTime(),
      from: 'dpkg',
    });
    expect(h.lastChangeOf('winpr-utils:amd64')).toMatchObject({ action: 'install', from: 'dpkg', time: new Date(2026, 10, 21, 13, 40, 2).getTime() });
    expect(h.lastChangeOf('no-such-package')).toBeUndefined();
  });

  it('forgets the oldest packages beyond its bound', () => {
    const h = new PackageHistory({ maxPackages: 10 });
    for (const e of events('dpkg.log')) h.record(e);
    expect(h.lastChangeOf('libnss-systemd')).toBeUndefined(); // first upgrade of the log
    expect(h.lastChangeOf('winpr-utils')).toBeDefined(); // last install
  });
});

describe('PackageHistory: dnf, pacman, Flatpak and snap records', () => {
  it("joins dnf's Upgrade/Upgraded pair into one change with both versions, the later time", () => {
    const h = new PackageHistory();
    expect(h.recordChange(parseDnfRpmLine('2026-02-14T09:30:12+0000 SUBDEBUG Upgrade: freerdp-libs-2:2.11.2-1.fc39.x86_64')!)).toBe(true);
    expect(h.recordChange(parseDnfRpmLine('2026-02-14T09:30:14+0000 SUBDEBUG Upgraded: freerdp-libs-2:2.11.1-1.fc39.x86_64')!)).toBe(true);
    expect(h.lastChangeOf('freerdp-libs')).toEqual({ action: 'upgrade', package: 'freerdp-libs', arch: 'x86_64', newVersion: '2:2.11.2-1.fc39', oldVersion: '2:2.11.1-1.fc39', time: Date.UTC(2026, 1, 14, 9, 30, 14), from: 'dnf' });
    // a later upgrade of the same package is a change of its own, not merged with an old one
    h.recordChange(parseDnfRpmLine('2026-03-01T08:00:00+0000 SUBDEBUG Upgrade: freerdp-libs-2:2.11.3-1.fc39.x86_64')!);
    expect(h.lastChangeOf('freerdp-libs')).toMatchObject({ newVersion: '2:2.11.3-1.fc39', time: Date.UTC(2026, 2, 1, 8) });
    expect(h.lastChangeOf('freerdp-libs')!.oldVersion).toBeUndefined();
  });

  it('keeps pacman records and leaves an older record behind a newer one', () => {
    const h = new PackageHistory();
    h.recordChange(parsePacmanLine('[2026-02-14T10:32:11+0100] [ALPM] upgraded freerdp (2:2.11.1-1 -> 2:2.11.2-1)')!);
    h.recordChange(parsePacmanLine('[2026-02-10T10:00:00+0100] [ALPM] installed freerdp (2:2.11.0-1)')!);
    expect(h.lastChangeOf('freerdp')).toMatchObject({ action: 'upgrade', from: 'pacman', time: Date.UTC(2026, 1, 14, 9, 32, 11) });
  });

  it("reads a pacman local directory's name as name-pkgver-pkgrel", () => {
    expect(packageOfPacmanEntry('freerdp-2:2.11.2-1')).toBe('freerdp');
    expect(packageOfPacmanEntry('lib32-openssl-1:3.2.1-1')).toBe('lib32-openssl');
    expect(packageOfPacmanEntry('odd')).toBe('odd');
  });
});

describe('PackageHistory: which package owns a file', () => {
  let info: string;
  beforeAll(() => {
    info = mkdtempSync(join(tmpdir(), 'connwatch-dpkg-info-'));
    mkdirSync(info, { recursive: true });
    writeFileSync(join(info, 'zlib1g:amd64.list'), '/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libz.so.1.2.13\n/lib/x86_64-linux-gnu/libz.so.1\n');
    writeFileSync(
      join(info, 'libfreerdp2-2:amd64.list'),
      '/.\n/usr/lib/x86_64-linux-gnu/libfreerdp2.so.2.11.7\n/usr/lib/x86_64-linux-gnu/libfreerdp2.so.2\n',
    );
    writeFileSync(join(info, 'libfreerdp-client2-2:amd64.list'), '/.\n/usr/lib/x86_64-linux-gnu/libfreerdp-client2.so.2.11.7');
    writeFileSync(join(info, 'remmina.list'), '/.\n/usr/bin/remmina\n');
    writeFileSync(join(info, 'remmina.md5sums'), 'not a list\n');
  });
  afterAll(() => rmSync(info, { recursive: true, force: true }));

  it('finds owners as dpkg -S does, across usrmerge, for deleted mappings and versioned names', async () => {
    const h = new PackageHistory({ infoDir: info });
    expect(await h.packageOfFile('/usr/lib/x86_64-linux-gnu/libz.so.1')).toBe('zlib1g');
    expect(await h.packageOfFile('/lib/x86_64-linux-gnu/libfreerdp2.so.2.11.7')).toBe('libfreerdp2-2');
    expect(await h.packageOfFile('/usr/bin/remmina (deleted)')).toBe('remmina');
    // a list without a final newline
    expect(await h.packageOfFile('/usr/lib/x86_64-linux-gnu/libfreerdp-client2.so.2.11.7')).toBe('libfreerdp-client2-2');
    // the old versioned file name is in no list any more: its SONAME stem finds the package
    expect(await h.packageOfFile('/usr/lib/x86_64-linux-gnu/libfreerdp2.so.2.10.0 (deleted)')).toBe('libfreerdp2-2');
    expect(await h.packageOfFile('/usr/lib/x86_64-linux-gnu/libfoo.so.1')).toBeUndefined();
    expect(await h.packageOfFile('/usr/bin/remmina-gnome')).toBeUndefined(); // a prefix is not a match
  });

  it('caches answers, and forgets "nobody" once a package was installed', async () => {
    const h = new PackageHistory({ infoDir: info });
    expect(await h.packageOfFile('/usr/bin/xfreerdp')).toBeUndefined();
    writeFileSync(join(info, 'freerdp2-x11.list'), '/.\n/usr/bin/xfreerdp\n');
    expect(await h.packageOfFile('/usr/bin/xfreerdp')).toBeUndefined(); // cached
    const [install] = new LineRouter({ program: 'dpkg' }).route({
      sourceId: 't',
      text: '2026-11-22 10:00:00 install freerdp2-x11:amd64 <none> 2.11.7+dfsg1-6~deb12u1',
      receivedAt: 0,
      position: { source: 't' },
    });
    expect(h.record(install!)).toBe(true);
    expect(await h.packageOfFile('/usr/bin/xfreerdp')).toBe('freerdp2-x11');
    rmSync(join(info, 'freerdp2-x11.list'));
  });

  it('answers nothing, without throwing, where there is no dpkg database', async () => {
    expect(await new PackageHistory({ infoDir: join(info, 'missing') }).packageOfFile('/usr/bin/remmina')).toBeUndefined();
  });

  it("finds the owner of this process's libc in the machine's real dpkg database", async () => {
    const libc = readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .map((l) => /\s(\/\S*\/libc\.so\.6)$/.exec(l)?.[1])
      .find((p) => p !== undefined);
    expect(libc).toBeDefined();
    expect(await new PackageHistory().packageOfFile(libc!)).toBe('libc6');
  });

  it('knows both halves of usrmerge and the SONAME stem', () => {
    expect(alternatives('/usr/lib/x86_64-linux-gnu/libz.so.1')).toEqual(['/usr/lib/x86_64-linux-gnu/libz.so.1', '/lib/x86_64-linux-gnu/libz.so.1']);
    expect(alternatives('/bin/ssh')).toEqual(['/bin/ssh', '/usr/bin/ssh']);
    expect(alternatives('/usr/share/doc/x')).toEqual(['/usr/share/doc/x']);
    expect(alternatives('/libexec/x')).toEqual(['/libexec/x']);
    expect(soStem('/usr/lib/libfreerdp2.so.2.11.7')).toBe('/usr/lib/libfreerdp2.so.');
    expect(soStem('/usr/bin/remmina')).toBeUndefined();
  });
});
