/**
 * OsLogSource: sshd on macOS, from the unified log (macOS only). Runs
 *
 *   log stream --style ndjson --level info --predicate 'process == "sshd" OR process == "sshd-session"'
 *
 * (platform/macos.ts OSLOG_COMMAND; argv, never a shell) and hands on one RawLine per entry: the
 * JSON object as text, program sshd, the entry's processID as pid. The router recognises the
 * entry (envelopes/oslog.ts) and the sshd parser reads its eventMessage at the entry's own time.
 * The line `log` prints first ("Filtering the log data using …") and anything else that is not an
 * entry is left out (debug log).
 *
 * `log stream` has no position to resume from. When it ends while connwatch runs (killed,
 * crashed), it is started again with backoff (1 s doubling to 60 s, reset by the next entry), and
 * right after it `log show --style ndjson --info --predicate … --start "YYYY-MM-DD HH:MM:SS"`
 * (local time, from the last entry handed on) fills the gap; the new stream's lines wait until
 * the gap's are handed on, and an entry both print (or read before) is not handed on twice. What happened while connwatch itself was stopped is not read.
 *
 * Problems (`log` missing, exiting with an error) are told once with a hint, until an entry
 * arrives again.
 */
import { execFile } from 'node:child_process';
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';
import { isOsLogEntry, parseOsLog } from '../envelopes/oslog.js';
import { OSLOG_COMMAND } from '../platform/macos.js';
import type { LineSink, SourceLog } from './file-tail.js';
import type { RawLine } from './raw-line.js';
import { LineChild, type ChildEnd } from './supervise-lines.js';

export interface OsLogSourceOptions {
  /** The `log stream` argv (default OSLOG_COMMAND); its first element is the program. */
  command?: readonly string[];
  /** Default 'oslog:sshd'. */
  sourceId?: string;
  /** First delay before starting `log stream` again (default 1 s; doubles to 60 s). */
  retryMs?: number;
  /** Fill the gap with `log show` after a restart (default true). */
  catchUp?: boolean;
  log: SourceLog;
  onProblem?: (err: ConnwatchError) => void;
}

export interface OsLogStatus {
  sourceId: string;
  running: boolean;
  pid: number | undefined;
  entriesDelivered: number;
  restarts: number;
  problem: { code: string; message: string } | undefined;
}

const RECENT = 1024;
const pad = (n: number) => String(n).padStart(2, '0');
/** ms → "YYYY-MM-DD HH:MM:SS" in local time, as `log show --start` takes it (whole seconds, rounded down). */
export function logShowStart(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The `log show` argv that reads what `stream` (this argv) would have printed since `since`. */
export function logShowArgs(streamArgv: readonly string[], since: number): string[] {
  const args = streamArgv.slice(1).filter((a, i, all) => a !== 'stream' && !(a === '--level' || all[i - 1] === '--level'));
  return ['show', ...args, '--info', '--start', logShowStart(since)];
}

export class OsLogSource {
  readonly sourceId: string;
  private readonly opts: OsLogSourceOptions;
  private readonly command: readonly string[];
  private readonly child: LineChild;
  private sink: LineSink | undefined;
  private delivered = 0;
  private problem: ConnwatchError | undefined;
  /** Time of the last entry handed on: where a catch-up starts. */
  private lastTime: number | undefined;
  /** The entries handed on lately (time stamp to the microsecond, pid, text): not twice. */
  private readonly recent = new Set<string>();

  constructor(options: OsLogSourceOptions) {
    this.opts = options;
    this.sourceId = options.sourceId ?? 'oslog:sshd';
    this.command = options.command ?? OSLOG_COMMAND;
    this.child = new LineChild({
      command: () => this.command,
      line: (text) => this.deliver(text),
      ended: (end) => this.ended(end),
      spawned: (restart) => this.spawned(restart),
      ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
    });
  }

  async start(sink: LineSink): Promise<void> {
    if (this.child.isRunning) throw new ConnwatchError('INTERNAL', `${this.sourceId} is already started`);
    this.sink = sink;
    await this.child.start();
  }

  stop(): Promise<void> {
    return this.child.stop();
  }

  status(): OsLogStatus {
    return {
      sourceId: this.sourceId,
      running: this.child.isRunning,
      pid: this.child.pid,
      entriesDelivered: this.delivered,
      restarts: this.child.restarts,
      problem: this.problem ? { code: this.problem.code, message: this.problem.message } : undefined,
    };
  }

  private ended({ code, signal, stderr, spawnError }: ChildEnd): number {
    const cmd = this.command[0];
    const missing = errnoCode(spawnError) === 'ENOENT';
    const why = spawnError ? messageOf(spawnError) : `ended (${signal ?? `exit code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`;
    this.report(
      new ConnwatchError('SOURCE_FAILED', `${missing ? `${cmd} was not found` : `${cmd} stream ${why}`}; sshd's unified log is not being read.`, {
        hint: missing ? 'This source is for macOS (/usr/bin/log): remove the oslog source from the config on other systems.' : 'connwatch starts it again with backoff; run the same `log stream` command in Terminal to see why.',
        cause: spawnError,
      }),
    );
    return this.child.backoff.fail();
  }

  /**
   * The stream runs first, so nothing falls between the two; after a restart its lines wait
   * behind the catch-up's, and what both print is handed on once.
   */
  private spawned(restart: boolean): void {
    const gapFrom = restart && this.opts.catchUp !== false ? this.lastTime : undefined;
    if (gapFrom === undefined) return;
    const shown = this.catchUp(gapFrom);
    this.child.after(async () => {
      for (const l of await shown) if (this.child.isRunning) await this.deliver(l, gapFrom);
    });
  }

  /** The lines `log show` prints from the last entry's second on. */
  private catchUp(since: number): Promise<string[]> {
    const [cmd] = this.command;
    return new Promise((resolve) => {
      execFile(cmd!, logShowArgs(this.command, since), { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000, windowsHide: true }, (err, stdout) => {
        if (err) this.opts.log('debug', `${this.sourceId}: log show could not fill the gap: ${messageOf(err)}`, { source: this.sourceId });
        resolve(String(stdout ?? '').split('\n').map((l) => l.replace(/\r$/, '')));
      });
    });
  }

  /** `before`: a catch-up line; entries older than this were read already. */
  private async deliver(text: string, before?: number): Promise<void> {
    if (!this.sink || !text.startsWith('{')) {
      if (text.trim()) this.opts.log('debug', `${this.sourceId}: ${text.slice(0, 200)}`, { source: this.sourceId });
      return;
    }
    let entry: Record<string, unknown> | undefined;
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && isOsLogEntry(v as Record<string, unknown>)) entry = v as Record<string, unknown>;
    } catch {
      entry = undefined;
    }
    if (!entry) {
      this.opts.log('debug', `${this.sourceId}: not a unified log entry: ${text.slice(0, 200)}`, { source: this.sourceId });
      return;
    }
    const parts = parseOsLog(entry);
    const time = parts.time;
    const key = `${String(entry.timestamp)}\u0000${parts.pid ?? ''}\u0000${parts.text}`;
    if (this.recent.has(key) || (before !== undefined && time !== undefined && time < before)) return; // read already (catch-up overlap)
    const line: RawLine = { sourceId: this.sourceId, text, receivedAt: Date.now(), position: { source: this.sourceId }, program: 'sshd', envelope: 'auto' };
    if (parts.pid !== undefined) line.pid = parts.pid;
    try {
      await this.sink(line);
    } catch (err) {
      this.opts.log('error', `${this.sourceId}: the pipeline failed on an entry: ${messageOf(err)}`, { source: this.sourceId });
    }
    this.delivered += 1;
    if (time !== undefined && (this.lastTime === undefined || time > this.lastTime)) this.lastTime = time;
    this.recent.add(key);
    if (this.recent.size > RECENT) this.recent.delete(this.recent.values().next().value!);
    this.child.backoff.reset();
    if (this.problem) {
      this.opts.log('info', `${this.sourceId}: reading sshd's unified log again`, { source: this.sourceId });
      this.problem = undefined;
    }
  }

  private report(e: ConnwatchError): void {
    if (this.problem?.message === e.message) return;
    this.problem = e;
    this.opts.log('warn', e.describe(), { source: this.sourceId, code: e.code });
    this.opts.onProblem?.(e);
  }
}
