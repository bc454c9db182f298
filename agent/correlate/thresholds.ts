/**
 * Threshold clauses: `count` matches of a rule with the same key within `within` make one hit,
 * then the count restarts. Match times are kept per rule and key; a rule counts at most
 * MAX_COUNTER_KEYS keys at once (the addresses of a scan), the oldest forgotten first.
 */
import type { Event } from '../event.js';
import type { CompiledRule } from '../rules/compile.js';
import { RecentMap } from '../recent.js';
import { ownCopy } from '../heap.js';
import { keyOf } from './keys.js';

const MAX_COUNTER_KEYS = 10_000;

export class Thresholds {
  /** rule id → key → match times */
  private readonly counters = new Map<string, RecentMap<string, number[]>>();

  /** A rule reload: counters of rules that no longer have a threshold go. */
  keepOnly(hasThreshold: (id: string) => boolean): void {
    for (const id of this.counters.keys()) if (!hasThreshold(id)) this.counters.delete(id);
  }

  /** Counts a match; returns how many matches reached the threshold (the count restarts), else 0. */
  count(rule: CompiledRule, e: Event): number {
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
      return times.length;
    }
    if (fresh) byKey.set(key, times); // a kept list was changed in place: no second lookup
    return 0;
  }
}
