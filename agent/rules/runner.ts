/**
 * RuleRunner: evaluates events against compiled rules and keeps the state of the time-based
 * clauses, on event time through a Clock:
 *
 *   - plain rule: conditions match → hit.
 *   - threshold: `count` matches with the same key within `within` → one hit, then the count restarts.
 *   - expect (absence, SEC's PairWithWindow): a match opens a window for its key; any later event
 *     with the same key (meeting expect.conditions, if given) closes it; if the clock passes the
 *     deadline first, the rule hits with the opening event. A second match while a window is open
 *     for the same key keeps the first window.
 *
 * What closes a window besides a later event: the client's `input.waiting` closes it only when the
 * client reads its socket (it went on past the prompt); blocked on its terminal or stdin it confirms
 * the wait instead (the hit then says so). A server event joined to a client connection by the
 * correlator (`connection.peer`: sshd's `Accepted …` for the attempt) closes that connection's
 * windows.
 *
 * Windows and counters live in memory: they survive a rule reload (carried over for every rule id
 * that still exists with an expect/threshold clause) but not a restart of the agent — after a
 * restart, the checkpointed sources resume after the lines already handled, so a window opened
 * before the restart is not reopened. docs/rules.md states this.
 */
import type { Event } from '../event.js';
import type { Clock, Timer } from '../correlate/clock.js';
import type { CompiledRule } from './compile.js';
import { RuleIndex } from './compile.js';
import { formatDuration } from './duration.js';
import { getter } from './fields.js';
import { RecentMap } from '../recent.js';
import { ownCopy } from '../heap.js';

/** Keys a threshold rule counts at once (addresses of a scan): past this, the oldest are forgotten. */
const MAX_COUNTER_KEYS = 10_000;

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

interface Window {
  rule: CompiledRule;
  opener: Event;
  key: string;
  deadline: number;
  timer: Timer;
  /** What the client was seen blocked reading after the opener (input.waiting: tty, stdin), if anything. */
  waitingOn?: string;
}

/** The open windows of one expect rule, by key; the rule is kept here so no window must be looked at to know it. */
class RuleWindows extends Map<string, Window> {
  constructor(public rule: CompiledRule) {
    super();
  }
}

const NO_HITS = Object.freeze([]) as unknown as RuleHit[];

type KeyFn = (e: Event) => string;
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
/** A key function per list of paths (the lists are the compiled rules' own: looked up by identity). */
const keyFns = new WeakMap<readonly string[], KeyFn>();

function keyFn(paths: readonly string[]): KeyFn {
  let f = keyFns.get(paths);
  if (f) return f;
  const gs = paths.map(getter);
  if (gs.length === 1) {
    const g = gs[0]!;
    f = (e) => str(g(e));
  } else if (gs.length === 2) {
    const [g, h] = gs as [(e: Event) => unknown, (e: Event) => unknown];
    f = (e) => `${str(g(e))}|${str(h(e))}`;
  } else f = (e) => gs.map((g) => str(g(e))).join('|');
  keyFns.set(paths, f);
  return f;
}

/** The values of `paths` in `e`, joined with "|" (an absent value is empty). */
export function keyOf(e: Event, paths: readonly string[]): string {
  return keyFn(paths)(e);
}

const BY_CONNECTION: readonly string[] = ['connection.id'];
const BY_HOST: readonly string[] = ['program', 'host'];

/** The alert key of a hit: the rule's key, else the connection, else program + host. */
export function alertKeyPaths(rule: CompiledRule, e: Event): readonly string[] {
  return rule.key ?? (e.connection ? BY_CONNECTION : BY_HOST);
}

export class RuleRunner {
  private index: RuleIndex;
  /** rule id → key → window */
  private windows = new Map<string, RuleWindows>();
  /** rule id → key → match times (the oldest keys are forgotten past MAX_COUNTER_KEYS) */
  private counters = new Map<string, RecentMap<string, number[]>>();
  private readonly hits: RuleHit[] = [];

  constructor(
    rules: readonly CompiledRule[],
    private readonly clock: Clock,
  ) {
    this.index = new RuleIndex(rules);
  }

  get rules(): readonly CompiledRule[] {
    return this.index.rules;
  }

  /** Swaps the rule set, keeping open windows and counters of rules that still exist. */
  replaceRules(rules: readonly CompiledRule[]): void {
    const byId = new Map(rules.map((r) => [r.id, r]));
    for (const [id, ws] of this.windows) {
      const next = byId.get(id);
      if (!next?.expect) {
        for (const w of ws.values()) this.clock.cancel(w.timer);
        this.windows.delete(id);
      } else {
        ws.rule = next;
        for (const w of ws.values()) w.rule = next;
      }
    }
    for (const id of this.counters.keys()) if (!byId.get(id)?.threshold) this.counters.delete(id);
    this.index = new RuleIndex(rules);
  }

  /**
   * Evaluates one event; returns the hits it caused, including absences that expired before it.
   * Synchronous when every matcher involved is (the fast evaluator); a promise only when a rule
   * runs on json-rules-engine.
   */
  evaluate(e: Event): RuleHit[] | Promise<RuleHit[]> {
    this.clock.advanceTo(e.time);
    let closing: Promise<void> | undefined;
    if (this.windows.size > 0) {
      this.closeWindows(e);
      closing = this.closeWindowsWithConditions(e);
    }
    const candidates = this.index.candidates(e.program, e.kind);
    if (closing) return closing.then(() => this.matchFrom(e, candidates, 0));
    return this.matchFrom(e, candidates, 0);
  }

  private matchFrom(e: Event, candidates: readonly CompiledRule[], from: number): RuleHit[] | Promise<RuleHit[]> {
    for (let i = from; i < candidates.length; i++) {
      const rule = candidates[i]!;
      const m = rule.match(e);
      if (typeof m !== 'boolean') {
        return m.then((yes) => {
          if (yes) this.matched(rule, e);
          return this.matchFrom(e, candidates, i + 1);
        });
      }
      if (m) this.matched(rule, e);
    }
    return this.drain();
  }

  private matched(rule: CompiledRule, e: Event): void {
    if (rule.expect) this.open(rule, e);
    else if (rule.threshold) this.count(rule, e);
    else this.hits.push(this.hit(rule, e, e.time, 1, {}));
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
  endOfInput(): { hits: RuleHit[]; open: Array<{ rule: string; key: string; since: number; deadline: number }> } {
    const open: Array<{ rule: string; key: string; since: number; deadline: number }> = [];
    for (const [id, ws] of this.windows) {
      for (const w of [...ws.values()]) {
        if (w.rule.expect!.atEndOfInput === 'fire') {
          this.clock.cancel(w.timer);
          ws.delete(w.key);
          const h = this.hit(w.rule, w.opener, Math.max(this.clock.now(), w.opener.time), 1, this.windowExtra(w, this.clock.now(), true));
          h.atEnd = true;
          this.hits.push(h);
        } else open.push({ rule: id, key: w.key, since: w.opener.time, deadline: w.deadline });
      }
    }
    return { hits: this.drain(), open };
  }

  /** Open windows, for status and tests. */
  openWindows(): number {
    let n = 0;
    for (const ws of this.windows.values()) n += ws.size;
    return n;
  }

  private open(rule: CompiledRule, e: Event): void {
    const key = keyOf(e, rule.expect!.key);
    let ws = this.windows.get(rule.id);
    if (!ws) this.windows.set(rule.id, (ws = new RuleWindows(rule)));
    if (ws.has(key)) return;
    const deadline = e.time + rule.expect!.withinMs;
    const w: Window = {
      rule,
      opener: e,
      key,
      deadline,
      timer: this.clock.schedule(
        deadline,
        () => {
          ws.delete(key);
          this.hits.push(this.hit(w.rule, w.opener, deadline, 1, this.windowExtra(w, deadline)));
        },
        e.time,
      ),
    };
    ws.set(key, w);
  }

  private windowExtra(w: Window, now: number, atEnd = false): Record<string, unknown> {
    const secs = Math.max(0, Math.round((now - w.opener.time) / 1000));
    const on = w.waitingOn === 'tty' ? 'its terminal' : w.waitingOn === 'stdin' ? 'its standard input' : undefined;
    return {
      within: formatDuration(w.rule.expect!.withinMs),
      since: w.opener.time,
      waited: atEnd
        ? secs > 0
          ? `still waiting ${secs}s later, when its log ended`
          : 'still waiting when its log ended'
        : on
          ? `${secs}s without any further output, blocked reading ${on}`
          : `${secs}s without any further output`,
    };
  }

  /**
   * Windows closed by any later event with the same key. A client seen blocked on its terminal or
   * stdin (input.waiting) keeps them open: it confirms the wait. A server event joined to a client
   * connection (connection.peer) closes the windows keyed by that connection.
   */
  private closeWindows(e: Event): void {
    const waiting = e.kind === 'input.waiting' && e.detail.on !== 'socket' ? String(e.detail.on) : undefined;
    const peer = e.connection?.peer;
    for (const ws of this.windows.values()) {
      if (ws.size === 0) continue;
      const paths = ws.rule.expect!.key;
      if (peer !== undefined && paths.length === 1 && paths[0] === 'connection.id') {
        const pw = ws.get(peer);
        if (pw) {
          this.clock.cancel(pw.timer);
          ws.delete(pw.key);
        }
      }
      if (ws.rule.expect!.match && waiting === undefined) continue;
      const w = ws.get(keyOf(e, paths));
      if (!w || w.opener === e) continue;
      if (waiting !== undefined) {
        w.waitingOn = waiting;
        continue;
      }
      this.clock.cancel(w.timer);
      ws.delete(w.key);
    }
  }

  /** Windows closed only by an event meeting expect.conditions (a promise only on json-rules-engine). */
  private closeWindowsWithConditions(e: Event, maps: Iterable<RuleWindows> = this.windows.values()): Promise<void> | undefined {
    if (e.kind === 'input.waiting' && e.detail.on !== 'socket') return undefined; // confirms a wait, closes nothing
    let seen = 0;
    for (const ws of maps) {
      seen++;
      if (ws.size === 0) continue;
      const match = ws.rule.expect!.match;
      if (!match) continue;
      const w = ws.get(keyOf(e, ws.rule.expect!.key));
      if (!w || w.opener === e) continue;
      const close = (yes: boolean) => {
        if (!yes) return;
        this.clock.cancel(w.timer);
        ws.delete(w.key);
      };
      const m = match(e);
      if (typeof m === 'boolean') close(m);
      else {
        const rest = (Array.isArray(maps) ? (maps as RuleWindows[]) : [...this.windows.values()]).slice(seen);
        return m.then((yes) => {
          close(yes);
          return this.closeWindowsWithConditions(e, rest);
        });
      }
    }
    return undefined;
  }

  private count(rule: CompiledRule, e: Event): void {
    const t = rule.threshold!;
    let key = keyOf(e, t.key);
    let byKey = this.counters.get(rule.id);
    if (!byKey) this.counters.set(rule.id, (byKey = new RecentMap(MAX_COUNTER_KEYS)));
    let times = byKey.get(key);
    if (times) {
      // drop the times that left the window, in place
      const since = e.time - t.withinMs;
      let kept = 0;
      for (const x of times) if (x > since) times[kept++] = x;
      times.length = kept;
    } else {
      times = [];
      key = ownCopy(key); // kept until it counts out or is forgotten: not a slice of its line
    }
    const fresh = times.length === 0;
    times.push(e.time);
    if (times.length >= t.count) {
      byKey.delete(key);
      this.hits.push(this.hit(rule, e, e.time, times.length, { within: formatDuration(t.withinMs) }));
    } else if (fresh) byKey.set(key, times); // a kept list was changed in place: no second lookup
  }

  private hit(rule: CompiledRule, e: Event, time: number, count: number, extra: Record<string, unknown>): RuleHit {
    return { rule, event: e, time, key: keyOf(e, alertKeyPaths(rule, e)), count, extra: { ...extra, count, rule: rule.id } };
  }
}
