/**
 * The outside world as `install`, `status` and `doctor` see it, in one injectable value: the
 * environment (PATH, HOME, the session bus variables), the /proc root, the user id, and a way to
 * run a program. Tests pass their own (a PATH without notify-send, an environment without a bus,
 * a fake /proc, a stand-in `systemctl`) and the checks see exactly that.
 *
 * Programs are run with execFile (never a shell), looked up on `env.PATH`, bounded by a timeout,
 * and never throw: a missing program is `{ code: null, error: 'ENOENT' }`.
 */
import { execFile } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export interface RunResult {
  /** Exit code; null when the program did not run to an exit (not found, timed out, killed). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** 'ENOENT' (not installed), 'TIMEOUT', or another errno code when it could not run. */
  error?: string;
}

export interface System {
  env: NodeJS.ProcessEnv;
  /** Where /proc is ('/proc'; a directory of fake entries in tests). */
  procRoot: string;
  uid: number;
  run(cmd: string, args: readonly string[], options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
}

export function runProgram(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((done) => {
    execFile(cmd, [...args], { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return done({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string | null };
      if (typeof e.code === 'number') return done({ code: e.code, stdout, stderr });
      if (e.killed) return done({ code: null, stdout, stderr, error: 'TIMEOUT' });
      return done({ code: null, stdout, stderr, error: typeof e.code === 'string' ? e.code : 'FAILED' });
    });
  });
}

export function realSystem(env: NodeJS.ProcessEnv = process.env): System {
  return {
    env,
    procRoot: '/proc',
    uid: process.getuid?.() ?? 0,
    run: (cmd, args, options = {}) => runProgram(cmd, args, options.env ?? env, options.timeoutMs),
  };
}

export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Looks `name` up on a PATH string, as a shell would; directories in `exclude` are skipped, and
 * so is any file `skip` says no to (e.g. our own shims).
 */
export function which(name: string, pathVar: string | undefined, options: { exclude?: readonly string[]; skip?: (file: string) => boolean } = {}): string | undefined {
  const excluded = new Set((options.exclude ?? []).map((d) => resolve(d)));
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir || excluded.has(resolve(dir))) continue;
    const file = join(dir, name);
    if (isExecutableFile(file) && !(options.skip?.(file) ?? false)) return file;
  }
  return undefined;
}

/** The first few lines of a file ('' when it cannot be read). */
export function headOf(path: string, bytes = 512): string {
  try {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(bytes);
      const n = readSync(fd, buf, 0, bytes, 0);
      return buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function canRead(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
