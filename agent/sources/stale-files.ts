/**
 * Which files a process runs that were replaced on disk since it mapped them (needrestart's
 * method; evidence in the shared reference signatures.md §H):
 *   - `/proc/PID/exe` whose link ends in " (deleted)": the program itself was replaced;
 *   - `/proc/PID/maps`: executable (x) file mappings (inode ≠ 0) whose path ends in " (deleted)"
 *     (dpkg writes `<file>.dpkg-new` and renames it over the old file, so the old inode lives on
 *     only in running processes), or whose device:inode differs from the file now at that path
 *     (stat through /proc/PID/root, so Flatpak and containers see their own files);
 *   - an old Flatpak deploy or snap revision still running (correlate/sandboxed.ts).
 * Ignored, as needrestart does: memfd:, SYSV shared memory, /dev/*, drm, [aio], anonymous and
 * [vdso]-style mappings, anything under (/var)/tmp/ or (/var)/run/ (so /run/user too), JIT files
 * (orcexec.*, jna*.tmp, plasmashell's /#N). A path whose device differs from the maps line
 * (overlayfs, btrfs subvolumes report another st_dev) is compared through
 * /proc/PID/map_files/<range> instead, and skipped when that cannot tell.
 */
import { readFile, stat } from 'node:fs/promises';
import { sandboxedStale, type SandboxedStale, type SandboxOptions } from '../correlate/sandboxed.js';

export const DELETED = ' (deleted)';
const IGNORED: readonly RegExp[] = [
  /^\/(?:SYSV[0-9a-fA-F]{8}|dev\/|memfd:|\[aio\]|anon_hugepage)/,
  /^\/drm(?: |$)/,
  /^(?:\/var)?\/tmp\//,
  /^(?:\/var)?\/run\//,
  /\/orcexec\.\w+$/,
  /\/jna\d+\.tmp$/,
  /\/#\d+$/,
];

/** A path that stale-file checks leave alone (needrestart's blacklist_mappings, extended). */
export function isIgnoredPath(path: string): boolean {
  const clean = path.endsWith(DELETED) ? path.slice(0, -DELETED.length) : path;
  return !clean.startsWith('/') || IGNORED.some((re) => re.test(clean));
}

export interface MapsEntry {
  start: string;
  end: string;
  perms: string;
  /** Device as the maps line writes it: major and minor, hex. */
  major: number;
  minor: number;
  inode: bigint;
  /** The path without " (deleted)"; '' for anonymous memory. */
  path: string;
  deleted: boolean;
  line: string;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) [0-9a-f]+ ([0-9a-f]+):([0-9a-f]+) (\d+)(?: +(.*))?$/;

export function parseMapsLine(line: string): MapsEntry | undefined {
  const m = MAPS_LINE.exec(line);
  if (!m) return undefined;
  let path = m[7] ?? '';
  const deleted = path.endsWith(DELETED);
  if (deleted) path = path.slice(0, -DELETED.length);
  return {
    start: m[1]!,
    end: m[2]!,
    perms: m[3]!,
    major: parseInt(m[4]!, 16),
    minor: parseInt(m[5]!, 16),
    inode: BigInt(m[6]!),
    path,
    deleted,
    line,
  };
}

/** st_dev as glibc/Linux encode it (new_encode_dev) → major, minor; maps writes them as "fe:00". */
export function decodeDev(dev: bigint): { major: number; minor: number } {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return { major: Number(major), minor: Number(minor) };
}

export interface StaleFile {
  path: string;
  /** The old file has no name left (" (deleted)"); false: another file now has its name. */
  deleted: boolean;
  /** The line of evidence: the maps line, or the exe link. */
  evidence: string;
  via: 'exe' | 'maps';
  /** An old Flatpak deploy or snap revision still running (correlate/sandboxed.ts). */
  sandbox?: SandboxedStale;
}

/** A watched process and its stale files (possibly none). */
export interface Finding {
  pid: number;
  name: string;
  comm: string;
  exe: string | undefined;
  exeDeleted: boolean;
  /** Process start, ms since epoch. */
  startTime: number | undefined;
  files: StaleFile[];
}

/**
 * The stale files of the process whose proc directory is `dir` (`/proc/PID`), given its exe link
 * (without " (deleted)"). `debug` hears of mappings that cannot be compared.
 */
export async function staleFilesOf(dir: string, exe: string | undefined, exeDeleted: boolean, sandbox: SandboxOptions, debug: (m: string) => void): Promise<StaleFile[]> {
  const files = new Map<string, StaleFile>();
  if (exe && exeDeleted && !isIgnoredPath(exe)) files.set(exe, { path: exe, deleted: true, evidence: `${exe}${DELETED}`, via: 'exe' });
  const maps = await readFile(`${dir}/maps`, 'utf8');
  const checked = new Set<string>();
  const entries: MapsEntry[] = [];
  for (const line of maps.split('\n')) {
    const e = parseMapsLine(line);
    if (!e || !e.perms.includes('x') || e.inode === 0n || e.path === '' || isIgnoredPath(e.path)) continue;
    entries.push(e);
    if (files.has(e.path)) continue;
    if (e.deleted) {
      files.set(e.path, { path: e.path, deleted: true, evidence: line, via: 'maps' });
      continue;
    }
    if (checked.has(e.path)) continue;
    checked.add(e.path);
    if (await replacedInPlace(dir, e, debug)) files.set(e.path, { path: e.path, deleted: false, evidence: line, via: 'maps' });
  }
  for (const o of await sandboxedStale(dir, entries, sandbox)) {
    if (!files.has(o.path)) files.set(o.path, { path: o.path, deleted: false, evidence: o.evidence, via: 'maps', sandbox: o });
  }
  return [...files.values()];
}

/** The file now at the mapped path is another one than the process maps (same device, other inode). */
async function replacedInPlace(dir: string, e: MapsEntry, debug: (m: string) => void): Promise<boolean> {
  let now;
  try {
    now = await stat(`${dir}/root${e.path}`, { bigint: true });
  } catch {
    return false; // not visible from here (another mount namespace we cannot enter): cannot tell
  }
  const dev = decodeDev(now.dev);
  if (dev.major === e.major && dev.minor === e.minor) return now.ino !== e.inode;
  // overlayfs / btrfs: maps shows the underlying device. Ask the mapping itself.
  try {
    const mapped = await stat(`${dir}/map_files/${e.start}-${e.end}`, { bigint: true });
    return mapped.dev === now.dev && mapped.ino !== now.ino;
  } catch {
    debug(`process scan: cannot compare ${e.path} (device ${e.major}:${e.minor} in maps, ${dev.major}:${dev.minor} on disk)`);
    return false;
  }
}
