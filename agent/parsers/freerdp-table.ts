/**
 * FreeRDP's WLog messages declared as a table (agent/parsers/table.ts): pattern id → expression
 * with named groups → draft. The last-error line, connection, negotiation, NLA and the shadow
 * server's lines are here; transport, TLS and certificates in freerdp-cert-table.ts. The catalog
 * (docs/catalog/freerdp.json) maps FreeRDP 2.x/3.x's connect-path messages to these ids.
 */
import type { Detail, EventKind } from '../event.js';
import { ERRINFO_MEANING, hex8 } from './errconnect.js';
import { draft, info, lastError, server, type Ctx } from './freerdp-common.js';
import type { Row } from './table.js';

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

export const WLOG_ROWS: ReadonlyArray<Row<Ctx>> = [
  // --- last error -------------------------------------------------------------------------
  {
    id: 'freerdp.err.last-error',
    re: /^(?:(?:(?<caller>\w+):)?freerdp_set_last_error(?:_ex)? (?<name>(?:ERRCONNECT|ERRINFO|ERRBASE)_[A-Z0-9_]+)(?: \[0x(?<code>[0-9A-Fa-f]{1,8})\])?|(?<name3>(?:ERRCONNECT|ERRINFO|ERRBASE)_[A-Z0-9_]+) \[0x(?<code3>[0-9A-Fa-f]{1,8})\]|freerdp_set_last_error 0x(?<bare>[0-9A-Fa-f]{1,8}))$/,
    build: (g, c) => lastError(c, 'freerdp.err.last-error', g.name ?? g.name3, g.code ?? g.code3 ?? g.bare, g.caller ?? c.w?.fn),
  },
  {
    id: 'freerdp.err.reset',
    re: /^(?:(?<caller>\w+):freerdp_set_last_error(?:_ex)? )?resetting error state$/,
    build: (g, c) => info(c, 'freerdp.err.reset', 'error-reset', g.caller ? { caller: g.caller } : {}),
  },
  {
    id: 'freerdp.err.already-set',
    re: /^(?:(?<caller>\w+): )?TODO: Trying to set error code (?<code>\S+), but (?<previous>\S+) already set!$/,
    build: (g, c) => info(c, 'freerdp.err.already-set', 'error-already-set', { errconnect: g.code!, previous: g.previous! }),
  },
  {
    id: 'freerdp.err.errinfo',
    re: /^(?:(?<name>ERRINFO_[A-Z0-9_]+) \(0x(?<code>[0-9A-Fa-f]{8})\):(?<message>.*)|ERRINFO_UNKNOWN 0x(?<unknown>[0-9A-Fa-f]{1,8}): Unknown error\.)$/,
    build: (g, c) => {
      const name = g.name ?? 'ERRINFO_UNKNOWN';
      if (name === 'ERRINFO_SUCCESS') return info(c, 'freerdp.err.errinfo', 'errinfo-success');
      return draft(c, 'session.disconnected', 'freerdp.err.errinfo', {
        reason: 'errinfo',
        errinfo: name,
        code: hex8(parseInt(g.code ?? g.unknown!, 16) | (1 << 16)),
        meaning: ERRINFO_MEANING[name] ?? (g.message?.trim() || 'the server ended the session'),
        ...(g.message ? { message: g.message.trim() } : {}),
      });
    },
  },
  // --- connection -------------------------------------------------------------------------
  { id: 'freerdp.conn.start', re: /^connecting to peer (?<host>\S+)$/, build: (g, c) => draft(c, 'connect.start', 'freerdp.conn.start', {}, { host: g.host! }) },
  { id: 'freerdp.conn.tcp-failed', re: /^failed to connect to (?<host>\S+)$/, build: (g, c) => draft(c, 'connect.failed', 'freerdp.conn.tcp-failed', { reason: 'connect' }, { host: g.host! }) },
  { id: 'freerdp.conn.post-connect', re: /^freerdp_post_connect failed$/, build: (_g, c) => draft(c, 'connect.failed', 'freerdp.conn.post-connect', { reason: 'post-connect' }) },
  { id: 'freerdp.conn.state', re: /^rdp_client_transition_to_state (?<from>\w+) --> (?<to>\w+)$/, build: (g, c) => info(c, 'freerdp.conn.state', 'state', { from: g.from!, to: g.to! }) },
  { id: 'freerdp.session.gdi', re: /^Local framebuffer format\s+(?<format>\S+)$/, build: (g, c) => draft(c, 'session.started', 'freerdp.session.gdi', { format: g.format! }) },
  {
    id: 'freerdp.session.info',
    re: /^(?:Remote framebuffer format\s+\S+|\[static\] Loaded \w+ backend for \w+|Loading Dynamic Virtual Channel \w+|loading channelEx \w+|VirtualChannelEntryEx|Loaded fake backend for \w+)$/,
    build: (_g, c, text) => info(c, 'freerdp.session.info', 'session-setup', { message: text }),
  },
  {
    id: 'freerdp.client.exit',
    re: /^(?<what>Freerdp connect error|Authentication only,) exit status (?<status>\d+)$/,
    build: (g, c, text) =>
      g.what === 'Freerdp connect error'
        ? draft(c, 'error.fatal', 'freerdp.client.exit', { message: text, exitStatus: Number(g.status) })
        : info(c, 'freerdp.client.exit', 'auth-only', { exitStatus: Number(g.status) }),
  },
  {
    id: 'freerdp.client.signal',
    re: /^Caught signal '(?<signal>[^']*)' \[(?<number>\d+)\]$/,
    build: (g, c) => draft(c, 'error.fatal', 'freerdp.client.signal', { reason: 'signal', signal: g.signal!, signalNumber: Number(g.number) }),
  },
  { id: 'freerdp.client.backtrace', re: /^\d+: .*\[0x[0-9a-fA-F]+\]$/, build: (_g, c) => draft(c, 'noise', 'freerdp.client.backtrace') },
  { id: 'freerdp.version', re: /^FreeRDP version (?<version>\S+)(?: \((?<build>.*)\))?$/, build: (g, c) => draft(c, 'version.local', 'freerdp.version', { version: g.version! }) },
  { id: 'freerdp.crypto.directory', re: /^creat(?:ing|ed) directory \[?(?<path>.*?)\]?$/, build: (g, c) => info(c, 'freerdp.crypto.directory', 'directory', { path: g.path! }) },
  // --- negotiation ------------------------------------------------------------------------
  { id: 'freerdp.nego.negotiated', re: /^Negotiated (?<security>\w+) security$/, build: (g, c) => draft(c, 'connect.established', 'freerdp.nego.negotiated', { security: g.security!.toLowerCase() }) },
  {
    id: 'freerdp.nego.server-says',
    re: /^Error: (?<code>SSL_REQUIRED_BY_SERVER|SSL_NOT_ALLOWED_BY_SERVER|HYBRID_REQUIRED_BY_SERVER|SSL_CERT_NOT_ON_SERVER|SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER|INCONSISTENT_FLAGS|Unknown protocol security error \d+)(?: \[0x[0-9A-Fa-f]+\])?$/,
    build: (g, c) => draft(c, 'nego.failed', 'freerdp.nego.server-says', { reason: g.code!.startsWith('Unknown') ? 'unknown' : g.code!, message: g.code! }),
  },
  {
    id: 'freerdp.nego.failure',
    re: /^Protocol Security Negotiation Failure(?:: (?<code>\S+) \[0x[0-9A-Fa-f]+\])?$/,
    build: (g, c) => draft(c, 'nego.failed', 'freerdp.nego.failure', { reason: g.code ?? 'no-common-protocol' }),
  },
  {
    id: 'freerdp.nego.connection-failure',
    re: /^Error: protocol security negotiation or connection failure$/,
    build: (_g, c) => draft(c, 'nego.failed', 'freerdp.nego.connection-failure', { reason: 'negotiation-or-connection' }),
  },
  {
    id: 'freerdp.nego.server-nla-only',
    re: /^server supports only NLA Security$/,
    build: (_g, c) => draft(c, 'nego.failed', 'freerdp.nego.server-nla-only', { reason: 'HYBRID_REQUIRED_BY_SERVER', ...server }),
  },
  {
    id: 'freerdp.nego.server-failure',
    re: /^Protocol security negotiation failure$/,
    build: (_g, c) => draft(c, 'nego.failed', 'freerdp.nego.server-failure', { reason: 'no-common-protocol', ...server }),
  },
  // --- NLA / CredSSP ----------------------------------------------------------------------
  {
    id: 'freerdp.nla.ntstatus',
    re: /^SPNEGO (?:received|failed with) NTSTATUS: (?<status>\w+) \[0x(?<code>[0-9A-Fa-f]{8})\](?: from server)?$/,
    build: (g, c) => draft(c, 'auth.failed', 'freerdp.nla.ntstatus', { method: 'nla', reason: g.status!, ntstatus: g.status!, family: NTSTATUS_FAMILY[g.status!] ?? 'auth' }),
  },
  {
    id: 'freerdp.nla.sspi-status',
    re: /^(?<call>\w+) status (?<status>SEC_[EI]_\w+) \[0x(?<code>[0-9A-Fa-f]{8})\]$/,
    build: (g, c) => {
      const [call, status] = [g.call!, g.status!];
      if (status.startsWith('SEC_I_') || call === 'DeleteSecurityContext') return info(c, 'freerdp.nla.sspi-status', 'sspi-status', { call, status });
      const kind: EventKind = status === 'SEC_E_LOGON_DENIED' ? 'auth.failed' : 'nla.failed';
      const detail: Detail = { reason: status, status, call, ...(kind === 'auth.failed' ? { method: 'nla' } : {}) };
      return draft(c, kind, 'freerdp.nla.sspi-status', detail);
    },
  },
  {
    id: 'freerdp.nla.recv-failed',
    re: /^(?:\[nla_recv\] error: (?<code>-?\d+)|(?:rdp_recv_callback: )?CONNECTION_STATE_NLA - nla_recv_pdu\(\) fail|nla_recv_pdu\(\) fail)$/,
    build: (_g, c) => draft(c, 'nla.failed', 'freerdp.nla.recv-failed', { reason: 'nla-receive-failed' }),
  },
  {
    id: 'freerdp.nla.pubkey',
    re: /^Could not verify server's (?:public key echo|hash)$/,
    build: (_g, c, text) => draft(c, 'nla.failed', 'freerdp.nla.pubkey', { reason: 'public-key-mismatch', message: text }),
  },
  {
    id: 'freerdp.nla.version',
    re: /^CredSSP (?:peer changed protocol version from (?<from>\d+) to (?<to>\d+)|protocol support (?<local>\d+), peer supports (?<peer>\d+))$/,
    build: (g, c) => info(c, 'freerdp.nla.version', 'credssp-version', { local: Number(g.from ?? g.local), peer: Number(g.to ?? g.peer) }),
  },
  {
    id: 'freerdp.server.mic-failed',
    re: /^Message Integrity Check \(MIC\) verification failed!$/,
    build: (_g, c) => draft(c, 'auth.failed', 'freerdp.server.mic-failed', { method: 'nla', reason: 'wrong-password', ...server }),
  },
  {
    id: 'freerdp.server.no-such-user',
    re: /^(?:Error: )?Could not find user in SAM database$/,
    build: (_g, c) => draft(c, 'auth.invalid-user', 'freerdp.server.no-such-user', { method: 'nla', ...server }),
  },
  {
    id: 'freerdp.server.client-auth-failure',
    re: /^client authentication failure$/,
    build: (_g, c) => draft(c, 'auth.failed', 'freerdp.server.client-auth-failure', { method: 'nla', reason: 'client-authentication', ...server }),
  },
  {
    id: 'freerdp.server.peer-callback',
    re: /^peer_recv_callback: (?<state>\w+) - (?<what>.+) fail$/,
    build: (g, c, text) => draft(c, 'error.other', 'freerdp.server.peer-callback', { message: text, state: g.state!, ...server }),
  },
  {
    id: 'freerdp.server.peer-closed',
    re: /^Failed to check FreeRDP file descriptor$/,
    build: (_g, c) => draft(c, 'session.disconnected', 'freerdp.server.peer-closed', { reason: 'peer-closed', ...server }),
  },
  {
    id: 'freerdp.server.init-failed',
    re: /^(?:Failed to initialize shadow server|Server initialization failed\.)$/,
    build: (_g, c, text) => draft(c, 'server.stopped', 'freerdp.server.init-failed', { reason: 'init-failed', message: text, ...server }),
  },
  {
    id: 'freerdp.server.display',
    re: /^(?:failed to open display: (?<display>.*)|unsupported X11 server color depth: (?<depth>\d+))$/,
    build: (g, c, text) =>
      draft(c, g.display !== undefined ? 'error.fatal' : 'error.other', 'freerdp.server.display', { message: text, ...(g.display !== undefined ? { display: g.display } : {}), ...server }),
  },
  {
    id: 'freerdp.server.benign',
    re: /^(?:x11_shadow_input_\w+ not implemented|WTSVirtualChannelQuery failed)$/,
    build: (_g, c, text) => info(c, 'freerdp.server.benign', 'server-limitation', { message: text, ...server }),
  },
];
