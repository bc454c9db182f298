/**
 * RuleRunner: evaluates events against compiled rules, on event time through a Clock:
 *
 *   - plain rule: conditions match → hit.
 *   - threshold: `count` matches with the same key within `within` → one hit, then the count
 *     restarts (the counting: correlate/thresholds.ts).
 *   - expect (absence, SEC's PairWithWindow): a match opens a window for its key; a later event
 *     with the same key closes it; past its deadline the rule hits with the opening event (the
 *     windows, and what closes them: correlate/windows.ts).
 *
 * Windows and counters live in memory: they survive a rule reload (carried over for every rule id
 * that still exists with an expect/threshold clause) but not a restart of the agent — after a
 * restart, the checkpointed sources resume after the lines already handled, so a window opened
 * before the restart is not reopened. docs/rules.md states this.
 */
import type { Event } from '../event.js';
import type { Clock } from '../correlate/clock.js';
import type { CompiledRule } from './compile.js';
import { RuleIndex } from './compile.js';
import { formatDuration } from './duration.js';
import { keyOf } from '../correlate/keys.js';
import { Thresholds } from '../correlate/thresholds.js';
import { AbsenceWindows, type OpenWindow } from '../correlate/windows.js';

export { keyOf } from '../correlate/keys.js';

export interface RuleHit {
  rule: CompiledRule;
  /** The event that matched (for an absence: the event that opened the window). */
  event: Event;
  /** When the hit happened on event time (for an absence: the deadline). */
  time: number;
  /** Correlation key values joined, e.g. "c3" or "sshd|192.0.2.7". */
  key: string;
  /** Occurrences this hit stands for (threshold count). */
  count: number;
  /** Extra template values: within, since, waited. */
  extra: Record<string, unknown>;
  /** True when the hit was decided at end of input rather than by the clock. */
  atEnd?: boolean;
}

const NO_HITS = Object.freeze([]) as unknown as RuleHit[];

const BY_CONNECTION: readonly string[] = ['connection.id'];
const BY_HOST: readonly string[] = ['program', 'host'];

/** The alert key of a hit: the rule's key, else the connection, else program + host. */
export function alertKeyPaths(rule: CompiledRule, e: Event): readonly string[] {
  return rule.key ?? (e.connection ? BY_CONNECTION : BY_HOST);
}

export class RuleRunner {
  private index: RuleIndex;
  private readonly windows: AbsenceWindows;
  private readonly thresholds = new Thresholds();
  private readonly hits: RuleHit[] = [];

  constructor(
    rules: readonly CompiledRule[],
    private readonly clock: Clock,
  ) {
    this.index = new RuleIndex(rules);
    this.windows = new AbsenceWindows(clock, (rule, opener, time, extra, atEnd) => {
      const h = this.hit(rule, opener, time, 1, extra);
      if (atEnd) h.atEnd = true;
      this.hits.push(h);
    });
  }

  get rules(): readonly CompiledRule[] {
    return this.index.rules;
  }

  /** Swaps the rule set, keeping open windows and counters of rules that still exist. */
  replaceRules(rules: readonly CompiledRule[]): void {
    const byId = new Map(rules.map((r) => [r.id, r]));
    this.windows.replaceRules(byId);
    this.thresholds.keepOnly((id) => Boolean(byId.get(id)?.threshold));
    this.index = new RuleIndex(rules);
  }

  /** Evaluates one event; returns the hits it caused, including absences that expired before it. */
  evaluate(e: Event): RuleHit[] {
    this.clock.advanceTo(e.time);
    if (this.windows.active) this.windows.close(e);
    const candidates = this.index.candidates(e.program, e.kind);
    for (let i = 0; i < candidates.length; i++) {
      const rule = candidates[i]!;
      if (rule.match(e)) this.matched(rule, e);
    }
    return this.drain();
  }

  private matched(rule: CompiledRule, e: Event): void {
    if (rule.expect) this.windows.open(rule, e);
    else if (rule.threshold) {
      const n = this.thresholds.count(rule, e);
      if (n > 0) this.hits.push(this.hit(rule, e, e.time, n, { within: formatDuration(rule.threshold.withinMs) }));
    } else this.hits.push(this.hit(rule, e, e.time, 1, {}));
  }

  /** Hits produced by the clock alone (live: a window expired while no event came). */
  drain(): RuleHit[] {
    // most events hit nothing: one shared empty list (frozen: a caller that pushed to it would throw)
    if (this.hits.length === 0) return NO_HITS;
    return this.hits.splice(0, this.hits.length);
  }

  /**
   * End of input (replay): windows of rules with atEndOfInput "fire" hit now; the others are
   * returned as still open, for the summary.
   */
  endOfInput(): { hits: RuleHit[]; open: OpenWindow[] } {
    const open = this.windows.endOfInput();
    return { hits: this.drain(), open };
  }

  /** Open windows, for status and tests. */
  /**
   * Whether an event needs its connection facts for the rules (the prefilter, issue #20): some
   * rule can match its program and kind, or an absence window is open (any later event of its key
   * may close it).
   */
  needsFacts(e: Event): boolean {
    return this.index.canMatch(e.program, e.kind) || this.windows.count() > 0;
  }

  openWindows(): number {
    return this.windows.count();
  }

  private hit(rule: CompiledRule, e: Event, time: number, count: number, extra: Record<string, unknown>): RuleHit {
    return { rule, event: e, time, key: keyOf(e, alertKeyPaths(rule, e)), count, extra: { ...extra, count, rule: rule.id } };
  }
}
