/**
 * Up-front checks of options and arguments, so a bad input fails before any work with one line
 * naming the option and what it expected (exit 2), never a stack trace.
 *
 * Options are checked by name across every command (attachValidators walks the commander tree),
 * so a command defined elsewhere gets the same checks for `--since`, `--min-severity`, ... without
 * each module repeating them. Paths named on the command line are checked by checkInputFiles.
 */
import { closeSync, createWriteStream, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError, type Option } from 'commander';
import { SEVERITIES } from '../event.js';
import { ConnwatchError, errnoCode } from '../errors.js';
import { parseDuration } from '../rules/duration.js';
import { parseWhen } from './when.js';

type Check = (value: string) => void;

const fail = (expected: string) => (value: string) => new InvalidArgumentError(`Expected ${expected}, got "${value}".`);

const duration: Check = (v) => {
  if (parseDuration(v) === undefined) throw fail('a duration like "500ms", "30s", "5m", "2h" or "1d"')(v);
};
const when: Check = (v) => {
  if (parseWhen(v, Date.now()) === undefined) {
    throw fail('a time: "2026-12-05", "2026-12-05 14:00", "14:00", "today", "yesterday", "now", "-2h" or "1h" (that long ago)')(v);
  }
};
const positiveInt: Check = (v) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw fail('a whole number of 1 or more')(v);
};
const severity: Check = (v) => {
  if (!(SEVERITIES as readonly string[]).includes(v)) throw fail(`one of ${SEVERITIES.join(', ')}`)(v);
};
const directory: Check = (v) => {
  const problem = pathProblem(v, 'dir');
  if (problem) throw new InvalidArgumentError(`${problem}.`);
};
const file: Check = (v) => {
  const problem = pathProblem(v, 'file');
  if (problem) throw new InvalidArgumentError(`${problem}.`);
};

/** Checks by long option name, whatever command declares the option. */
const CHECKS: Record<string, Check> = {
  '--since': when,
  '--until': when,
  '--limit': positiveInt,
  '--min-severity': severity,
  '--hang-window': duration,
  '--fold': duration,
  '--partial-flush': duration,
  '--retry-notify': duration,
  '--rules': directory,
  '--config': file,
};

/** Values offered by shell completion (completion.ts reads argChoices). */
const CHOICES: Record<string, readonly string[]> = { '--min-severity': SEVERITIES };

function attach(opt: Option): void {
  const check = opt.long ? CHECKS[opt.long] : undefined;
  if (!check) return;
  if (opt.long && CHOICES[opt.long] && !opt.argChoices) opt.argChoices = [...CHOICES[opt.long]!];
  const inner = opt.parseArg as ((v: string, prev: unknown) => unknown) | undefined;
  opt.argParser((value: string, previous: unknown) => {
    check(value);
    return inner ? inner(value, previous) : value;
  });
}

/** Adds the checks above to every option of `cmd` and its subcommands. */
export function attachValidators(cmd: Command): void {
  for (const opt of cmd.options) attach(opt);
  for (const sub of cmd.commands) attachValidators(sub);
}

/** Why `path` cannot be used as a `kind`, or undefined when it can. */
export function pathProblem(path: string, kind: 'file' | 'dir'): string | undefined {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return `${path}: no such ${kind === 'dir' ? 'directory' : 'file'}`;
    if (code === 'EACCES') return `${path}: permission denied`;
    return `${path}: cannot be read (${code ?? 'error'})`;
  }
  if (kind === 'file' && isDir) return `${path} is a directory, not a file`;
  if (kind === 'dir' && !isDir) return `${path} is a file, not a directory`;
  try {
    if (kind === 'file') closeSync(openSync(path, 'r'));
    else readdirSync(path);
  } catch (err) {
    return errnoCode(err) === 'EACCES' ? `${path}: permission denied` : `${path}: cannot be opened (${errnoCode(err) ?? 'error'})`;
  }
  return undefined;
}

/** `-` is standard input (as for journalctl and fail2ban-regex); it may be named once. */
export const STDIN = '/dev/stdin';

/**
 * Checks the log files named on the command line and returns the paths to read (`-` → stdin).
 * A missing, unreadable, directory or binary path is a usage error (exit 2).
 */
export function checkInputFiles(files: readonly string[]): string[] {
  if (files.filter((f) => f === '-').length > 1) throw new ConnwatchError('USAGE', '"-" (standard input) can be named only once');
  const out: string[] = [];
  for (const f of files) {
    if (f === '-') {
      out.push(STDIN);
      continue;
    }
    const problem = pathProblem(f, 'file');
    if (problem) {
      const hint = problem.includes('directory') ? 'Name the log files inside it, e.g. DIR/*.log.' : problem.includes('permission') ? `Run it as a user who may read ${f} (e.g. one in group adm for /var/log), or copy the file.` : 'Check the path.';
      throw new ConnwatchError('USAGE', problem, { hint });
    }
    const kind = binaryKind(f);
    if (kind) {
      throw new ConnwatchError('USAGE', `${f} is ${kind}, not a text log`, {
        hint: kind.startsWith('gzip') ? `Decompress it on the way: zcat ${f} | connwatch ... -` : 'Name the text log; for a binary journal file use: journalctl --file FILE -o json | connwatch replay -',
      });
    }
    out.push(f);
  }
  return out;
}

/**
 * "gzip-compressed" or "binary" from the first 8 KiB, else undefined. Not grep's rule (any NUL):
 * a log picks up stray NULs (a crash of its writer, a stale writer after copytruncate) and is
 * still a log whose lines are read; a file that is 5 % NULs or more, or NULs with no line break,
 * is not one.
 */
export function binaryKind(path: string): string | undefined {
  const buf = Buffer.alloc(8192);
  let n = 0;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    n = readSync(fd, buf, 0, buf.length, 0);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'gzip-compressed';
  if (n >= 3 && buf[0] === 0x42 && buf[1] === 0x5a && buf[2] === 0x68) return 'bzip2-compressed';
  if (n >= 6 && buf.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz-compressed';
  const sample = buf.subarray(0, n);
  let nuls = 0;
  for (const b of sample) if (b === 0) nuls++;
  if (nuls > 0 && (nuls * 20 >= n || !sample.includes(0x0a))) return 'binary (it has NUL bytes)';
  return undefined;
}

/** The closest of `known` to `id` (edit distance at most a third of its length), for "did you mean". */
export function closest(id: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(id.length / 3)) + 1;
  for (const k of known) {
    const d = distance(id, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Standard input as a path the replay reader can open: /dev/stdin itself for a pipe, a file or a
 * terminal; a socket (a program that started connwatch with a socketpair) cannot be opened again,
 * so its content is first copied to a temporary file, removed at exit.
 */
export async function readableStdin(files: string[]): Promise<string[]> {
  if (!files.includes(STDIN)) return files;
  try {
    closeSync(openSync(STDIN, 'r'));
    return files;
  } catch {
    // ENXIO: a socket
  }
  const dir = mkdtempSync(join(tmpdir(), 'connwatch-stdin-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const copy = join(dir, 'stdin');
  await pipeline(process.stdin, createWriteStream(copy));
  return files.map((f) => (f === STDIN ? copy : f));
}
