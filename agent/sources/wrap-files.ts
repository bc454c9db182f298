/**
 * Where `connwatch wrap` keeps its capture files, their pruning, and the writer of one.
 *
 *   defaultCaptureDir()                                   // ~/.local/state/connwatch/captures
 *   await pruneCaptures(dir, 7, 50 * 1024 * 1024)          // → the paths removed
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Program } from '../event.js';
import { CAPTURE_VERSION, type CaptureRecord } from '../envelopes/wrap-capture.js';
import { ConnwatchError } from '../errors.js';
import type { RecordBody } from './wrap-stream.js';

/** ~/.local/state/connwatch/captures, honouring XDG_STATE_HOME. */
export function defaultCaptureDir(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'connwatch', 'captures');
}

/** Remove capture files older than maxAgeDays, then the oldest beyond maxTotalBytes. */
export async function pruneCaptures(dir: string, maxAgeDays: number, maxTotalBytes: number, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const files: Array<{ path: string; mtime: number; size: number }> = [];
  for (const n of names) {
    try {
      const st = await stat(join(dir, n));
      if (st.isFile()) files.push({ path: join(dir, n), mtime: st.mtimeMs, size: st.size });
    } catch {
      // gone meanwhile
    }
  }
  files.sort((a, b) => b.mtime - a.mtime);
  const removed: string[] = [];
  let total = 0;
  for (const f of files) {
    total += f.size;
    if (now - f.mtime > maxAgeDays * 86_400_000 || total > maxTotalBytes) {
      await unlink(f.path).catch(() => undefined);
      removed.push(f.path);
    }
  }
  return removed;
}

/** Prune `dir`, then make it; false (and `warn` told) when it cannot be made: the client runs uncaptured. */
export async function prepareCaptureDir(dir: string, maxAgeDays: number, maxTotalBytes: number, cmd: string, warn: (e: ConnwatchError) => void): Promise<boolean> {
  await pruneCaptures(dir, maxAgeDays, maxTotalBytes).catch(() => undefined);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return true;
  } catch (e) {
    warn(new ConnwatchError('WRAP_FAILED', `Cannot create the capture directory ${dir}; ${cmd} runs without capture.`, { hint: 'Check its permissions, or pass another directory.', cause: e }));
    return false;
  }
}

/**
 * One capture file, `<program>-<pid>-<UTC time>.jsonl` in `dir` (none when `dir` is undefined):
 * each record one JSON line stamped with version, time, pid and program. A file that cannot be
 * written is told once; the client goes on uncaptured.
 */
export class CaptureWriter {
  readonly path: string | undefined;
  private file: WriteStream | undefined;

  constructor(
    dir: string | undefined,
    name: string,
    private readonly pid: number,
    private readonly program: Program | undefined,
    warn: (e: ConnwatchError) => void,
  ) {
    if (dir === undefined) return;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const path = join(dir, `${name}-${pid}-${stamp}.jsonl`);
    this.path = path;
    this.file = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.file.on('error', (e) => {
      warn(new ConnwatchError('WRAP_FAILED', `Cannot write the capture file ${path}; the client goes on uncaptured.`, { hint: 'Check free space and permissions.', cause: e }));
      this.file = undefined;
    });
  }

  record(rec: RecordBody): void {
    const full: CaptureRecord = { v: CAPTURE_VERSION, t: Date.now(), pid: this.pid, ...rec };
    if (this.program) full.program = this.program;
    this.file?.write(`${JSON.stringify(full)}\n`);
  }

  /** Resolves once all records are written. */
  end(): Promise<void> {
    const f = this.file;
    return f ? new Promise<void>((resolve) => f.end(() => resolve())) : Promise.resolve();
  }
}
