/**
 * SinkQueue: puts a sink that finishes later (a forwarder over the network, the agent's log) behind
 * a bounded queue, so the core hands it an alert synchronously and never waits for it.
 *
 *   - order: the sink gets its alerts one at a time, in the order they came; the next one only
 *     when the last delivery settled (a sink that finishes at once costs no promise and no queue);
 *   - bound: at most `max` alerts wait (default MAX_WAITING). Past that the OLDEST waiting alert is
 *     dropped and counted (`dropped`); the first drop and every drop count that is a power of ten
 *     are logged, so a stuck sink is named without flooding the log. The history file is not
 *     behind a queue: it writes synchronously and keeps its own bounded backlog (history.ts);
 *   - a delivery that fails is logged with the sink's name and the alert's rule; the next goes on;
 *   - drain() resolves once nothing waits or runs (AlertGate.flush at the end of input or at stop).
 */
import type { Alert, Sink } from '../alert.js';

export const MAX_WAITING = 10_000;

export interface SinkQueueOptions {
  max?: number;
  log?: (level: 'warn' | 'error', message: string) => void;
}

export class SinkQueue implements Sink {
  readonly name: string;
  /** Alerts dropped because `max` were waiting already. */
  dropped = 0;
  private waiting: Alert[] = [];
  private head = 0;
  /** The delivery running, with everything queued behind it; undefined when idle. */
  private busy: Promise<void> | undefined;
  private readonly max: number;

  constructor(
    readonly sink: Sink,
    private readonly o: SinkQueueOptions = {},
  ) {
    this.name = sink.name;
    this.max = o.max ?? MAX_WAITING;
  }

  /** Alerts waiting for the sink (not counting the one it is delivering). */
  get length(): number {
    return this.waiting.length - this.head;
  }

  deliver(alert: Alert): void {
    if (!this.busy) {
      const p = this.start(alert);
      if (p) this.busy = p.then(() => this.next());
      return;
    }
    this.waiting.push(alert);
    if (this.length > this.max) {
      this.head++;
      this.dropped++;
      if (isPowerOfTen(this.dropped)) {
        this.o.log?.('warn', `sink ${this.name} is not keeping up: ${this.dropped} alert(s) dropped so far (the oldest waiting go first; ${this.max} wait at most)`);
      }
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }

  /** One delivery: undefined when it finished at once, else its promise (never rejecting). */
  private start(alert: Alert): Promise<void> | undefined {
    try {
      const p = this.sink.deliver(alert);
      return p ? p.catch((err: unknown) => this.failed(alert, err)) : undefined;
    } catch (err) {
      this.failed(alert, err);
      return undefined;
    }
  }

  /** The waiting alerts, in order, until one must be waited for. */
  private next(): Promise<void> | undefined {
    while (this.head < this.waiting.length) {
      const alert = this.waiting[this.head]!;
      this.head++;
      const p = this.start(alert);
      if (p) return p.then(() => this.next());
    }
    this.waiting = [];
    this.head = 0;
    this.busy = undefined;
    return undefined;
  }

  private failed(alert: Alert, err: unknown): void {
    this.o.log?.('error', `sink ${this.name} failed for alert ${alert.rule}: ${(err as Error)?.message ?? String(err)}`);
  }

  async drain(): Promise<void> {
    while (this.busy) await this.busy;
    await this.sink.drain?.();
  }

  writeBuffered(): void {
    this.sink.writeBuffered?.();
  }

  async close(): Promise<void> {
    await this.drain();
    await this.sink.close?.();
  }
}

function isPowerOfTen(n: number): boolean {
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}
