/**
 * OpenSSH sshd, sshd-session (9.8+) and sshd-auth (10.x), releases 6.7 to 10.x.
 *
 * Envelopes (taken off by the router before this parser runs, agent/envelopes/syslog.ts): syslog files
 * (RFC 3339, RFC 3164, RFC 5424, Solaris, see there), journal JSON (identifiers `sshd`, `sshd-session`, `sshd-auth`), and bare
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
import { OPENSSH_LEVEL, opensshAlgClass } from './openssh-common.js';
import { SSHD_IGNORED } from './sshd-ignored.js';
import { TABLE_ROWS, type Ctx } from './sshd-table.js';
import { draft, IgnoredTable, Table, type Row } from './table.js';
import type { LineParser, Message, ParserSpec } from './types.js';

export { opensshAlgClass };

/** The rows written as code (the first, older part of the table; sshd-table.ts has the rest). */
type Pattern = Row<Ctx>;

const S = 'sshd' as const;
/**
 * A draft with every field present, in one order (drafts keep one shape). Positional, so that a
 * line builds only its draft and its detail (the parser is the hot path of a replay): `port` is the
 * regex's digits, an empty host is left out.
 */
const ev = (kind: EventKind, pattern: string, host?: string, port?: string, user?: string, detail?: Detail): EventDraft => draft(S, kind, pattern, host, port, user, detail);
/** A draft with a detail and nothing else. */
const evd = (kind: EventKind, pattern: string, detail: Detail): EventDraft => ev(kind, pattern, undefined, undefined, undefined, detail);
/** An `info` draft; its detail literal names `what` first. */
const info = (pattern: string, detail: Detail & { what: string }, host?: string, port?: string, user?: string): EventDraft =>
  ev('info', pattern, host, port, user, detail);

/** An address or (UseDNS yes) a host name: one token, always followed by ` port N` or the line end. */
const ADDR = String.raw`(\S+)`;
/**
 * The connection-id preamble of ≥7.5 (`authenticating user U `, `invalid user U `, `user U `):
 * two groups, the state and the user name. The user name is greedy; the address after it is the
 * last token before ` port N`.
 */
const PRE = String.raw`(?:(authenticating |invalid )?user (.*) )?`;

/** Adds detail.userState when the preamble named a user; returns the detail. */
function userState(detail: Detail, state: string | undefined, user: string | undefined): Detail {
  if (user !== undefined) detail.userState = state ? state.trim() : 'authenticated';
  return detail;
}

/** Adds `ED25519 SHA256:…` (and certificate details after it) as keyType, fingerprint, other text as key; returns the detail. */
function keyInfo(detail: Detail, text: string | undefined): Detail {
  if (!text) return detail;
  const m = /^(\S+) (\S+)/.exec(text);
  if (m) {
    detail.keyType = m[1]!;
    detail.fingerprint = m[2]!;
  } else detail.key = text;
  return detail;
}

/** Reasons for the messages sshd attaches to fatal connection errors (`Connection from A port N: MSG`). */
function classifyFatal(tag: string | undefined, message: string): { kind: EventKind; detail: Detail } {
  const detail: Detail = { message };
  if (tag) detail.function = tag;
  const fail = (kind: EventKind, reason: string, algClass?: string): { kind: EventKind; detail: Detail } => {
    detail.reason = reason;
    if (algClass !== undefined) detail.algClass = algClass;
    return { kind, detail };
  };
  if (/DH GEX group out of range/i.test(message)) return fail('kex.failed', 'gex-range', 'kex');
  if (/no matching DH grp/i.test(message)) return fail('kex.failed', 'gex-no-group', 'kex');
  const nm = /no matching (.+?) found/.exec(message);
  if (nm) return fail('kex.failed', 'no-common-algorithm', opensshAlgClass(nm[1]!));
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
function disconnectReason(message: string): { kind: EventKind; detail: Detail } {
  if (/Too many authentication failures/i.test(message)) return { kind: 'auth.failed', detail: { reason: 'too-many-failures', message } };
  if (/strict KEX violation/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'strict-kex', algClass: 'kex', message } };
  if (/no matching DH grp/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'gex-no-group', algClass: 'kex', message } };
  if (/DH GEX/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'gex-range', algClass: 'kex', message } };
  if (/Bad packet length|Packet corrupt|Corrupted|protocol error/i.test(message)) return { kind: 'kex.failed', detail: { reason: 'protocol-error', message } };
  return { kind: 'session.disconnected', detail: { reason: 'server-disconnect', message } };
}

const PAM_PREFIX = String.raw`pam_[\w-]+\(sshd(?:-session)?:(\w+)\): `;
/** The module of a line that matched PAM_PREFIX (what `/^pam_([\w-]+)/` takes: everything up to its `(`). */
const pamModule = (line: string): string => line.slice(4, line.indexOf('('));

export const PATTERNS: Pattern[] = [
  // --- daemon --------------------------------------------------------------------------
  {
    id: 'sshd.server.listening',
    re: /^Server listening on (\S+) port (\d+)(?: rdomain (\S*))?\.$/,
    make: (m) => evd('server.listening', 'sshd.server.listening', m[3] ? { address: m[1]!, port: Number(m[2]), rdomain: m[3] } : { address: m[1]!, port: Number(m[2]) }),
  },
  { id: 'sshd.server.signal', re: /^Received signal (?<signal>\d+); terminating\.$/, kind: 'server.stopped', detail: (g) => ({ reason: 'signal', signal: Number(g.signal) }) },
  { id: 'sshd.server.sighup', re: /^Received SIGHUP; restarting\.$/, kind: 'server.stopped', detail: { reason: 'restart', signal: 1 } },
  {
    id: 'sshd.server.timeout',
    re: new RegExp(String.raw`^Timeout before authentication for (?:connection from (\S+) to (\S+?), pid = (\d+)|(\S+?)(?: port (\d+))?)$`),
    make: (m) =>
      m[1] !== undefined
        ? ev('server.timeout', 'sshd.server.timeout', m[1], undefined, undefined, { local: m[2]!, childPid: Number(m[3]) })
        : ev('server.timeout', 'sshd.server.timeout', m[4], m[5]),
  },
  {
    id: 'sshd.server.maxstartups',
    // `past MaxStartups` (≤9.7), `past Maxstartups` (9.8–9.9), `Maxstartups` (10.0+)
    re: /^drop connection #(\d+) from \[([^\]]*)\]:(\d+) on \[([^\]]*)\]:(\d+) (?:past )?[Mm]ax[Ss]tartups$/,
    make: (m) =>
      ev('server.dropped', 'sshd.server.maxstartups', m[2], m[3], undefined, {
        reason: 'maxstartups',
        startups: Number(m[1]),
        local: m[4]!,
        localPort: Number(m[5]),
      }),
  },
  {
    id: 'sshd.server.penalty',
    re: /^drop connection #(\d+) from \[([^\]]*)\]:(\d+) on \[([^\]]*)\]:(\d+) (penalty: .*|too many penalised addresses.*|.+)$/,
    make: (m) =>
      ev('server.dropped', 'sshd.server.penalty', m[2], m[3], undefined, {
        reason: m[6]!.startsWith('penalty: ') ? 'penalty' : m[6]!.startsWith('too many penalised') ? 'penalty-table-full' : 'other',
        penalty: m[6]!.replace(/^penalty: /, ''),
        startups: Number(m[1]),
        local: m[4]!,
        localPort: Number(m[5]),
      }),
  },
  {
    id: 'sshd.server.penalise',
    re: /^srclimit_penalise: (\S+?)(?:\/(\d+))?: (.*)$/,
    make: (m) =>
      ev('server.dropped', 'sshd.server.penalise', m[2] === undefined || m[2] === '32' || m[2] === '128' ? m[1]! : undefined, undefined, undefined, {
        reason: 'penalty-start',
        network: m[2] ? `${m[1]!}/${m[2]}` : m[1]!,
        penalty: m[3]!,
      }),
  },
  {
    id: 'sshd.server.throttling',
    needs: ['MaxStartups throttling', ' logging rate-limited: '],
    re: /^(beginning MaxStartups throttling|exited MaxStartups throttling after (\S+), (\d+) connections dropped|in MaxStartups throttling for (\S+), (\d+) connections dropped|(.+?) logging rate-limited: additional (\d+) connections dropped)$/,
    make: (m) => {
      const phase = m[1]!.startsWith('beginning') ? 'begin' : m[1]!.startsWith('exited') ? 'end' : 'ongoing';
      const dropped = m[3] ?? m[5] ?? m[7];
      const detail: Detail = { reason: m[6] !== undefined ? 'rate-limited' : 'maxstartups', phase };
      if (dropped) detail.dropped = Number(dropped);
      return evd('server.dropped', 'sshd.server.throttling', detail);
    },
  },
  {
    id: 'sshd.server.child-crash',
    needs: ['ession process ', ': preauth child '],
    re: /^(?:[Ss]ession process (\d+) (?:for (.+?) killed by signal (\d+)|unpriv child crash for (.+?))(.*)|(.+): preauth child (?:exited with status|terminated by signal) (\d+))$/,
    make: (m) => evd('error.other', 'sshd.server.child-crash', { reason: 'child-crash', message: m[0] }),
  },
  // --- connection ----------------------------------------------------------------------
  {
    id: 'sshd.conn.from',
    re: new RegExp(String.raw`^Connection from ${ADDR} port (\d+)(?: on (\S+) port (\d+)(?: rdomain "([^"]*)")?)?$`),
    make: (m) =>
      // m[5] (rdomain) is only ever set with m[3]
      ev(
        'connect.start',
        'sshd.conn.from',
        m[1],
        m[2],
        undefined,
        !m[3] ? {} : m[5] ? { local: m[3], localPort: Number(m[4]), rdomain: m[5] } : { local: m[3], localPort: Number(m[4]) },
      ),
  },
  {
    id: 'sshd.conn.closed',
    // ≤6.x had no port: that form never carries a user, so the user name cannot swallow the address.
    re: new RegExp(String.raw`^Connection (closed|reset) by (?:${PRE}${ADDR} port (\d+)|${ADDR})$`),
    make: (m) =>
      ev('session.disconnected', 'sshd.conn.closed', m[4] ?? m[6], m[5], m[3], userState({ reason: m[1] === 'reset' ? 'reset' : 'closed' }, m[2], m[3])),
  },
  {
    id: 'sshd.conn.timed-out',
    re: new RegExp(String.raw`^(?:Connection from ${PRE}${ADDR} port (\d+) timed out|Timeout, client not responding(?: from ${PRE}${ADDR} port (\d+))?\.?)$`),
    make: (m) =>
      m[3] !== undefined
        ? ev('session.disconnected', 'sshd.conn.timed-out', m[3], m[4], m[2], userState({ reason: 'timeout' }, m[1], m[2]))
        : ev('session.disconnected', 'sshd.conn.timed-out', m[7], m[8], m[6], userState({ reason: 'client-not-responding' }, m[5], m[6])),
  },
  {
    id: 'sshd.conn.received-disconnect',
    re: new RegExp(String.raw`^Received disconnect from ${ADDR}(?: port (\d+))?: ?(\d+): ?(.*)$`),
    make: (m) => {
      const code = Number(m[3]);
      // 14 = SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE: the client has no method the server accepts.
      const kind: EventKind = code === 14 ? 'auth.no-methods' : 'session.disconnected';
      return ev(kind, 'sshd.conn.received-disconnect', m[1], m[2], undefined, { reason: 'client-disconnect', code, message: m[4]! });
    },
  },
  {
    id: 'sshd.conn.disconnected',
    re: new RegExp(String.raw`^Disconnected from (?:${PRE}${ADDR} port (\d+)|${ADDR})$`),
    make: (m, ctx) =>
      // After authentication (`user U`, not preauth) this closes a session normally.
      ev(
        m[2] !== undefined && m[1] === undefined && !ctx.preauth ? 'session.ended' : 'session.disconnected',
        'sshd.conn.disconnected',
        m[3] ?? m[5],
        m[4],
        m[2],
        userState({ reason: 'disconnected' }, m[1], m[2]),
      ),
  },
  {
    id: 'sshd.conn.disconnecting',
    re: new RegExp(String.raw`^Disconnecting(?: ${PRE}${ADDR} port (\d+))?: (.*)$`),
    make: (m) => {
      const { kind, detail } = disconnectReason(m[5]!);
      // ≤7.4: `Disconnecting: Too many authentication failures for U`
      const old = m[3] === undefined ? /^Too many authentication failures for (.*)$/.exec(m[5]!) : null;
      const user = m[2] ?? old?.[1];
      return ev(kind, 'sshd.conn.disconnecting', m[3], m[4], user, userState(detail, m[1], m[2]));
    },
  },
  {
    id: 'sshd.conn.read-error',
    re: new RegExp(String.raw`^(?:(?:Read error from remote host|packet_write_wait: Connection to) ${ADDR}(?: port (\d+))?: (.*)|(?:Read from socket failed|Write failed|Connection reset): (.*))$`),
    make: (m) => {
      const message = m[3] ?? m[4] ?? '';
      return ev('session.disconnected', 'sshd.conn.read-error', m[1], m[2], undefined, { reason: /timed out/i.test(message) ? 'timeout' : 'reset', message });
    },
  },
  { id: 'sshd.conn.closing', re: /^Closing connection to (?<host>\S+) port (?<port>\d+)$/, kind: 'info', detail: { what: 'closing' } },
  {
    id: 'sshd.conn.transferred',
    re: /^Transferred: sent (?<sent>\d+), received (?<received>\d+) bytes$/,
    kind: 'info',
    detail: (g) => ({ what: 'transferred', sent: Number(g.sent), received: Number(g.received) }),
  },
  {
    id: 'sshd.conn.dns',
    re: /^(?:reverse mapping checking getaddrinfo for (\S+) \[(\S+)\] failed.*|Address (\S+) maps to (\S+), but this does not map back to the address.*|Nasty PTR record "(.*)" is set up for (\S+), ignoring)$/,
    make: (m) =>
      ev('error.other', 'sshd.conn.dns', (m[2] ?? m[3] ?? m[6])!, undefined, undefined, { reason: 'dns-mismatch', message: m[0] }),
  },
  // --- version exchange ----------------------------------------------------------------
  { id: 'sshd.ident.none', re: /^Did not receive identification string from (?<host>\S+?)(?: port (?<port>\d+))?$/, kind: 'version.failed', detail: { reason: 'no-banner' } },
  {
    id: 'sshd.ident.bad',
    re: new RegExp(String.raw`^(?:Bad protocol version identification '(.*)' from ${ADDR}(?: port (\d+))?|Bad remote protocol version identification: '(.*)'|Protocol major versions differ(?: for ${ADDR}(?: port (\d+))?)?: (.*))$`),
    make: (m) =>
      m[7] !== undefined
        ? ev('version.failed', 'sshd.ident.bad', m[5], m[6], undefined, { reason: 'protocol-major', message: m[7] })
        : ev('version.failed', 'sshd.ident.bad', m[2], m[3], undefined, { reason: 'invalid-banner', banner: (m[1] ?? m[4])! }),
  },
  {
    id: 'sshd.ident.exchange',
    re: /^kex_exchange_identification: (?:(Connection closed by remote host)|read: (.*)|client sent invalid protocol identifier "(.*)"|(banner line .*|.+))$/,
    make: (m) => {
      if (m[1]) return evd('version.failed', 'sshd.ident.exchange', { reason: 'closed', message: m[1] });
      if (m[2] !== undefined) return evd('version.failed', 'sshd.ident.exchange', { reason: 'reset', message: m[2] });
      if (m[3] !== undefined) return evd('version.failed', 'sshd.ident.exchange', { reason: 'invalid-banner', banner: m[3] });
      return evd('version.failed', 'sshd.ident.exchange', { reason: 'invalid-banner', message: m[4]! });
    },
  },
  {
    id: 'sshd.ident.probe',
    re: /^probed from (?<host>\S+) port (?<port>\d+) with (?<banner>.*?)\. {2}Don't panic\.$/,
    kind: 'version.failed',
    detail: (g) => ({ reason: 'probe', banner: g.banner! }),
  },
  {
    id: 'sshd.ident.banner-fatal',
    re: new RegExp(String.raw`^banner exchange: Connection from ${PRE}${ADDR} port (\d+): (.*)$`),
    make: (m) => ev('version.failed', 'sshd.ident.banner-fatal', m[3], m[4], m[2], { reason: 'invalid-banner', message: m[5]! }),
  },
  {
    id: 'sshd.ver.remote',
    re: /^(?:Client protocol version ([\d.]+); client software version (.*)|Remote protocol version ([\d.]+), remote software version (.*))$/,
    make: (m) => evd('version.remote', 'sshd.ver.remote', { version: (m[2] ?? m[4])!, protocol: (m[1] ?? m[3])! }),
  },
  {
    id: 'sshd.ver.local',
    re: /^(?:Local version string|Enabling compatibility mode for protocol) (.*)$/,
    make: (m) => evd('version.local', 'sshd.ver.local', { version: m[1]! }),
  },
  // --- key exchange --------------------------------------------------------------------
  {
    id: 'sshd.kex.no-match',
    re: new RegExp(String.raw`^Unable to negotiate with ${ADDR}(?: port (\d+))?: no matching (.+?) found\. Their offer: (.*)$`),
    make: (m) =>
      ev('kex.failed', 'sshd.kex.no-match', m[1], m[2], undefined, {
        reason: 'no-common-algorithm',
        algClass: opensshAlgClass(m[3]!),
        what: m[3]!,
        clientOffer: m[4]!,
      }),
  },
  {
    // 6.7–6.9: `fatal: no matching cipher found: client … server …`, `fatal: Unable to negotiate a key exchange method`, `no hostkey alg`
    id: 'sshd.kex.no-match-old',
    needs: ['no matching ', 'Unable to negotiate a ', 'no kex alg', 'no hostkey alg'],
    re: /^(?:[\w_]+: )?(?:no matching (cipher|mac|MAC|comp|compression method|key exchange method|host key type) found(?:: client (\S+) server (\S+))?|Unable to negotiate a (key exchange method|host key algorithm|cipher|MAC|compression method)|no (kex|hostkey) alg(?:orithm)?)$/,
    make: (m) => {
      const detail: Detail = { reason: 'no-common-algorithm', algClass: opensshAlgClass((m[1] ?? m[4] ?? m[5])!) };
      if (m[2]) {
        detail.clientOffer = m[2];
        detail.serverOffer = m[3]!;
      }
      return evd('kex.failed', 'sshd.kex.no-match-old', detail);
    },
  },
  {
    id: 'sshd.kex.protocol-error',
    re: /^(?:Hm, )?kex[ _]protocol[ _]error: type (\d+) seq (\d+)$/,
    make: (m) =>
      evd(
        'kex.failed',
        'sshd.kex.protocol-error',
        // type 30 = SSH2_MSG_KEX_DH_GEX_REQUEST_OLD: a pre-RFC 4419 group-exchange request (PuTTY ≤ 0.64)
        m[1] === '30'
          ? { reason: 'protocol-error', type: Number(m[1]), seq: Number(m[2]), algClass: 'kex', method: 'dh-group-exchange-old' }
          : { reason: 'protocol-error', type: Number(m[1]), seq: Number(m[2]) },
      ),
  },
  {
    id: 'sshd.kex.dispatch-protocol-error',
    re: /^(?:Hm, )?dispatch[ _]protocol[ _]error: type (?<type>\d+) seq (?<seq>\d+)$/,
    kind: 'error.other',
    detail: (g) => ({ reason: 'protocol-error', type: Number(g.type), seq: Number(g.seq) }),
  },
  {
    id: 'sshd.kex.dispatch-fatal',
    re: new RegExp(String.raw`^ssh_dispatch_run_fatal: Connection (?:from|to) ${PRE}${ADDR} port (\d+): (.*)$`),
    make: (m) => {
      const { kind, detail } = classifyFatal('ssh_dispatch_run_fatal', m[5]!);
      return ev(kind, 'sshd.kex.dispatch-fatal', m[3], m[4], m[2], userState(detail, m[1], m[2]));
    },
  },
  {
    id: 'sshd.kex.gex',
    needs: ['DH GEX', 'DH grp', 'MONITOR_ANS_MODULI', 'DH_GEX'],
    re: /^(?:[\w_]+: )*(?:(DH GEX group out of range)|(?:Protocol error: )?(no matching DH grp found)|(MONITOR_ANS_MODULI failed)|(DH_GEX group out of range: .*))$/,
    make: (m) =>
      evd('kex.failed', 'sshd.kex.gex', { reason: m[1] || m[4] ? 'gex-range' : 'gex-no-group', algClass: 'kex', method: 'dh-group-exchange', message: m[0] }),
  },
  {
    id: 'sshd.kex.moduli',
    needs: /modul|prime|disappeared/i,
    re: /^(?:WARNING: )?(?:(could not open (.+) \((.*)\), using fixed modulus)|(no suitable primes in (.+))|(line \d+ disappeared in (.+), giving up)|(Bad prime description in line \d+)|(.+: (?:invalid|bad) (?:moduli|modulus|prime).*))$/i,
    make: (m) => {
      const detail: Detail = { reason: m[1] ? 'moduli-missing' : m[4] ? 'moduli-no-suitable' : 'moduli-bad', algClass: 'kex', message: m[0] };
      const file = m[2] ?? m[5] ?? m[7];
      if (file) detail.file = file;
      return evd('error.other', 'sshd.kex.moduli', detail);
    },
  },
  {
    id: 'sshd.kex.corrupt',
    re: /^(?:Corrupted MAC on input|Bad packet length \d+|Packet corrupt|Corrupted padlen \d+ on input|padding error: .*|message authentication code incorrect)\.?$/,
    make: (m) => evd('kex.failed', 'sshd.kex.corrupt', { reason: 'protocol-error', message: m[0] }),
  },
  {
    id: 'sshd.kex.algorithm',
    re: /^kex: (?:(algorithm|host key algorithm): (\S+)|(client->server|server->client) cipher: (\S+) MAC: (\S+) compression: (\S+))$/,
    make: (m) =>
      m[1]
        ? evd('kex.method', 'sshd.kex.algorithm', { what: m[1], method: m[2]! })
        : evd('kex.done', 'sshd.kex.algorithm', { direction: m[3] === 'server->client' ? 'out' : 'in', cipher: m[4]!, mac: m[5]!, compression: m[6]! }),
  },
  {
    id: 'sshd.conn.fatal',
    needs: ['Connection from ', 'Connection to '],
    // `TAG: ` and, from 8.0, `FUNCTION: WHAT: ` before it (sshpkt_fatal)
    re: new RegExp(String.raw`^(?:([\w_ ]+(?:: [\w@. -]+)?): )?Connection (?:from|to) ${PRE}${ADDR} port (\d+): (.*)$`),
    make: (m) => {
      const { kind, detail } = classifyFatal(m[1], m[6]!);
      return ev(kind, 'sshd.conn.fatal', m[4], m[5], m[3], userState(detail, m[2], m[3]));
    },
  },
  // --- authentication ------------------------------------------------------------------
  {
    // hot rows: positional (see table.ts `positional`)
    id: 'sshd.auth.accepted',
    re: new RegExp(String.raw`^Accepted (\S+) for (.*) from ${ADDR} port (\d+)(?: (ssh[12]))?(?:: (.*))?$`),
    make: (m) => ev('auth.success', 'sshd.auth.accepted', m[3], m[4], m[2], keyInfo({ method: m[1]! }, m[6])),
  },
  {
    id: 'sshd.auth.failed',
    re: new RegExp(String.raw`^Failed (\S+) for (invalid user )?(.*) from ${ADDR} port (\d+)(?: (ssh[12]))?(?:: (.*))?$`),
    make: (m) =>
      ev(
        'auth.failed',
        'sshd.auth.failed',
        m[4],
        m[5],
        m[3],
        keyInfo(m[2] ? { method: m[1]!, reason: 'rejected', invalidUser: true } : { method: m[1]!, reason: 'rejected' }, m[7]),
      ),
  },
  {
    id: 'sshd.auth.postponed',
    re: new RegExp(String.raw`^(Postponed|Partial) (\S+) for (invalid user )?(.*) from ${ADDR} port (\d+)(?: (ssh[12]))?(?:: (.*))?$`),
    make: (m) => {
      const result = m[1] === 'Postponed' ? 'postponed' : 'partial'; // the regex allows only these two
      return ev(
        'auth.attempt',
        'sshd.auth.postponed',
        m[5],
        m[6],
        m[4],
        keyInfo(m[3] ? { method: m[2]!, result, invalidUser: true } : { method: m[2]!, result }, m[8]),
      );
    },
  },
  {
    id: 'sshd.auth.key-found',
    re: /^(?:Accepted key (\S+) (\S+) found at (.+)|Accepted certificate ID "(.*)" \(serial (\d+)\) signed by (\S+) CA (\S+) via (.+))$/,
    make: (m) =>
      m[1]
        ? info('sshd.auth.key-found', { what: 'key-found', keyType: m[1], fingerprint: m[2]!, file: m[3]! })
        : info('sshd.auth.key-found', { what: 'certificate-found', certId: m[4]!, serial: Number(m[5]), keyType: m[6]!, fingerprint: m[7]!, file: m[8]! }),
  },
  {
    id: 'sshd.auth.invalid-user',
    re: new RegExp(String.raw`^(?:Invalid user (.*) from ${ADDR}(?: port (\d+))?|input_userauth_request: invalid user (.*))$`),
    make: (m) =>
      m[4] !== undefined
        ? ev('auth.invalid-user', 'sshd.auth.invalid-user', undefined, undefined, m[4])
        : ev('auth.invalid-user', 'sshd.auth.invalid-user', m[2], m[3], m[1]),
  },
  {
    id: 'sshd.auth.not-allowed',
    re: new RegExp(String.raw`^(?:User (.*) from ${ADDR} not allowed because (.*)|User (.*) not allowed because (account is locked|shell .* does not exist|shell .* is not executable|.*))$`),
    make: (m) =>
      m[1] !== undefined
        ? ev('auth.failed', 'sshd.auth.not-allowed', m[2], undefined, m[1], { reason: 'not-allowed', message: m[3]! })
        : ev('auth.failed', 'sshd.auth.not-allowed', undefined, undefined, m[4]!, { reason: 'not-allowed', message: m[5]! }),
  },
  {
    id: 'sshd.auth.max-attempts',
    re: /^maximum authentication attempts exceeded for (?<invalid>invalid user )?(?<user>.*) from (?<host>\S+) port (?<port>\d+)(?: ssh[12])?$/,
    kind: 'auth.failed',
    detail: (g): Detail => (g.invalid ? { reason: 'too-many-failures', invalidUser: true } : { reason: 'too-many-failures' }),
  },
  {
    id: 'sshd.auth.root-refused',
    re: new RegExp(String.raw`^ROOT LOGIN REFUSED FROM ${ADDR}(?: port (\d+))?$`),
    make: (m) => ev('auth.failed', 'sshd.auth.root-refused', m[1], m[2], 'root', { reason: 'root-refused' }),
  },
  { id: 'sshd.auth.bad-modes', re: /^Authentication refused: (?<message>.*)$/, kind: 'auth.failed', detail: (g) => ({ reason: 'bad-modes', message: g.message! }) },
  {
    id: 'sshd.auth.pubkey-alg',
    re: /^(?:userauth_pubkey|userauth_hostbased): (?:(?:key type|signature algorithm) (\S+) not in ((?:Pubkey|Hostbased)Accepted(?:KeyTypes|Algorithms))|unsupported public key algorithm: (\S+))$/,
    make: (m) =>
      evd(
        'crypto.weak',
        'sshd.auth.pubkey-alg',
        m[2] ? { algClass: 'pubkey', algorithm: (m[1] ?? m[3])!, refused: true, option: m[2] } : { algClass: 'pubkey', algorithm: (m[1] ?? m[3])!, refused: true },
      ),
  },
  {
    id: 'sshd.auth.pam-error',
    re: /^PAM: (.*?) for (illegal user )?(.*) from (\S+)$/,
    make: (m) =>
      /User not known/i.test(m[1]!) || m[2]
        ? ev('auth.invalid-user', 'sshd.auth.pam-error', m[4]!, undefined, m[3]!, { method: 'pam', message: m[1]! })
        : ev('auth.failed', 'sshd.auth.pam-error', m[4]!, undefined, m[3]!, { method: 'pam', reason: 'rejected', message: m[1]! }),
  },
  {
    id: 'sshd.auth.pam-summary',
    re: /^PAM (?:(\d+) more authentication failures?;.*|service\(sshd\) ignoring max retries;.*)$/,
    make: (m) => info('sshd.auth.pam-summary', m[1] ? { what: 'pam-summary', count: Number(m[1]) } : { what: 'pam-summary' }),
  },
  {
    // sshd looks up the shadow entry of the fake user `NOUSER` when an invalid user tries a password (UsePAM no).
    id: 'sshd.auth.no-shadow',
    re: /^Could not get shadow information for (.*)$/,
    make: (m) =>
      m[1] === 'NOUSER'
        ? info('sshd.auth.no-shadow', { what: 'no-shadow', invalidUser: true })
        : info('sshd.auth.no-shadow', { what: 'no-shadow' }, undefined, undefined, m[1]!),
  },
  // --- PAM modules ---------------------------------------------------------------------
  {
    id: 'sshd.pam.auth-failure',
    re: new RegExp(String.raw`^${PAM_PREFIX}authentication failure; .*?rhost=(\S*)\s*(?:user=(.*))?$`),
    make: (m) => ev('auth.failed', 'sshd.pam.auth-failure', m[2], undefined, m[3], { method: 'pam', reason: 'rejected', module: pamModule(m[0]) }),
  },
  {
    id: 'sshd.pam.session-opened',
    re: new RegExp(String.raw`^${PAM_PREFIX}session opened for user (.*?)(?:\(uid=(\d+)\))? by .*$`),
    make: (m) =>
      ev('session.started', 'sshd.pam.session-opened', undefined, undefined, m[2]!, m[3] ? { source: 'pam', uid: Number(m[3]) } : { source: 'pam' }),
  },
  { id: 'sshd.pam.session-closed', re: new RegExp(String.raw`^${PAM_PREFIX}session closed for user (?<user>.*)$`), kind: 'session.ended', detail: { source: 'pam' } },
  {
    id: 'sshd.pam.other',
    re: new RegExp(String.raw`^${PAM_PREFIX}(.*)$`),
    make: (m) => info('sshd.pam.other', { what: 'pam', module: pamModule(m[0]), stage: m[1]!, message: m[2]! }),
  },
  // --- sessions ------------------------------------------------------------------------
  {
    id: 'sshd.session.start',
    re: new RegExp(String.raw`^Starting session: (.+?) for (.*) from ${ADDR} port (\d+)(?: id (\d+))?$`),
    make: (m) => {
      const what = m[1]!;
      const tty = / on (\S+)$/.exec(what);
      // the match runs to the end: the type is what comes before it
      const detail: Detail = { type: tty ? what.slice(0, tty.index) : what };
      if (tty) detail.tty = tty[1]!;
      if (m[5]) detail.channel = Number(m[5]);
      return ev('session.started', 'sshd.session.start', m[3], m[4], m[2], detail);
    },
  },
  {
    id: 'sshd.session.close',
    re: /^Close session: user (?<user>.*) from (?<host>\S+) port (?<port>\d+)(?: id (?<channel>\d+))?$/,
    kind: 'session.ended',
    detail: (g): Detail => (g.channel ? { channel: Number(g.channel) } : {}),
  },
  { id: 'sshd.session.exit-signal', re: /^Exiting on signal (?<signal>\d+)$/, kind: 'session.ended', detail: (g) => ({ reason: 'signal', signal: Number(g.signal) }) },
  { id: 'sshd.session.child', re: /^User child is on pid (?<pid>\d+)$/, kind: 'info', detail: (g) => ({ what: 'user-child', childPid: Number(g.pid) }) },
  {
    id: 'sshd.session.subsystem-failed',
    re: /^subsystem request for (?<subsystem>\S+) by user (?<user>.*) failed, subsystem not found$/,
    kind: 'error.other',
    detail: (g) => ({ reason: 'subsystem-not-found', subsystem: g.subsystem! }),
  },
  {
    id: 'sshd.session.oom-adj',
    re: /^Set \/proc\/self\/oom_(?:score_)?adj (?:from -?\d+ )?to -?\d+$/,
    make: (m) => evd('noise', 'sshd.session.oom-adj', { what: m[0] }),
  },
  // --- configuration -------------------------------------------------------------------
  {
    id: 'sshd.config.warning',
    needs: [' line ', 'Could not load host key: ', 'Unable to load host key'],
    re: /^(?:(\S+) line (\d+): (Deprecated option .*|Unsupported option .*|.*)|Could not load host key: (.*)|Unable to load host key(?: "([^"]*)")?: .*)$/,
    make: (m) => {
      const detail: Detail = { reason: m[4] !== undefined || m[0].startsWith('Unable to load host key') ? 'hostkey-load' : 'config', message: m[0] };
      if (m[1]) {
        detail.file = m[1];
        detail.line = Number(m[2]);
      }
      return evd('error.other', 'sshd.config.warning', detail);
    },
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

const TABLE = new Table<Ctx>('sshd', [...PATTERNS, ...TABLE_ROWS]);
/** Messages the source catalog puts in a named `ignored` class (docs/catalog/sshd.json). */
const IGNORED = new IgnoredTable('sshd', 'sshd.ignored', SSHD_IGNORED);

const REPEATED = /^message repeated (\d+) times: \[ ?(.*?) ?\]$/;
const PROGNAME = /^sshd(?:-session|-auth)?: /;
const LEVEL = OPENSSH_LEVEL;
const WARNING = /^WARNING: (.*)$/;

class SshdParser implements LineParser {
  /** Reset for every line; makers read it while the line is parsed and never keep it. */
  private readonly ctx: Ctx = { level: undefined, preauth: false };

  parse(msg: Message): EventDraft[] {
    let text = msg.text.endsWith('\r') ? msg.text.slice(0, -1) : msg.text;
    // what the wrappers said, written into the detail at the end (most lines have none)
    let repeated: number | undefined;
    const rep = text.startsWith('message repeated ') ? REPEATED.exec(text) : null;
    if (rep) {
      repeated = Number(rep[1]);
      text = rep[2]!;
    }
    const ctx = this.ctx;
    ctx.level = undefined;
    ctx.preauth = false;
    // ` [preauth]` / ` [postauth]` at the very end (what / \[(preauth|postauth)\]$/ finds)
    let monitor: 'preauth' | 'postauth' | undefined;
    if (text.endsWith(' [preauth]')) {
      monitor = 'preauth';
      ctx.preauth = true;
      text = text.slice(0, -10);
    } else if (text.endsWith(' [postauth]')) {
      monitor = 'postauth';
      text = text.slice(0, -11);
    }
    if (text.startsWith('sshd')) {
      const prog = PROGNAME.exec(text);
      if (prog) text = text.slice(prog[0].length);
    }
    const c0 = text.charCodeAt(0);
    const lv = c0 === 0x65 || c0 === 0x66 || c0 === 0x64 ? LEVEL.exec(text) : null; // e f d
    if (lv) {
      ctx.level = lv[1]!;
      text = text.slice(lv[0].length);
    }
    // the ignored messages are all INFO or VERBOSE: lines with a level prefix never match them
    let d = TABLE.match(text, ctx) ?? (ctx.level === undefined ? IGNORED.match(text) : undefined);
    if (!d) {
      const warning = text.startsWith('WARNING: ') ? WARNING.exec(text) : null;
      if (ctx.level === 'fatal') d = evd('error.fatal', FALLBACK.fatal, { message: text });
      else if (ctx.level === 'error') d = evd('error.other', FALLBACK.error, { message: text });
      else if (warning) d = evd('error.other', FALLBACK.warning, { message: warning[1]! });
      else if (ctx.level?.startsWith('debug')) d = evd('noise', FALLBACK.debug, { message: text });
      else d = ev('unknown', FALLBACK.unknown);
    }
    if (repeated !== undefined || monitor !== undefined || ctx.level !== undefined) {
      // as `{ ...d.detail, ...wrappers }` would: a key already there keeps its place, new ones go last
      const detail = (d.detail ??= {});
      if (repeated !== undefined) detail.repeated = repeated;
      if (monitor !== undefined) detail[monitor] = true;
      if (ctx.level !== undefined) detail.level = ctx.level;
    }
    return [d];
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
    'OpenSSH sshd / sshd-session / sshd-auth 6.7–10.x at LogLevel INFO and VERBOSE (debug lines tolerated): syslog (RFC 3339 with T or space, RFC 3164 with or without hostname or priority, RFC 5424, Solaris message ids, bracketed tags), journal JSON, bare -e/-E lines, PAM module lines',
  idents: ['sshd', 'sshd-session', 'sshd-auth'],
  patterns: [...TABLE.ids, 'sshd.ignored', ...Object.values(FALLBACK)],
  sniff(text: string): number {
    const t = text.replace(/\r$/, '').replace(PROGNAME, '');
    return SNIFF.test(t) ? 0.95 : 0;
  },
  stateless: true,
  create(): LineParser {
    return new SshdParser();
  },
};
