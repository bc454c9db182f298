/**
 * Finding the files that held a watched name, not guessing them (issue 19). A file is known by
 * device + inode + a fingerprint of its first bytes (as Vector and Filebeat do); its siblings are
 * the files beside it whose name starts with the watched name (`auth.log.1`, `auth.log-20261205`),
 * or, for a symlinked log, the files beside its target with the target's name shape (digits
 * aside: `target-3.log` → `target-#.log`).
 *
 * - byInode: the saved file, wherever it was renamed to (rotated while connwatch was stopped);
 * - byFingerprint: a file whose first bytes are those of a known file: a copytruncate copy, or
 *   a copy under another inode. Read from the known offset: what only went into the copy;
 * - unseen: files born between two files connwatch saw at the name: created and rotated away
 *   while a backlog was read, or while connwatch was stopped. Read from their start. Needs the
 *   file system's birth time (statx; ext4, xfs, btrfs, tmpfs): without it, none are guessed.
 *   A compressed generation (`auth.log.2.gz`) is born when it was compressed, right at its
 *   rotation by logrotate's `compress`, so it sorts where its generation was.
 * - compressed siblings (`.gz`) are matched by their uncompressed first bytes and read through
 *   gunzip (gzip-file.ts), offsets in uncompressed bytes, when their uncompressed twin is gone.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fingerprintOf } from './file-head.js';
import { gzipHead, isGzipName } from './gzip-file.js';
import { namesIn } from './tail-glob.js';
import { createHash } from 'node:crypto';

export interface Identity {
  dev: number;
  ino: number;
  fp: string;
  fpLen: number;
  offset: number;
  birth?: number;
  real?: string;
}

export interface Found {
  path: string;
  st: Stats;
}

const shapeOf = (name: string): string => name.replace(/\d+/g, '#');
export const idOf = (st: { dev: number; ino: number }): string => `${st.dev}:${st.ino}`;

/** The regular files that may be earlier generations of `path` (and of the symlink target `real`). */
export async function siblings(path: string, real?: string): Promise<Found[]> {
  const out = new Map<string, Found>();
  const look = async (dir: string, keep: (name: string) => boolean): Promise<void> => {
    for (const n of await namesIn(dir)) {
      if (!keep(n)) continue;
      const p = join(dir, n);
      try {
        const st = await stat(p);
        if (st.isFile() && !out.has(idOf(st))) out.set(idOf(st), { path: p, st });
      } catch {
        // gone meanwhile
      }
    }
  };
  const base = basename(path);
  await look(dirname(path), (n) => n !== base && n.startsWith(base) && !n.includes('.tmp'));
  if (real && real !== path) {
    const shape = shapeOf(basename(real));
    await look(dirname(real), (n) => shapeOf(n) === shape);
  }
  return [...out.values()];
}

export function byInode(candidates: Found[], s: Identity): Found | undefined {
  return candidates.find((c) => c.st.dev === s.dev && c.st.ino === s.ino);
}

/**
 * A file under another inode that starts with the known file's first bytes and holds at least its
 * offset; a compressed one (`.gz`) by its uncompressed first bytes, only when no uncompressed
 * file matches (its twin is gone).
 */
export async function byFingerprint(candidates: Found[], s: Identity, exclude: ReadonlySet<string>): Promise<Found | undefined> {
  if (s.fpLen <= 0) return undefined;
  const matches: Found[] = [];
  const gz: Found[] = [];
  for (const c of candidates) {
    if (exclude.has(idOf(c.st)) || (c.st.dev === s.dev && c.st.ino === s.ino)) continue;
    if (isGzipName(c.path)) {
      gz.push(c);
      continue;
    }
    if (c.st.size < s.offset) continue;
    try {
      const fh = await open(c.path, 'r');
      try {
        if ((await fingerprintOf(fh, s.fpLen)) === s.fp) matches.push(c);
      } finally {
        await fh.close();
      }
    } catch {
      // unreadable or gone
    }
  }
  if (matches.length === 0) {
    for (const c of gz) {
      try {
        const head = await gzipHead(c.path, s.fpLen);
        if (head.length === s.fpLen && createHash('sha256').update(head).digest('hex').slice(0, 32) === s.fp) matches.push(c);
      } catch {
        // not gzip after all, corrupt, or gone
      }
    }
  }
  // the newest copy holds the most
  return matches.sort((a, b) => b.st.birthtimeMs - a.st.birthtimeMs || b.st.size - a.st.size)[0];
}

/** Files born after `after` and before `before` (ms), oldest first; none when birth times are unknown. */
export function unseen(candidates: Found[], after: number | undefined, before: number, exclude: ReadonlySet<string>): Found[] {
  if (!after || !(before > 0)) return [];
  // a .gz beside its uncompressed twin (gzip still at work) is the same generation: the twin is read
  const names = new Set(candidates.map((c) => c.path));
  return candidates
    // bounds included: birth times come from the kernel's coarse clock (ticks of a few ms), so a
    // file created and rotated away within one tick of its neighbour has the same birth time as
    // it; the neighbours themselves are in `exclude`. (Strict bounds left such a file unread.)
    .filter((c) => c.st.birthtimeMs >= after && c.st.birthtimeMs <= before && !exclude.has(idOf(c.st)))
    .filter((c) => !(isGzipName(c.path) && names.has(c.path.slice(0, -3))))
    .sort((a, b) => a.st.birthtimeMs - b.st.birthtimeMs);
}
