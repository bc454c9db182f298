/**
 * Forwarder: the buffer and retry loop every forwarding sink shares (syslog, OTLP). push() only
 * queues; a pump sends batches through a Transport, one at a time, oldest first.
 *
 * While the receiver is away records wait in memory (bounded by `memoryBytes`); past that the
 * oldest spill to segment files in `spoolDir` (bounded by `diskBytes`); past that the oldest
 * segment is deleted. Every record lost is counted in `dropped` and logged (at most once a
 * minute), and the heartbeat carries the counts to the central side. What is queued at stop is
 * stored in the spool and sent after the next start. The spool on disk: forward-spool.ts.
 *
 * Delivery: a batch leaves the queue when the transport says it arrived (OTLP: the HTTP answer;
 * syslog over TCP/TLS: written to a connection the receiver had not closed, which is as much as
 * plain TCP syslog can know, RFC 6587 §3.4.1 has no acknowledgement).
 */
import { messageOf } from '../errors.js';
import type { FleetRecord } from './ecs.js';
import type { FleetOutput } from './fleet.js';
import { Spool } from './forward-spool.js';

export type SendOutcome =
  /** Arrived; `rejected` of them were refused by the receiver (OTLP partial success): not resent. */
  | { ok: true; rejected?: number; note?: string }
  | { ok: false; retry: true; reason: string; afterMs?: number }
  /** Will never be accepted (a 400): the batch is dropped and counted. */
  | { ok: false; retry: false; reason: string };

export interface Transport {
  readonly batchMax: number;
  send(batch: FleetRecord[]): Promise<SendOutcome>;
  close(): Promise<void>;
}

export interface ForwarderOptions {
  /** The URL as the user wrote it, password removed: names the forwarder in logs. */
  name: string;
  transport: Transport;
  spoolDir?: string;
  memoryBytes?: number;
  diskBytes?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  log?: (level: 'warn' | 'error' | 'info', message: string) => void;
}

interface Batch {
  lines: string[];
  from: 'retry' | 'segment';
}

const SEGMENT_BYTES = 256 * 1024;

export class Forwarder implements FleetOutput {
  readonly name: string;
  private mem: string[] = [];
  private memBytes = 0;
  /** Records taken from memory and not yet acknowledged: the oldest, retried first. */
  private retry: string[] = [];
  private readonly spool: Spool | undefined;
  private pumping = false;
  private sending: Promise<SendOutcome> | undefined;
  private closed = false;
  private failures = 0;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastReport = 0;
  private droppedReported = 0;
  private state = 'idle';
  sent = 0;
  dropped = 0;

  constructor(private readonly o: ForwarderOptions) {
    this.name = o.name;
    if (o.spoolDir) {
      const error = (m: string) => o.log?.('error', `forward ${this.name}: ${m}`);
      this.spool = new Spool(o.spoolDir, o.diskBytes ?? 10 << 20, (n, why) => this.drop(n, why), error);
      if (this.spool.hasWork) queueMicrotask(() => void this.pump());
    }
  }

  push(rec: FleetRecord, line = JSON.stringify(rec)): void {
    if (this.closed) return;
    this.mem.push(line);
    this.memBytes += line.length + 1;
    if (this.memBytes > (this.o.memoryBytes ?? 1 << 20)) this.spill();
    if (!this.pumping) void this.pump();
  }

  get buffered(): number {
    return this.mem.length + this.retry.length + (this.spool?.lines ?? 0);
  }

  stats(): { url: string; sent: number; buffered: number; dropped: number; state: string } {
    return { url: this.name, sent: this.sent, buffered: this.buffered, dropped: this.dropped, state: this.state };
  }

  /** Tries for up to `graceMs` to send what is queued, stores the rest in the spool, and stops. */
  async close(graceMs = 2000): Promise<void> {
    const until = Date.now() + graceMs;
    while (this.pumping && this.failures === 0 && this.hasWork() && Date.now() < until) await sleep(20);
    this.closed = true;
    clearTimeout(this.timer);
    this.wake?.();
    // a batch on its way is waited for (the transports time out), so it is not also stored
    await this.sending;
    const [retry, mem] = [this.retry, this.mem];
    this.retry = [];
    this.mem = [];
    this.memBytes = 0;
    if (retry.length + mem.length) {
      if (!this.spool) this.drop(retry.length + mem.length, 'stopped with no spool directory');
      else {
        // the failed batch is older than any segment: its name sorts first
        if (retry.length) this.spool.write(retry, true);
        if (mem.length) this.spool.write(mem);
      }
    }
    this.spool?.close();
    await this.o.transport.close();
  }

  private hasWork(): boolean {
    return this.retry.length > 0 || this.mem.length > 0 || (this.spool?.hasWork ?? false);
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      for (let batch = this.next(); batch && !this.closed; batch = this.next()) {
        this.state = 'sending';
        const records = this.parse(batch);
        if (!records.length) {
          this.commit(batch);
          continue;
        }
        this.sending = this.o.transport.send(records);
        const out = await this.sending;
        this.sending = undefined;
        if (out.ok || !out.retry) {
          this.commit(batch);
          if (out.ok) {
            this.sent += records.length - (out.rejected ?? 0);
            if (out.rejected) this.drop(out.rejected, `refused by the receiver${out.note ? `: ${out.note}` : ''}`);
            if (this.failures > 0) this.o.log?.('info', `forward ${this.name}: receiver back after ${this.failures} failed attempt(s); sending ${this.buffered + batch.lines.length} buffered record(s)`);
            this.failures = 0;
          } else this.drop(records.length, out.reason);
          continue;
        }
        if (this.closed) break;
        this.failures++;
        this.state = `retrying: ${out.reason}`;
        const wait = out.afterMs ?? this.backoff();
        this.report(`receiver unavailable (${out.reason}); ${this.buffered} record(s) buffered, ${this.dropped} dropped so far; next try in ${Math.round(wait / 100) / 10}s`);
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, wait);
          this.timer.unref();
        });
        this.wake = undefined;
      }
      if (!this.closed) this.state = this.failures ? this.state : 'idle';
    } catch (err) {
      this.o.log?.('error', `forward ${this.name}: ${messageOf(err)}`);
    } finally {
      this.pumping = false;
    }
  }

  /** The batch's records; a line of the spool that is not one (a disk error, an edit) is dropped and counted. */
  private parse(batch: Batch): FleetRecord[] {
    const out: FleetRecord[] = [];
    for (const l of batch.lines) {
      try {
        out.push(JSON.parse(l) as FleetRecord);
      } catch {
        this.drop(1, 'a spooled line is not a record');
      }
    }
    return out;
  }

  private backoff(): number {
    const min = this.o.backoffMinMs ?? 1000;
    const max = this.o.backoffMaxMs ?? 60_000;
    const base = Math.min(max, min * 2 ** Math.min(this.failures - 1, 20));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /** The next batch, oldest first: a failed batch, then the spool, then memory. */
  private next(): Batch | undefined {
    const max = this.o.transport.batchMax;
    if (this.retry.length) return { lines: this.retry.slice(0, max), from: 'retry' };
    const spooled = this.spool?.peek(max);
    if (spooled) return { lines: spooled, from: 'segment' };
    if (!this.mem.length) return undefined;
    const lines = this.mem.splice(0, max);
    for (const l of lines) this.memBytes -= l.length + 1;
    this.retry = lines;
    return { lines: [...lines], from: 'retry' };
  }

  private commit(batch: Batch): void {
    if (batch.from === 'retry') this.retry.splice(0, batch.lines.length);
    else this.spool?.commit(batch.lines.length, this.closed);
  }

  /** Memory is full: the oldest records go to a segment on disk (or are dropped without a spool). */
  private spill(): void {
    const target = (this.o.memoryBytes ?? 1 << 20) / 2;
    const out: string[] = [];
    let bytes = 0;
    while (this.memBytes > target && this.mem.length) {
      const l = this.mem.shift()!;
      this.memBytes -= l.length + 1;
      out.push(l);
      bytes += l.length + 1;
      if (bytes >= SEGMENT_BYTES) {
        this.store(out.splice(0));
        bytes = 0;
      }
    }
    if (out.length) this.store(out);
  }

  private store(lines: string[]): void {
    if (!this.spool) return this.drop(lines.length, 'memory buffer full and no spool directory');
    this.spool.store(lines);
  }

  private drop(n: number, why: string): void {
    this.dropped += n;
    this.report(`${n} record(s) dropped: ${why}`, true);
  }

  /** Logs at most once a minute, except the first time something is dropped. */
  private report(message: string, dropping = false): void {
    const now = Date.now();
    const firstDrop = dropping && this.droppedReported === 0;
    if (!firstDrop && now - this.lastReport < 60_000) return;
    this.lastReport = now;
    if (dropping) this.droppedReported = this.dropped;
    this.o.log?.('warn', `forward ${this.name}: ${message} (${this.dropped} dropped in all)`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
