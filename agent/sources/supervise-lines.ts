/**
 * LineChild: runs a program that streams lines (journalctl -f, `log stream`) for as long as its
 * source runs, and starts it again when it ends. What the journal and unified-log sources share:
 *
 *   const c = new LineChild({ command: () => ['journalctl', '-f', …], line: (text) => deliver(text),
 *                             ended: (end) => c.backoff.fail() });
 *   await c.start(); … c.backoff.reset() after each entry handed on … await c.stop();
 *
 * - argv, never a shell; stdin is /dev/null; the first 8 KiB of stderr are kept (`stderr` hook
 *   and ChildEnd.stderr) for the message that says why it ended.
 * - stdout is split into lines (line-splitter.ts, `maxLineBytes`); a chunk's lines are handed to
 *   `line` one at a time, each awaited, with stdout paused meanwhile (backpressure on the child).
 * - The child ending while running (exit, signal, or failing to start: ENOENT in spawnError) is
 *   told to `ended` once every line before it was handed on; `ended` returns the delay before it
 *   runs again (restarts counts those runs). stop() kills it (SIGTERM), then waits for it to end
 *   and for the line in hand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Backoff } from './backoff.js';
import { LineSplitter } from './line-splitter.js';

const STDERR_KEPT = 8192;

export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The first 8 KiB of what it wrote to stderr. */
  stderr: string;
  /** Set when it could not be started (ENOENT: not installed). */
  spawnError: Error | undefined;
}

export interface LineChildOptions {
  /** The argv of the next run (asked before each start); its first element is the program. */
  command: () => readonly string[];
  /** One line of stdout (without its newline); awaited before the next. */
  line: (text: string) => Promise<void>;
  /** What it wrote to stderr so far (at most 8 KiB), after each piece. */
  stderr?: (soFar: string) => void;
  /** It ended while running: the delay (ms) before it is started again. */
  ended: (end: ChildEnd) => number;
  /** Started, after `ended` said when: true on a restart. */
  spawned?: (restart: boolean) => void;
  /** Lines longer than this are cut (default: LineSplitter's). */
  maxLineBytes?: number;
  /** First delay of `backoff` (default 1 s; doubles to `maxRetryMs`, default 60 s). */
  retryMs?: number;
  maxRetryMs?: number;
}

export class LineChild {
  /** For `ended` to say when after a failure; reset it when the child proves to work. */
  readonly backoff: Backoff;
  private readonly opts: LineChildOptions;
  private child: ChildProcess | undefined;
  private running = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();
  private delivering: Promise<void> = Promise.resolve();
  /** Runs after the first. */
  restarts = 0;

  constructor(options: LineChildOptions) {
    this.opts = options;
    this.backoff = new Backoff(options.retryMs ?? 1000, options.maxRetryMs ?? 60_000);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Resolves once the child is spawned (true) or failed to start (false; `ended` is told). */
  async start(): Promise<boolean> {
    this.running = true;
    return this.spawnOnce();
  }

  /** Kill the child, wait for it to end and for the line in hand. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.retryTimer);
    this.child?.kill('SIGTERM');
    await this.exited;
    await this.delivering;
  }

  /** Run `work` after every line handed on so far (and before the lines still to come). */
  after(work: () => Promise<void>): void {
    this.delivering = this.delivering.then(work);
  }

  private async spawnOnce(): Promise<boolean> {
    const [cmd, ...args] = this.opts.command();
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, windowsHide: true });
    this.child = child;
    let stderr = '';
    let spawnError: Error | undefined;
    let resolveExit!: () => void;
    this.exited = new Promise((r) => (resolveExit = r));

    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      if (stderr.length < STDERR_KEPT) stderr += s;
      this.opts.stderr?.(stderr);
    });
    const splitter = new LineSplitter({ maxLineBytes: this.opts.maxLineBytes });
    const stdout = child.stdout;
    stdout?.on('data', (chunk: Buffer) => {
      const lines = splitter.push(chunk);
      if (lines.length === 0) return;
      stdout.pause();
      this.after(async () => {
        for (const l of lines) await this.opts.line(l.text);
        if (this.running) stdout.resume();
      });
    });
    child.on('error', (err) => (spawnError = err));
    child.on('close', (code, signal) => {
      void this.delivering.then(() => {
        resolveExit();
        this.child = undefined;
        if (!this.running) return;
        this.scheduleRetry(this.opts.ended({ code, signal, stderr, spawnError }));
      });
    });
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    if (spawned) this.opts.spawned?.(this.restarts > 0);
    return spawned;
  }

  private scheduleRetry(ms: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.running) return;
      this.restarts += 1;
      void this.spawnOnce();
    }, ms);
  }
}
