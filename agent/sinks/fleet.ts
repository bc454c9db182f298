/**
 * FleetSink: the one record sink behind the fleet outputs (NDJSON stream, journald, syslog and
 * OTLP forwarders). For every alert and every update of one it makes one FleetRecord, numbered
 * (event.sequence) and marked `alert.raised` the first time an id is seen and `alert.updated`
 * after, and hands it to each output. deliver() is synchronous and cheap: outputs only queue; they
 * write and send on their own, behind bounded queues, so a receiver that is away never holds up
 * the pipeline.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Alert, Sink } from '../alert.js';
import { RecentSet } from '../recent.js';
import { alertRecord, heartbeatRecord, type Emitter, type FleetRecord, type HeartbeatFacts } from './ecs.js';

/** Where fleet records go. push() must not block: queue and return. */
export interface FleetOutput {
  readonly name: string;
  /** `line` is `rec` as one JSON text, made once for all outputs. */
  push(rec: FleetRecord, line: string): void;
  /** Writes what is queued now (end of a replay), as far as it can without waiting. */
  flush?(): void;
  /** Sends or stores what is queued (bounded wait), then releases sockets and timers. */
  close(): Promise<void>;
  /** What it delivered, holds and dropped, for the heartbeat and the log. */
  stats?(): { url: string; sent: number; buffered: number; dropped: number; state: string };
}

export const AGENT_VERSION = '0.1.0';

export function newEmitter(version = AGENT_VERSION): Emitter {
  return { hostName: hostname(), version, ephemeralId: randomUUID() };
}

export class FleetSink implements Sink {
  readonly name = 'fleet';
  private readonly seen = new RecentSet<string>(20_000);
  private sequence = 0;

  constructor(
    readonly outputs: FleetOutput[],
    readonly emitter: Emitter = newEmitter(),
    private readonly now: () => number = Date.now,
  ) {}

  deliver(alert: Alert): void {
    const action = this.seen.has(alert.id) ? 'alert.updated' : 'alert.raised';
    if (action === 'alert.raised') this.seen.add(alert.id);
    this.emit(alertRecord(alert, action, ++this.sequence, this.emitter, this.now()));
  }

  heartbeat(facts: HeartbeatFacts): FleetRecord {
    const rec = heartbeatRecord(facts, ++this.sequence, this.emitter, this.now());
    this.emit(rec);
    return rec;
  }

  forwardStats(): NonNullable<HeartbeatFacts['forward']> {
    return this.outputs.flatMap((o) => (o.stats ? [o.stats()] : []));
  }

  writeBuffered(): void {
    for (const o of this.outputs) o.flush?.();
  }

  async close(): Promise<void> {
    await Promise.all(this.outputs.map((o) => o.close()));
  }

  private emit(rec: FleetRecord): void {
    const line = JSON.stringify(rec);
    for (const o of this.outputs) o.push(rec, line);
  }
}
