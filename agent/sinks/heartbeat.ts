/**
 * Heartbeat: a fleet record with `event.kind: "state"` at start and every `intervalMs` (default 15
 * minutes), carrying the agent's version, its sources and counts, and what each forwarder sent,
 * holds and dropped, so the central side can alert on an agent that went quiet
 * (Loki `absent_over_time`, an Elastic threshold rule on event.dataset: connwatch.heartbeat).
 */
import type { FleetRecord, HeartbeatFacts } from './ecs.js';
import type { FleetSink } from './fleet.js';

export const HEARTBEAT_INTERVAL_MS = 15 * 60_000;

export type HeartbeatInput = () => Pick<HeartbeatFacts, 'sources' | 'counts'>;

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt: number;

  constructor(
    private readonly sink: FleetSink,
    private readonly facts: HeartbeatInput,
    private readonly intervalMs = HEARTBEAT_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  start(): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  beat(): FleetRecord {
    const { sources, counts } = this.facts();
    return this.sink.heartbeat({
      interval_s: Math.round(this.intervalMs / 1000),
      uptime_s: Math.round((this.now() - this.startedAt) / 1000),
      sources,
      counts,
      forward: this.sink.forwardStats(),
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
