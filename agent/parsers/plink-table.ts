/**
 * plink / PuTTY's messages declared as a table (agent/parsers/table.ts): pattern id → expression
 * with named groups → kind and detail (`host`, `port` and `user` from the groups of those names),
 * or `build` for the rows that keep question-block state or complete a draft from the next line.
 * The catalog (docs/catalog/plink.json) maps PuTTY's event log lines, fatal errors and prompts to
 * these ids; the parser's engine (partial lines, prompts, held drafts) is in plink.ts, the question
 * blocks' state, prompts and text in plink-blocks.ts.
 */
import type { Detail } from '../event.js';
import { netReason } from './net-reason.js';
import { algClass, ev, info, type State } from './plink-blocks.js';
import { PLINK_HOSTKEY_ROWS } from './plink-hostkey-table.js';
import type { Groups, Row } from './table.js';

const NET_TEXT = String.raw`(?:Network error: )?(?:Connection refused|Connection timed out|Operation timed out|No route to host|Network is unreachable|Host is down|Host is unreachable|Host does not exist|Host not found|Connection reset by peer|Software caused connection abort|Broken pipe|Cannot assign requested address|Unknown network error)`;

const only = (g: Groups, name: string): Detail => (g[name] ? { [name]: g[name] } : {});

export const PLINK_ROWS: ReadonlyArray<Row<State>> = [
  // --- log envelope and noise -------------------------------------------------------------
  {
    id: 'plink.log.header',
    re: /^=~=~=~=~=~=~=~=~=~=~=~= PuTTY log (?<y>\d{4})\.(?<mo>\d\d)\.(?<d>\d\d) (?<h>\d\d):(?<mi>\d\d):(?<s>\d\d) =~=~=~=~=~=~=~=~=~=~=~=$/,
    build: (g) => ev('noise', 'plink.log.header', { time: new Date(+g.y!, +g.mo! - 1, +g.d!, +g.h!, +g.mi!, +g.s!).getTime(), detail: { what: 'log-header' } }),
  },
  {
    id: 'plink.log.packet',
    re: /^(?:(?:Incoming|Outgoing) (?:packet|raw data|SSH-\d packet)\b.*| {2}[0-9a-f]{8} {2}.*| {2}\(\d+ bytes? omitted\)| {2}(?:[0-9a-f]{8} {2})?XX.*)$/,
    build: () => ev('noise', 'plink.log.packet'),
  },
  {
    id: 'plink.log.exists',
    re: /^The session log file "(?<file>.*)" already exists\.$/,
    build: (g, st) => {
      st.block = 'logfile';
      st.logFile = g.file!;
      return info('plink.log.exists', 'session-log-exists', { file: g.file! });
    },
  },
  {
    id: 'plink.log.open',
    re: /^(?:Writing new|Appending|Disabled writing|Error writing) session log \((?<mode>[^)]*)\)(?: mode)? to file: (?<file>.*)$/,
    kind: 'info',
    detail: (g) => ({ what: 'session-log', mode: g.mode!, file: g.file! }),
  },
  // --- connection -------------------------------------------------------------------------
  {
    id: 'plink.conn.lookup',
    re: /^Looking up host "(?<host>[^"]*)"(?: \((?<family>IPv4|IPv6)\))?(?: for (?<what>.+))?$/,
    kind: 'connect.lookup',
    detail: (g) => only(g, 'family'),
  },
  { id: 'plink.conn.connecting', re: /^Connecting to (?<host>\S+) port (?<port>\d{1,5})$/, kind: 'connect.start' },
  {
    id: 'plink.conn.connected',
    re: /^Connected to (?<host>\S+)(?: \(from (?<local>.+)\))?$/,
    kind: 'connect.established',
    detail: (g) => only(g, 'local'),
  },
  {
    id: 'plink.conn.failed',
    re: /^Failed to connect to (?<host>\S+): (?<message>.+)$/,
    kind: 'connect.failed',
    detail: (g) => ({ reason: netReason(g.message!), message: g.message! }),
  },
  {
    id: 'plink.conn.unable-to-open',
    re: /^Unable to open connection:(?:\s*(?<message>.+))?$/,
    build: (g, st) => {
      const d = ev('connect.failed', 'plink.conn.unable-to-open', { detail: { reason: 'other' } });
      if (g.message) {
        d.detail = { reason: netReason(g.message), message: g.message };
        return d;
      }
      st.held = { draft: d, need: 'open-reason' };
      return [];
    },
  },
  {
    id: 'plink.net.error',
    re: new RegExp(`^(?<message>${NET_TEXT})$`),
    kind: 'connect.failed',
    detail: (g) => ({ reason: netReason(g.message!), message: g.message! }),
  },
  // --- version exchange -------------------------------------------------------------------
  { id: 'plink.ver.remote', re: /^(?:Server|Remote) version: (?<version>.*)$/, kind: 'version.remote', detail: (g) => ({ version: g.version! }) },
  { id: 'plink.ver.local', re: /^We claim version: (?<version>.*)$/, kind: 'version.local', detail: (g) => ({ version: g.version! }) },
  { id: 'plink.ver.protocol', re: /^Using SSH protocol version (?<protocol>\d)$/, kind: 'info', detail: (g) => ({ what: 'protocol', protocol: Number(g.protocol) }) },
  { id: 'plink.ver.bug', re: /^We believe remote version (?:has|is) (?<bug>.*)$/, kind: 'info', detail: (g) => ({ what: 'remote-bug', bug: g.bug! }) },
  // --- key exchange -----------------------------------------------------------------------
  { id: 'plink.kex.strict', re: /^Enabling strict key exchange semantics$/, kind: 'info', detail: { what: 'strict-kex' } },
  { id: 'plink.kex.gex-start', re: /^Doing Diffie-Hellman group exchange$/, kind: 'kex.start', detail: { method: 'dh-group-exchange' } },
  {
    id: 'plink.kex.method',
    re: /^(?:Doing (?:Diffie-Hellman|ECDH|RSA|NTRU|ML-KEM|GSSAPI)\b.*|Doing .+, using hash .+|Using Diffie-Hellman with standard group "[^"]*")$/,
    build: (_g, _st, text) => {
      const hash = /hash (SHA-\d+|SHA-1|MD5)/.exec(text);
      return ev('kex.method', 'plink.kex.method', { detail: { method: text, ...(hash ? { hash: hash[1]! } : {}) } });
    },
  },
  {
    id: 'plink.kex.group-packet-missing',
    re: /^(?:expected key exchange group packet from server|Received unexpected packet when expecting Diffie-Hellman group, type (?<type>\d+).*)$/,
    kind: 'kex.failed',
    detail: { reason: 'group-packet-missing', algClass: 'kex', method: 'dh-group-exchange' },
  },
  {
    id: 'plink.kex.reply-missing',
    re: /^(?:expected key exchange (?:reply )?packet from server|Received unexpected packet when expecting (?:Diffie-Hellman|ECDH|RSA) (?:reply|init).*)$/,
    build: (_g, _st, text) => ev('kex.failed', 'plink.kex.reply-missing', { detail: { reason: 'reply-missing', algClass: 'kex', message: text } }),
  },
  {
    id: 'plink.kex.no-common',
    re: /^Couldn't agree an? (?<what>.+?) \(available: (?<offer>.*)\)$/,
    kind: 'kex.failed',
    detail: (g) => ({ reason: 'no-common-algorithm', algClass: algClass(g.what!), what: g.what!, serverOffer: g.offer! }),
  },
  {
    id: 'plink.kex.unsupported-selected',
    re: /^Selected (?<what>.+?) "(?<offer>[^"]*)" does not correspond to any supported algorithm$/,
    kind: 'kex.failed',
    detail: (g) => ({ reason: 'no-common-algorithm', algClass: algClass(g.what!), what: g.what!, serverOffer: g.offer! }),
  },
  {
    id: 'plink.kex.done',
    re: /^Initialised (?<algorithm>.+?) (?<direction>client->server|server->client|outbound|inbound) (?<what>encryption|MAC algorithm|compression)(?<rest>.*)$/,
    kind: 'kex.done',
    detail: (g) => ({ algorithm: g.algorithm!, direction: g.direction!.includes('client->') || g.direction === 'outbound' ? 'out' : 'in', what: g.what! }),
  },
  { id: 'plink.kex.compression', re: /^Initialised (?<algorithm>.+) (?:de)?compression$/, kind: 'info', detail: (g) => ({ what: 'compression', algorithm: g.algorithm! }) },
  {
    id: 'plink.kex.garbled',
    re: /^(?<message>Incorrect MAC received on packet|Incoming packet was garbled on decryption|Incorrect CRC received on packet|KEXINIT packet was incomplete|Server's host key did not match the signature supplied)$/,
    kind: 'kex.failed',
    detail: (g) => ({ reason: 'protocol-error', message: g.message! }),
  },
  // --- host keys and weak crypto: plink-hostkey-table.ts ---------------------------------
  ...PLINK_HOSTKEY_ROWS,
  // --- authentication ---------------------------------------------------------------------
  { id: 'plink.auth.username', re: /^Using username "(?<user>.*)"\.$/, kind: 'auth.username' },
  { id: 'plink.auth.keyfile', re: /^Reading (?:key file|private key file) "(?<file>.*)"$/, kind: 'info', detail: (g) => ({ what: 'key-file', file: g.file! }) },
  {
    id: 'plink.auth.pubkey',
    re: /^(?:Authenticating with public key "(?<key>.*)"(?: from agent)?|Offered public key|Offer of public key accepted|Sent public key signature|Trying Pageant key #\d+|Pageant is running\.? .*)$/,
    kind: 'auth.attempt',
    detail: (g) => ({ method: 'publickey', ...only(g, 'key') }),
  },
  { id: 'plink.auth.password-sent', re: /^Sent password$/, kind: 'auth.attempt', detail: { method: 'password' } },
  {
    id: 'plink.auth.kbdint',
    re: /^(?:Attempting keyboard-interactive authentication|Using keyboard-interactive authentication\.(?:.*)|Keyboard-interactive authentication prompts from server:|End of keyboard-interactive prompts from server)$/,
    build: (_g, _st, text) => ev('auth.attempt', 'plink.auth.kbdint', { detail: { method: 'keyboard-interactive', message: text } }),
  },
  { id: 'plink.auth.granted', re: /^Access granted$/, kind: 'auth.success' },
  {
    id: 'plink.auth.denied',
    re: /^(?:Access denied|Password authentication failed|Keyboard-interactive authentication failed|(?:FATAL ERROR: )?Configured password was not accepted)$/,
    build: (_g, _st, text) =>
      ev('auth.failed', 'plink.auth.denied', {
        detail: { method: /keyboard/i.test(text) ? 'keyboard-interactive' : 'password', reason: text.replace(/^FATAL ERROR: /, ''), ...(text.startsWith('FATAL') ? { fatal: true } : {}) },
      }),
  },
  {
    id: 'plink.auth.key-refused',
    re: /^(?<reason>Server refused our key|Server refused public key|Server refused public-key signature despite accepting key!)$/,
    kind: 'auth.failed',
    detail: (g) => ({ method: 'publickey', reason: g.reason! }),
  },
  {
    id: 'plink.auth.no-methods',
    re: /^(?:Disconnected: )?No supported authentication methods available(?: \(server sent: (?<serverMethods>.*)\))?$/,
    kind: 'auth.no-methods',
    detail: (g) => only(g, 'serverMethods'),
  },
  {
    id: 'plink.auth.batch-prompt',
    re: /^(?:FATAL ERROR: )?Cannot answer interactive prompts in batch mode$/,
    build: (_g, _st, text) => ev('connect.aborted', 'plink.auth.batch-prompt', { detail: { reason: 'batch-prompt', fatal: text.startsWith('FATAL') } }),
  },
  { id: 'plink.auth.no-username', re: /^(?:Disconnected: )?No username provided$/, kind: 'connect.aborted', detail: { reason: 'no-username' } },
  { id: 'plink.auth.remote-debug', re: /^Remote debug message: (?<message>.*)$/, kind: 'info', detail: (g) => ({ what: 'remote-debug', message: g.message! }) },
  // --- session ------------------------------------------------------------------------------
  {
    id: 'plink.session.channel',
    re: /^(?:Opened channel for session|Opening main session channel|Opened main channel|Opening session as main channel|Requesting X11 forwarding|X11 forwarding enabled|Requesting agent forwarding|Agent forwarding enabled|Allocated pty.*|Primary command failed; attempting fallback)$/,
    build: (_g, _st, text) => info('plink.session.channel', 'channel', { message: text }),
  },
  { id: 'plink.session.started', re: /^Started a shell\/command$/, kind: 'session.started' },
  {
    id: 'plink.session.exit-status',
    re: /^(?:Server|Session) sent command exit status (?<status>-?\d+)$/,
    kind: 'session.ended',
    detail: (g) => ({ exitStatus: Number(g.status) }),
  },
  {
    id: 'plink.session.closed',
    re: /^(?:Main session channel closed|All channels closed|Server closed network connection|Session sent command exit signal .*)$/,
    build: (_g, _st, text) => info('plink.session.closed', 'closed', { message: text }),
  },
  { id: 'plink.disc.unexpected', re: /^(?:Server|Remote side) unexpectedly closed network connection$/, kind: 'session.disconnected', detail: { reason: 'unexpected-close' } },
  {
    id: 'plink.disc.message',
    re: /^(?:Server|Remote side) sent disconnect message$/,
    build: (_g, st) => {
      st.held = { draft: ev('session.disconnected', 'plink.disc.message', { detail: { reason: 'disconnect-message' } }), need: 'disconnect-type' };
      return [];
    },
  },
  {
    id: 'plink.disc.received',
    re: /^(?:Received disconnect message \((?<type>.*)\)|Disconnection message text: (?<message>.*))$/,
    kind: 'session.disconnected',
    detail: (g) => ({ reason: 'disconnect-message', ...only(g, 'type'), ...(g.message !== undefined && g.message !== '' ? { message: g.message } : {}) }),
  },
  // --- from the source catalog (docs/catalog/plink.json) ---------------------------------------
  {
    // a method the server lists but then refuses; PuTTY goes on with the next one
    id: 'plink.auth.method-refused',
    re: /^(?:Server refused keyboard-interactive authentication|Pageant refused signing request|Pageant failed to respond to signing request)$/,
    build: (_g, _st, text) => info('plink.auth.method-refused', 'method-refused', { method: text.startsWith('Pageant') ? 'publickey' : 'keyboard-interactive', message: text }),
  },
  {
    id: 'plink.auth.load-key',
    re: /^(?:Unable to load (?:private )?key \((?<m1>.*)\)|Unable to use this key file \((?<m2>.*)\)|Key file contains public key only)$/,
    build: (g, _st, text) => ev('error.other', 'plink.auth.load-key', { detail: { what: 'load-key', message: g.m1 ?? g.m2 ?? text } }),
  },
  {
    // 0.80+: the server offers a cipher/MAC pair open to the Terrapin prefix truncation (an event log line; the console question has its own text)
    id: 'plink.crypto.terrapin',
    re: /^SSH connection is vulnerable to 'Terrapin' attack \((?<cve>CVE-[\d-]+)\)$/,
    kind: 'crypto.weak',
    detail: (g) => ({ algClass: 'kex', reason: 'terrapin', cve: g.cve! }),
  },
  { id: 'plink.disc.local', re: /^Disconnected: (?<message>.*)$/, kind: 'session.disconnected', detail: (g) => ({ reason: 'local', message: g.message! }) },
  { id: 'plink.cmdline', re: /^plink: (?<message>.*)$/, kind: 'error.other', detail: (g) => ({ message: g.message! }) },
  { id: 'plink.error.nonfatal', re: /^ERROR: (?<message>.*)$/, kind: 'error.other', detail: (g) => ({ message: g.message! }) },
];

