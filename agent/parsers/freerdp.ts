/**
 * FreeRDP clients (xfreerdp, wlfreerdp, sdl-freerdp; 2.x and 3.x), the FreeRDP shadow server
 * (freerdp-shadow-cli) and libfreerdp inside other programs (Remmina delegates its WLog lines here).
 *
 * Envelopes understood:
 *   - WLog console lines, both majors:
 *       2.x  `[13:44:37:617] [5352:5352] [ERROR][com.freerdp.core] - message`
 *       3.x  `[11:44:34:488] [31906:00007ca3] [DEBUG][com.freerdp.core.nla] - [nla_send]: message`
 *     The prefix has the time of day only: it is put on the date of Message.referenceTime in the
 *     local time zone (the occurrence nearest the reference, so a line read just after midnight
 *     keeps yesterday's date). A time stated by an outer envelope (journal, capture) wins. pid:tid
 *     gives the pid; the level and logger tag go to detail.level / detail.tag.
 *   - the client's plain stdout: the certificate block and its question
 *     `Do you trust the above certificate? (Y/T/N) ` (no newline: waits on stdin forever),
 *     credential prompts, `Error: Could not read answer from stdin.`, the build banner printed at
 *     DEBUG level, `This is FreeRDP version …`;
 *   - the shadow server's log (its own WLog lines plus libx264 statistics, ignored as noise).
 *
 * `freerdp_set_last_error_ex ERRCONNECT_… [0x…]` (2.x), `[caller]: ERRCONNECT_… [0x…]` (3.x) and
 * `freerdp_set_last_error 0x2000D` (2015) map through the ERRCONNECT table (errconnect.ts) to a
 * kind with detail.code, detail.errconnect, detail.meaning and detail.family.
 *
 * Wording verified on FreeRDP 2.11.7 (real captures); 3.x and older wording from signatures.md §E.
 * The `func: Failure in SSL library (protocol error?)` family of TLS texts is taken from
 * FreeRDP's tls.c as remembered, not from a capture.
 */
import type { Detail, EventDraft, EventKind, Program } from '../event.js';
import { ERRINFO_MEANING, errconnect, errconnectDetail, hex8 } from './errconnect.js';
import { netReason } from './net-reason.js';
import { PartialLines } from './partial.js';
import type { LineParser, Message, ParserSpec } from './types.js';

/** One WLog line taken apart. */
export interface Wlog {
  hour: number;
  minute: number;
  second: number;
  ms: number;
  pid: number;
  tid: string;
  level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
  tag: string;
  /** 3.x: the function name printed before the message. */
  fn?: string;
  text: string;
}

const WLOG_RE =
  /^\[(\d\d):(\d\d):(\d\d):(\d{3})\] \[(\d{1,10}):([0-9a-fA-F]{1,16})\] \[(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\]\[([\w.-]{1,200})\] - (?:\[(\w{1,200})\](?:\[[^\]]{0,200}\])?: )?(.*)$/s;

export function parseWlog(text: string): Wlog | undefined {
  const m = WLOG_RE.exec(text);
  if (!m) return undefined;
  const w: Wlog = {
    hour: +m[1]!,
    minute: +m[2]!,
    second: +m[3]!,
    ms: +m[4]!,
    pid: +m[5]!,
    tid: m[6]!,
    level: m[7] as Wlog['level'],
    tag: m[8]!,
    text: m[10]!,
  };
  if (m[9] !== undefined) w.fn = m[9];
  return w;
}


/**
 * A time of day (local time zone) placed on the day of `reference`, or the day before or after,
 * whichever is nearest the reference.
 */
export function timeOfDay(hour: number, minute: number, second: number, ms: number, reference: number): number {
  const ref = new Date(reference);
  const at = (dayOffset: number) =>
    new Date(ref.getFullYear(), ref.getMonth(), ref.getDate() + dayOffset, hour, minute, second, ms).getTime();
  let best = at(0);
  for (const off of [-1, 1]) {
    const t = at(off);
    if (Math.abs(t - reference) < Math.abs(best - reference)) best = t;
  }
  return best;
}

/** NTSTATUS values NLA reports → the ERRCONNECT family FreeRDP maps them to (nla.c). */
const NTSTATUS_FAMILY: Readonly<Record<string, string>> = {
  STATUS_LOGON_FAILURE: 'logon',
  STATUS_WRONG_PASSWORD: 'logon',
  STATUS_NO_SUCH_USER: 'logon',
  STATUS_PASSWORD_EXPIRED: 'password-expired',
  STATUS_PASSWORD_MUST_CHANGE: 'password-expired',
  STATUS_ACCOUNT_LOCKED_OUT: 'account-locked',
  STATUS_ACCOUNT_DISABLED: 'account-disabled',
  STATUS_ACCOUNT_EXPIRED: 'account-expired',
  STATUS_ACCOUNT_RESTRICTION: 'account-restricted',
  STATUS_ACCESS_DENIED: 'privileges',
  STATUS_LOGON_TYPE_NOT_GRANTED: 'privileges',
};

type CertBlock = 'details' | 'name-mismatch' | 'changed' | 'new-host';

interface State {
  program: Program;
  /** What the certificate lines seen so far said: goes into the prompt's detail. */
  cert: Detail;
  block: CertBlock | undefined;
  /** The WLog line after `Certificate verification failure` names the subject. */
  expectSubject: boolean;
  /** A partial line that was not a prompt: completed by its continuation. */
}

interface Ctx {
  st: State;
  w: Wlog | undefined;
}

type Make = (m: RegExpExecArray, c: Ctx) => EventDraft | EventDraft[];
interface Pattern {
  id: string;
  re: RegExp;
  make: Make;
}

function draft(c: Ctx, kind: EventKind, pattern: string, detail: Detail = {}, extra: Partial<EventDraft> = {}): EventDraft {
  const d: EventDraft = { kind, program: c.st.program, pattern, detail: { ...detail }, ...extra };
  if (c.w) {
    d.detail!.level = c.w.level;
    d.detail!.tag = c.w.tag;
    if (c.w.fn) d.detail!.function = c.w.fn;
  }
  return d;
}
const info = (c: Ctx, pattern: string, what: string, detail: Detail = {}) => draft(c, 'info', pattern, { what, ...detail });
const server = { side: 'server' } as const;
/** error.other for ERROR/FATAL/WARN lines, info for quieter levels. */
const byLevel = (c: Ctx): EventKind => (c.w && (c.w.level === 'ERROR' || c.w.level === 'FATAL' || c.w.level === 'WARN') ? 'error.other' : 'info');

/** The last-error line in all its eras, mapped through the ERRCONNECT table. */
function lastError(c: Ctx, pattern: string, name: string | undefined, code: string | undefined, caller: string | undefined): EventDraft {
  const num = code !== undefined ? parseInt(code, 16) : undefined;
  const callerDetail: Detail = caller ? { caller } : {};
  if (name?.startsWith('ERRINFO_')) {
    return draft(c, 'session.disconnected', pattern, {
      reason: 'errinfo',
      errinfo: name,
      ...(num !== undefined ? { code: hex8(num) } : {}),
      meaning: ERRINFO_MEANING[name] ?? 'the server ended the session',
      ...callerDetail,
    });
  }
  const e = (name ? errconnect(name) : undefined) ?? (num !== undefined ? errconnect(num) : undefined);
  if (!e) {
    return draft(c, 'error.other', pattern, {
      ...(name ? { errconnect: name } : {}),
      ...(num !== undefined ? { code: hex8(num) } : {}),
      meaning: 'an error code FreeRDP reported that connwatch does not know',
      ...callerDetail,
    });
  }
  const reason = e.family === 'transport' ? 'transport' : e.family;
  return draft(c, e.kind, pattern, { ...errconnectDetail(e), reason, ...callerDetail });
}

const CERT_FIELD: Readonly<Record<string, string>> = {
  'Common Name': 'commonName',
  Subject: 'subject',
  Issuer: 'issuer',
  Thumbprint: 'thumbprint',
  Fingerprint: 'thumbprint',
};

/** Patterns on the message of a WLog line. */
const WLOG_PATTERNS: Pattern[] = [
  // --- last error -------------------------------------------------------------------------
  {
    id: 'freerdp.err.last-error',
    re: /^(?:(?:(\w+):)?freerdp_set_last_error(?:_ex)? ((?:ERRCONNECT|ERRINFO|ERRBASE)_[A-Z0-9_]+)(?: \[0x([0-9A-Fa-f]{1,8})\])?|((?:ERRCONNECT|ERRINFO|ERRBASE)_[A-Z0-9_]+) \[0x([0-9A-Fa-f]{1,8})\]|freerdp_set_last_error 0x([0-9A-Fa-f]{1,8}))$/,
    make: (m, c) => lastError(c, 'freerdp.err.last-error', m[2] ?? m[4], m[3] ?? m[5] ?? m[6], m[1] ?? c.w?.fn),
  },
  {
    id: 'freerdp.err.reset',
    re: /^(?:(\w+):freerdp_set_last_error(?:_ex)? )?resetting error state$/,
    make: (m, c) => info(c, 'freerdp.err.reset', 'error-reset', m[1] ? { caller: m[1] } : {}),
  },
  {
    id: 'freerdp.err.already-set',
    re: /^(?:(\w+): )?TODO: Trying to set error code (\S+), but (\S+) already set!$/,
    make: (m, c) => info(c, 'freerdp.err.already-set', 'error-already-set', { errconnect: m[2]!, previous: m[3]! }),
  },
  {
    id: 'freerdp.err.errinfo',
    re: /^(?:(ERRINFO_[A-Z0-9_]+) \(0x([0-9A-Fa-f]{8})\):(.*)|ERRINFO_UNKNOWN 0x([0-9A-Fa-f]{1,8}): Unknown error\.)$/,
    make: (m, c) => {
      const name = m[1] ?? 'ERRINFO_UNKNOWN';
      if (name === 'ERRINFO_SUCCESS') return info(c, 'freerdp.err.errinfo', 'errinfo-success');
      return draft(c, 'session.disconnected', 'freerdp.err.errinfo', {
        reason: 'errinfo',
        errinfo: name,
        code: hex8(parseInt(m[2] ?? m[4]!, 16) | (1 << 16)),
        meaning: ERRINFO_MEANING[name] ?? (m[3]?.trim() || 'the server ended the session'),
        ...(m[3] ? { message: m[3].trim() } : {}),
      });
    },
  },
  // --- connection -------------------------------------------------------------------------
  {
    id: 'freerdp.conn.start',
    re: /^connecting to peer (\S+)$/,
    make: (m, c) => draft(c, 'connect.start', 'freerdp.conn.start', {}, { host: m[1]! }),
  },
  {
    id: 'freerdp.conn.tcp-failed',
    re: /^failed to connect to (\S+)$/,
    make: (m, c) => draft(c, 'connect.failed', 'freerdp.conn.tcp-failed', { reason: 'connect' }, { host: m[1]! }),
  },
  {
    id: 'freerdp.conn.post-connect',
    re: /^freerdp_post_connect failed$/,
    make: (_m, c) => draft(c, 'connect.failed', 'freerdp.conn.post-connect', { reason: 'post-connect' }),
  },
  {
    id: 'freerdp.conn.state',
    re: /^rdp_client_transition_to_state (\w+) --> (\w+)$/,
    make: (m, c) => info(c, 'freerdp.conn.state', 'state', { from: m[1]!, to: m[2]! }),
  },
  {
    id: 'freerdp.session.gdi',
    re: /^Local framebuffer format\s+(\S+)$/,
    make: (m, c) => draft(c, 'session.started', 'freerdp.session.gdi', { format: m[1]! }),
  },
  {
    id: 'freerdp.session.info',
    re: /^(?:Remote framebuffer format\s+\S+|\[static\] Loaded \w+ backend for \w+|Loading Dynamic Virtual Channel \w+|loading channelEx \w+|VirtualChannelEntryEx|Loaded fake backend for \w+)$/,
    make: (m, c) => info(c, 'freerdp.session.info', 'session-setup', { message: m[0] }),
  },
  {
    id: 'freerdp.client.exit',
    re: /^(Freerdp connect error|Authentication only,) exit status (\d+)$/,
    make: (m, c) =>
      m[1] === 'Freerdp connect error'
        ? draft(c, 'error.fatal', 'freerdp.client.exit', { message: m[0], exitStatus: Number(m[2]) })
        : info(c, 'freerdp.client.exit', 'auth-only', { exitStatus: Number(m[2]) }),
  },
  {
    id: 'freerdp.client.signal',
    re: /^Caught signal '([^']*)' \[(\d+)\]$/,
    make: (m, c) => draft(c, 'error.fatal', 'freerdp.client.signal', { reason: 'signal', signal: m[1]!, signalNumber: Number(m[2]) }),
  },
  {
    id: 'freerdp.client.backtrace',
    re: /^\d+: .*\[0x[0-9a-fA-F]+\]$/,
    make: (_m, c) => draft(c, 'noise', 'freerdp.client.backtrace'),
  },
  {
    id: 'freerdp.version',
    re: /^FreeRDP version (\S+)(?: \((.*)\))?$/,
    make: (m, c) => draft(c, 'version.local', 'freerdp.version', { version: m[1]! }),
  },
  {
    id: 'freerdp.crypto.directory',
    re: /^creat(?:ing|ed) directory \[?(.*?)\]?$/,
    make: (m, c) => info(c, 'freerdp.crypto.directory', 'directory', { path: m[1]! }),
  },
  // --- negotiation ------------------------------------------------------------------------
  {
    id: 'freerdp.nego.negotiated',
    re: /^Negotiated (\w+) security$/,
    make: (m, c) => draft(c, 'connect.established', 'freerdp.nego.negotiated', { security: m[1]!.toLowerCase() }),
  },
  {
    id: 'freerdp.nego.server-says',
    re: /^Error: (SSL_REQUIRED_BY_SERVER|SSL_NOT_ALLOWED_BY_SERVER|HYBRID_REQUIRED_BY_SERVER|SSL_CERT_NOT_ON_SERVER|SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER|INCONSISTENT_FLAGS|Unknown protocol security error \d+)(?: \[0x[0-9A-Fa-f]+\])?$/,
    make: (m, c) => draft(c, 'nego.failed', 'freerdp.nego.server-says', { reason: m[1]!.startsWith('Unknown') ? 'unknown' : m[1]!, message: m[1]! }),
  },
  {
    id: 'freerdp.nego.failure',
    re: /^Protocol Security Negotiation Failure(?:: (\S+) \[0x[0-9A-Fa-f]+\])?$/,
    make: (m, c) => draft(c, 'nego.failed', 'freerdp.nego.failure', { reason: m[1] ?? 'no-common-protocol' }),
  },
  {
    id: 'freerdp.nego.connection-failure',
    re: /^Error: protocol security negotiation or connection failure$/,
    make: (_m, c) => draft(c, 'nego.failed', 'freerdp.nego.connection-failure', { reason: 'negotiation-or-connection' }),
  },
  {
    id: 'freerdp.nego.server-nla-only',
    re: /^server supports only NLA Security$/,
    make: (_m, c) => draft(c, 'nego.failed', 'freerdp.nego.server-nla-only', { reason: 'HYBRID_REQUIRED_BY_SERVER', ...server }),
  },
  {
    id: 'freerdp.nego.server-failure',
    re: /^Protocol security negotiation failure$/,
    make: (_m, c) => draft(c, 'nego.failed', 'freerdp.nego.server-failure', { reason: 'no-common-protocol', ...server }),
  },
  // --- NLA / CredSSP ----------------------------------------------------------------------
  {
    id: 'freerdp.nla.ntstatus',
    re: /^SPNEGO (received|failed with) NTSTATUS: (\w+) \[0x([0-9A-Fa-f]{8})\](?: from server)?$/,
    make: (m, c) =>
      draft(c, 'auth.failed', 'freerdp.nla.ntstatus', {
        method: 'nla',
        reason: m[2]!,
        ntstatus: m[2]!,
        family: NTSTATUS_FAMILY[m[2]!] ?? 'auth',
      }),
  },
  {
    id: 'freerdp.nla.sspi-status',
    re: /^(\w+) status (SEC_[EI]_\w+) \[0x([0-9A-Fa-f]{8})\]$/,
    make: (m, c) => {
      const [call, status] = [m[1]!, m[2]!];
      if (status.startsWith('SEC_I_') || call === 'DeleteSecurityContext') {
        return info(c, 'freerdp.nla.sspi-status', 'sspi-status', { call, status });
      }
      const kind: EventKind = status === 'SEC_E_LOGON_DENIED' ? 'auth.failed' : 'nla.failed';
      return draft(c, kind, 'freerdp.nla.sspi-status', { reason: status, status, call, ...(kind === 'auth.failed' ? { method: 'nla' } : {}) });
    },
  },
  {
    id: 'freerdp.nla.recv-failed',
    re: /^(?:\[nla_recv\] error: (-?\d+)|(?:rdp_recv_callback: )?CONNECTION_STATE_NLA - nla_recv_pdu\(\) fail|nla_recv_pdu\(\) fail)$/,
    make: (_m, c) => draft(c, 'nla.failed', 'freerdp.nla.recv-failed', { reason: 'nla-receive-failed' }),
  },
  {
    id: 'freerdp.nla.pubkey',
    re: /^Could not verify server's (public key echo|hash)$/,
    make: (m, c) => draft(c, 'nla.failed', 'freerdp.nla.pubkey', { reason: 'public-key-mismatch', message: m[0] }),
  },
  {
    id: 'freerdp.nla.version',
    re: /^CredSSP (?:peer changed protocol version from (\d+) to (\d+)|protocol support (\d+), peer supports (\d+))$/,
    make: (m, c) => info(c, 'freerdp.nla.version', 'credssp-version', { local: Number(m[1] ?? m[3]), peer: Number(m[2] ?? m[4]) }),
  },
  {
    id: 'freerdp.server.mic-failed',
    re: /^Message Integrity Check \(MIC\) verification failed!$/,
    make: (_m, c) => draft(c, 'auth.failed', 'freerdp.server.mic-failed', { method: 'nla', reason: 'wrong-password', ...server }),
  },
  {
    id: 'freerdp.server.no-such-user',
    re: /^(?:Error: )?Could not find user in SAM database$/,
    make: (_m, c) => draft(c, 'auth.invalid-user', 'freerdp.server.no-such-user', { method: 'nla', ...server }),
  },
  {
    id: 'freerdp.server.client-auth-failure',
    re: /^client authentication failure$/,
    make: (_m, c) => draft(c, 'auth.failed', 'freerdp.server.client-auth-failure', { method: 'nla', reason: 'client-authentication', ...server }),
  },
  {
    id: 'freerdp.server.peer-callback',
    re: /^peer_recv_callback: (\w+) - (.+) fail$/,
    make: (m, c) => draft(c, 'error.other', 'freerdp.server.peer-callback', { message: m[0], state: m[1]!, ...server }),
  },
  {
    id: 'freerdp.server.peer-closed',
    re: /^Failed to check FreeRDP file descriptor$/,
    make: (_m, c) => draft(c, 'session.disconnected', 'freerdp.server.peer-closed', { reason: 'peer-closed', ...server }),
  },
  {
    id: 'freerdp.server.init-failed',
    re: /^(?:Failed to initialize shadow server|Server initialization failed\.)$/,
    make: (m, c) => draft(c, 'server.stopped', 'freerdp.server.init-failed', { reason: 'init-failed', message: m[0], ...server }),
  },
  {
    id: 'freerdp.server.display',
    re: /^(?:failed to open display: (.*)|unsupported X11 server color depth: (\d+))$/,
    make: (m, c) =>
      draft(c, m[1] !== undefined ? 'error.fatal' : 'error.other', 'freerdp.server.display', {
        message: m[0],
        ...(m[1] !== undefined ? { display: m[1] } : {}),
        ...server,
      }),
  },
  {
    id: 'freerdp.server.benign',
    re: /^(?:x11_shadow_input_\w+ not implemented|WTSVirtualChannelQuery failed)$/,
    make: (m, c) => info(c, 'freerdp.server.benign', 'server-limitation', { message: m[0], ...server }),
  },
  // --- transport and TLS ------------------------------------------------------------------
  {
    id: 'freerdp.transport.system-error',
    re: /^(\w+) returned a system error (\d+): (.*)$/,
    make: (m, c) => {
      const errno = Number(m[2]);
      if (errno === 0) return draft(c, 'session.disconnected', 'freerdp.transport.system-error', { reason: 'closed-by-peer', call: m[1]! });
      return draft(c, 'connect.failed', 'freerdp.transport.system-error', { reason: netReason(m[3]!), errno, message: m[3]!, call: m[1]! });
    },
  },
  {
    id: 'freerdp.transport.ssl-error',
    re: /^(\w+) returned an error: (.*)$/,
    make: (m, c) => {
      const alert = /tlsv1 alert internal error/.test(m[2]!);
      return draft(c, 'tls.failed', 'freerdp.transport.ssl-error', {
        reason: alert ? 'tls-alert-internal-error' : 'ssl-error',
        message: m[2]!,
        call: m[1]!,
        ...(alert ? { hint: 'during NLA this is the 2018 CredSSP mismatch: update FreeRDP and restart every program using it' } : {}),
      });
    },
  },
  {
    id: 'freerdp.transport.ssl-alert',
    re: /^(?:transport_ssl_cb: ACCESS DENIED|SSL error \(where=(.*), ret=(-?\d+) \[(.*)\]\))$/,
    make: (m, c) =>
      m[0].includes('ACCESS DENIED')
        ? draft(c, 'auth.failed', 'freerdp.transport.ssl-alert', { reason: 'tls-access-denied' })
        : draft(c, 'tls.failed', 'freerdp.transport.ssl-alert', { reason: 'tls-alert', message: m[3]! }),
  },
  {
    id: 'freerdp.tls.failed',
    re: /^(?:(\w+): (Server closed TLS connection|Failure in SSL library \(protocol error\?\)|I\/O error: .*|SSL_ERROR_\w+)|BIO_do_handshake failed|(error:[0-9A-Fa-f]+:SSL routines:.*))$/,
    make: (m, c) => draft(c, 'tls.failed', 'freerdp.tls.failed', { reason: /SSL_ERROR_SSL|SSL routines/.test(m[0]) ? 'ssl-error' : 'handshake', message: m[0] }),
  },
  {
    id: 'freerdp.transport.check-fds',
    re: /^(?:transport_check_fds: .*|transport_check_fds\(\) - -?\d+)$/,
    make: (m, c) => draft(c, byLevel(c), 'freerdp.transport.check-fds', byLevel(c) === 'info' ? { what: 'transport', message: m[0] } : { message: m[0] }),
  },
  // --- certificates (com.freerdp.crypto) ----------------------------------------------------
  {
    id: 'freerdp.cert.verify-failure',
    re: /^Certificate verification failure '(.*) \((\d+)\)' at stack position (\d+)$/,
    make: (m, c) => {
      c.st.expectSubject = true;
      c.st.cert.verifyError = m[1]!;
      return draft(c, 'cert.untrusted', 'freerdp.cert.verify-failure', { reason: m[1]!, verifyCode: Number(m[2]), depth: Number(m[3]) });
    },
  },
  {
    id: 'freerdp.cert.border',
    re: /^@{20,}$/,
    make: (_m, c) => info(c, 'freerdp.cert.border', 'certificate-warning-border'),
  },
  {
    id: 'freerdp.cert.warning',
    re: /^@\s+WARNING: (CERTIFICATE NAME MISMATCH|REMOTE HOST IDENTIFICATION HAS CHANGED|NEW HOST IDENTIFICATION)!\s+@$/,
    make: (m, c) => {
      const which = m[1]!;
      if (which.includes('CHANGED')) {
        c.st.block = 'changed';
        return draft(c, 'cert.changed', 'freerdp.cert.warning', { reason: 'changed' });
      }
      c.st.block = which.includes('MISMATCH') ? 'name-mismatch' : 'new-host';
      c.st.cert.reason = c.st.block;
      return draft(c, 'cert.untrusted', 'freerdp.cert.warning', { reason: c.st.block });
    },
  },
  {
    id: 'freerdp.cert.hostname',
    re: /^(?:The hostname used for this connection \((\S+):(\d+)\) ?|The host key for (\S+):(\d+) has changed)$/,
    make: (m, c) => {
      const host = m[1] ?? m[3]!;
      const port = Number(m[2] ?? m[4]);
      c.st.cert.host = host;
      c.st.cert.port = port;
      return { ...info(c, 'freerdp.cert.hostname', 'certificate-host'), host, port };
    },
  },
  {
    id: 'freerdp.cert.rejected',
    re: /^certificate not trusted, aborting\.$/,
    make: (_m, c) => {
      c.st.block = undefined;
      return draft(c, 'connect.aborted', 'freerdp.cert.rejected', { reason: 'certificate-rejected' });
    },
  },
  {
    id: 'freerdp.cert.ignored',
    re: /^\[DANGER\] Certificate not checked, \/cert:ignore in use\.$/,
    make: (_m, c) => info(c, 'freerdp.cert.ignored', 'certificate-not-checked'),
  },
];

/** Text inside the WLog certificate warning blocks (com.freerdp.crypto). */
const CERT_BLOCK_TEXT =
  /^(?:does not match (?:the name|the names|\S+) given in the certificate:|Common Name \(CN\):|Alternative names:|\t.*|A valid certificate for the wrong name should NOT be trusted!|IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!|Someone could be eavesdropping on you right now \(man-in-the-middle attack\)!|It is also possible that a host key has just been changed\.|The fingerprint for the host key sent by the remote host is.*|Please contact your system administrator\.|Add correct host key in .*|Host key for .* has changed and you have requested strict checking\.|Host key verification failed\.|The authenticity of host .* can't be established\.|.* key fingerprint is .*)$/;

/** Patterns on plain lines (no WLog prefix): the client's stdout. */
const PLAIN_PATTERNS: Pattern[] = [
  {
    id: 'freerdp.cert.details',
    re: /^(?:Certificate details for (\S+):(\d+) \((.*)\):|(New |Old )?Certificate details:)$/,
    make: (m, c) => {
      if (!m[4]) {
        c.st.cert = {};
        c.st.block = 'details';
      }
      if (m[1]) {
        c.st.cert.host = m[1];
        c.st.cert.port = Number(m[2]);
        return { ...info(c, 'freerdp.cert.details', 'certificate-details'), host: m[1], port: Number(m[2]) };
      }
      return info(c, 'freerdp.cert.details', 'certificate-details', m[4] ? { which: m[4].trim().toLowerCase() } : {});
    },
  },
  {
    id: 'freerdp.cert.field',
    re: /^\t(Common Name|Subject|Issuer|Thumbprint|Fingerprint):\s*(.*)$/,
    make: (m, c) => {
      if (c.st.cert[CERT_FIELD[m[1]!]!] === undefined) c.st.cert[CERT_FIELD[m[1]!]!] = m[2]!;
      return info(c, 'freerdp.cert.field', 'certificate-field', { field: m[1]!, value: m[2]! });
    },
  },
  {
    id: 'freerdp.cert.unverified',
    re: /^The above X\.509 certificate could not be verified, possibly because you do not have$/,
    make: (_m, c) => {
      c.st.cert.reason ??= 'unverified';
      return withHost(c, draft(c, 'cert.untrusted', 'freerdp.cert.unverified', { reason: 'unverified' }));
    },
  },
  {
    id: 'freerdp.cert.changed',
    re: /^(?:The above X\.509 certificate does not match the certificate used for previous connections\.|!!!Certificate for (\S+):(\d+) \((.*)\) has changed!!!|!!! Certificate has changed !!!)$/,
    make: (m, c) => {
      c.st.block = 'changed';
      c.st.cert.reason = 'changed';
      if (m[1]) {
        c.st.cert.host = m[1];
        c.st.cert.port = Number(m[2]);
      }
      return withHost(c, draft(c, 'cert.changed', 'freerdp.cert.changed', { reason: 'changed' }));
    },
  },
  {
    id: 'freerdp.cert.text',
    re: /^(?:the CA certificate in your certificate store, or the certificate has expired\.|Please look at the OpenSSL documentation on how to add a private CA to the store\.|This may indicate that the certificate has been tampered with\.|Please contact the administrator of the RDP server and clarify\.)$/,
    make: (_m, c) => info(c, 'freerdp.cert.text', 'certificate-text'),
  },
  {
    id: 'freerdp.cert.stdin-eof',
    re: /^Error: Could not read answer from stdin\.(?: - Run without parameter "--from-stdin" to set trust\.)?$/,
    make: (_m, c) => draft(c, 'connect.aborted', 'freerdp.cert.stdin-eof', { reason: 'stdin-eof' }),
  },
  {
    id: 'freerdp.version',
    re: /^This is FreeRDP version (\S+)(?: \((.*)\))?$/,
    make: (m, c) => draft(c, 'version.local', 'freerdp.version', { version: m[1]! }),
  },
  {
    id: 'freerdp.banner',
    re: /^(?:Build type|CFLAGS|Compiler|Target architecture|Build configuration):\s.*$/,
    make: (m, c) => info(c, 'freerdp.banner', 'build', { message: m[0] }),
  },
  {
    id: 'freerdp.noise.codec',
    re: /^\[(?:libx264|libx265|h264|hevc|libav\w*|swscaler|\w+) @ 0x[0-9a-fA-F]+\] .*$/,
    make: (_m, c) => draft(c, 'noise', 'freerdp.noise.codec'),
  },
];

function withHost(c: Ctx, d: EventDraft): EventDraft {
  if (typeof c.st.cert.host === 'string') d.host = c.st.cert.host;
  if (typeof c.st.cert.port === 'number') d.port = c.st.cert.port;
  return d;
}

/** Prompts: waiting on stdin, no newline. */
const PROMPTS: Array<{ id: string; re: RegExp; kind: EventKind }> = [
  { id: 'freerdp.prompt.certificate', re: /^Do you trust the above certificate\? \(Y\/T\/N\) ?/, kind: 'prompt.certificate' },
  { id: 'freerdp.prompt.password', re: /^(?:Gateway)?Password: ?/, kind: 'prompt.password' },
  { id: 'freerdp.prompt.username', re: /^(?:Gateway)?Username: ?/, kind: 'prompt.username' },
  { id: 'freerdp.prompt.domain', re: /^(?:Gateway)?Domain: {0,3}/, kind: 'prompt.other' },
];

/** A line left waiting without a newline that asks something: ends in `?` or `:` (then maybe a space). */
const GENERIC_PROMPT = /^[^\n]{1,300}[?:] ?$/;

export class FreerdpLineParser implements LineParser {
  private readonly st: State;
  private readonly partial = new PartialLines();

  constructor(program: Program = 'freerdp') {
    this.st = { program, cert: {}, block: undefined, expectSubject: false };
  }

  parse(msg: Message): EventDraft[] {
    const text = this.partial.take(msg);
    const out: EventDraft[] = [];
    for (const p of PROMPTS) {
      const m = p.re.exec(text);
      if (!m) continue;
      const c: Ctx = { st: this.st, w: undefined };
      const detail: Detail = { prompt: m[0].trimEnd() };
      if (p.kind === 'prompt.certificate') Object.assign(detail, this.st.cert);
      const d = draft(c, p.kind, p.id, detail);
      if (p.kind === 'prompt.certificate') {
        withHost(c, d);
        delete d.detail!.host;
        delete d.detail!.port;
        this.st.block = undefined;
        this.st.cert = {};
      }
      out.push(d);
      const rest = text.slice(m[0].length);
      if (rest === '') return out;
      if (/^[yYtTnN]$/.test(rest.trim())) {
        out.push(draft(c, 'prompt.answered', 'freerdp.prompt.answer', { answer: rest.trim() }));
        return out;
      }
      return out.concat(this.line(rest, msg));
    }
    if (this.partial.waits(msg)) {
      // a question no pattern knows, left waiting: a prompt all the same
      if (GENERIC_PROMPT.test(text)) return [draft({ st: this.st, w: undefined }, 'prompt.other', 'freerdp.prompt.generic', { prompt: text.trimEnd() })];
      this.partial.hold(text);
      return out;
    }
    return this.line(text, msg);
  }

  end(): EventDraft[] {
    const text = this.partial.flush();
    return text === undefined ? [] : this.line(text, { text, referenceTime: 0 });
  }

  /** One complete line, prompt already split off. */
  line(text: string, msg: Message): EventDraft[] {
    const w = parseWlog(text);
    if (!w) return [this.plain(text)];
    const c: Ctx = { st: this.st, w };
    const drafts = this.wlog(w, c);
    for (const d of drafts) {
      d.pid ??= w.pid;
      if (msg.time === undefined && msg.referenceTime > 0) d.time = timeOfDay(w.hour, w.minute, w.second, w.ms, msg.referenceTime);
    }
    return drafts;
  }

  private wlog(w: Wlog, c: Ctx): EventDraft[] {
    const text = w.text.replace(/\r?\n$/, '');
    const expectSubject = this.st.expectSubject;
    this.st.expectSubject = false;
    for (const p of WLOG_PATTERNS) {
      const m = p.re.exec(text);
      if (m) {
        const r = p.make(m, c);
        return Array.isArray(r) ? r : [r];
      }
    }
    if (expectSubject && w.tag === 'com.freerdp.crypto') {
      this.st.cert.subject ??= text;
      return [info(c, 'freerdp.cert.subject', 'certificate-subject', { subject: text })];
    }
    if (this.st.block && w.tag === 'com.freerdp.crypto' && CERT_BLOCK_TEXT.test(text)) {
      if (/^\t/.test(text)) this.st.cert.commonName ??= text.trim();
      return [info(c, 'freerdp.cert.block-text', `certificate-${this.st.block}-text`)];
    }
    if (w.level === 'ERROR' || w.level === 'FATAL') return [draft(c, 'error.other', 'freerdp.wlog.error', { message: text })];
    if (w.level === 'WARN') return [draft(c, 'error.other', 'freerdp.wlog.warn', { message: text })];
    return [info(c, 'freerdp.wlog.info', 'log', { message: text })];
  }

  private plain(text: string): EventDraft {
    const c: Ctx = { st: this.st, w: undefined };
    if (text.trim() === '') return draft(c, 'noise', 'freerdp.blank');
    for (const p of PLAIN_PATTERNS) {
      const m = p.re.exec(text);
      if (m) {
        const r = p.make(m, c);
        return Array.isArray(r) ? r[0]! : r;
      }
    }
    return draft(c, 'unknown', 'freerdp.unknown');
  }
}

/** Ids that come from the fallbacks rather than a specific pattern. */
export const FREERDP_FALLBACK_PATTERNS = ['freerdp.wlog.error', 'freerdp.wlog.warn', 'freerdp.wlog.info', 'freerdp.unknown'] as const;

const PATTERN_IDS = [
  ...new Set([
    ...WLOG_PATTERNS.map((p) => p.id),
    ...PLAIN_PATTERNS.map((p) => p.id),
    ...PROMPTS.map((p) => p.id),
    'freerdp.prompt.answer',
    'freerdp.prompt.generic',
    'freerdp.cert.subject',
    'freerdp.cert.block-text',
    'freerdp.blank',
    ...FREERDP_FALLBACK_PATTERNS,
  ]),
];

const WLOG_SNIFF = /^\[\d\d:\d\d:\d\d:\d{3}\] \[\d+:[0-9a-fA-F]+\] \[(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\]\[[\w.-]+\] - /;

export const freerdp: ParserSpec = {
  program: 'freerdp',
  understands:
    'FreeRDP 2.x and 3.x (xfreerdp, wlfreerdp, sdl-freerdp, freerdp-shadow-cli): WLog console lines ([HH:MM:SS:mmm] [pid:tid] [LEVEL][tag] - …), ERRCONNECT/ERRINFO codes, the stdout certificate block and prompts, shadow-server logs',
  idents: ['xfreerdp', 'wlfreerdp', 'sdl-freerdp', 'xfreerdp3', 'wlfreerdp3', 'sdl-freerdp3', 'freerdp-shadow-cli', 'freerdp-shadow-cli3', 'freerdp'],
  patterns: PATTERN_IDS,
  sniff(text: string): number {
    if (WLOG_SNIFF.test(text)) return 0.95;
    if (/^(?:Certificate details for \S+:\d+ \(|Do you trust the above certificate\? \(Y\/T\/N\)|This is FreeRDP version )/.test(text)) return 0.9;
    return 0;
  },
  create(): LineParser {
    return new FreerdpLineParser('freerdp');
  },
};
