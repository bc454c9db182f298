/**
 * Package histories of Linux systems beyond Debian, as records the stale-client scan can use
 * ("freerdp-libs was upgraded at 10:32"): what changed, from which version to which, and when.
 * These are pure line readers, not routed as events (event.ts's PROGRAMS names only dpkg and
 * apt): correlate/package-logs.ts reads the logs and hands the records to PackageHistory.
 */

export type PackageAction = 'install' | 'upgrade' | 'downgrade' | 'reinstall' | 'remove';

export interface PackageRecord {
  action: PackageAction;
  package: string;
  arch?: string;
  /** The version put on disk (install, upgrade, downgrade, reinstall). */
  newVersion?: string;
  /** The version taken away (the old side of an upgrade or downgrade, a removal). */
  oldVersion?: string;
  /** ms since the epoch. */
  time: number;
  from: 'dnf' | 'pacman' | 'flatpak' | 'snap';
}

/** "2026-02-14T09:30:12+0000", "…Z", "…+00", "…+02:00" → ms; undefined when not that shape. */
export function isoStamp(s: string): number | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d(?::?\d\d)?)$/.exec(s);
  if (!m) return undefined;
  const base = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (m[7] === 'Z') return base;
  const z = /^([+-])(\d\d):?(\d\d)?$/.exec(m[7]!)!;
  return base - (z[1] === '-' ? -1 : 1) * (+z[2]! * 60 + +(z[3] ?? 0)) * 60_000;
}
