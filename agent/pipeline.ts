/**
 * The core the daemon, `replay`, `parse` and `rules test` all share:
 *
 *   RawLine ─router─▶ Event ─sessions─▶ Event+connection ─rules─▶ RuleHit ─joins─▶ AlertOffer ─gate─▶ sinks
 *
 * Synchronous: a line's events are correlated, matched and turned into alerts before handleRouted
 * returns, and nothing in it returns a promise. Sinks that finish later (forwarders) sit behind a
 * bounded SinkQueue (sinks/queue.ts) and are never awaited here; tick() and end() are async only
 * to wait for them (AlertGate.flush).
 */
import type { Event } from './event.js';
import type { LineRouter } from './parsers/router.js';
import { Sessions } from './correlate/sessions.js';
import type { RuleHit, RuleRunner } from './rules/runner.js';
import type { AlertGate } from './sinks/gate.js';
import { JoinStage } from './correlate/joins.js';

export interface PipelineStats {
  lines: number;
  events: number;
  unknown: number;
  alerts: number;
}

export interface PipelineOptions {
  runner: RuleRunner;
  gate: AlertGate;
  sessions?: Sessions;
  /** Sees every event after correlation and its rule hits (parse, rules test). */
  onEvent?: (e: Event, hits: RuleHit[]) => void;
}

export class Pipeline {
  readonly stats: PipelineStats = { lines: 0, events: 0, unknown: 0, alerts: 0 };
  readonly sessions: Sessions;
  /** The client ↔ server join, between the rules and the gate (correlate/joins.ts). */
  private readonly joins: JoinStage;

  constructor(private readonly o: PipelineOptions) {
    this.sessions = o.sessions ?? new Sessions();
    this.joins = new JoinStage(o.gate);
  }

  get runner(): RuleRunner {
    return this.o.runner;
  }

  /** Counts one line and handles its events, routed beforehand (replay merges several files by time). */
  handleRouted(events: Event[]): void {
    this.stats.lines++;
    for (const e of events) {
      if (e.kind === 'unknown') {
        this.stats.unknown++;
        break;
      }
    }
    for (let i = 0; i < events.length; i++) this.process(events[i]!);
  }

  /** Handles an event that did not come from a line (process scan). */
  handleEvent(e: Event): void {
    this.process(e);
  }

  /** Delivers hits produced by the clock alone (live: a window ran out while nothing came). */
  tick(): void {
    this.acceptAll(this.o.runner.drain());
  }

  /** End of input (replay): what parsers held back, then absences decided by the end; waits for the sinks. */
  async end(routers: Iterable<LineRouter>): Promise<ReturnType<RuleRunner['endOfInput']>['open']> {
    for (const r of routers) for (const e of r.end()) this.process(e);
    const { hits, open } = this.o.runner.endOfInput();
    this.acceptAll(hits);
    await this.flush();
    return open;
  }

  /** Releases what the join stage holds (replay) and waits for the sinks. */
  flush(): Promise<void> {
    return this.joins.flush();
  }

  /** One event: correlation, rules, and alerts. */
  private process(e: Event): void {
    this.stats.events++;
    // the prefilter: an event the rules do not need facts for, while no one sees every event, gets no connection facts
    this.sessions.attach(e, this.o.onEvent !== undefined || this.o.runner.needsFacts(e));
    const hits = this.o.runner.evaluate(e);
    this.o.onEvent?.(e, hits);
    if (hits.length) this.acceptAll(hits);
  }

  /** Hits through the join stage and the gate, counted when they made an alert. */
  private acceptAll(hits: readonly RuleHit[]): void {
    for (let i = 0; i < hits.length; i++) if (this.joins.accept(hits[i]!)) this.stats.alerts++;
  }
}
