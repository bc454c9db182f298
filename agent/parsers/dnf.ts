/**
 * dnf's (dnf 4, yum 4) transaction log /var/log/dnf.rpm.log: one line per package a transaction
 * touched, when rpm finished it, e.g.
 *
 *   2026-02-14T09:30:12+0000 SUBDEBUG Upgrade: freerdp-libs-2:2.11.2-1.fc39.x86_64
 *   2026-02-14T09:30:14+0000 SUBDEBUG Upgraded: freerdp-libs-2:2.11.1-1.fc39.x86_64
 *   2026-02-14T09:31:00+0000 SUBDEBUG Installed: remmina-1.4.31-1.fc39.x86_64
 *   2026-02-14T09:32:00+0000 SUBDEBUG Erase: flac-1.3.3-3.fc29.x86_64
 *   2026-02-14T09:29:59+0000 INFO --- logging initialized ---
 *
 * An upgrade or downgrade is two lines: the new package ("Upgrade:", "Downgrade:") and the old
 * one it replaced ("Upgraded:", "Downgraded:"). The time is UTC with an offset ("+0000", RHEL 8
 * writes "+00", older dnf "Z"). The package is a NEVRA: name-[epoch:]version-release.arch;
 * RHEL's log may leave the arch off. dnf5 (Fedora 41+) does not write this file.
 */
import { isoStamp, type PackageAction, type PackageRecord } from './pkglog.js';

const ACTIONS: Record<string, { action: PackageAction; side: 'new' | 'old' }> = {
  Install: { action: 'install', side: 'new' },
  Installed: { action: 'install', side: 'new' },
  Upgrade: { action: 'upgrade', side: 'new' },
  Upgraded: { action: 'upgrade', side: 'old' },
  Downgrade: { action: 'downgrade', side: 'new' },
  Downgraded: { action: 'downgrade', side: 'old' },
  Reinstall: { action: 'reinstall', side: 'new' },
  Reinstalled: { action: 'reinstall', side: 'new' },
  Erase: { action: 'remove', side: 'old' },
  Erased: { action: 'remove', side: 'old' },
  Obsoleted: { action: 'remove', side: 'old' },
};

const LINE = /^(\S+) SUBDEBUG (\w+): (\S+)$/;
const ARCHES = /^(?:x86_64|i[3-6]86|aarch64|armv7hl|ppc64le|s390x|noarch|src|riscv64)$/;

/** name-[epoch:]version-release[.arch] → its parts; undefined when it has too few dashes. */
export function nevra(s: string): { name: string; version: string; arch?: string } | undefined {
  let rest = s;
  let arch: string | undefined;
  const dot = rest.lastIndexOf('.');
  if (dot > 0 && ARCHES.test(rest.slice(dot + 1))) {
    arch = rest.slice(dot + 1);
    rest = rest.slice(0, dot);
  }
  const r = rest.lastIndexOf('-');
  const v = r > 0 ? rest.lastIndexOf('-', r - 1) : -1;
  if (v <= 0) return undefined;
  return { name: rest.slice(0, v), version: rest.slice(v + 1), ...(arch ? { arch } : {}) };
}

/** One line of dnf.rpm.log → a package record, or undefined for the other lines. */
export function parseDnfRpmLine(text: string): PackageRecord | undefined {
  const m = LINE.exec(text.replace(/\r$/, ''));
  if (!m) return undefined;
  const a = ACTIONS[m[2]!];
  const time = isoStamp(m[1]!);
  const p = nevra(m[3]!);
  if (!a || time === undefined || !p) return undefined;
  return {
    action: a.action,
    package: p.name,
    ...(p.arch ? { arch: p.arch } : {}),
    ...(a.side === 'new' ? { newVersion: p.version } : { oldVersion: p.version }),
    time,
    from: 'dnf',
  };
}
