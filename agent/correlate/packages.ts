/**
 * PackageHistory: which package changed when (fed with the pkg.change events of the dpkg and apt
 * parsers, and with the records of dnf, pacman, Flatpak and snap histories: recordChange, see
 * package-logs.ts), and which package owns a file: what `dpkg -S PATH` answers, read straight from
 * dpkg's database (the `<pkg>[:<arch>].list` files in /var/lib/dpkg/info, one path per line); else
 * what `pacman -Qo` answers, read from pacman's local database (/var/lib/pacman/local/<pkg>-<ver>/files,
 * paths without their leading slash after a "%FILES%" line); else `rpm -qf` itself (rpm's database
 * is SQLite or Berkeley DB, not text), run without a shell, only where an rpm database exists.
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
 * Not handled: dpkg-divert diversions, /usr/local. Flatpak apps and snaps own no file here: the scan
 * knows them by their paths (sandboxed.ts) and looks their updates up by app id or snap name.
 *
 * Memory is bounded: at most `maxPackages` packages in the history (oldest change forgotten first)
 * and `maxCachedFiles` file lookups cached. A lookup reads the .list files one at a time, packages
 * changed recently and those named like the file first, and stops at the first exact hit.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Event } from '../event.js';
import type { PackageRecord } from '../parsers/pkglog.js';

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
  from: 'dpkg' | 'apt' | PackageRecord['from'];
}

export interface PackageHistoryOptions {
  /** dpkg's info directory (default /var/lib/dpkg/info); tests point it at a directory of their own. */
  infoDir?: string;
  /** pacman's local database (default /var/lib/pacman/local). */
  pacmanDir?: string;
  /** rpm's database directory for `rpm --dbpath` (default: rpm's own, used only when /var/lib/rpm exists). */
  rpmDbPath?: string;
  /** The rpm program (default "rpm", found on PATH). */
  rpm?: string;
  maxPackages?: number;
  maxCachedFiles?: number;
}

/** Actions that put files on disk or take them away: what leaves a running process with an old copy. */
const REPLACING = new Set(['install', 'upgrade', 'downgrade', 'reinstall', 'remove', 'purge', 'disappear']);
const MERGED_DIRS = /^\/(?:bin|sbin|lib|lib32|lib64|libx32|libo32)\//;
const DELETED = ' (deleted)';
const PARALLEL = 16;
/** dnf's two lines of one upgrade are seconds apart; two upgrades of one package are not. */
const SAME_RUN_MS = 10 * 60_000;

/** One text database of "which package has which files": dpkg's info dir, pacman's local dir. */
interface ListDb {
  dir: string;
  /** Directory entries that are packages. */
  entries(names: string[]): string[];
  file(entry: string): string;
  pkg(entry: string): string;
  /** Paths are written without their leading slash (pacman). */
  relative: boolean;
}

const DPKG_DB = (dir: string): ListDb => ({ dir, entries: (n) => n.filter((x) => x.endsWith('.list')), file: (e) => `${dir}/${e}`, pkg: packageOfListFile, relative: false });
const PACMAN_DB = (dir: string): ListDb => ({ dir, entries: (n) => n.filter((x) => x !== 'ALPM_DB_VERSION'), file: (e) => `${dir}/${e}/files`, pkg: packageOfPacmanEntry, relative: true });

export class PackageHistory {
  readonly infoDir: string;
  private readonly dbs: ListDb[];
  private readonly rpm: string;
  private readonly rpmDbPath: string | undefined;
  private readonly maxPackages: number;
  private readonly maxCachedFiles: number;
  /** package name → its last file-replacing change; insertion order = order of last change. */
  private readonly changes = new Map<string, PackageChange>();
  /** path → owning package (null: no package owns it). */
  private readonly owners = new Map<string, string | null>();

  constructor(opts: PackageHistoryOptions = {}) {
    this.infoDir = opts.infoDir ?? '/var/lib/dpkg/info';
    this.dbs = [DPKG_DB(this.infoDir), PACMAN_DB(opts.pacmanDir ?? '/var/lib/pacman/local')];
    this.rpm = opts.rpm ?? 'rpm';
    this.rpmDbPath = opts.rpmDbPath;
    this.maxPackages = opts.maxPackages ?? 5000;
    this.maxCachedFiles = opts.maxCachedFiles ?? 512;
  }

  /** Takes a pkg.change event of dpkg or apt; returns true when it was a file-replacing change it kept. */
  record(e: Event): boolean {
    if (e.kind !== 'pkg.change' || (e.program !== 'dpkg' && e.program !== 'apt')) return false;
    const action = e.detail.action;
    const pkg = e.detail.package;
    if (typeof action !== 'string' || typeof pkg !== 'string') return false;
    const change: PackageChange = { package: pkg, action, time: e.time, from: e.program };
    if (typeof e.detail.arch === 'string') change.arch = e.detail.arch;
    if (typeof e.detail.oldVersion === 'string') change.oldVersion = e.detail.oldVersion;
    if (typeof e.detail.newVersion === 'string') change.newVersion = e.detail.newVersion;
    return this.keep(change);
  }

  /**
   * Takes a record of the dnf, pacman, Flatpak or snap history (parsers/pkglog.ts); true when it
   * replaced files. dnf writes an upgrade as two lines (the new package, then the old one it
   * replaced): the second adds its version to the first rather than starting another change.
   */
  recordChange(r: PackageRecord): boolean {
    const change: PackageChange = { ...r };
    const known = this.changes.get(r.package);
    if (known && known.from === r.from && known.action === r.action && Math.abs(known.time - r.time) <= SAME_RUN_MS) {
      change.oldVersion ??= known.oldVersion;
      change.newVersion ??= known.newVersion;
      change.arch ??= known.arch;
      if (change.oldVersion === undefined) delete change.oldVersion;
      if (change.newVersion === undefined) delete change.newVersion;
      if (change.arch === undefined) delete change.arch;
      change.time = Math.max(known.time, r.time);
    }
    return this.keep(change);
  }

  private keep(change: PackageChange): boolean {
    if (!REPLACING.has(change.action)) return false;
    const pkg = change.package;
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
    for (const db of this.dbs) {
      const owner = await this.searchDb(db, path);
      if (owner !== undefined) return owner;
    }
    return this.rpmQuery(path);
  }

  private async searchDb(db: ListDb, path: string): Promise<string | undefined> {
    let names: string[];
    try {
      names = db.entries(await readdir(db.dir));
    } catch {
      return undefined; // not this kind of system, or no permission: nobody owns it as far as we can tell
    }
    const cut = (p: string) => (db.relative ? p.slice(1) : p);
    const exact = alternatives(path).map((p) => `\n${cut(p)}\n`);
    const stems = alternatives(path)
      .map(soStem)
      .filter((s): s is string => s !== undefined)
      .map((s) => `\n${cut(s)}`);
    let stemOwner: string | undefined;
    const ordered = this.order(names, path, db);
    // A few files at a time, in priority order; the first exact hit ends the search.
    for (let i = 0; i < ordered.length; i += PARALLEL) {
      const batch = ordered.slice(i, i + PARALLEL);
      const texts = await Promise.all(batch.map((name) => readFile(db.file(name), 'utf8').catch(() => ''))); // '' : removed meanwhile
      for (let j = 0; j < batch.length; j++) {
        const text = texts[j]!;
        const body = `\n${text}${text.endsWith('\n') ? '' : '\n'}`;
        const pkg = db.pkg(batch[j]!);
        if (exact.some((p) => body.includes(p))) return pkg;
        if (stemOwner === undefined && stems.some((s) => body.includes(s))) stemOwner = pkg;
      }
    }
    return stemOwner;
  }

  /** `rpm -qf` (no shell), on a system with an rpm database; undefined when no package owns it. */
  private rpmQuery(path: string): Promise<string | undefined> {
    if (this.rpmDbPath === undefined && !existsSync('/var/lib/rpm')) return Promise.resolve(undefined);
    const args = [...(this.rpmDbPath ? ['--dbpath', this.rpmDbPath] : []), '-qf', '--qf', '%{NAME}\n', '--', path];
    return new Promise((resolve) => {
      execFile(this.rpm, args, { timeout: 10_000, maxBuffer: 1 << 16 }, (err, stdout) => {
        const name = String(stdout).split('\n')[0]!.trim();
        resolve(err || !/^[\w.+-]+$/.test(name) ? undefined : name);
      });
    });
  }

  /** Packages changed recently first, then those named like the file, then the rest. */
  private order(names: string[], path: string, db: ListDb): string[] {
    const byPkg = new Map<string, string[]>();
    for (const n of names) {
      const p = db.pkg(n);
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

/** `freerdp-2:2.11.2-1` (pacman's local dir: name-pkgver-pkgrel) → freerdp. */
export function packageOfPacmanEntry(entry: string): string {
  const r = entry.lastIndexOf('-');
  const v = r > 0 ? entry.lastIndexOf('-', r - 1) : -1;
  return v > 0 ? entry.slice(0, v) : entry;
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
