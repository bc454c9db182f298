/**
 * Correlation keys: the values of a list of event paths joined with "|" (`host`,
 * `connection.id`, `program|host`), as thresholds, absence windows, throttles and alerts key
 * their state. A key function is made once per list of paths (the compiled rules' own lists,
 * looked up by identity), not a getter lookup per path per event.
 */
import type { Event } from '../event.js';
import { getter } from '../rules/fields.js';

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
