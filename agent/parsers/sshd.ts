/**
 * OpenSSH sshd, sshd-session (9.8+) and sshd-auth (10.x), releases 6.7 to 10.x.
 *
 * Envelopes (taken off by the router before this parser runs): syslog files (RFC 3339 and
 * traditional), journal JSON (identifiers `sshd`, `sshd-session`, `sshd-auth`), and bare
 * `sshd -e` / `-E file` lines (no timestamp, host or pid; CRLF endings).
 *
 * What this parser takes off the message itself, outside in (shared reference signatures.md, B.1):
 *   - rsyslog's `message repeated N times: [ … ]` wrapper (detail.repeated);
 *   - the ` [preauth]` / ` [postauth]` suffix of lines relayed by the monitor (detail.preauth / postauth);
 *   - a program prefix `sshd-session: ` / `sshd-auth: ` / `sshd: ` (stderr logging with progname, 9.8+);
 *   - the level prefix `error: `, `fatal: `, `debug1: `…`debug3: ` (detail.level); 6.9's `Hm, ` is in the patterns.
 *
 * Field names are the shared ones: `host` and `port` are the CLIENT's address and port (the far
 * end for sshd), `user` the user name as sshd logged it. User names are attacker-controlled and may
 * hold spaces, `from`, or an address, so every pattern anchors the address from the right (`from ADDR
 * port N` at the end of the line) and takes the user name greedily: an address typed as a user name
 * never becomes `host`.
 *
 * Wording by era is handled in the patterns: `Invalid user U from A` (≤7.3) / `… port N` (≥7.4);
 * `Connection closed by A port N` (≤7.4) / with `authenticating user U ` or `invalid user U ` (≥7.5);
 * `fatal: Unable to negotiate …` (≤7.3) / no prefix (≥7.4); `Hm, kex protocol error` (6.9) /
 * `kex protocol error` (7.0–9.5) / `kex_protocol_error:` (≥9.6); `Timeout before authentication for A`
 * (≤7.3) / `… port N` (7.4–9.7) / `… for connection from A to B, pid = N` (≥9.8); `drop connection #N
 * … past MaxStartups` (7.4+) and PerSourcePenalties `… penalty: REASON` (9.8+); `userauth_pubkey: key
 * type T not in PubkeyAcceptedKeyTypes` (≤8.4) / `… PubkeyAcceptedAlgorithms` (8.5–8.9) / `signature
 * algorithm T not in PubkeyAcceptedAlgorithms` (≥9.0); PAM module lines (`pam_unix(sshd:auth)`, …).
 * `error:`/`fatal:`/`WARNING:` lines no pattern knows still map to error.other / error.fatal, and
 * debug lines no pattern knows to noise, so only truly foreign text is `unknown`.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import { PatternTable } from './dispatch.js';
import type { LineParser, Message, ParserSpec } from './types.js';

/** What the wrappers around the message said; patterns may read it. */
interface Ctx {
  level: string | undefined;
  preauth: boolean;
}

interface Pattern {
  id: string;
  re: RegExp;
  /** See dispatch.ts: text every match contains (for patterns tried on every line). */
  needs?: readonly string[] | RegExp;
  make: (m: RegExpExecArray, ctx: Ctx) => EventDraft;
}

const S = 'sshd' as const;
/** A draft with every field present, in one order (no spread: drafts keep one shape; the parser is the hot path of a replay). */
const ev = (kind: EventKind, pattern: string, extra?: Partial<EventDraft>): EventDraft => ({
  kind,
  program: S,
  pattern,
  time: undefined,
  pid: extra?.pid,
  host: extra?.host,
  port: extra?.port,
  user: extra?.user,
  detail: extra?.detail,
});
const info = (pattern: string, what: string, extra: Partial<EventDraft> = {}): EventDraft =>
  ev('info', pattern, { ...extra, detail: { what, ...(extra.detail ?? {}) } });

/** An address or (UseDNS yes) a host name: one token, always followed by ` port N` or the line end. */
const ADDR = String.raw`(\S+)`;
/**
 * The connection-id preamble of ≥7.5 (`authenticating user U `, `invalid user U `, `user U `):
 * two groups, the state and the user name. The user name is greedy; the address after it is the
 * last token before ` port N`.
 */
const PRE = String.raw`(?:(authenticating |invalid )?user (.*) )?`;

function userState(state: string | undefined, user: string | undefined): Detail {
  if (user === undefined) return {};
  return { userState: state ? state.trim() : 'authenticated' };
}

/** host, port and user, leaving out what is absent. */
function who(host: string | undefined, port: string | undefined, user?: string): Partial<EventDraft> {
  return { host: host === '' ? undefined : host, port: port === undefined ? undefined : Number(port), user };
}

/** `ED25519 SHA256:…` (and certificate details after it) → keyType, fingerprint. */
function keyInfo(text: string | undefined): Detail {
  if (!text) return {};
  const m = /^(\S+) (\S+)/.exec(text);
  return m ? { keyType: m[1]!, fingerprint: m[2]! } : { key: text };
}

/** OpenSSH names of algorithm classes (`key exchange method`, `host key type`, `cipher`, `MAC`, `compression method`) → detail.algClass; the ssh client uses it too. */
export function opensshAlgClass(what: string): string {
  const w = what.toLowerCase();
  if (w.startsWith('key exchange') || w.startsWith('kex')) return 'kex';
  if (w.startsWith('host key') || w.startsWith('hostkey')) return 'hostkey';
  if (w.startsWith('cipher')) return 'cipher';
  if (w.startsWith('mac')) return 'mac';
  if (w.startsWith('comp')) return 'compression';
  return 'other';
}

/** Reasons for the messages sshd attaches to fatal connection errors (`Connection from A port N: MSG`). */
function classifyFatal(tag: string | undefined, message: string): { kind: EventKind; detail: Detail } {
  const base: Detail = { message, ...(tag ? { function: tag } : {}) };
  if (/DH GEX group out of range/i.test(message)) return { kind: 'kex.failed', detail: { ...base, reason: 'gex-range', algClass: 'kex' } };
  if (/no matching DH grp/i.test(message)) return { kind: 'kex.failed', detail: { ...base, reason: 'gex-no-group', algClass: 'kex' } };
  const nm = /no matching (.+?) found/.exec(message);
  if (nm) return { kind: 'kex.failed', detail: { ...base, reason: 'no-common-algorithm', algClass: opensshAlgClass(nm[1]!) } };
  if (tag === 'banner exchange' || /invalid format|banner line|protocol identifier|version/i.test(message)) {
    return { kind: 'version.failed', detail: { ...base, reason: 'invalid-banner' } };
  }
  if (/reset by peer|Broken pipe|timed out|No route to host|Network is unreachable|Connection closed/i.test(message)) {
    return { kind: 'session.disconnected', detail: { ...base, reason: /timed out/i.test(message) ? 'timeout' : 'reset' } };
  }
  if (tag === 'ssh_dispatch_run_fatal' || /signature|libcrypto|message authentication code|corrupt|invalid|key|packet/i.test(message)) {
    return { kind: 'kex.failed', detail: { ...base, reason: 'protocol-error' } };
  }
  return { kind: 'error.fatal', detail: { ...base, reason: 'other' } };
}

/** `Disconnecting …: MSG` → what the server ended the connection for. */
function disconnectReason(message: string): { kind: EventKind; detail: Detail } {
  if (/Too many authentication failures/i.test(message)) return { kind: 'auth.failed', detail: { reason: 'too-many-failures', message } };
  if (/strict KEX violation/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'strict-kex', algClass: 'kex', message } };
  if (/no matching DH grp/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'gex-no-group', algClass: 'kex', message } };
  if (/DH GEX/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'gex-range', algClass: 'kex', message } };
  if (/Bad packet length|Packet corrupt|Corrupted|protocol error/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'protocol-error', message } };
  return { kind: 'session.disconnected', detail: { reason: 'server-disconnect', message } };
}

const PAM_PREFIX = String.raw`pam_[\w-]+\(sshd(?:-session)?:(\w+)\): `;

export const PATTERNS: Pattern[] = [
  // --- daemon --------------------------------------------------------------------------
  {
    id: 'sshd.server.listening',
    re: /^Server listening on (\S+) port (\d+)(?: rdomain (\S*))?\.$/,
    make: (m) => ev('server.listening', 'sshd.server.listening', { detail: { address: m[1]!, port: Number(m[2]), ...(m[3] ? { rdomain: m[3] } : {}) } }),
  },
  {
    id: 'sshd.server.signal',
    re: /^Received signal (\d+); terminating\.$/,
    make: (m) => ev('server.stopped', 'sshd.server.signal', { detail: { reason: 'signal', signal: Number(m[1]) } }),
  },
  {
    id: 'sshd.server.sighup',
    re: /^Received SIGHUP; restarting\.$/,
    make: () => ev('server.stopped', 'sshd.server.sighup', { detail: { reason: 'restart', signal: 1 } }),
  },
  {
    id: 'sshd.server.timeout',
    re: new RegExp(String.raw`^Timeout before authentication for (?:connection from (\S+) to (\S+?), pid = (\d+)|(\S+?)(?: port (\d+))?)$`),
    make: (m) =>
      m[1] !== undefined
        ? ev('server.timeout', 'sshd.server.timeout', { host: m[1], detail: { local: m[2]!, childPid: Number(m[3]) } })
        : ev('server.timeout', 'sshd.server.timeout', who(m[4], m[5])),
  },
  {
    id: 'sshd.server.maxstartups',
    re: /^drop connection #(\d+) from \[([^\]]*)\]:(\d+) on \[([^\]]*)\]:(\d+) past [Mm]ax[Ss]tartups$/,
    make: (m) =>
      ev('server.dropped', 'sshd.server.maxstartups', {
        ...who(m[2], m[3]),
        detail: { reason: 'maxstartups', startups: Number(m[1]), local: m[4]!, localPort: Number(m[5]) },
      }),
  },
  {
    id: 'sshd.server.penalty',
    re: /^drop connection #(\d+) from \[([^\]]*)\]:(\d+) on \[([^\]]*)\]:(\d+) (penalty: .*|too many penalised addresses.*|.+)$/,
    make: (m) =>
      ev('server.dropped', 'sshd.server.penalty', {
        ...who(m[2], m[3]),
        detail: {
          reason: m[6]!.startsWith('penalty: ') ? 'penalty' : m[6]!.startsWith('too many penalised') ? 'penalty-table-full' : 'other',
          penalty: m[6]!.replace(/^penalty: /, ''),
          startups: Number(m[1]),
          local: m[4]!,
          localPort: Number(m[5]),
        },
      }),
  },
  {
    id: 'sshd.server.penalise',
    re: /^srclimit_penalise: (\S+?)(?:\/(\d+))?: (.*)$/,
    make: (m) =>
      ev('server.dropped', 'sshd.server.penalise', {
        ...((m[2] === undefined || m[2] === '32' || m[2] === '128') ? { host: m[1]! } : {}),
        detail: { reason: 'penalty-start', network: m[2] ? `${m[1]!}/${m[2]}` : m[1]!, penalty: m[3]! },
      }),
  },
  {
    id: 'sshd.server.throttling',
    needs: ['MaxStartups throttling', ' logging rate-limited: '],
    re: /^(beginning MaxStartups throttling|exited MaxStartups throttling after (\S+), (\d+) connections dropped|in MaxStartups throttling for (\S+), (\d+) connections dropped|(.+?) logging rate-limited: additional (\d+) connections dropped)$/,
    make: (m) => {
      const phase = m[1]!.startsWith('beginning') ? 'begin' : m[1]!.startsWith('exited') ? 'end' : 'ongoing';
      const dropped = m[3] ?? m[5] ?? m[7];
      return ev('server.dropped', 'sshd.server.throttling', {
        detail: { reason: m[6] !== undefined ? 'rate-limited' : 'maxstartups', phase, ...(dropped ? { dropped: Number(dropped) } : {}) },
      });
    },
  },
  {
    id: 'sshd.server.child-crash',
    needs: ['ession process ', ': preauth child '],
    re: /^(?:[Ss]ession process (\d+) (?:for (.+?) killed by signal (\d+)|unpriv child crash for (.+?))(.*)|(.+): preauth child (?:exited with status|terminated by signal) (\d+))$/,
    make: (m) => ev('error.other', 'sshd.server.child-crash', { detail: { reason: 'child-crash', message: m[0] } }),
  },
  // --- connection ----------------------------------------------------------------------
  {
    id: 'sshd.conn.from',
    re: new RegExp(String.raw`^Connection from ${ADDR} port (\d+)(?: on (\S+) port (\d+)(?: rdomain "([^"]*)")?)?$`),
    make: (m) =>
      ev('connect.start', 'sshd.conn.from', {
        ...who(m[1], m[2]),
        detail: { ...(m[3] ? { local: m[3], localPort: Number(m[4]) } : {}), ...(m[5] ? { rdomain: m[5] } : {}) },
      }),
  },
  {
    id: 'sshd.conn.closed',
    // ≤6.x had no port: that form never carries a user, so the user name cannot swallow the address.
    re: new RegExp(String.raw`^Connection (closed|reset) by (?:${PRE}${ADDR} port (\d+)|${ADDR})$`),
    make: (m) =>
      ev('session.disconnected', 'sshd.conn.closed', {
        ...who(m[4] ?? m[6], m[5], m[3]),
        detail: { reason: m[1] === 'reset' ? 'reset' : 'closed', ...userState(m[2], m[3]) },
      }),
  },
  {
    id: 'sshd.conn.timed-out',
    re: new RegExp(String.raw`^(?:Connection from ${PRE}${ADDR} port (\d+) timed out|Timeout, client not responding(?: from ${PRE}${ADDR} port (\d+))?\.?)$`),
    make: (m) =>
      m[3] !== undefined
        ? ev('session.disconnected', 'sshd.conn.timed-out', { ...who(m[3], m[4], m[2]), detail: { reason: 'timeout', ...userState(m[1], m[2]) } })
        : ev('session.disconnected', 'sshd.conn.timed-out', {
            ...who(m[7], m[8], m[6]),
            detail: { reason: 'client-not-responding', ...userState(m[5], m[6]) },
          }),
  },
  {
    id: 'sshd.conn.received-disconnect',
    re: new RegExp(String.raw`^Received disconnect from ${ADDR}(?: port (\d+))?: ?(\d+): ?(.*)$`),
    make: (m) => {
      const code = Number(m[3]);
      // 14 = SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE: the client has no method the server accepts.
      const kind: EventKind = code === 14 ? 'auth.no-methods' : 'session.disconnected';
      return ev(kind, 'sshd.conn.received-disconnect', { ...who(m[1], m[2]), detail: { reason: 'client-disconnect', code, message: m[4]! } });
    },
  },
  {
    id: 'sshd.conn.disconnected',
    re: new RegExp(String.raw`^Disconnected from (?:${PRE}${ADDR} port (\d+)|${ADDR})$`),
    make: (m, ctx) =>
      // After authentication (`user U`, not preauth) this closes a session normally.
      ev(m[2] !== undefined && m[1] === undefined && !ctx.preauth ? 'session.ended' : 'session.disconnected', 'sshd.conn.disconnected', {
        ...who(m[3] ?? m[5], m[4], m[2]),
        detail: { reason: 'disconnected', ...userState(m[1], m[2]) },
      }),
  },
  {
    id: 'sshd.conn.disconnecting',
    re: new RegExp(String.raw`^Disconnecting(?: ${PRE}${ADDR} port (\d+))?: (.*)$`),
    make: (m) => {
      const { kind, detail } = disconnectReason(m[5]!);
      // ≤7.4: `Disconnecting: Too many authentication failures for U`
      const old = m[3] === undefined ? /^Too many authentication failures for (.*)$/.exec(m[5]!) : null;
      const user = m[2] ?? old?.[1];
      return ev(kind, 'sshd.conn.disconnecting', { ...who(m[3], m[4], user), detail: { ...detail, ...userState(m[1], m[2]) } });
    },
  },
  {
    id: 'sshd.conn.read-error',
    re: new RegExp(String.raw`^(?:(?:Read error from remote host|packet_write_wait: Connection to) ${ADDR}(?: port (\d+))?: (.*)|(?:Read from socket failed|Write failed|Connection reset): (.*))$`),
    make: (m) => {
      const message = m[3] ?? m[4] ?? '';
      return ev('session.disconnected', 'sshd.conn.read-error', { ...who(m[1], m[2]), detail: { reason: /timed out/i.test(message) ? 'timeout' : 'reset', message } });
    },
  },
  {
    id: 'sshd.conn.closing',
    re: new RegExp(String.raw`^Closing connection to ${ADDR} port (\d+)$`),
    make: (m) => info('sshd.conn.closing', 'closing', who(m[1], m[2])),
  },
  {
    id: 'sshd.conn.transferred',
    re: /^Transferred: sent (\d+), received (\d+) bytes$/,
    make: (m) => info('sshd.conn.transferred', 'transferred', { detail: { sent: Number(m[1]), received: Number(m[2]) } }),
  },
  {
    id: 'sshd.conn.dns',
    re: /^(?:reverse mapping checking getaddrinfo for (\S+) \[(\S+)\] failed.*|Address (\S+) maps to (\S+), but this does not map back to the address.*|Nasty PTR record "(.*)" is set up for (\S+), ignoring)$/,
    make: (m) =>
      ev('error.other', 'sshd.conn.dns', { host: (m[2] ?? m[3] ?? m[6])!, detail: { reason: 'dns-mismatch', message: m[0] } }),
  },
  // --- version exchange ----------------------------------------------------------------
  {
    id: 'sshd.ident.none',
    re: new RegExp(String.raw`^Did not receive identification string from ${ADDR}(?: port (\d+))?$`),
    make: (m) => ev('version.failed', 'sshd.ident.none', { ...who(m[1], m[2]), detail: { reason: 'no-banner' } }),
  },
  {
    id: 'sshd.ident.bad',
    re: new RegExp(String.raw`^(?:Bad protocol version identification '(.*)' from ${ADDR}(?: port (\d+))?|Bad remote protocol version identification: '(.*)'|Protocol major versions differ(?: for ${ADDR}(?: port (\d+))?)?: (.*))$`),
    make: (m) =>
      m[7] !== undefined
        ? ev('version.failed', 'sshd.ident.bad', { ...who(m[5], m[6]), detail: { reason: 'protocol-major', message: m[7] } })
        : ev('version.failed', 'sshd.ident.bad', { ...who(m[2], m[3]), detail: { reason: 'invalid-banner', banner: (m[1] ?? m[4])! } }),
  },
  {
    id: 'sshd.ident.exchange',
    re: /^kex_exchange_identification: (?:(Connection closed by remote host)|read: (.*)|client sent invalid protocol identifier "(.*)"|(banner line .*|.+))$/,
    make: (m) => {
      if (m[1]) return ev('version.failed', 'sshd.ident.exchange', { detail: { reason: 'closed', message: m[1] } });
      if (m[2] !== undefined) return ev('version.failed', 'sshd.ident.exchange', { detail: { reason: 'reset', message: m[2] } });
      if (m[3] !== undefined) return ev('version.failed', 'sshd.ident.exchange', { detail: { reason: 'invalid-banner', banner: m[3] } });
      return ev('version.failed', 'sshd.ident.exchange', { detail: { reason: 'invalid-banner', message: m[4]! } });
    },
  },
  {
    id: 'sshd.ident.probe',
    re: new RegExp(String.raw`^probed from ${ADDR} port (\d+) with (.*?)\.  Don't panic\.$`),
    make: (m) => ev('version.failed', 'sshd.ident.probe', { ...who(m[1], m[2]), detail: { reason: 'probe', banner: m[3]! } }),
  },
  {
    id: 'sshd.ident.banner-fatal',
    re: new RegExp(String.raw`^banner exchange: Connection from ${PRE}${ADDR} port (\d+): (.*)$`),
    make: (m) => ev('version.failed', 'sshd.ident.banner-fatal', { ...who(m[3], m[4], m[2]), detail: { reason: 'invalid-banner', message: m[5]! } }),
  },
  {
    id: 'sshd.ver.remote',
    re: /^(?:Client protocol version ([\d.]+); client software version (.*)|Remote protocol version ([\d.]+), remote software version (.*))$/,
    make: (m) => ev('version.remote', 'sshd.ver.remote', { detail: { version: (m[2] ?? m[4])!, protocol: (m[1] ?? m[3])! } }),
  },
  {
    id: 'sshd.ver.local',
    re: /^(?:Local version string|Enabling compatibility mode for protocol) (.*)$/,
    make: (m) => ev('version.local', 'sshd.ver.local', { detail: { version: m[1]! } }),
  },
  // --- key exchange --------------------------------------------------------------------
  {
    id: 'sshd.kex.no-match',
    re: new RegExp(String.raw`^Unable to negotiate with ${ADDR}(?: port (\d+))?: no matching (.+?) found\. Their offer: (.*)$`),
    make: (m) =>
      ev('kex.failed', 'sshd.kex.no-match', {
        ...who(m[1], m[2]),
        detail: { reason: 'no-common-algorithm', algClass: opensshAlgClass(m[3]!), what: m[3]!, clientOffer: m[4]! },
      }),
  },
  {
    // 6.7–6.9: `fatal: no matching cipher found: client … server …`, `fatal: Unable to negotiate a key exchange method`, `no hostkey alg`
    id: 'sshd.kex.no-match-old',
    needs: ['no matching ', 'Unable to negotiate a ', 'no kex alg', 'no hostkey alg'],
    re: /^(?:[\w_]+: )?(?:no matching (cipher|mac|MAC|comp|compression method|key exchange method|host key type) found(?:: client (\S+) server (\S+))?|Unable to negotiate a (key exchange method|host key algorithm|cipher|MAC|compression method)|no (kex|hostkey) alg(?:orithm)?)$/,
    make: (m) =>
      ev('kex.failed', 'sshd.kex.no-match-old', {
        detail: {
          reason: 'no-common-algorithm',
          algClass: opensshAlgClass((m[1] ?? m[4] ?? m[5])!),
          ...(m[2] ? { clientOffer: m[2], serverOffer: m[3]! } : {}),
        },
      }),
  },
  {
    id: 'sshd.kex.protocol-error',
    re: /^(?:Hm, )?kex[ _]protocol[ _]error: type (\d+) seq (\d+)$/,
    make: (m) =>
      ev('kex.failed', 'sshd.kex.protocol-error', {
        // type 30 = SSH2_MSG_KEX_DH_GEX_REQUEST_OLD: a pre-RFC 4419 group-exchange request (PuTTY ≤ 0.64)
        detail: { reason: 'protocol-error', type: Number(m[1]), seq: Number(m[2]), ...(m[1] === '30' ? { algClass: 'kex', method: 'dh-group-exchange-old' } : {}) },
      }),
  },
  {
    id: 'sshd.kex.dispatch-protocol-error',
    re: /^(?:Hm, )?dispatch[ _]protocol[ _]error: type (\d+) seq (\d+)$/,
    make: (m) => ev('error.other', 'sshd.kex.dispatch-protocol-error', { detail: { reason: 'protocol-error', type: Number(m[1]), seq: Number(m[2]) } }),
  },
  {
    id: 'sshd.kex.dispatch-fatal',
    re: new RegExp(String.raw`^ssh_dispatch_run_fatal: Connection (?:from|to) ${PRE}${ADDR} port (\d+): (.*)$`),
    make: (m) => {
      const { kind, detail } = classifyFatal('ssh_dispatch_run_fatal', m[5]!);
      return ev(kind, 'sshd.kex.dispatch-fatal', { ...who(m[3], m[4], m[2]), detail: { ...detail, ...userState(m[1], m[2]) } });
    },
  },
  {
    id: 'sshd.kex.gex',
    needs: ['DH GEX', 'DH grp', 'MONITOR_ANS_MODULI', 'DH_GEX'],
    re: /^(?:[\w_]+: )*(?:(DH GEX group out of range)|(?:Protocol error: )?(no matching DH grp found)|(MONITOR_ANS_MODULI failed)|(DH_GEX group out of range: .*))$/,
    make: (m) =>
      ev('kex.failed', 'sshd.kex.gex', {
        detail: { reason: m[1] || m[4] ? 'gex-range' : 'gex-no-group', algClass: 'kex', method: 'dh-group-exchange', message: m[0] },
      }),
  },
  {
    id: 'sshd.kex.moduli',
    needs: /modul|prime|disappeared/i,
    re: /^(?:WARNING: )?(?:(could not open (.+) \((.*)\), using fixed modulus)|(no suitable primes in (.+))|(line \d+ disappeared in (.+), giving up)|(Bad prime description in line \d+)|(.+: (?:invalid|bad) (?:moduli|modulus|prime).*))$/i,
    make: (m) =>
      ev('error.other', 'sshd.kex.moduli', {
        detail: {
          reason: m[1] ? 'moduli-missing' : m[4] ? 'moduli-no-suitable' : 'moduli-bad',
          algClass: 'kex',
          message: m[0],
          ...((m[2] ?? m[5] ?? m[7]) ? { file: (m[2] ?? m[5] ?? m[7])! } : {}),
        },
      }),
  },
  {
    id: 'sshd.kex.corrupt',
    re: /^(?:Corrupted MAC on input|Bad packet length \d+|Packet corrupt|Corrupted padlen \d+ on input|padding error: .*|message authentication code incorrect)\.?$/,
    make: (m) => ev('kex.failed', 'sshd.kex.corrupt', { detail: { reason: 'protocol-error', message: m[0] } }),
  },
  {
    id: 'sshd.kex.algorithm',
    re: /^kex: (?:(algorithm|host key algorithm): (\S+)|(client->server|server->client) cipher: (\S+) MAC: (\S+) compression: (\S+))$/,
    make: (m) =>
      m[1]
        ? ev('kex.method', 'sshd.kex.algorithm', { detail: { what: m[1], method: m[2]! } })
        : ev('kex.done', 'sshd.kex.algorithm', {
            detail: { direction: m[3] === 'server->client' ? 'out' : 'in', cipher: m[4]!, mac: m[5]!, compression: m[6]! },
          }),
  },
  {
    id: 'sshd.conn.fatal',
    needs: ['Connection from ', 'Connection to '],
    re: new RegExp(String.raw`^(?:([\w_ ]+): )?Connection (?:from|to) ${PRE}${ADDR} port (\d+): (.*)$`),
    make: (m) => {
      const { kind, detail } = classifyFatal(m[1], m[6]!);
      return ev(kind, 'sshd.conn.fatal', { ...who(m[4], m[5], m[3]), detail: { ...detail, ...userState(m[2], m[3]) } });
    },
  },
  // --- authentication ------------------------------------------------------------------
  {
    id: 'sshd.auth.accepted',
    re: new RegExp(String.raw`^Accepted (\S+) for (.*) from ${ADDR} port (\d+)(?: (ssh[12]))?(?:: (.*))?$`),
    make: (m) => ev('auth.success', 'sshd.auth.accepted', { ...who(m[3], m[4], m[2]), detail: { method: m[1]!, ...keyInfo(m[6]) } }),
  },
  {
    id: 'sshd.auth.failed',
    re: new RegExp(String.raw`^Failed (\S+) for (invalid user )?(.*) from ${ADDR} port (\d+)(?: (ssh[12]))?(?:: (.*))?$`),
    make: (m) =>
      ev('auth.failed', 'sshd.auth.failed', {
        ...who(m[4], m[5], m[3]),
        detail: { method: m[1]!, reason: 'rejected', ...(m[2] ? { invalidUser: true } : {}), ...keyInfo(m[7]) },
      }),
  },
  {
    id: 'sshd.auth.postponed',
    re: new RegExp(String.raw`^(Postponed|Partial) (\S+) for (invalid user )?(.*) from ${ADDR} port (\d+)(?: (ssh[12]))?(?:: (.*))?$`),
    make: (m) =>
      ev('auth.attempt', 'sshd.auth.postponed', {
        ...who(m[5], m[6], m[4]),
        detail: { method: m[2]!, result: m[1]!.toLowerCase(), ...(m[3] ? { invalidUser: true } : {}), ...keyInfo(m[8]) },
      }),
  },
  {
    id: 'sshd.auth.key-found',
    re: /^(?:Accepted key (\S+) (\S+) found at (.+)|Accepted certificate ID "(.*)" \(serial (\d+)\) signed by (\S+) CA (\S+) via (.+))$/,
    make: (m) =>
      m[1]
        ? info('sshd.auth.key-found', 'key-found', { detail: { keyType: m[1], fingerprint: m[2]!, file: m[3]! } })
        : info('sshd.auth.key-found', 'certificate-found', { detail: { certId: m[4]!, serial: Number(m[5]), keyType: m[6]!, fingerprint: m[7]!, file: m[8]! } }),
  },
  {
    id: 'sshd.auth.invalid-user',
    re: new RegExp(String.raw`^(?:Invalid user (.*) from ${ADDR}(?: port (\d+))?|input_userauth_request: invalid user (.*))$`),
    make: (m) =>
      m[4] !== undefined
        ? ev('auth.invalid-user', 'sshd.auth.invalid-user', { user: m[4] })
        : ev('auth.invalid-user', 'sshd.auth.invalid-user', who(m[2], m[3], m[1])),
  },
  {
    id: 'sshd.auth.not-allowed',
    re: new RegExp(String.raw`^(?:User (.*) from ${ADDR} not allowed because (.*)|User (.*) not allowed because (account is locked|shell .* does not exist|shell .* is not executable|.*))$`),
    make: (m) =>
      m[1] !== undefined
        ? ev('auth.failed', 'sshd.auth.not-allowed', { ...who(m[2], undefined, m[1]), detail: { reason: 'not-allowed', message: m[3]! } })
        : ev('auth.failed', 'sshd.auth.not-allowed', { user: m[4]!, detail: { reason: 'not-allowed', message: m[5]! } }),
  },
  {
    id: 'sshd.auth.max-attempts',
    re: new RegExp(String.raw`^maximum authentication attempts exceeded for (invalid user )?(.*) from ${ADDR} port (\d+)(?: ssh[12])?$`),
    make: (m) =>
      ev('auth.failed', 'sshd.auth.max-attempts', {
        ...who(m[3], m[4], m[2]),
        detail: { reason: 'too-many-failures', ...(m[1] ? { invalidUser: true } : {}) },
      }),
  },
  {
    id: 'sshd.auth.root-refused',
    re: new RegExp(String.raw`^ROOT LOGIN REFUSED FROM ${ADDR}(?: port (\d+))?$`),
    make: (m) => ev('auth.failed', 'sshd.auth.root-refused', { ...who(m[1], m[2], 'root'), detail: { reason: 'root-refused' } }),
  },
  {
    id: 'sshd.auth.bad-modes',
    re: /^Authentication refused: (.*)$/,
    make: (m) => ev('auth.failed', 'sshd.auth.bad-modes', { detail: { reason: 'bad-modes', message: m[1]! } }),
  },
  {
    id: 'sshd.auth.pubkey-alg',
    re: /^(?:userauth_pubkey|userauth_hostbased): (?:(?:key type|signature algorithm) (\S+) not in ((?:Pubkey|Hostbased)Accepted(?:KeyTypes|Algorithms))|unsupported public key algorithm: (\S+))$/,
    make: (m) =>
      ev('crypto.weak', 'sshd.auth.pubkey-alg', {
        detail: { algClass: 'pubkey', algorithm: (m[1] ?? m[3])!, refused: true, ...(m[2] ? { option: m[2] } : {}) },
      }),
  },
  {
    id: 'sshd.auth.pam-error',
    re: /^PAM: (.*?) for (illegal user )?(.*) from (\S+)$/,
    make: (m) =>
      /User not known/i.test(m[1]!) || m[2]
        ? ev('auth.invalid-user', 'sshd.auth.pam-error', { user: m[3]!, host: m[4]!, detail: { method: 'pam', message: m[1]! } })
        : ev('auth.failed', 'sshd.auth.pam-error', { user: m[3]!, host: m[4]!, detail: { method: 'pam', reason: 'rejected', message: m[1]! } }),
  },
  {
    id: 'sshd.auth.pam-summary',
    re: /^PAM (?:(\d+) more authentication failures?;.*|service\(sshd\) ignoring max retries;.*)$/,
    make: (m) => info('sshd.auth.pam-summary', 'pam-summary', m[1] ? { detail: { count: Number(m[1]) } } : {}),
  },
  {
    // sshd looks up the shadow entry of the fake user `NOUSER` when an invalid user tries a password (UsePAM no).
    id: 'sshd.auth.no-shadow',
    re: /^Could not get shadow information for (.*)$/,
    make: (m) => info('sshd.auth.no-shadow', 'no-shadow', m[1] === 'NOUSER' ? { detail: { invalidUser: true } } : { user: m[1]! }),
  },
  // --- PAM modules ---------------------------------------------------------------------
  {
    id: 'sshd.pam.auth-failure',
    re: new RegExp(String.raw`^${PAM_PREFIX}authentication failure; .*?rhost=(\S*)\s*(?:user=(.*))?$`),
    make: (m) =>
      ev('auth.failed', 'sshd.pam.auth-failure', {
        ...who(m[2], undefined, m[3]),
        detail: { method: 'pam', reason: 'rejected', module: /^pam_([\w-]+)/.exec(m[0])![1]! },
      }),
  },
  {
    id: 'sshd.pam.session-opened',
    re: new RegExp(String.raw`^${PAM_PREFIX}session opened for user (.*?)(?:\(uid=(\d+)\))? by .*$`),
    make: (m) => ev('session.started', 'sshd.pam.session-opened', { user: m[2]!, detail: { source: 'pam', ...(m[3] ? { uid: Number(m[3]) } : {}) } }),
  },
  {
    id: 'sshd.pam.session-closed',
    re: new RegExp(String.raw`^${PAM_PREFIX}session closed for user (.*)$`),
    make: (m) => ev('session.ended', 'sshd.pam.session-closed', { user: m[2]!, detail: { source: 'pam' } }),
  },
  {
    id: 'sshd.pam.other',
    re: new RegExp(String.raw`^${PAM_PREFIX}(.*)$`),
    make: (m) => info('sshd.pam.other', 'pam', { detail: { module: /^pam_([\w-]+)/.exec(m[0])![1]!, stage: m[1]!, message: m[2]! } }),
  },
  // --- sessions ------------------------------------------------------------------------
  {
    id: 'sshd.session.start',
    re: new RegExp(String.raw`^Starting session: (.+?) for (.*) from ${ADDR} port (\d+)(?: id (\d+))?$`),
    make: (m) => {
      const what = m[1]!;
      const tty = / on (\S+)$/.exec(what);
      return ev('session.started', 'sshd.session.start', {
        ...who(m[3], m[4], m[2]),
        detail: { type: what.replace(/ on \S+$/, ''), ...(tty ? { tty: tty[1]! } : {}), ...(m[5] ? { channel: Number(m[5]) } : {}) },
      });
    },
  },
  {
    id: 'sshd.session.close',
    re: new RegExp(String.raw`^Close session: user (.*) from ${ADDR} port (\d+)(?: id (\d+))?$`),
    make: (m) => ev('session.ended', 'sshd.session.close', { ...who(m[2], m[3], m[1]), detail: m[4] ? { channel: Number(m[4]) } : {} }),
  },
  {
    id: 'sshd.session.exit-signal',
    re: /^Exiting on signal (\d+)$/,
    make: (m) => ev('session.ended', 'sshd.session.exit-signal', { detail: { reason: 'signal', signal: Number(m[1]) } }),
  },
  {
    id: 'sshd.session.child',
    re: /^User child is on pid (\d+)$/,
    make: (m) => info('sshd.session.child', 'user-child', { detail: { childPid: Number(m[1]) } }),
  },
  {
    id: 'sshd.session.subsystem-failed',
    re: /^subsystem request for (\S+) by user (.*) failed, subsystem not found$/,
    make: (m) => ev('error.other', 'sshd.session.subsystem-failed', { user: m[2]!, detail: { reason: 'subsystem-not-found', subsystem: m[1]! } }),
  },
  {
    id: 'sshd.session.oom-adj',
    re: /^Set \/proc\/self\/oom_(?:score_)?adj (?:from -?\d+ )?to -?\d+$/,
    make: (m) => ev('noise', 'sshd.session.oom-adj', { detail: { what: m[0] } }),
  },
  // --- configuration -------------------------------------------------------------------
  {
    id: 'sshd.config.warning',
    needs: [' line ', 'Could not load host key: ', 'Unable to load host key'],
    re: /^(?:(\S+) line (\d+): (Deprecated option .*|Unsupported option .*|.*)|Could not load host key: (.*)|Unable to load host key(?: "([^"]*)")?: .*)$/,
    make: (m) =>
      ev('error.other', 'sshd.config.warning', {
        detail: { reason: m[4] !== undefined || m[0].startsWith('Unable to load host key') ? 'hostkey-load' : 'config', message: m[0], ...(m[1] ? { file: m[1], line: Number(m[2]) } : {}) },
      }),
  },
];

/** Fallbacks by level prefix, tried after every pattern. */
const FALLBACK = {
  fatal: 'sshd.err.fatal',
  error: 'sshd.err.error',
  warning: 'sshd.err.warning',
  debug: 'sshd.debug',
  unknown: 'sshd.unknown',
} as const;

const TABLE = new PatternTable(PATTERNS);

const REPEATED = /^message repeated (\d+) times: \[ ?(.*?) ?\]$/;
const PROGNAME = /^sshd(?:-session|-auth)?: /;
const LEVEL = /^(error|fatal|debug[1-3]): /;

class SshdParser implements LineParser {
  parse(msg: Message): EventDraft[] {
    let text = msg.text.endsWith('\r') ? msg.text.slice(0, -1) : msg.text;
    // what the wrappers said, merged into the detail at the end (most lines have none)
    let extra: Detail | undefined;
    const rep = text.startsWith('message repeated ') ? REPEATED.exec(text) : null;
    if (rep) {
      extra = { repeated: Number(rep[1]) };
      text = rep[2]!;
    }
    const ctx: Ctx = { level: undefined, preauth: false };
    if (text.endsWith('auth]')) {
      const suffix = / \[(preauth|postauth)\]$/.exec(text);
      if (suffix) {
        (extra ??= {})[suffix[1]!] = true;
        ctx.preauth = suffix[1] === 'preauth';
        text = text.slice(0, suffix.index);
      }
    }
    if (text.startsWith('sshd') && PROGNAME.test(text)) text = text.replace(PROGNAME, '');
    const c0 = text.charCodeAt(0);
    const lv = c0 === 0x65 || c0 === 0x66 || c0 === 0x64 ? LEVEL.exec(text) : null; // e f d
    if (lv) {
      ctx.level = lv[1]!;
      (extra ??= {}).level = lv[1]!;
      text = text.slice(lv[0].length);
    }
    let d = this.match(text, ctx);
    if (!d) {
      const warning = /^WARNING: (.*)$/.exec(text);
      if (ctx.level === 'fatal') d = ev('error.fatal', FALLBACK.fatal, { detail: { message: text } });
      else if (ctx.level === 'error') d = ev('error.other', FALLBACK.error, { detail: { message: text } });
      else if (warning) d = ev('error.other', FALLBACK.warning, { detail: { message: warning[1]! } });
      else if (ctx.level?.startsWith('debug')) d = ev('noise', FALLBACK.debug, { detail: { message: text } });
      else d = ev('unknown', FALLBACK.unknown);
    }
    if (extra) d.detail = { ...(d.detail ?? {}), ...extra };
    return [d];
  }

  private match(text: string, ctx: Ctx): EventDraft | undefined {
    const hit = TABLE.match(text);
    return hit ? hit[0].make(hit[1], ctx) : undefined;
  }

  end(): EventDraft[] {
    return [];
  }
}

const SNIFF =
  /^(?:(?:error|fatal): )?(?:Accepted \S+ for .* from \S+ port \d+|Failed \S+ for .* from \S+ port \d+|Server listening on \S+ port \d+|Invalid user .* from \S+|Connection (?:closed|reset) by .*\S+ port \d+|Connection from \S+ port \d+ on |Unable to negotiate with \S+ port \d+|(?:Hm, )?kex[ _]protocol[ _]error: |Received disconnect from \S+ port \d+|Disconnected from .*\S+ port \d+|Received signal \d+; terminating\.|pam_\w+\(sshd:\w+\): |Timeout before authentication for |drop connection #\d+ from \[)/;

export const sshd: ParserSpec = {
  program: 'sshd',
  understands:
    'OpenSSH sshd / sshd-session / sshd-auth 6.7–10.x at LogLevel INFO and VERBOSE (debug lines tolerated): syslog (RFC 3339, traditional), journal JSON, bare -e/-E lines, PAM module lines',
  idents: ['sshd', 'sshd-session', 'sshd-auth'],
  patterns: [...PATTERNS.map((p) => p.id), ...Object.values(FALLBACK)],
  sniff(text: string): number {
    const t = text.replace(/\r$/, '').replace(PROGNAME, '');
    return SNIFF.test(t) ? 0.95 : 0;
  },
  stateless: true,
  create(): LineParser {
    return new SshdParser();
  },
};
