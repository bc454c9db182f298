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
