/** The SOURCE_* errors of the file tail: what a person sees for a file it cannot read, with what to do. */
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';
import type { SourceLog, Tracked } from './file-tail-state.js';

/** The error a person sees for a file that cannot be read, with what to do. */
export function toSourceError(path: string, err: unknown): ConnwatchError {
  const code = errnoCode(err);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ConnwatchError('SOURCE_MISSING', `${path} does not exist (yet).`, {
      hint: 'connwatch reads it from its start as soon as it appears; nothing to do unless the path is wrong.',
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    const hint = path.startsWith('/var/log/')
      ? 'Add yourself to the "adm" group (sudo usermod -aG adm $USER), then log in again; or let connwatch read sshd from the journal.'
      : `Make the file readable for your user (ls -l ${path}; chmod or group membership), then connwatch picks it up by itself.`;
    return new ConnwatchError('SOURCE_UNREADABLE', `Cannot read ${path} (permission denied).`, { hint, cause: err });
  }
  if (code === 'EMFILE' || code === 'ENFILE') {
    return new ConnwatchError('SOURCE_FAILED', `Too many open files: cannot open ${path} (and maybe more files of this source) within the open-file limit (ulimit -n).`, {
      hint: 'Raise the limit (the systemd unit sets LimitNOFILE=65536; in a shell: ulimit -n 65536 before connwatch run) or narrow the path pattern. connwatch keeps reading the files it has open and opens the others when it can.',
      cause: err,
    });
  }
  return new ConnwatchError('SOURCE_FAILED', `Cannot read ${path}: ${messageOf(err)}.`, {
    hint: 'connwatch retries with backoff; check the path and the disk.',
    cause: err,
  });
}

/** A tail's problems with its paths (missing, unreadable, failed), each told once until resolved. */
export class SourceProblems {
  /** The descriptor limit was hit: told once per tail (not once per file), until an open works again. */
  private fdLimitTold = false;

  constructor(
    private readonly sourceId: string,
    private readonly log: SourceLog,
    private readonly onProblem: ((err: ConnwatchError) => void) | undefined,
  ) {}

  /** Told once per path and code; the descriptor limit once per tail, until an open works again. */
  report(t: Tracked, err: unknown): void {
    const e = toSourceError(t.path, err);
    if (t.problem && t.problem.code === e.code) return;
    t.problem = e;
    const fds = errnoCode(err) === 'EMFILE' || errnoCode(err) === 'ENFILE';
    if (fds && this.fdLimitTold) return;
    if (fds) this.fdLimitTold = true;
    if (e.code === 'SOURCE_MISSING' && t.everOpened) {
      this.log('debug', `${t.path}: gone (rotated or deleted); waiting for the new file`, { source: this.sourceId });
      return;
    }
    this.log(e.code === 'SOURCE_MISSING' ? 'info' : 'warn', e.describe(), { source: this.sourceId, code: e.code, path: t.path });
    this.onProblem?.(e);
  }

  resolved(t: Tracked): void {
    if (!t.problem) return;
    this.log('info', `${t.path}: readable now`, { source: this.sourceId });
    t.problem = undefined;
  }

  /** An open worked: the descriptor limit is told again if it is hit again. */
  openWorked(): void {
    this.fdLimitTold = false;
  }
}
