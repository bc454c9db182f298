/**
 * Package histories beyond Debian (agent/parsers/dnf.ts, pacman.ts) on lines in the formats the
 * tools write: dnf 4's dnf.rpm.log as dnf's own behave tests expect it (flac upgrade, downgrade,
 * erase), RHEL 8's "+00" offset without an arch, an epoch ("openssl-libs-1:3.2.2-6.el9"); pacman's
 * log in the ISO format of pacman ≥ 5.1 and the older local-minute format.
 */
import { describe, expect, it } from 'vitest';
import { nevra, parseDnfRpmLine } from '../../agent/parsers/dnf.js';
import { parsePacmanLine } from '../../agent/parsers/pacman.js';
import { isoStamp } from '../../agent/parsers/pkglog.js';

describe('dnf.rpm.log', () => {
  it('an upgrade is two lines: the new package, then the old one it replaced', () => {
    expect(parseDnfRpmLine('2026-02-14T09:30:12+0000 SUBDEBUG Upgrade: freerdp-libs-2:2.11.2-1.fc39.x86_64')).toEqual({ action: 'upgrade', package: 'freerdp-libs', arch: 'x86_64', newVersion: '2:2.11.2-1.fc39', time: Date.UTC(2026, 1, 14, 9, 30, 12), from: 'dnf' });
    expect(parseDnfRpmLine('2026-02-14T09:30:14+0000 SUBDEBUG Upgraded: freerdp-libs-2:2.11.1-1.fc39.x86_64')).toMatchObject({ action: 'upgrade', package: 'freerdp-libs', oldVersion: '2:2.11.1-1.fc39' });
  });

  it('installs, downgrades and erases; the log\'s other lines are not package changes', () => {
    const lines = [
      '2019-03-14T13:56:39Z SUBDEBUG Installed: flac-1.3.3-3.fc29.x86_64',
      '2019-03-14T13:56:40Z INFO --- logging initialized ---',
      '2019-03-14T13:57:02Z SUBDEBUG Downgrade: flac-1.3.3-2.fc29.x86_64',
      '2019-03-14T13:57:02Z SUBDEBUG Downgraded: flac-1.3.3-3.fc29.x86_64',
      '2019-03-14T13:58:10Z SUBDEBUG Erase: flac-1.3.3-3.fc29.x86_64',
      '2022-03-28T14:28:32+00 INFO warning: /etc/sudoers created as /etc/sudoers.rw',
    ];
    expect(lines.map(parseDnfRpmLine).map((r) => r && [r.action, r.package, r.newVersion ?? `-${r.oldVersion}`])).toEqual([
      ['install', 'flac', '1.3.3-3.fc29'],
      undefined,
      ['downgrade', 'flac', '1.3.3-2.fc29'],
      ['downgrade', 'flac', '-1.3.3-3.fc29'],
      ['remove', 'flac', '-1.3.3-3.fc29'],
      undefined,
    ]);
  });

  it('RHEL 8: "+00" offset, no arch; an epoch stays in the version', () => {
    expect(parseDnfRpmLine('2022-03-28T14:27:24+00 SUBDEBUG Installed: crudini-0.9-11.el8ost.1')).toEqual({ action: 'install', package: 'crudini', newVersion: '0.9-11.el8ost.1', time: Date.UTC(2022, 2, 28, 14, 27, 24), from: 'dnf' });
    expect(nevra('openssl-libs-1:3.2.2-6.el9.x86_64')).toEqual({ name: 'openssl-libs', version: '1:3.2.2-6.el9', arch: 'x86_64' });
    expect(nevra('nodashes.x86_64')).toBeUndefined();
  });
});

describe('pacman.log', () => {
  it('upgraded, installed, removed, downgraded with their versions and the UTC offset', () => {
    expect(parsePacmanLine('[2026-02-14T10:32:11+0100] [ALPM] upgraded freerdp (2:2.11.1-1 -> 2:2.11.2-1)')).toEqual({ action: 'upgrade', package: 'freerdp', oldVersion: '2:2.11.1-1', newVersion: '2:2.11.2-1', time: Date.UTC(2026, 1, 14, 9, 32, 11), from: 'pacman' });
    expect(parsePacmanLine('[2026-02-14T10:32:12+0100] [ALPM] installed remmina (1:1.4.31-1)')).toMatchObject({ action: 'install', package: 'remmina', newVersion: '1:1.4.31-1' });
    expect(parsePacmanLine('[2026-02-14T10:32:12+0100] [ALPM] removed rdesktop (1.9.0-3)')).toMatchObject({ action: 'remove', package: 'rdesktop', oldVersion: '1.9.0-3' });
    expect(parsePacmanLine('[2026-02-14T10:40:00+0100] [ALPM] downgraded openssl (3.2.1-1 -> 3.2.0-1)')).toMatchObject({ action: 'downgrade', oldVersion: '3.2.1-1', newVersion: '3.2.0-1' });
  });

  it('older pacman: local time to the minute; the transaction and command lines are not changes', () => {
    expect(parsePacmanLine('[2018-03-01 10:32] [ALPM] upgraded freerdp (2.0.0-1 -> 2.0.0-2)')).toMatchObject({ time: new Date(2018, 2, 1, 10, 32).getTime() });
    for (const l of ["[2026-02-14T10:32:11+0100] [PACMAN] Running 'pacman -Syu'", '[2026-02-14T10:32:11+0100] [ALPM] transaction started', '[2026-02-14T10:32:12+0100] [ALPM-SCRIPTLET] ldconfig: done']) {
      expect(parsePacmanLine(l), l).toBeUndefined();
    }
  });

  it('ISO stamps with every offset spelling', () => {
    expect(isoStamp('2026-01-01T00:00:00-05:30')).toBe(Date.UTC(2026, 0, 1, 5, 30));
    expect(isoStamp('2026-01-01 00:00:00')).toBeUndefined();
  });
});

describe('Flatpak and snap histories', () => {
  it('flatpak\'s journal entry (MESSAGE_ID c7b39b1e…, OPERATION, REF, COMMIT) names the app, branch@commit and time', async () => {
    const { parseFlatpakEntry } = await import('../../agent/parsers/flatpak.js');
    const entry = {
      __REALTIME_TIMESTAMP: '1771065131000000',
      MESSAGE_ID: 'c7b39b1e006b464599465e105b361485',
      MESSAGE: 'system: Updated app/org.remmina.Remmina/x86_64/stable from flathub',
      PRIORITY: '5',
      FLATPAK_VERSION: '1.14.4',
      INSTALLATION: 'system',
      OPERATION: 'deploy update',
      REMOTE: 'flathub',
      REF: 'app/org.remmina.Remmina/x86_64/stable',
      COMMIT: '8d2c3f5e1b0a9c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d',
      OLD_COMMIT: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b',
    };
    expect(parseFlatpakEntry(entry)).toEqual({ action: 'upgrade', package: 'org.remmina.Remmina', arch: 'x86_64', newVersion: 'stable@8d2c3f5e1b0a', oldVersion: 'stable@1a2b3c4d5e6f', time: 1771065131000, from: 'flatpak' });
    expect(parseFlatpakEntry({ ...entry, OPERATION: 'deploy install', OLD_COMMIT: '' })).toMatchObject({ action: 'install', newVersion: 'stable@8d2c3f5e1b0a' });
    expect(parseFlatpakEntry({ ...entry, REF: 'appstream/x86_64' })).toBeUndefined();
    expect(parseFlatpakEntry({ ...entry, MESSAGE_ID: 'other' })).toBeUndefined();
  });

  it('a mapped file under /var/lib/flatpak or /snap names its app and revision, and the remedy is a restart, not a package', async () => {
    const { sandboxedOwner, sandboxedRemedy } = await import('../../agent/parsers/flatpak.js');
    const lib = '/var/lib/flatpak/app/org.remmina.Remmina/x86_64/stable/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b/files/lib/libfreerdp2.so.2.11.1 (deleted)';
    const o = sandboxedOwner(lib)!;
    expect(o).toEqual({ kind: 'flatpak', name: 'org.remmina.Remmina', revision: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b' });
    expect(sandboxedRemedy(o, 'org.remmina.Remmina')).toMatch(/restart org\.remmina\.Remmina.*flatpak update replaced.*No package needs upgrading/);
    expect(sandboxedOwner('/home/ann/.local/share/flatpak/runtime/org.gnome.Platform/x86_64/45/0123456789abcdef/files/lib/libssl.so.3')).toMatchObject({ kind: 'flatpak', name: 'org.gnome.Platform', runtime: true });
    expect(sandboxedOwner('/snap/remmina/6419/usr/lib/x86_64-linux-gnu/libfreerdp2.so.2')).toEqual({ kind: 'snap', name: 'remmina', revision: '6419' });
    expect(sandboxedOwner('/usr/lib/x86_64-linux-gnu/libfreerdp2.so.2')).toBeUndefined();
  });

  it('`snap changes --abs-time`: Done refreshes, installs and removals, one record per snap named', async () => {
    const { parseSnapChangesLine } = await import('../../agent/parsers/snap.js');
    expect(parseSnapChangesLine('123  Done    2026-02-14T10:32:11Z  2026-02-14T10:33:02Z  Auto-refresh snap "remmina"')).toEqual([{ action: 'upgrade', package: 'remmina', time: Date.UTC(2026, 1, 14, 10, 33, 2), from: 'snap' }]);
    expect(parseSnapChangesLine('127  Done    2026-02-15T04:00:00Z  2026-02-15T04:02:00Z  Auto-refresh snaps "core22", "remmina"').map((r) => r.package)).toEqual(['core22', 'remmina']);
    expect(parseSnapChangesLine('125  Done    2026-02-14T12:00:00Z  2026-02-14T12:00:20Z  Install "freerdp" snap')[0]).toMatchObject({ action: 'install' });
    expect(parseSnapChangesLine('126  Error   2026-02-14T12:30:00Z  2026-02-14T12:30:05Z  Remove "rdesktop" snap')).toEqual([]);
    expect(parseSnapChangesLine('ID   Status  Spawn                 Ready                 Summary')).toEqual([]);
  });
});
