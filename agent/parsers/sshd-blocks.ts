/**
 * What the sshd table's rows share (sshd-conn-table.ts, sshd-auth-table.ts, sshd-table.ts):
 * the draft helpers, the connection-id preamble of ≥7.5 as named groups, and the classifiers
 * of the messages sshd attaches to fatal errors and disconnects.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import { opensshAlgClass } from './openssh-common.js';
import { draft } from './table.js';

/** What the wrappers around the message said (sshd.ts fills it for each line). */
export interface Ctx {
  level: string | undefined;
  preauth: boolean;
}

const S = 'sshd' as const;
/** A draft with every field present, in one order (drafts keep one shape); `port` is the regex's digits, an empty host is left out. */
export const ev = (kind: EventKind, pattern: string, host?: string, port?: string, user?: string, detail?: Detail): EventDraft => draft(S, kind, pattern, host, port, user, detail);
/** A draft with a detail and nothing else. */
export const evd = (kind: EventKind, pattern: string, detail: Detail): EventDraft => ev(kind, pattern, undefined, undefined, undefined, detail);
/** An `info` draft; its detail literal names `what` first. */
export const info = (pattern: string, detail: Detail & { what: string }, host?: string, port?: string, user?: string): EventDraft =>
  ev('info', pattern, host, port, user, detail);

/**
 * The connection-id preamble of ≥7.5 (`authenticating user U `, `invalid user U `, `user U `) and
 * the address and port after it: groups `state`, `user`, `host`, `port` (with a suffix, for a
 * second use in one expression). The user name is greedy; the address is the last token before
 * ` port N`.
 */
export const who = (n = ''): string => String.raw`(?:(?<state${n}>authenticating |invalid )?user (?<user${n}>.*) )?(?<host${n}>\S+) port (?<port${n}>\d+)`;

/** Adds detail.userState when the preamble named a user; returns the detail. */
export function userState(detail: Detail, state: string | undefined, user: string | undefined): Detail {
  if (user !== undefined) detail.userState = state ? state.trim() : 'authenticated';
  return detail;
}

/** Adds `ED25519 SHA256:…` (and certificate details after it) as keyType, fingerprint, other text as key; returns the detail. */
export function keyInfo(detail: Detail, text: string | undefined): Detail {
  if (!text) return detail;
  // `TYPE FINGERPRINT`: the match holds exactly one space (no groups: this runs on most auth lines)
  const m = /^\S+ \S+/.exec(text);
  if (m) {
    const pair = m[0];
    const sp = pair.indexOf(' ');
    detail.keyType = pair.slice(0, sp);
    detail.fingerprint = pair.slice(sp + 1);
  } else detail.key = text;
  return detail;
}

/** Reasons for the messages sshd attaches to fatal connection errors (`Connection from A port N: MSG`). */
export function classifyFatal(tag: string | undefined, message: string): { kind: EventKind; detail: Detail } {
  const detail: Detail = { message };
  if (tag) detail.function = tag;
  const fail = (kind: EventKind, reason: string, algClass?: string): { kind: EventKind; detail: Detail } => {
    detail.reason = reason;
    if (algClass !== undefined) detail.algClass = algClass;
    return { kind, detail };
  };
  if (/DH GEX group out of range/i.test(message)) return fail('kex.failed', 'gex-range', 'kex');
  if (/no matching DH grp/i.test(message)) return fail('kex.failed', 'gex-no-group', 'kex');
  const nm = /no matching (?<what>.+?) found/.exec(message);
  if (nm) return fail('kex.failed', 'no-common-algorithm', opensshAlgClass(nm.groups!.what!));
  if (tag === 'banner exchange' || /invalid format|banner line|protocol identifier|version/i.test(message)) {
    return fail('version.failed', 'invalid-banner');
  }
  if (/reset by peer|Broken pipe|timed out|No route to host|Network is unreachable|Connection closed/i.test(message)) {
    return fail('session.disconnected', /timed out/i.test(message) ? 'timeout' : 'reset');
  }
  if (tag === 'ssh_dispatch_run_fatal' || /signature|libcrypto|message authentication code|corrupt|invalid|key|packet/i.test(message)) {
    return fail('kex.failed', 'protocol-error');
  }
  return fail('error.fatal', 'other');
}

/** `Disconnecting …: MSG` → what the server ended the connection for. */
export function disconnectReason(message: string): { kind: EventKind; detail: Detail } {
  if (/Too many authentication failures/i.test(message)) return { kind: 'auth.failed', detail: { reason: 'too-many-failures', message } };
  if (/strict KEX violation/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'strict-kex', algClass: 'kex', message } };
  if (/no matching DH grp/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'gex-no-group', algClass: 'kex', message } };
  if (/DH GEX/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'gex-range', algClass: 'kex', message } };
  if (/Bad packet length|Packet corrupt|Corrupted|protocol error/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'protocol-error', message } };
  return { kind: 'session.disconnected', detail: { reason: 'server-disconnect', message } };
}

/** The PAM module prefix (`pam_unix(sshd:auth): `): group `stage`. */
export const PAM_PREFIX = String.raw`pam_[\w-]+\(sshd(?:-session)?:(?<stage>\w+)\): `;
/** The module of a line that matched PAM_PREFIX (what `/^pam_([\w-]+)/` takes: everything up to its `(`). */
export const pamModule = (line: string): string => line.slice(4, line.indexOf('('));
