/**
 * WevtutilSource: the Win32-OpenSSH server's event log (optional, Windows only), read by polling
 * `wevtutil qe` — no native module, no PowerShell. Channels: OpenSSH/Operational (sshd's Info and
 * Warning events: logins, disconnects, kex problems) and OpenSSH/Admin (its Error and Critical
 * events). Each event goes on as one RawLine whose text is the JSON object of
 * envelopes/winevent.ts (winEventRecord), program sshd; the router takes it apart and the sshd
 * parser reads its payload.
 *
 * Per channel and poll (argv, never a shell):
 *
 *   wevtutil qe CHANNEL /q:*[System[(EventRecordID>N)]] /c:BATCH /f:xml
 *
 * oldest first, N the record id of the last event handed on, so nothing is read twice; a full
 * batch is followed by the next one at once. The record ids are kept in the checkpoint store under
 * `sourceId` ({ v: 1, after: { CHANNEL: N } }). First start, without a checkpoint: begins after the
 * newest event (`wevtutil qe CHANNEL /rd:true /c:1 /f:xml`), or at the oldest with `fromStart`.
 *
 * Problems: wevtutil missing (not Windows) or a channel that does not exist (Win32-OpenSSH not
 * installed, or logging to files: SyslogFacility LOCAL0) is told once per channel, with the fix;
 * the source keeps polling with backoff (up to 5 minutes) so an sshd installed later is found.
 * wevtutil's XML output is read as UTF-8.
 */
import { execFile } from 'node:child_process';
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';
import { parseWevtutilXml, winEventRecord, type WinEvent } from '../envelopes/winevent.js';
import { Backoff } from './backoff.js';
import type { CheckpointStore } from './checkpoint.js';
import type { LineSink, SourceLog } from './file-tail.js';
import type { RawLine } from './raw-line.js';

export const OPENSSH_CHANNELS: readonly string[] = ['OpenSSH/Operational', 'OpenSSH/Admin'];

export interface WevtutilSourceOptions {
  /** Default OPENSSH_CHANNELS. */
  channels?: readonly string[];
  /** wevtutil and any arguments before `qe` (default ['wevtutil']). */
  command?: readonly string[];
  checkpoints: CheckpointStore;
  /** Default 'wevtutil:openssh'. */
  sourceId?: string;
  /** Time between polls, ms (default 2 000). */
  intervalMs?: number;
  /** Events per wevtutil run (default 500). */
  batch?: number;
  /** First start without a checkpoint: read every event kept, instead of only new ones. */
  fromStart?: boolean;
  log: SourceLog;
  onProblem?: (err: ConnwatchError) => void;
}

export interface WevtutilStatus {
  sourceId: string;
  running: boolean;
  after: Record<string, number>;
  eventsDelivered: number;
  problem: { code: string; message: string } | undefined;
}

/** The argv (after the command) that reads what came after record `after` (undefined: the newest one). */
export function wevtutilArgs(channel: string, after: number | undefined, batch: number): string[] {
  return after === undefined
    ? ['qe', channel, '/rd:true', '/c:1', '/f:xml']
    : ['qe', channel, `/q:*[System[(EventRecordID>${after})]]`, `/c:${batch}`, '/f:xml'];
}

export class WevtutilSource {
  readonly sourceId: string;
  private readonly channels: readonly string[];
  private readonly command: readonly string[];
  private readonly intervalMs: number;
  private readonly batch: number;
  private readonly opts: WevtutilSourceOptions;
  private readonly after = new Map<string, number>();
  private readonly problems = new Map<string, ConnwatchError>();
  private readonly backoff = new Backoff(5_000, 300_000);
  private sink: LineSink | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private delivered = 0;

  constructor(options: WevtutilSourceOptions) {
    this.opts = options;
    this.sourceId = options.sourceId ?? 'wevtutil:openssh';
    this.channels = options.channels ?? OPENSSH_CHANNELS;
    this.command = options.command ?? ['wevtutil'];
    this.intervalMs = options.intervalMs ?? 2_000;
    this.batch = options.batch ?? 500;
  }

  async start(sink: LineSink): Promise<void> {
    if (this.running) throw new ConnwatchError('INTERNAL', `${this.sourceId} is already started`);
    this.sink = sink;
    this.running = true;
    const saved = this.opts.checkpoints.get(this.sourceId);
    if (saved && typeof saved === 'object' && !Array.isArray(saved) && saved.after && typeof saved.after === 'object' && !Array.isArray(saved.after)) {
      for (const [ch, n] of Object.entries(saved.after)) if (typeof n === 'number' && Number.isInteger(n) && n >= 0) this.after.set(ch, n);
    } else if (this.opts.fromStart) {
      for (const ch of this.channels) this.after.set(ch, 0);
    }
    await this.pollNow();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    await this.polling;
    this.save();
    await this.opts.checkpoints.flush();
  }

  status(): WevtutilStatus {
    const p = [...this.problems.values()][0];
    return {
      sourceId: this.sourceId,
      running: this.running,
      after: Object.fromEntries(this.after),
      eventsDelivered: this.delivered,
      problem: p ? { code: p.code, message: p.message } : undefined,
    };
  }

  /** One poll of every channel now (after any poll in progress); the next is planned after it. */
  pollNow(): Promise<void> {
    clearTimeout(this.timer);
    this.polling = this.polling.then(async () => {
      let failed = false;
      for (const ch of this.channels) if (this.running && !(await this.pollChannel(ch))) failed = true;
      if (!this.running) return;
      const delay = failed ? Math.max(this.intervalMs, this.backoff.fail()) : this.intervalMs;
      if (!failed) this.backoff.reset();
      this.timer = setTimeout(() => void this.pollNow(), delay);
      this.timer.unref?.();
    });
    return this.polling;
  }

  /** false when wevtutil failed for this channel. */
  private async pollChannel(channel: string): Promise<boolean> {
    for (let rounds = 0; rounds < 100 && this.running; rounds++) {
      const after = this.after.get(channel);
      const result = await this.run(wevtutilArgs(channel, after, this.batch));
      if ('error' in result) {
        this.report(channel, result.error);
        return false;
      }
      this.resolved(channel);
      const events = parseWevtutilXml(result.stdout).filter((e): e is WinEvent & { recordId: number } => e.recordId !== undefined);
      if (after === undefined) {
        // first start: begin after the newest event (none yet: after record 0)
        this.after.set(channel, events.reduce((n, e) => Math.max(n, e.recordId), 0));
        this.save();
        return true;
      }
      events.sort((a, b) => a.recordId - b.recordId);
      for (const e of events) {
        if (e.recordId <= (this.after.get(channel) ?? 0)) continue;
        await this.deliver(channel, e);
      }
      if (events.length < this.batch) return true;
    }
    return true;
  }

  private async deliver(channel: string, e: WinEvent & { recordId: number }): Promise<void> {
    if (!e.channel) e.channel = channel;
    const line: RawLine = {
      sourceId: this.sourceId,
      text: JSON.stringify(winEventRecord(e)),
      receivedAt: Date.now(),
      position: { source: this.sourceId, line: e.recordId },
      program: 'sshd',
    };
    if (e.pid !== undefined) line.pid = e.pid;
    try {
      await this.sink!(line);
    } catch (err) {
      this.opts.log('error', `${this.sourceId}: the pipeline failed on event ${e.recordId} of ${channel}: ${messageOf(err)}`, { source: this.sourceId });
    }
    this.delivered += 1;
    this.after.set(channel, e.recordId);
    this.save();
  }

  private run(args: string[]): Promise<{ stdout: string } | { error: ConnwatchError }> {
    const [cmd, ...pre] = this.command;
    return new Promise((resolve) => {
      execFile(cmd!, [...pre, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000, windowsHide: true }, (err, stdout, stderr) => {
        if (!err) return resolve({ stdout });
        const channel = args[1]!;
        const text = `${stderr}`.trim().split(/\r?\n/)[0] ?? '';
        const missing = errnoCode(err) === 'ENOENT';
        const noChannel = /15007|could not be found|not found/i.test(text) && !missing;
        resolve({
          error: new ConnwatchError('SOURCE_FAILED', missing ? `wevtutil (${cmd}) was not found; the OpenSSH event log is not being read.` : `wevtutil cannot read ${channel}${text ? ` (${text})` : ` (${messageOf(err)})`}.`, {
            hint: missing
              ? 'This source is for Windows: remove the wevtutil source from the config on other systems.'
              : noChannel
                ? 'Install the OpenSSH Server (Settings → System → Optional features), or, if it logs to files (SyslogFacility LOCAL0 in %ProgramData%\\ssh\\sshd_config), read %ProgramData%\\ssh\\logs\\sshd.log and sshd-session.log with a file source instead.'
                : 'Run the same wevtutil command in a Command Prompt to see why; connwatch tries again.',
            cause: err,
          }),
        });
      });
    });
  }

  private save(): void {
    this.opts.checkpoints.set(this.sourceId, { v: 1, after: Object.fromEntries(this.after) });
  }

  private report(channel: string, e: ConnwatchError): void {
    const told = [...this.problems.values()].some((p) => p.message === e.message); // wevtutil missing: once, not per channel
    this.problems.set(channel, e);
    if (told) return;
    this.opts.log('warn', e.describe(), { source: this.sourceId, code: e.code });
    this.opts.onProblem?.(e);
  }

  private resolved(channel: string): void {
    if (!this.problems.delete(channel)) return;
    this.opts.log('info', `${this.sourceId}: reading ${channel} again`, { source: this.sourceId });
  }
}
