/**
 * The ssh client's messages at the default level declared as a table (agent/parsers/table.ts):
 * pattern id → expression with named groups → draft. The host-key rows are in
 * ssh-hostkey-table.ts, the `debugN: ` rows in ssh-debug-table.ts; ssh.ts puts them in order
 * (CONNECTION_ROWS, host keys, SESSION_ROWS) and runs the engine. The catalog
 * (docs/catalog/ssh.json) maps openssh-portable's messages to these ids.
 */
import { netReason } from './net-reason.js';
import { opensshAlgClass } from './openssh-common.js';
import { CLIENT_OPTION, ev, hostPort, info, packetFailure, who, type State } from './ssh-blocks.js';
import type { Row } from './table.js';

export const CONNECTION_ROWS: ReadonlyArray<Row<State>> = [
  // --- version banner -------------------------------------------------------------------------
  {
    id: 'ssh.ver.banner',
    re: /^(?<version>OpenSSH_[^\s,]+)(?: (?<distribution>[^,]*))?, (?<crypto>(?:OpenSSL|LibreSSL|BoringSSL) .*|without OpenSSL)$/,
    build: (g) => info('ssh.ver.banner', 'client-version', { version: g.version!, ...(g.distribution ? { distribution: g.distribution } : {}), crypto: g.crypto! }),
  },
  // --- connection -----------------------------------------------------------------------------
  {
    id: 'ssh.conn.failed',
    re: /^ssh: connect to host (?<host>\S+) port (?<port>\S+): (?<message>.+)$/,
    build: (g) => ev('connect.failed', 'ssh.conn.failed', { ...who(g.host, /^\d+$/.test(g.port!) ? g.port : undefined), detail: { reason: netReason(g.message!), message: g.message! } }),
  },
  {
    id: 'ssh.conn.resolve',
    // `ssh: ` is __progname (a renamed binary prints its own name); 7.x+ also `Could not resolve host "H"` (CanonicalizeHostname)
    re: /^(?:[\w.-]{1,40}: )?Could not resolve host(?:name (?<name>.+?): (?<message>.+)| "(?<quoted>.*)")$/,
    build: (g) => ev('connect.failed', 'ssh.conn.resolve', { host: (g.name ?? g.quoted)!, detail: { reason: 'dns', message: g.message ?? 'Could not resolve host' } }),
  },
  {
    id: 'ssh.conn.ident',
    re: /^(?:ssh|kex)_exchange_identification: (?:read: )?(?<message>.+)$/,
    build: (g) => {
      const t = g.message!;
      const reason = /reset by peer/i.test(t) ? 'reset' : /closed by remote host/i.test(t) ? 'closed' : /timed out/i.test(t) ? 'timeout' : /banner|invalid|protocol|version/i.test(t) ? 'bad-banner' : 'other';
      return ev('version.failed', 'ssh.conn.ident', { detail: { reason, message: t } });
    },
  },
  {
    id: 'ssh.conn.banner-timeout',
    re: /^Connection timed out during banner exchange$/,
    build: () => ev('version.failed', 'ssh.conn.banner-timeout', { detail: { reason: 'timeout', message: 'Connection timed out during banner exchange' } }),
  },
  {
    // sshpkt_fatal for SSH_ERR_CONN_TIMEOUT: after "Connection timed out during banner exchange" (9.2)
    id: 'ssh.conn.timed-out',
    re: /^Connection to (?<host>\S+?)(?: port (?<port>\d{1,5}))? timed out(?: while waiting to (?:read|write))?$/,
    build: (g) => ev('info', 'ssh.conn.timed-out', { ...who(g.host, g.port), detail: { what: 'timed-out' } }),
  },
  {
    id: 'ssh.conn.closed',
    re: /^Connection (?<how>closed|reset) by (?<host>\S+?)(?: port (?<port>\d+))?$/,
    build: (g) => ev('session.disconnected', 'ssh.conn.closed', { ...who(g.host, g.port), detail: { reason: g.how === 'closed' ? 'closed' : 'reset' } }),
  },
  {
    id: 'ssh.conn.closed-remote',
    re: /^Connection to (?<host>\S+) closed by remote host\.$/,
    build: (g) => ev('session.disconnected', 'ssh.conn.closed-remote', { ...hostPort(g.host!), detail: { reason: 'closed-by-remote' } }),
  },
  {
    id: 'ssh.conn.closed-local',
    re: /^(?:Shared c|C)onnection to (?<host>\S+) closed\.$/,
    build: (g) => ev('session.ended', 'ssh.conn.closed-local', { ...hostPort(g.host!), detail: { how: 'closed' } }),
  },
  {
    id: 'ssh.conn.broken-pipe',
    re: /^(?:client_loop: send disconnect: (?<sent>.+)|packet_write_wait: Connection to (?<host>\S+) port (?<port>\d+): (?<message>.+))$/,
    build: (g) => {
      const message = g.sent ?? g.message!;
      return ev('session.disconnected', 'ssh.conn.broken-pipe', { ...who(g.host, g.port), detail: { reason: /Broken pipe/i.test(message) ? 'broken-pipe' : netReason(message), message } });
    },
  },
  {
    id: 'ssh.conn.alive-timeout',
    re: /^Timeout, server (?<host>\S+) not responding\.$/,
    build: (g) => ev('session.disconnected', 'ssh.conn.alive-timeout', { host: g.host!, detail: { reason: 'server-alive-timeout' } }),
  },
  {
    // 7.x+: `from H port P:CODE: MSG`; older `from H: CODE: MSG` and `from H: MSG`
    id: 'ssh.conn.received-disconnect',
    re: /^Received disconnect from (?<host>\S+?)(?: port (?<port>\d+)(?::(?<code>\d+))?|(?:: (?<oldCode>\d+))?): (?<message>.*)$/,
    build: (g) =>
      ev('session.disconnected', 'ssh.conn.received-disconnect', {
        ...who(g.host, g.port),
        detail: {
          reason: /Too many authentication failures/i.test(g.message!) ? 'too-many-auth-failures' : 'disconnect-message',
          ...(g.code ?? g.oldCode ? { code: Number(g.code ?? g.oldCode) } : {}),
          message: g.message!,
        },
      }),
  },
  {
    id: 'ssh.conn.disconnected',
    re: /^Disconnected from (?<host>\S+?)(?: port (?<port>\d+))?$/,
    build: (g) => info('ssh.conn.disconnected', 'disconnected', {}, who(g.host, g.port)),
  },
  { id: 'ssh.conn.killed', re: /^Killed by signal (?<signal>\d+)\.$/, build: (g) => info('ssh.conn.killed', 'killed', { signal: Number(g.signal) }) },
  // --- key exchange ---------------------------------------------------------------------------
  {
    id: 'ssh.kex.no-match',
    re: /^Unable to negotiate with (?:(?<host>\S+) port (?<port>\d+)|(?<name>[^\s:]+)): no matching (?<what>.+?) found\.? ?Their offer: (?<offer>.*)$/,
    build: (g) =>
      ev('kex.failed', 'ssh.kex.no-match', {
        ...who(g.host ?? g.name, g.port),
        detail: { reason: 'no-common-algorithm', algClass: opensshAlgClass(g.what!), what: g.what!, serverOffer: g.offer!, option: CLIENT_OPTION[opensshAlgClass(g.what!)] ?? 'KexAlgorithms' },
      }),
  },
  {
    id: 'ssh.kex.dispatch-fatal',
    re: /^ssh_dispatch_run_fatal: Connection to (?<host>\S+) port (?<port>\d+): (?<message>.+)$/,
    build: (g) => ev('kex.failed', 'ssh.kex.dispatch-fatal', { ...who(g.host, g.port), detail: packetFailure(g.message!) }),
  },
  {
    id: 'ssh.kex.corrupt',
    re: /^(?<message>Corrupted MAC on input\.|Bad packet length \d+\.|Disconnecting: Packet corrupt|message authentication code incorrect)$/,
    build: (g) => ev('kex.failed', 'ssh.kex.corrupt', { detail: { reason: 'protocol-error', message: g.message! } }),
  },
  {
    id: 'ssh.kex.bad-hostkey',
    re: /^Bad server host key: (?<message>.+)$/,
    build: (g) => ev('kex.failed', 'ssh.kex.bad-hostkey', { detail: { reason: 'bad-hostkey', algClass: 'hostkey', message: g.message! } }),
  },
  {
    id: 'ssh.kex.no-hostkey-alg',
    re: /^no hostkey alg$/,
    build: () => ev('kex.failed', 'ssh.kex.no-hostkey-alg', { detail: { reason: 'no-common-algorithm', algClass: 'hostkey', what: 'host key type', option: 'HostKeyAlgorithms' } }),
  },
  {
    id: 'ssh.kex.not-post-quantum',
    re: /^\*\* WARNING: connection is not using a post-quantum key exchange algorithm\.$/,
    build: (_g, st) => {
      st.block = 'post-quantum';
      return ev('crypto.weak', 'ssh.kex.not-post-quantum', { detail: { algClass: 'kex', reason: 'not-post-quantum' } });
    },
  },
  {
    id: 'ssh.kex.post-quantum-text',
    re: /^\*\* (?:This session may be vulnerable to "store now, decrypt later" attacks\.|The server may need to be upgraded\. See (?<url>\S+))$/,
    inBlock: true,
    build: (g) => info('ssh.kex.post-quantum-text', 'post-quantum-warning', g.url ? { url: g.url } : {}),
  },
];

export const SESSION_ROWS: ReadonlyArray<Row<State>> = [
  // --- authentication -----------------------------------------------------------------------------
  { id: 'ssh.auth.try-again', re: /^Permission denied, please try again\.$/, build: () => ev('auth.failed', 'ssh.auth.try-again', { detail: { method: 'password', reason: 'rejected' } }) },
  {
    id: 'ssh.auth.denied',
    // The user name is greedy: the host is what follows the last "@".
    re: /^(?:(?<user>.*)@(?<host>[^@\s]+): )?Permission denied \((?<methods>[\w,@.-]*)\)\.$/,
    build: (g) => ev('auth.no-methods', 'ssh.auth.denied', { ...who(g.host, undefined, g.user), detail: { methods: g.methods!, reason: 'permission-denied' } }),
  },
  {
    id: 'ssh.auth.success',
    re: /^Authenticated to (?<host>\S+) \(\[(?<address>[^\]]*)\]:(?<port>\d+)\)(?: using "(?<method>[^"]*)")?\.$/,
    build: (g) => ev('auth.success', 'ssh.auth.success', { ...who(g.host, g.port), detail: { address: g.address!, ...(g.method ? { method: g.method } : {}) } }),
  },
  {
    id: 'ssh.auth.load-key',
    re: /^Load key "(?<file>.*)": (?<message>.+)$/,
    build: (g) => ev('error.other', 'ssh.auth.load-key', { detail: { what: 'load-key', file: g.file!, message: g.message! } }),
  },
  {
    id: 'ssh.auth.identity-missing',
    re: /^(?:no such identity: (?<file>.+): (?<message>.+)|Warning: Identity file (?<file2>.+) not accessible: (?<message2>.+)\.)$/,
    build: (g) => ev('error.other', 'ssh.auth.identity-missing', { detail: { what: 'identity-missing', file: g.file ?? g.file2!, message: g.message ?? g.message2! } }),
  },
  {
    id: 'ssh.auth.unprotected-key',
    re: /^@\s+WARNING: UNPROTECTED PRIVATE KEY FILE!\s+@$/,
    build: (_g, st) => {
      st.block = 'key-permissions';
      return info('ssh.auth.unprotected-key', 'key-permissions-warning');
    },
  },
  {
    id: 'ssh.auth.key-too-open',
    re: /^Permissions (?<mode>0?[0-7]{3,4}) for '(?<file>.+)' are too open\.$/,
    build: (g) => ev('error.other', 'ssh.auth.key-too-open', { detail: { what: 'key-permissions', mode: g.mode!, file: g.file! } }),
  },
  {
    id: 'ssh.auth.key-text',
    re: /^(?:It is (?:required|recommended) that your private key files are NOT accessible by others\.|This private key will be ignored\.)$/,
    inBlock: true,
    build: () => info('ssh.auth.key-text', 'key-permissions-text'),
  },
  {
    id: 'ssh.auth.askpass',
    re: /^(?:ssh_askpass: (?:exec\((?<file>.*)\)|fork): (?<message>.+)|read_passphrase: can't open \/dev\/tty: (?<tty>.+))$/,
    build: (g) => ev('error.other', 'ssh.auth.askpass', { detail: { what: 'askpass', message: g.message ?? g.tty!, ...(g.file ? { file: g.file } : {}) } }),
  },
  {
    id: 'ssh.auth.password-expired',
    re: /^(?:WARNING: Your password has expired\.|You must change your password now and login again!|Password change required but no TTY available\.|Password change requested\.\s+Choose a new password\.)$/,
    build: (_g, _st, text) => ev('auth.failed', 'ssh.auth.password-expired', { detail: { method: 'password', reason: 'password-expired', message: text } }),
  },
  // --- configuration --------------------------------------------------------------------------------
  { id: 'ssh.config.bad-permissions', re: /^Bad owner or permissions on (?<file>.+)$/, build: (g) => ev('error.fatal', 'ssh.config.bad-permissions', { detail: { what: 'bad-permissions', file: g.file! } }) },
  {
    id: 'ssh.config.bad-option',
    re: /^(?:(?<file>.+): line (?<line>\d+): )?(?<message>Bad configuration option: .+|Unsupported option "?.+"?|.+: terminating, \d+ bad configuration options?|Bad port '.*'|Bad escape character '.*'\.|Unknown (?:key|cipher|MAC|kex) type .*|Bad SSH2 (?:cipher|mac|KexAlgorithms) spec '.*'\.|Bad (?:protocol 2 )?host key algorithms '.*'\.)$/,
    build: (g) => ev('error.fatal', 'ssh.config.bad-option', { detail: { what: 'config', message: g.message!, ...(g.file ? { file: g.file, line: Number(g.line) } : {}) } }),
  },
  // --- session ---------------------------------------------------------------------------------------
  {
    id: 'ssh.session.transferred',
    re: /^Transferred: sent (?<sent>\d+), received (?<received>\d+) bytes, in (?<seconds>[\d.]+) seconds$/,
    build: (g) => info('ssh.session.transferred', 'transferred', { sent: Number(g.sent), received: Number(g.received), seconds: Number(g.seconds) }),
  },
  {
    id: 'ssh.session.rate',
    re: /^Bytes per second: sent (?<sent>[\d.]+), received (?<received>[\d.]+)$/,
    build: (g) => info('ssh.session.rate', 'bytes-per-second', { sent: Number(g.sent), received: Number(g.received) }),
  },
  {
    id: 'ssh.session.no-pty',
    re: /^(?:Pseudo-terminal will not be allocated because stdin is not a terminal\.|Warning: Remote host (?:denied X11 forwarding|denied authentication agent forwarding|failed or refused to allocate a pseudo tty|refused compression)\.|PTY allocation request failed on channel \d+|Warning: No xauth data; using fake authentication data for X11 forwarding\.|X11 forwarding request failed on channel \d+)$/,
    build: (_g, _st, text) => info('ssh.session.no-pty', 'session-setup', { message: text }),
  },
  {
    id: 'ssh.session.forwarding-failed',
    re: /^(?:bind \[?[^\]\s]*\]?:?\d*: .+|bind: .+|channel_setup_fwd_listener_tcpip: cannot listen to port: \d+|Could not request local forwarding\.|Warning: remote port forwarding failed for listen port \d+|Error: remote port forwarding failed for listen port \d+|channel \d+: open failed: .+|stdio forwarding failed|(?:Warning: )?Could not request (?:remote|tunnel) forwarding\.|(?:Warning|Error): remote port forwarding failed for listen path .+|Tunnel forwarding failed|Tunnel device open failed\.|connect_to (?<host>\S+) port (?<port>\d+): failed\.)$/,
    build: (_g, _st, text) => ev('error.other', 'ssh.session.forwarding-failed', { detail: { what: 'forwarding', message: text } }),
  },
  // --- from the source catalog (docs/catalog/ssh.json) ----------------------------------------------
  {
    // sshpkt_fatal during the banner exchange (8.x+): `banner exchange: Connection to H port P: invalid format`
    id: 'ssh.conn.banner-exchange',
    re: /^banner exchange: Connection (?:to|from) (?<host>\S+?)(?: port (?<port>\d+))?: (?<message>.+)$/,
    build: (g) => ev('version.failed', 'ssh.conn.banner-exchange', { ...who(g.host, g.port), detail: { reason: /invalid|format|version|banner/i.test(g.message!) ? 'bad-banner' : netReason(g.message!), message: g.message! } }),
  },
  {
    id: 'ssh.ver.bad-remote',
    re: /^(?:Bad remote protocol version identification: '(?<banner>.*)'|Protocol major versions differ: (?<ours>\d+) vs\. (?<theirs>\d+)|Remote machine has too old SSH software version\.|ssh1 is not (?:un)?supported|Server version "(?<unsafe>.*)" uses unsafe key agreement; refusing connection)$/,
    build: (g, _st, text) => ev('version.failed', 'ssh.ver.bad-remote', { detail: { reason: g.unsafe !== undefined ? 'unsafe-kex' : g.banner !== undefined ? 'bad-banner' : 'old-version', message: text } }),
  },
  {
    id: 'ssh.kex.negotiation',
    re: /^(?:Server host key (?<key1>\S+) not in HostKeyAlgorithms|host key (?<key2>\S+) not permitted by HostkeyAlgorithms|Unable to negotiate a key exchange method|no matching (?<what>cipher|mac|comp) found: client (?<client>.*) server (?<server>.*)|Unsupported KEX algorithm "(?<kex>.*)"|DH_GEX group out of range: .*)$/,
    build: (g, _st, text) => {
      const algClass = g.key1 ?? g.key2 ? 'hostkey' : g.what ? opensshAlgClass(g.what === 'comp' ? 'compression' : g.what) : 'kex';
      const reason = text.startsWith('DH_GEX') ? 'gex-range' : 'no-common-algorithm';
      return ev('kex.failed', 'ssh.kex.negotiation', { detail: { reason, algClass, message: text, option: CLIENT_OPTION[algClass] ?? 'KexAlgorithms' } });
    },
  },
  {
    // sshpkt_fatal: the connection broke under ssh (its peer named, or not)
    id: 'ssh.conn.io-failed',
    re: /^(?:Read from socket failed: (?<read>.+)|Write failed: (?<write>.+)|Write connection closed|Connection (?:to|from) (?<host>\S+?)(?: port (?<port>\d+))?: (?<message>.+))$/,
    build: (g, _st, text) => {
      const message = g.read ?? g.write ?? g.message ?? text;
      const net = netReason(message);
      return ev('session.disconnected', 'ssh.conn.io-failed', { ...who(g.host, g.port), detail: { reason: net === 'other' ? 'protocol-error' : net, message } });
    },
  },
  {
    // packet_disconnect: ssh ends the connection over a protocol violation (`Disconnecting: Bad packet length 3.`)
    id: 'ssh.conn.protocol-disconnect',
    re: /^Disconnecting(?: (?<host>\S+) port (?<port>\d+))?: (?<message>.+)$/,
    build: (g) => ev('session.disconnected', 'ssh.conn.protocol-disconnect', { ...who(g.host, g.port), detail: { reason: 'protocol-error', message: g.message! } }),
  },
  {
    id: 'ssh.hostkey.revoked-note',
    re: /^(?:(?<keyType>\S+) host key for (?<host>\S+) was revoked and you have requested strict checking\.|Host key (?<revokedType>\S+) (?<fp>\S+) revoked by file (?<file>.+)|Exiting, you have requested strict checking\.|Error: forwarding disabled due to host key check failure)$/,
    build: (g, _st, text) => info('ssh.hostkey.revoked-note', g.revokedType ? 'hostkey-revoked' : 'hostkey-strict', { message: text }, g.host ? hostPort(g.host) : {}),
  },
  {
    id: 'ssh.auth.sign-failed',
    re: /^(?:sign_and_send_pubkey: )?(?:no mutual signature supported|signing failed for (?<keyType>\S+) "(?<key>.*)"(?<rest>.*): (?<message>.+))$/,
    build: (g) =>
      ev('auth.failed', 'ssh.auth.sign-failed', {
        detail: { method: 'publickey', reason: g.keyType ? 'signing-failed' : 'no-mutual-signature-algorithm', ...(g.key !== undefined ? { key: g.key, keyType: g.keyType!, message: g.message! } : {}) },
      }),
  },
  {
    id: 'ssh.auth.failed-fatal',
    re: /^(?:Authentication failed\.|Server denied authentication request: (?<code>\d+))$/,
    build: (_g, _st, text) => ev('auth.failed', 'ssh.auth.failed-fatal', { detail: { reason: 'failed', message: text } }),
  },
];
