/**
 * runWrapped: runs a client (plink, ssh, rdesktop, xfreerdp…) with its output captured for the
 * agent, while the person at the terminal sees and answers exactly what they would without us.
 *
 *   const code = await runWrapped({ argv: ['plink', '-v', 'host'] });   // what `connwatch wrap -- plink -v host` does
 *   process.exitCode = code;
 *
 * - The client is spawned with argv as given, never through a shell. stdin is inherited (so a
 *   person can still answer `Store key in cache? (y/n)`), stdout and stderr are piped and every
 *   byte is written on to our own stdout/stderr at once, unchanged (with backpressure).
 * - A capture file (JSONL, format in agent/envelopes/wrap-capture.ts) is written to
 *   `captureDir` (default ~/.local/state/connwatch/captures/), named
 *   `<program>-<pid>-<UTC time>.jsonl`: a `start` record, one record per line and stream
 *   (`text` without its line ending), and an `exit` record. A line with no newline yet is
 *   captured as `partial` after `partialMs` (default 300 ms) of quiet, or when it reaches
 *   `maxRecordBytes`; what follows on that line is captured later with `cont`.
 * - Passwords given on the command line (`-pw X`, `-p X`, `/p:X`, `--password X`) are replaced by
 *   "***" in the start record; the client gets them unchanged.
 * - The exit code is returned; death by a signal gives 128 + its number. SIGINT, SIGTERM and
 *   SIGHUP received by us are forwarded to the client (Ctrl-C in a terminal reaches both
 *   anyway: the client then sees it twice, which the clients treat as one interrupt).
 * - Old capture files are pruned at start: older than `maxAgeDays` (7), then the oldest until
 *   the directory holds at most `maxTotalBytes` (50 MiB).
 *
 * A client that cannot be started (not found, not executable) is a WRAP_FAILED error; a capture
 * directory that cannot be written does not stop the client: it runs uncaptured, with a warning.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import type { Program } from '../event.js';
import { asProgram, CAPTURE_VERSION, type CaptureRecord } from '../envelopes/wrap-capture.js';
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';
import { completeUtf8Length } from './line-splitter.js';

export interface RunWrappedOptions {
  /** The client and its arguments; argv[0] is looked up on PATH. */
  argv: string[];
  captureDir?: string;
  /** Default: recognised from argv[0] (plink, ssh, rdesktop, xfreerdp → freerdp, remmina). */
  program?: Program;
  /** Where the client's output goes on to (default process.stdout / process.stderr). */
  stdout?: Writable;
  stderr?: Writable;
  /** Default 'inherit'. */
  stdin?: 'inherit' | 'ignore' | 'pipe';
  env?: NodeJS.ProcessEnv;
  partialMs?: number;
  maxRecordBytes?: number;
  maxAgeDays?: number;
  maxTotalBytes?: number;
  /** Told about problems that do not stop the client (capture not writable). */
  warn?: (err: ConnwatchError) => void;
  /** Told the capture file's path once it is created. */
  onCapture?: (path: string) => void;
}

/** ~/.local/state/connwatch/captures, honouring XDG_STATE_HOME. */
export function defaultCaptureDir(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'connwatch', 'captures');
}

export function programOf(argv0: string): Program | undefined {
  const name = basename(argv0).replace(/\.exe$/i, '').toLowerCase();
  if (name === 'xfreerdp' || name === 'wlfreerdp' || name === 'sdl-freerdp' || name.startsWith('freerdp')) return 'freerdp';
  return asProgram(name);
}

/** argv with passwords replaced by "***". */
export function redactArgv(argv: string[]): string[] {
  const out = [...argv];
  for (let i = 1; i < out.length; i++) {
    const a = out[i] as string;
    if ((a === '-pw' || a === '--password' || (a === '-p' && programOf(argv[0] ?? '') === 'rdesktop')) && i + 1 < out.length) {
      out[i + 1] = '***';
      i++;
    } else if (/^[/-]p:/.test(a)) out[i] = `${a.slice(0, 3)}***`;
    else if (/^--password=/.test(a)) out[i] = '--password=***';
  }
  return out;
}

/** One output stream of the client: splits into lines, writes records, handles partials. */
class StreamCapture {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private partialSent = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: 'stdout' | 'stderr',
    private readonly write: (rec: Omit<CaptureRecord, 'v' | 't' | 'pid'>) => void,
    private readonly partialMs: number,
    private readonly maxBytes: number,
  ) {}

  push(chunk: Buffer): void {
    clearTimeout(this.timer);
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl === -1) break;
      this.add(chunk.subarray(from, nl));
      this.emit(true);
      from = nl + 1;
    }
    if (from < chunk.length) this.add(chunk.subarray(from));
    if (this.pendingBytes > 0) {
      this.timer = setTimeout(() => this.emit(false), this.partialMs);
      this.timer.unref();
    }
  }

  /** End of stream: what is left is a partial line for good. */
  end(): void {
    clearTimeout(this.timer);
    if (this.pendingBytes > 0) this.emit(false);
  }

  private add(b: Buffer): void {
    if (b.length === 0) return;
    this.pending.push(Buffer.from(b));
    this.pendingBytes += b.length;
    while (this.pendingBytes >= this.maxBytes) this.emit(false, this.maxBytes);
  }

  /** complete: the line ended with a newline; otherwise emit (up to `limit` bytes) as partial. */
  private emit(complete: boolean, limit?: number): void {
    let buf = Buffer.concat(this.pending);
    let rest = Buffer.alloc(0);
    if (!complete) {
      let cut = completeUtf8Length(limit === undefined ? buf : buf.subarray(0, limit));
      if (cut === 0) cut = Math.min(buf.length, limit ?? buf.length);
      rest = buf.subarray(cut);
      buf = buf.subarray(0, cut);
    } else if (buf.length > 0 && buf[buf.length - 1] === 0x0d) {
      buf = buf.subarray(0, buf.length - 1);
    }
    const rec: Omit<CaptureRecord, 'v' | 't' | 'pid'> = { stream: this.stream, text: buf.toString('utf8') };
    if (!complete) rec.partial = true;
    if (this.partialSent) rec.cont = true;
    if (complete || buf.length > 0) this.write(rec);
    this.partialSent = !complete;
    this.pending = rest.length > 0 ? [Buffer.from(rest)] : [];
    this.pendingBytes = rest.length;
  }
}

export async function runWrapped(opts: RunWrappedOptions): Promise<number> {
  const argv = opts.argv;
  const cmd = argv[0];
  if (!cmd) throw new ConnwatchError('USAGE', 'Nothing to run.', { hint: 'Usage: connwatch wrap -- plink -v host' });
  const program = opts.program ?? programOf(cmd);
  const captureDir = opts.captureDir ?? defaultCaptureDir();
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;
  const warn = opts.warn ?? ((e: ConnwatchError) => process.stderr.write(`connwatch: ${e.describe()}\n`));

  await pruneCaptures(captureDir, opts.maxAgeDays ?? 7, opts.maxTotalBytes ?? 50 * 1024 * 1024).catch(() => undefined);
  let captureOk = true;
  try {
    await mkdir(captureDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    captureOk = false;
    warn(new ConnwatchError('WRAP_FAILED', `Cannot create the capture directory ${captureDir}; ${cmd} runs without capture.`, { hint: 'Check its permissions, or pass another directory.', cause: e }));
  }

  const child = spawn(cmd, argv.slice(1), { stdio: [opts.stdin ?? 'inherit', 'pipe', 'pipe'], env: opts.env ?? process.env, shell: false });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e) => resolve(e));
  });
  if (spawned || child.pid === undefined) {
    const code = errnoCode(spawned);
    throw new ConnwatchError('WRAP_FAILED', `Cannot start ${cmd}: ${messageOf(spawned)}.`, {
      hint: code === 'ENOENT' ? `Is ${cmd} installed and on PATH? Give its full path otherwise.` : `Check that ${cmd} is executable.`,
      cause: spawned,
    });
  }
  const pid = child.pid;

  let file: WriteStream | undefined;
  if (captureOk) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const path = join(captureDir, `${program ?? (basename(cmd).replace(/[^\w.-]/g, '_') || 'client')}-${pid}-${stamp}.jsonl`);
    file = createWriteStream(path, { flags: 'a', mode: 0o600 });
    file.on('error', (e) => {
      warn(new ConnwatchError('WRAP_FAILED', `Cannot write the capture file ${path}; the client goes on uncaptured.`, { hint: 'Check free space and permissions.', cause: e }));
      file = undefined;
    });
    opts.onCapture?.(path);
  }
  const record = (rec: Omit<CaptureRecord, 'v' | 't' | 'pid'>): void => {
    const full: CaptureRecord = { v: CAPTURE_VERSION, t: Date.now(), pid, ...rec };
    if (program) full.program = program;
    file?.write(`${JSON.stringify(full)}\n`);
  };
  record({ event: 'start', argv: redactArgv(argv) });

  const partialMs = opts.partialMs ?? 300;
  const maxBytes = opts.maxRecordBytes ?? 64 * 1024;
  const pipe = (name: 'stdout' | 'stderr', from: NodeJS.ReadableStream, to: Writable): Promise<void> => {
    const cap = new StreamCapture(name, record, partialMs, maxBytes);
    return new Promise((resolve) => {
      from.on('data', (chunk: Buffer) => {
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
        cap.push(chunk);
      });
      from.on('end', () => {
        cap.end();
        resolve();
      });
      from.on('error', () => resolve());
    });
  };
  const streams = Promise.all([pipe('stdout', child.stdout as NodeJS.ReadableStream, out), pipe('stderr', child.stderr as NodeJS.ReadableStream, err)]);

  const forward = (sig: NodeJS.Signals) => (): void => {
    child.kill(sig);
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const h = forward(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  await streams;
  for (const [sig, h] of handlers) process.off(sig, h);
  record({ event: 'exit', code, signal });
  const f = file;
  if (f) await new Promise<void>((resolve) => f.end(() => resolve()));
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return 128 + (n ?? 0);
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
