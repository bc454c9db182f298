/**
 * State files (history, status, delivered ids, checkpoints) are the user's private record:
 * created 0600 whatever the umask, never written through a symlink planted at their name, and a
 * failure to write one (read-only or full state directory) is reported once with the fix, never
 * fatal: the agent keeps watching and writes again when the cause goes away.
 *
 *   writePrivateFile(file, body)         // atomic: temp file (O_EXCL|O_NOFOLLOW, 0600), rename
 *   appendPrivateFile(file, text)        // O_APPEND|O_NOFOLLOW, 0600 (an existing 0644 file is fixed)
 *   const once = new StateProblems(log); once.failed(file, err) / once.ok(file)
 */
import { closeSync, constants, fchmodSync, fstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
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

/** Reports each state file's failure once (until it works again), so a full disk is one log line, not one a second. */
export class StateProblems {
  private readonly failing = new Set<string>();
  constructor(private readonly log: (level: 'warn' | 'info', message: string) => void) {}

  failed(file: string, err: unknown): void {
    if (this.failing.has(file)) return;
    this.failing.add(file);
    this.log('warn', stateError(file, err).describe());
  }

  ok(file: string): void {
    if (this.failing.delete(file)) this.log('info', `${file}: written again`);
  }

  get problems(): string[] {
    return [...this.failing];
  }
}
