/**
 * The client ↔ server join: which two rule hits may be one attempt seen from its two ends
 * (plink's "expected key exchange group packet" and sshd's "kex protocol error: type 30"), and
 * within which window. The join stage holds a joinable alert for that window and merges its
 * partner into it (joins.ts); what may be joined is decided here, from the rules and the events'
 * hosts and connections.
 */
import type { Event } from '../event.js';
import type { CompiledRule } from '../rules/compile.js';

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/i;

/**
 * Can a client's alert (its host: the server it connected to) and a server's alert (its host: the
 * client's address) be the same attempt? What can honestly be matched: the same address on both
 * (a client on the server's own machine), both loopback, the server's own address when its line
 * names it (sshd's VERBOSE `Connection from … on ADDR port N`: detail.local), or an end that does
 * not say. Ports cannot be matched: plink does not log its local port, and the server's port is
 * the client's ephemeral one.
 */
export function hostsCompatible(client: Event, server: Event): boolean {
  const c = client.host;
  const s = server.host;
  if (c === undefined || s === undefined) return true;
  if (c === s || (LOOPBACK.test(c) && LOOPBACK.test(s))) return true;
  const local = server.detail.local;
  return typeof local === 'string' && local === c;
}

/**
 * May two joined alerts be one attempt? Two of the same program (plink's new host key and its
 * hang) only when they are the same connection: the next plink at the same host is another
 * attempt, and merging it made a plink that did not hang count into an older hang as "(×2)".
 * A client's and a server's: as far as their hosts tell (hostsCompatible).
 */
export function sameAttempt(a: Event, b: Event): boolean {
  if (a.program === b.program) return a.connection?.id === b.connection?.id;
  return hostsCompatible(a, b);
}

export const joinable = (r: CompiledRule): boolean => r.join !== undefined || r.joinedBy.size > 0;

/** The join window between two rules, when one names the other; undefined when they do not join. */
export function joinWindow(a: CompiledRule, b: CompiledRule): { primary: 'a' | 'b'; withinMs: number } | undefined {
  if (a.join?.rules.has(b.id)) return { primary: 'a', withinMs: a.join.withinMs };
  if (b.join?.rules.has(a.id)) return { primary: 'b', withinMs: b.join.withinMs };
  return undefined;
}
