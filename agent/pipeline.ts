/**
 * The pipeline the daemon, `replay`, `parse` and `rules test` all share:
 *
 *   RawLine ─router─▶ Event ─sessions─▶ Event+connection ─rules─▶ RuleHit ─gate─▶ sinks
 *
 * Events are handled strictly one at a time, in arrival order (json-rules-engine is asynchronous;
 * two runs in flight would share state), through an internal queue. A line whose events match no
 * rule needs no promise at all: when nothing is queued, handleRouted runs synchronously and returns
 * a promise only when it must wait (an alert for the sinks, a rule on json-rules-engine).
 */
import type { Event } from './event.js';
import type { LineRouter } from './parsers/router.js';
import type { RawLine } from './sources/raw-line.js';
import { Sessions } from './correlate/sessions.js';
import type { RuleHit, RuleRunner } from './rules/runner.js';
import type { AlertGate } from './sinks/gate.js';
import { inOrder } from './in-order.js';
import { RuleIndex } from './rules/compile.js';

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
  private queue: Promise<unknown> = Promise.resolve();
  /** Calls queued or running; 0 lets handleRouted run synchronously. */
  private pending = 0;

  constructor(private readonly o: PipelineOptions) {
    this.sessions = o.sessions ?? new Sessions();
  }

  get runner(): RuleRunner {
    return this.o.runner;
  }

  /** Routes one line and handles its events; resolves once their alerts are handled. */
  handleLine(raw: RawLine, router: LineRouter): Promise<Event[]> {
    return this.serial(async () => {
      const events = router.route(raw);
      await this.processAll(events);
      return events;
    });
  }

  /**
   * Handles the events of one line routed beforehand (replay merges several files by time).
   * Returns undefined when it is done already, else a promise of when it is.
   */
  handleRouted(events: Event[]): Promise<void> | undefined {
    if (this.pending > 0) return this.serial(() => this.processAll(events));
    const wait = this.processAll(events);
    return wait ? this.serial(() => wait) : undefined;
  }

  /** Counts the line, then handles its events in order; synchronous until something must wait. */
  private processAll(events: Event[]): Promise<void> | undefined {
    this.stats.lines++;
    for (const e of events) {
      if (e.kind === 'unknown') {
        this.stats.unknown++;
        break;
      }
    }
    return inOrder(events, this.processOne);
  }

  /** Handles an event that did not come from a line (process scan). */
  handleEvent(e: Event): Promise<void> {
    return this.serial(() => this.process(e));
  }

  /** Delivers hits produced by the clock alone (live: a window ran out while nothing came). */
  tick(): Promise<void> {
    return this.serial(async () => {
      await inOrder(this.o.runner.drain(), this.acceptOne);
    });
  }

  /** End of input (replay): what parsers held back, then absences decided by the end. */
  end(routers: Iterable<LineRouter>): Promise<ReturnType<RuleRunner['endOfInput']>['open']> {
    return this.serial(async () => {
      for (const r of routers) for (const e of r.end()) await this.process(e);
      const { hits, open } = this.o.runner.endOfInput();
      await inOrder(hits, this.acceptOne);
      await this.o.gate.flush();
      return open;
    });
  }

  /** One event: correlation, rules, and alerts; a promise only when something must be awaited. */
  private process(e: Event): Promise<void> | undefined {
    this.stats.events++;
    // the prefilter: an event no rule can match, while no window is open and no one sees every event, gets no connection facts
    this.sessions.attach(e, this.o.onEvent !== undefined || RuleIndex.uses(this.o.runner.rules, e.program, e.kind) || this.o.runner.openWindows() > 0);
    const hits = this.o.runner.evaluate(e);
    if (Array.isArray(hits)) return this.hits(e, hits);
    return hits.then((h) => this.hits(e, h));
  }

  private hits(e: Event, hits: RuleHit[]): Promise<void> | undefined {
    this.o.onEvent?.(e, hits);
    return inOrder(hits, this.acceptOne);
  }

  /** process(), made once for inOrder. */
  private readonly processOne = (e: Event): Promise<void> | undefined => this.process(e);

  /** A hit through the gate, counted when it made an alert; a promise only when the gate returns one. */
  private readonly acceptOne = (h: RuleHit): Promise<void> | undefined => {
    const a = this.o.gate.accept(h);
    if (a instanceof Promise) {
      return a.then((x) => {
        if (x) this.stats.alerts++;
      });
    }
    if (a) this.stats.alerts++;
    return undefined;
  };

  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    this.pending++;
    const p = this.queue.then(fn);
    this.queue = p.then(
      () => void this.pending--,
      () => void this.pending--,
    );
    return p;
  }
}
