/**
 * The pipeline the daemon, `replay`, `parse` and `rules test` all share:
 *
 *   RawLine ─router─▶ Event ─sessions─▶ Event+connection ─rules─▶ RuleHit ─gate─▶ sinks
 *
 * Events are handled strictly one at a time, in arrival order (json-rules-engine is asynchronous;
 * two runs in flight would share state), through an internal queue.
 */
import type { Event } from './event.js';
import type { LineRouter } from './parsers/router.js';
import type { RawLine } from './sources/raw-line.js';
import { Sessions } from './correlate/sessions.js';
import type { RuleHit, RuleRunner } from './rules/runner.js';
import type { AlertGate } from './sinks/gate.js';

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

  constructor(private readonly o: PipelineOptions) {
    this.sessions = o.sessions ?? new Sessions();
  }

  get runner(): RuleRunner {
    return this.o.runner;
  }

  /** Routes one line and handles its events; resolves once their alerts are handled. */
  handleLine(raw: RawLine, router: LineRouter): Promise<Event[]> {
    return this.serial(async () => {
      this.stats.lines++;
      const events = router.route(raw);
      if (events.some((e) => e.kind === 'unknown')) this.stats.unknown++;
      for (const e of events) await this.process(e);
      return events;
    });
  }

  /** Handles the events of one line routed beforehand (replay merges several files by time). */
  handleRouted(events: Event[]): Promise<void> {
    return this.serial(async () => {
      this.stats.lines++;
      if (events.some((e) => e.kind === 'unknown')) this.stats.unknown++;
      for (const e of events) await this.process(e);
    });
  }

  /** Handles an event that did not come from a line (process scan). */
  handleEvent(e: Event): Promise<void> {
    return this.serial(() => this.process(e));
  }

  /** Delivers hits produced by the clock alone (live: a window ran out while nothing came). */
  tick(): Promise<void> {
    return this.serial(async () => {
      for (const h of this.o.runner.drain()) await this.alert(h);
    });
  }

  /** End of input (replay): what parsers held back, then absences decided by the end. */
  end(routers: Iterable<LineRouter>): Promise<ReturnType<RuleRunner['endOfInput']>['open']> {
    return this.serial(async () => {
      for (const r of routers) for (const e of r.end()) await this.process(e);
      const { hits, open } = this.o.runner.endOfInput();
      for (const h of hits) await this.alert(h);
      await this.o.gate.flush();
      return open;
    });
  }

  private async process(e: Event): Promise<void> {
    this.stats.events++;
    this.sessions.attach(e);
    const hits = await this.o.runner.evaluate(e);
    this.o.onEvent?.(e, hits);
    for (const h of hits) await this.alert(h);
  }

  private async alert(h: RuleHit): Promise<void> {
    const a = await this.o.gate.accept(h);
    if (a) this.stats.alerts++;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
