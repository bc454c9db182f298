/**
 * pacman's log /var/log/pacman.log (Arch Linux and its derivatives):
 *
 *   [2026-02-14T10:32:11+0100] [PACMAN] Running 'pacman -Syu'
 *   [2026-02-14T10:32:11+0100] [ALPM] transaction started
 *   [2026-02-14T10:32:11+0100] [ALPM] upgraded freerdp (2:2.11.1-1 -> 2:2.11.2-1)
 *   [2026-02-14T10:32:12+0100] [ALPM] installed remmina (1:1.4.31-1)
 *   [2026-02-14T10:32:12+0100] [ALPM] removed rdesktop (1.9.0-3)
 *   [2026-02-14T10:32:12+0100] [ALPM] transaction completed
 *
 * pacman 5.1 and later write an ISO time with the UTC offset; older ones "[2018-03-01 10:32]"
 * in local time, to the minute. Actions: installed, upgraded, downgraded, reinstalled, removed.
 */
import { isoStamp, type PackageAction, type PackageRecord } from './pkglog.js';

const ACTIONS: Record<string, PackageAction> = { installed: 'install', upgraded: 'upgrade', downgraded: 'downgrade', reinstalled: 'reinstall', removed: 'remove' };
const LINE = /^\[([^\]]+)\] \[ALPM\] (installed|upgraded|downgraded|reinstalled|removed) (\S+) \((\S+)(?: -> (\S+))?\)$/;

function stamp(s: string): number | undefined {
  const iso = isoStamp(s);
  if (iso !== undefined) return iso;
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d)$/.exec(s);
  return m ? new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!).getTime() : undefined;
}

/** One line of pacman.log → a package record, or undefined for the other lines. */
export function parsePacmanLine(text: string): PackageRecord | undefined {
  const m = LINE.exec(text.replace(/\r$/, ''));
  if (!m) return undefined;
  const time = stamp(m[1]!);
  if (time === undefined) return undefined;
  const action = ACTIONS[m[2]!]!;
  const two = m[5] !== undefined;
  const r: PackageRecord = { action, package: m[3]!, time, from: 'pacman' };
  if (action === 'remove') r.oldVersion = m[4]!;
  else if (two) {
    r.oldVersion = m[4]!;
    r.newVersion = m[5]!;
  } else r.newVersion = m[4]!;
  return r;
}
