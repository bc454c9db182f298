/**
 * PackageHistory: which package changed when (fed with the pkg.change events of the dpkg and apt
 * parsers), and which package owns a file (what `dpkg -S PATH` answers, read straight from
 * dpkg's database: the `<pkg>[:<arch>].list` files in /var/lib/dpkg/info, one path per line).
 *
 * Together they let a stale-library finding say "libfreerdp2.so.2.11.7 belongs to libfreerdp2-2,
 * upgraded at 10:32".
 *
 * File lookups understand:
 *   - usrmerge: a process maps /usr/lib/x86_64-linux-gnu/libz.so.1 while zlib1g's .list says
 *     /lib/x86_64-linux-gnu/libz.so.1 (Debian 12), and the other way round;
 *   - a library whose file name carried the old version (libfreerdp2.so.2.10.0, deleted by the
 *     upgrade, no longer in any .list): it is matched by its SONAME stem in the same directory
 *     (libfreerdp2.so.*) when no exact path matches.
 * Not handled: dpkg-divert diversions, and packages not managed by dpkg (Flatpak, Snap, /usr/local).
 *
 * Memory is bounded: at most `maxPackages` packages in the history (oldest change forgotten first)
 * and `maxCachedFiles` file lookups cached. A lookup reads the .list files one at a time, packages
 * changed recently and those named like the file first, and stops at the first exact hit.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Event } from '../event.js';

export interface PackageChange {
  package: string;
  arch?: string;
  /** install, upgrade, downgrade, reinstall, remove, purge, disappear (configure/trigproc replace no file). */
  action: string;
  oldVersion?: string;
  newVersion?: string;
  /** When the change happened (ms since epoch): dpkg's unpack time, or the start of the apt run. */
  time: number;
  /** Which log said so. */
  from: 'dpkg' | 'apt';
}

export interface PackageHistoryOptions {
  /** dpkg's info directory (default /var/lib/dpkg/info); tests point it at a directory of their own. */
  infoDir?: string;
  maxPackages?: number;
  maxCachedFiles?: number;
}

/** Actions that put files on disk or take them away: what leaves a running process with an old copy. */
const REPLACING = new Set(['install', 'upgrade', 'downgrade', 'reinstall', 'remove', 'purge', 'disappear']);
const MERGED_DIRS = /^\/(?:bin|sbin|lib|lib32|lib64|libx32|libo32)\//;
const DELETED = ' (deleted)';
const PARALLEL = 16;

export class PackageHistory {
  readonly infoDir: string;
  private readonly maxPackages: number;
  private readonly maxCachedFiles: number;
  /** package name → its last file-replacing change; insertion order = order of last change. */
  private readonly changes = new Map<string, PackageChange>();
  /** path → owning package (null: no package owns it). */
  private readonly owners = new Map<string, string | null>();

  constructor(opts: PackageHistoryOptions = {}) {
    this.infoDir = opts.infoDir ?? '/var/lib/dpkg/info';
    this.maxPackages = opts.maxPackages ?? 5000;
    this.maxCachedFiles = opts.maxCachedFiles ?? 512;
  }

  /** Takes a pkg.change event of dpkg or apt; returns true when it was a file-replacing change it kept. */
  record(e: Event): boolean {
    if (e.kind !== 'pkg.change' || (e.program !== 'dpkg' && e.program !== 'apt')) return false;
    const action = e.detail.action;
    const pkg = e.detail.package;
    if (typeof action !== 'string' || typeof pkg !== 'string' || !REPLACING.has(action)) return false;
    const change: PackageChange = { package: pkg, action, time: e.time, from: e.program };
    if (typeof e.detail.arch === 'string') change.arch = e.detail.arch;
    if (typeof e.detail.oldVersion === 'string') change.oldVersion = e.detail.oldVersion;
    if (typeof e.detail.newVersion === 'string') change.newVersion = e.detail.newVersion;
    const known = this.changes.get(pkg);
    // apt stamps its whole run with the run's start; dpkg's unpack time of the same change is
    // later and more exact. Keep the latest; on a tie, dpkg's.
    if (known && (known.time > change.time || (known.time === change.time && known.from === 'dpkg' && change.from === 'apt'))) {
      return true;
    }
    this.changes.delete(pkg);
    this.changes.set(pkg, change);
    if (this.changes.size > this.maxPackages) this.changes.delete(this.changes.keys().next().value!);
    // A package that was not there may own the file now.
    for (const [path, owner] of this.owners) if (owner === null) this.owners.delete(path);
    return true;
  }

  /** The last change that replaced files of this package (name with or without `:arch`). */
  lastChangeOf(pkg: string): PackageChange | undefined {
    const i = pkg.indexOf(':');
    return this.changes.get(i > 0 ? pkg.slice(0, i) : pkg);
  }

  /** The package that owns this path (a mapped path, " (deleted)" allowed), like `dpkg -S`. */
  async packageOfFile(path: string): Promise<string | undefined> {
    const clean = path.endsWith(DELETED) ? path.slice(0, -DELETED.length) : path;
    const cached = this.owners.get(clean);
    if (cached !== undefined) {
      this.owners.delete(clean);
      this.owners.set(clean, cached);
      return cached ?? undefined;
    }
    const owner = await this.search(clean);
    this.owners.set(clean, owner ?? null);
    if (this.owners.size > this.maxCachedFiles) this.owners.delete(this.owners.keys().next().value!);
    return owner;
  }

  private async search(path: string): Promise<string | undefined> {
    let names: string[];
    try {
      names = (await readdir(this.infoDir)).filter((n) => n.endsWith('.list'));
    } catch {
      return undefined; // not a dpkg system, or no permission: nobody owns it as far as we can tell
    }
    const exact = alternatives(path).map((p) => `\n${p}\n`);
    const stems = exact.map((p) => soStem(p.slice(1, -1))).filter((s): s is string => s !== undefined).map((s) => `\n${s}`);
    let stemOwner: string | undefined;
    const ordered = this.order(names, path);
    // A few files at a time, in priority order; the first exact hit ends the search.
    for (let i = 0; i < ordered.length; i += PARALLEL) {
      const batch = ordered.slice(i, i + PARALLEL);
      const texts = await Promise.all(batch.map((name) => readFile(`${this.infoDir}/${name}`, 'utf8').catch(() => ''))); // '' : removed meanwhile by dpkg
      for (let j = 0; j < batch.length; j++) {
        const text = texts[j]!;
        const body = `\n${text}${text.endsWith('\n') ? '' : '\n'}`;
        const pkg = packageOfListFile(batch[j]!);
        if (exact.some((p) => body.includes(p))) return pkg;
        if (stemOwner === undefined && stems.some((s) => body.includes(s))) stemOwner = pkg;
      }
    }
    return stemOwner;
  }

  /** Packages changed recently first, then those named like the file, then the rest. */
  private order(names: string[], path: string): string[] {
    const byPkg = new Map<string, string[]>();
    for (const n of names) {
      const p = packageOfListFile(n);
      const list = byPkg.get(p);
      if (list) list.push(n);
      else byPkg.set(p, [n]);
    }
    const out: string[] = [];
    const take = (pkg: string) => {
      const list = byPkg.get(pkg);
      if (!list) return;
      out.push(...list);
      byPkg.delete(pkg);
    };
    for (const pkg of [...this.changes.keys()].reverse()) take(pkg);
    const token = /^(?:lib)?([a-z0-9]+)/.exec(basename(path).toLowerCase())?.[1];
    if (token && token.length >= 3) for (const pkg of [...byPkg.keys()]) if (pkg.includes(token)) take(pkg);
    for (const list of byPkg.values()) out.push(...list);
    return out;
  }
}

/** `libc6:amd64.list` → libc6; `adduser.list` → adduser. */
export function packageOfListFile(name: string): string {
  const base = name.slice(0, -'.list'.length);
  const i = base.indexOf(':');
  return i > 0 ? base.slice(0, i) : base;
}

/** The path as dpkg may have recorded it: as is, and its other half under usrmerge. */
export function alternatives(path: string): string[] {
  if (path.startsWith('/usr/') && MERGED_DIRS.test(path.slice(4))) return [path, path.slice(4)];
  if (MERGED_DIRS.test(path)) return [path, `/usr${path}`];
  return [path];
}

/** `/usr/lib/x/libfreerdp2.so.2.10.0` → `/usr/lib/x/libfreerdp2.so.` (any version of the same library). */
export function soStem(path: string): string | undefined {
  const m = /^(.+\.so)\.\d[\w.]*$/.exec(basename(path));
  return m ? `${dirname(path)}/${m[1]}.` : undefined;
}
