/**
 * OpenSSH sshd and sshd-session (9.8+), 6.7 to 10.x.
 *
 * Envelopes: syslog files (RFC 3339 and traditional), journal JSON (identifiers `sshd`,
 * `sshd-session`), and bare `sshd -e` / `-E file` lines (no timestamp, host or pid).
 * `[preauth]` suffixes are taken off and reported as detail.preauth.
 */
import type { EventDraft, EventKind } from '../event.js';
import type { LineParser, Message, ParserSpec } from './types.js';

interface Pattern {
  id: string;
  re: RegExp;
  make: (m: RegExpExecArray) => EventDraft;
}

const S = 'sshd' as const;
const ev = (kind: EventKind, pattern: string, extra: Partial<EventDraft> = {}): EventDraft => ({ kind, program: S, pattern, ...extra });
const ADDR = String.raw`([0-9A-Fa-f:.]+|UNKNOWN)`;

const PATTERNS: Pattern[] = [
  {
    id: 'sshd.auth.accepted',
    re: new RegExp(String.raw`^Accepted (\S+) for (.*) from ${ADDR} port (\d+)(?: \S+)?(?:: (.*))?$`),
    make: (m) => ev('auth.success', 'sshd.auth.accepted', { user: m[2]!, host: m[3]!, port: Number(m[4]), detail: { method: m[1]! } }),
  },
  {
    id: 'sshd.auth.failed',
    re: new RegExp(String.raw`^Failed (\S+) for (invalid user )?(.*) from ${ADDR} port (\d+)(?: \S+)?(?:: (.*))?$`),
    make: (m) =>
      ev('auth.failed', 'sshd.auth.failed', {
        user: m[3]!,
        host: m[4]!,
        port: Number(m[5]),
        detail: { method: m[1]!, ...(m[2] ? { invalidUser: true } : {}) },
      }),
  },
  {
    id: 'sshd.auth.invalid-user',
    re: new RegExp(String.raw`^Invalid user (.*) from ${ADDR}(?: port (\d+))?$`),
    make: (m) => ev('auth.invalid-user', 'sshd.auth.invalid-user', { user: m[1]!, host: m[2]!, ...(m[3] ? { port: Number(m[3]) } : {}) }),
  },
  {
    id: 'sshd.kex.protocol-error',
    re: /^kex[ _]protocol[ _]error: type (\d+) seq (\d+)$/,
    make: (m) => ev('kex.failed', 'sshd.kex.protocol-error', { detail: { reason: 'protocol-error', type: Number(m[1]), seq: Number(m[2]) } }),
  },
  {
    id: 'sshd.kex.no-match',
    re: new RegExp(String.raw`^Unable to negotiate with ${ADDR} port (\d+): no matching (.+?) found\. Their offer: (.*)$`),
    make: (m) =>
      ev('kex.failed', 'sshd.kex.no-match', {
        host: m[1]!,
        port: Number(m[2]),
        detail: { reason: 'no-common-algorithm', algClass: sshdAlgClass(m[3]!), what: m[3]!, clientOffer: m[4]! },
      }),
  },
  {
    id: 'sshd.conn.closed',
    re: new RegExp(String.raw`^Connection (closed|reset) by (?:(authenticating|invalid) user (.*) )?${ADDR} port (\d+)$`),
    make: (m) =>
      ev('session.disconnected', 'sshd.conn.closed', {
        host: m[4]!,
        port: Number(m[5]),
        ...(m[3] !== undefined ? { user: m[3] } : {}),
        detail: { reason: m[1] === 'reset' ? 'reset' : 'closed', ...(m[2] ? { userState: m[2] } : {}) },
      }),
  },
  {
    id: 'sshd.server.timeout',
    re: new RegExp(String.raw`^Timeout before authentication for (?:connection from )?${ADDR}(?: to \S+)?(?: port (\d+))?.*$`),
    make: (m) => ev('server.timeout', 'sshd.server.timeout', { host: m[1]!, ...(m[2] ? { port: Number(m[2]) } : {}) }),
  },
  {
    id: 'sshd.server.listening',
    re: /^Server listening on (\S+) port (\d+)\.$/,
    make: (m) => ev('server.listening', 'sshd.server.listening', { detail: { address: m[1]!, port: Number(m[2]) } }),
  },
  {
    id: 'sshd.server.signal',
    re: /^Received signal (\d+); terminating\.$/,
    make: (m) => ev('server.stopped', 'sshd.server.signal', { detail: { signal: Number(m[1]) } }),
  },
  {
    id: 'sshd.pam',
    re: /^pam_\w+\(sshd:\w+\): .*$/,
    make: () => ev('info', 'sshd.pam', { detail: { what: 'pam' } }),
  },
];

function sshdAlgClass(what: string): string {
  if (what.startsWith('key exchange')) return 'kex';
  if (what.startsWith('host key')) return 'hostkey';
  if (what.startsWith('cipher')) return 'cipher';
  if (what.startsWith('MAC')) return 'mac';
  if (what.startsWith('compression')) return 'compression';
  return 'other';
}

class SshdParser implements LineParser {
  parse(msg: Message): EventDraft[] {
    let text = msg.text.endsWith('\r') ? msg.text.slice(0, -1) : msg.text;
    let preauth = false;
    if (text.endsWith(' [preauth]')) {
      preauth = true;
      text = text.slice(0, -10);
    }
    for (const p of PATTERNS) {
      const m = p.re.exec(text);
      if (m) {
        const d = p.make(m);
        if (preauth) d.detail = { ...(d.detail ?? {}), preauth: true };
        return [d];
      }
    }
    return [ev('unknown', 'sshd.unknown')];
  }
  end(): EventDraft[] {
    return [];
  }
}

export const sshd: ParserSpec = {
  program: 'sshd',
  understands: 'OpenSSH sshd / sshd-session 6.7–10.x: syslog (RFC 3339, traditional), journal JSON, bare -e/-E lines',
  idents: ['sshd', 'sshd-session'],
  patterns: [...PATTERNS.map((p) => p.id), 'sshd.unknown'],
  sniff(text: string): number {
    return /^(?:Accepted \S+ for |Failed \S+ for |Server listening on |Invalid user |Connection (?:closed|reset) by |Unable to negotiate with |kex[ _]protocol[ _]error: )/.test(text)
      ? 0.95
      : 0;
  },
  create(): LineParser {
    return new SshdParser();
  },
};
