/**
 * Reading C sources for the message catalog (tools/catalog.ts): the calls of a program's logging
 * functions, their format strings (adjacent literals joined, printf macros spelled out), the
 * arguments after the format, and the function each call is in. Also the printf helpers: a format
 * rendered with values, and a format as a regular expression. Nothing here knows a program.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Call {
  fn: string;
  args: string[];
  /** 1-based line of the call. */
  line: number;
  /** The function definition the call is in (for `_f` variants and `__func__`). */
  func: string;
}

/** The mirrors fetch brings, under /work/.mirror (override: CATALOG_MIRRORS). */
export const MIRRORS = process.env.CATALOG_MIRRORS ?? '/work/.mirror';

export function gitDir(repo: string): string | undefined {
  const d = `${MIRRORS}/${repo.replace('/', '+')}/repo`;
  return existsSync(d) ? d : undefined;
}

export function tags(git: string): string[] {
  const r = spawnSync('git', ['--git-dir', git, 'tag'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return r.stdout.split('\n').filter(Boolean);
}

/** The files at a tag whose path matches `want` (one `git ls-tree`). */
export function listFiles(git: string, tag: string, want: RegExp): string[] {
  const r = spawnSync('git', ['--git-dir', git, 'ls-tree', '-r', '--name-only', tag], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return r.stdout.split('\n').filter((p) => p && want.test(p));
}

/** The contents of `paths` at `tag`, through one `git cat-file --batch` (absent paths are left out). */
export function readAt(git: string, tag: string, paths: readonly string[]): Map<string, string> {
  const r = spawnSync('git', ['--git-dir', git, 'cat-file', '--batch'], { input: paths.map((p) => `${tag}:${p}\n`).join(''), maxBuffer: 1 << 28 });
  const out = new Map<string, string>();
  const buf = r.stdout;
  let at = 0;
  for (const p of paths) {
    const nl = buf.indexOf(0x0a, at);
    if (nl === -1) break;
    const header = buf.toString('utf8', at, nl);
    at = nl + 1;
    if (header.endsWith(' missing')) continue;
    const size = Number(header.split(' ')[2]);
    out.set(p, buf.toString('latin1', at, at + size));
    at += size + 1;
  }
  return out;
}

/** Comments out, strings and characters kept (a comment's text is spaces, so offsets stay). */
export function stripComments(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? src.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The calls of the functions in `names` in a (comment-stripped) C source. */
export function findCalls(src: string, names: ReadonlySet<string>): Call[] {
  const calls: Call[] = [];
  const defs: Array<[number, string]> = [];
  for (const m of src.matchAll(/^([A-Za-z_]\w*)\s*\(/gm)) defs.push([m.index, m[1]!]);
  const re = /\b([A-Za-z_]\w*)\s*\(/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    const fn = m[1]!;
    if (!names.has(fn)) continue;
    // a definition or declaration at the start of a line is not a call
    const lineStart = src.lastIndexOf('\n', m.index) + 1;
    if (lineStart === m.index) continue;
    const args = splitArgs(src, m.index + m[0].length);
    if (!args) continue;
    let func = '';
    for (const [at, name] of defs) {
      if (at > m.index) break;
      func = name;
    }
    calls.push({ fn, args, line: src.slice(0, m.index).split('\n').length, func });
  }
  return calls;
}

/** The top-level arguments of a call whose `(` ends just before `from`. */
function splitArgs(src: string, from: number): string[] | undefined {
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = from; i < src.length && i < from + 4000; i++) {
    const c = src[i]!;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      cur += src.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) {
        args.push(cur.trim());
        return args;
      }
      depth--;
    }
    if (c === ',' && depth === 0) {
      args.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  return undefined;
}

const PRI: Record<string, string> = { PRIu64: 'llu', PRId64: 'lld', PRIx64: 'llx', PRIu32: 'u', PRId32: 'd', PRIx32: 'x', PRIu8: 'u', PRIdMAX: 'jd', PRIuMAX: 'ju' };

/**
 * A C expression made of string literals (and printf macros) as the string it is; undefined
 * when it is anything else (a variable, a call, `_("…")` is unwrapped).
 */
export function literal(expr: string): string | undefined {
  let e = expr.trim();
  const gettext = /^_\(\s*([\s\S]*)\)$/.exec(e);
  if (gettext) e = gettext[1]!.trim();
  if (!e.startsWith('"')) return undefined;
  let out = '';
  let i = 0;
  while (i < e.length) {
    const c = e[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < e.length && e[j] !== '"') {
        if (e[j] === '\\') {
          const n = e[j + 1]!;
          out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '0' ? '' : n;
          j += 2;
        } else out += e[j++];
      }
      i = j + 1;
      continue;
    }
    const id = /^[A-Za-z_]\w*/.exec(e.slice(i));
    if (id && PRI[id[0]] !== undefined) {
      out += PRI[id[0]];
      i += id[0].length;
      continue;
    }
    if (id && /^[A-Z_]+$/.test(id[0])) {
      // another macro (a version string, a path): its value is not known here
      out += '%s';
      i += id[0].length;
      continue;
    }
    return undefined;
  }
  return out;
}

/** The conversions of a printf format, in order: each with the number of arguments it takes. */
export function conversions(fmt: string): Array<{ spec: string; args: number; at: number; end: number }> {
  const out: Array<{ spec: string; args: number; at: number; end: number }> = [];
  const re = /%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|j|z|t|L|q)?([diouxXeEfgGcspn%])/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fmt))) {
    if (m[5] === '%') continue;
    out.push({ spec: m[5]!, args: 1 + (m[2] === '*' ? 1 : 0) + (m[3] === '*' ? 1 : 0), at: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** The format with each conversion replaced by `values[i]` (`%%` becomes `%`). */
export function render(fmt: string, values: readonly string[]): string {
  let out = '';
  let last = 0;
  conversions(fmt).forEach((c, i) => {
    out += fmt.slice(last, c.at).replace(/%%/g, '%') + (values[i] ?? '');
    last = c.end;
  });
  return out + fmt.slice(last).replace(/%%/g, '%');
}

/** The format as an anchored regular expression source: each conversion matches what it can print. */
export function formatRegex(fmt: string): string {
  let out = '';
  let last = 0;
  const esc = (s: string): string => s.replace(/%%/g, '%').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  for (const c of conversions(fmt)) {
    out += esc(fmt.slice(last, c.at));
    out += c.spec === 's' ? '.*' : c.spec === 'c' ? '.' : /[dioux]/.test(c.spec) ? '-?\\w+' : '\\S+';
    last = c.end;
  }
  return `^${out}${esc(fmt.slice(last))}$`;
}
