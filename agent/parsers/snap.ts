/**
 * snapd's history as `snap changes --abs-time` prints it (snapd 2.x):
 *
 *   ID   Status  Spawn                 Ready                 Summary
 *   123  Done    2026-02-14T10:32:11Z  2026-02-14T10:33:02Z  Auto-refresh snap "remmina"
 *   124  Done    2026-02-14T11:00:00Z  2026-02-14T11:00:40Z  Refresh "remmina" snap
 *   125  Done    2026-02-14T12:00:00Z  2026-02-14T12:00:20Z  Install "freerdp" snap
 *   126  Done    2026-02-14T12:30:00Z  2026-02-14T12:30:05Z  Remove "rdesktop" snap
 *   127  Done    2026-02-15T04:00:00Z  2026-02-15T04:02:00Z  Auto-refresh snaps "core22", "remmina"
 *
 * A change that is not Done (Doing, Error, Undone, Hold) changed nothing yet and is skipped; the
 * time is Ready (when the new revision was in place).
 */
import { isoStamp, type PackageAction, type PackageRecord } from './pkglog.js';

const LINE = /^(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.+)$/;

export function parseSnapChangesLine(text: string): PackageRecord[] {
  const m = LINE.exec(text.trim());
  if (!m || m[2] !== 'Done') return [];
  const time = isoStamp(m[4]!);
  if (time === undefined) return [];
  const summary = m[5]!;
  let action: PackageAction | undefined;
  if (/^(?:Auto-refresh snaps? |Refresh )/.test(summary)) action = 'upgrade';
  else if (/^Install /.test(summary)) action = 'install';
  else if (/^Remove /.test(summary)) action = 'remove';
  if (!action) return [];
  const names = [...summary.matchAll(/"([^"]+)"/g)].map((x) => x[1]!);
  return names.map((name) => ({ action: action!, package: name, time, from: 'snap' as const }));
}
