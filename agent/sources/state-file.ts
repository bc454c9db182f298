/**
 * State files (history, status, delivered ids, checkpoints) are the user's private record:
 * created 0600 whatever the umask, never written through a symlink planted at their name, and a
 * failure to write one (read-only or full state directory) is reported once with the fix, never
 * fatal: the agent keeps watching and writes again when the cause goes away.
 *
 *   writePrivateFile(file, body)         // atomic: temp file (O_EXCL|O_NOFOLLOW, 0600), rename
 *   appendPrivateFile(file, text)        // O_APPEND|O_NOFOLLOW, 0600 (an existing 0644 file is fixed)
 *   const once = new StateProblems(log); once.failed(file, err) / once.ok(file)
 *
 * A failure is logged once per directory and cause (a read-only state directory is one line,
 * not one per file), and every failing file is recorded in the runtime directory
 * (`$XDG_RUNTIME_DIR/connwatch/state-problems.json`, see stateProblemsFile) for `connwatch doctor`.
 */
import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW } = constants;
let counter = 0;

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** Replace `file` atomically with `body`, mode 0600. Throws on failure (the old file stays). */
export function writePrivateFile(file: string, body: string): void {
  const tmp = `${file}.tmp-${process.pid}-${++counter}`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    writeAll(fd, body);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw err;
  }
}

/** Append `text` to `file` (created 0600; an existing file made 0600); refuses a symlink (ELOOP). */
export function appendPrivateFile(file: string, text: string): void {
  const fd = openSync(file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600);
  try {
    if ((fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    writeAll(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** The error a person sees for a state file that cannot be written, with what to do. */
export function stateError(file: string, err: unknown): ConnwatchError {
  const code = errnoCode(err);
  const hint =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'The disk holding it is full: free some space; connwatch keeps watching and writes it again by itself.'
      : code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
        ? `Make its directory writable for your user (ls -ld; chmod u+w, or remount read-write); connwatch keeps watching and writes it again by itself.`
        : code === 'ELOOP'
          ? 'A symbolic link stands at its name: connwatch does not write through it. Remove the link.'
          : 'Check the state directory (connwatch doctor); connwatch keeps watching meanwhile.';
  return new ConnwatchError('STATE_UNWRITABLE', `Cannot write ${file}: ${messageOf(err)}.`, { hint, cause: err });
}

/** A state file that cannot be written, as recorded for `connwatch doctor`. */
export interface RecordedStateProblem {
  file: string;
  code: string;
  message: string;
  hint: string;
  since: number;
}

/** Where the agent records its state problems: the runtime directory (tmpfs), not the state directory that may be the problem. */
export function stateProblemsFile(runtimeDir: string | undefined = process.env.XDG_RUNTIME_DIR || undefined): string | undefined {
  return runtimeDir ? join(runtimeDir, 'connwatch', 'state-problems.json') : undefined;
}

/** What an agent recorded (undefined: nothing, or unreadable); `pid` tells whether it is still the running one. */
export function readStateProblems(file: string | undefined): { pid: number; updatedAt: number; problems: RecordedStateProblem[] } | undefined {
  if (!file) return undefined;
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; updatedAt?: unknown; problems?: unknown };
    if (typeof data.pid !== 'number' || !Array.isArray(data.problems)) return undefined;
    return { pid: data.pid, updatedAt: typeof data.updatedAt === 'number' ? data.updatedAt : 0, problems: data.problems as RecordedStateProblem[] };
  } catch {
    return undefined;
  }
}

// One set for the whole process: history, delivered ids and checkpoints fail together when their
// directory is read-only or its disk full, and a person should read that once, not three times.
const failing = new Map<string, RecordedStateProblem>();
const dirKey = (r: { file: string; code: string }): string => `${dirname(r.file)}\u0000${r.code}`;

function record(): void {
  const file = stateProblemsFile();
  if (!file) return;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writePrivateFile(file, JSON.stringify({ pid: process.pid, updatedAt: Date.now(), problems: [...failing.values()] }, null, 2));
  } catch {
    // the record is for doctor; the log line has been written
  }
}

/**
 * Reports state files that cannot be written: once per directory and cause (until every file
 * there is written again), with the fix; all of them recorded for `connwatch doctor`.
 */
export class StateProblems {
  constructor(private readonly log: (level: 'warn' | 'info', message: string) => void) {}

  /** The error when this is news (it has been logged), else undefined. */
  failed(file: string, err: unknown): ConnwatchError | undefined {
    if (failing.has(file)) return undefined;
    const e = stateError(file, err);
    const r: RecordedStateProblem = { file, code: errnoCode(err) ?? 'UNKNOWN', message: e.message, hint: e.hint ?? '', since: Date.now() };
    const told = [...failing.values()].some((o) => dirKey(o) === dirKey(r));
    failing.set(file, r);
    record();
    if (told) return undefined;
    this.log('warn', e.describe());
    return e;
  }

  /** True when this was the last failing file of its directory (that has been logged). */
  ok(file: string): boolean {
    const r = failing.get(file);
    if (!r) return false;
    failing.delete(file);
    record();
    if ([...failing.values()].some((o) => dirKey(o) === dirKey(r))) return false;
    this.log('info', `${dirname(file)}: state files written again`);
    return true;
  }

  get problems(): string[] {
    return [...failing.keys()];
  }
}
