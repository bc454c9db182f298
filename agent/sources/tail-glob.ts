/**
 * Path patterns for the file tail: "~" expansion, and globs with `*`, `?` and `[...]` in any
 * segment after the first directory (chokidar 5 dropped glob support, so we expand ourselves).
 *
 *   /var/log/auth.log                               one path
 *   ~/.local/state/connwatch/captures/*.jsonl       every capture file
 *   /var/log/remmina/*\/remmina.log                 wildcards in a directory segment too
 *
 * `*` and `?` never match "/" and never match a leading "." (as in the shell). Hidden files must
 * be named explicitly. `globBase` gives the longest directory without wildcards: the place to
 * watch, or its nearest existing ancestor when it does not exist yet.
 */
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, parse, resolve, sep } from 'node:path';

export function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return p;
}

export function hasGlob(p: string): boolean {
  return /[*?[]/.test(p);
}

/** The directory without wildcards that contains every match, and the wildcard segments under it. */
export function globBase(pattern: string): { base: string; rest: string[] } {
  const abs = resolve(expandHome(pattern));
  // the root is "/" here and "C:\\" on Windows (where a leading separator alone would be wrong)
  const root = parse(abs).root;
  const parts = abs.slice(root.length).split(sep).filter((s) => s !== '');
  const idx = parts.findIndex((s) => hasGlob(s));
  if (idx === -1) return { base: dirname(abs), rest: [parts.at(-1) ?? ''] };
  return { base: join(root, ...parts.slice(0, idx)), rest: parts.slice(idx) };
}

export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) re += '\\[';
      else {
        let body = segment.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Every existing file matching `pattern` (sorted). A plain path is returned as is, existing or not. */
export async function expandGlob(pattern: string): Promise<string[]> {
  const abs = resolve(expandHome(pattern));
  if (!hasGlob(abs)) return [abs];
  const { base, rest } = globBase(abs);
  let dirs = [base];
  for (let i = 0; i < rest.length; i++) {
    const seg = rest[i] as string;
    const last = i === rest.length - 1;
    const next: string[] = [];
    for (const dir of dirs) {
      if (!hasGlob(seg)) {
        next.push(join(dir, seg));
        continue;
      }
      const re = segmentRegExp(seg);
      for (const name of await namesIn(dir)) {
        if (name.startsWith('.') && !seg.startsWith('.')) continue;
        if (re.test(name)) next.push(join(dir, name));
      }
    }
    dirs = next;
    if (last) {
      const files: string[] = [];
      for (const p of dirs) {
        try {
          if ((await stat(p)).isFile()) files.push(p);
        } catch {
          // vanished or unreadable: the next scan sees it
        }
      }
      return files.sort();
    }
  }
  return [];
}

/** `dir` itself when it exists, else its nearest existing ancestor. */
export async function nearestExistingDir(dir: string): Promise<string> {
  let d = resolve(dir);
  for (;;) {
    try {
      if ((await stat(d)).isDirectory()) return d;
    } catch {
      // keep climbing
    }
    const up = dirname(d);
    if (up === d) return d;
    d = up;
  }
}

/** The names in a directory; none when it cannot be read (gone, not a directory, not ours). */
export function namesIn(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
