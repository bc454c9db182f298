/**
 * Correlation keys: the values of a list of event paths joined with "|" (`host`,
 * `connection.id`, `program|host`), as thresholds, absence windows, throttles and alerts key
 * their state. A key function is made once per list of paths (the compiled rules' own lists,
 * looked up by identity), not a getter lookup per path per event.
 */
import type { Event } from '../event.js';
import { ONE_ATTEMPT_PER_RUN } from '../programs.js';
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

/**
 * What one attempt is, for "(×N)": its correlation key with the far end's address and port. A
 * connection keeps one source port; sshd's lines without a pid (MaxStartups drops, written by the
 * listener) share a key, and their ports tell the clients apart. One run of a client the program
 * registry marks oneAttemptPerRun is one attempt, however many connections it makes (xfreerdp 2
 * tries NLA, then TLS on a second connection); Remmina's one process makes many attempts (whose
 * later lines may not repeat the port).
 */
export function attemptKey(e: Event, key: string): string {
  if (e.pid !== undefined && ONE_ATTEMPT_PER_RUN.has(e.program)) return `${e.program}\u0000${e.pid}`;
  return `${key}\u0000${e.host ?? ''}\u0000${e.port ?? ''}`;
}
