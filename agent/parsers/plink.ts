/**
 * plink / PuTTY (console front end), releases 0.60 to 0.83.
 *
 * Envelopes understood:
 *   - the `-v` stderr stream (Event Log lines, no timestamp), including the user-visible texts
 *     (`Using username`, `Access denied`, host-key and weak-crypto question blocks, prompts);
 *   - `-sshlog` / `-sshrawlog` files: the `=~=~= PuTTY log YYYY.MM.DD HH:MM:SS =~=~=` header (its
 *     time is carried to the lines after it), `Event Log: ` lines, CRLF endings, packet dumps
 *     (ignored as noise);
 *   - `connwatch wrap` captures (the router takes the capture envelope off first).
 *
 * Wording by era (see shared reference signatures.md, section A): `Server version` (≤0.70) /
 * `Remote version` (≥0.71); `Couldn't agree a …` (≤0.8x) / `Selected … does not correspond to any
 * supported algorithm` (0.78 with a server offering nothing we know); host-key texts of
 * 0.60–0.74 ("cached in the registry"), 0.75–0.76, 0.77 and the 60-column word-wrapped 0.78+
 * paragraphs; batch-mode aborts (`Connection abandoned.`, `Cannot confirm … in batch mode`).
 *
 * A prompt waits for input without a newline. It may reach us alone (a partial line) or, when the
 * answer or the program's next output followed, at the start of a longer line: the prompt is
 * split off and the rest parsed as a line of its own.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import { PartialLines } from './partial.js';
import { PLINK_IGNORED } from './plink-ignored.js';
import { IgnoredTable } from './table.js';
import type { LineParser, Message, ParserSpec } from './types.js';

/** PuTTY's event log lines the catalog puts in a named `ignored` class (docs/catalog/plink.json). */
const IGNORED = new IgnoredTable('plink', 'plink.ignored', PLINK_IGNORED);

type Block = 'hostkey-unknown' | 'hostkey-changed' | 'weakcrypto' | 'logfile' | 'disconnect' | 'keyboard-interactive';

interface State {
  block: Block | undefined;
  /** The block of the last question asked (kept after its prompt, for what an abort refers to). */
  asked: Block | undefined;
  /** Set by `Connection abandoned.`: the batch-mode FATAL line that follows is its reason, not a second abort. */
  abandoned: boolean;
  /** The host key fingerprint shown in the question block (SHA256 when shown), for the prompt's detail. */
  fingerprint: string | undefined;
  /** The session log file named by the log-file question. */
  logFile: string | undefined;
  /** A draft completed by the following line(s): fingerprint, weak algorithm, disconnect text. */
  held: { draft: EventDraft; need: 'fingerprint' | 'weak-algorithm' | 'disconnect-type' | 'disconnect-text' | 'open-reason' } | undefined;
}

type Make = (m: RegExpExecArray, st: State) => EventDraft[] | EventDraft;
interface Pattern {
  id: string;
  re: RegExp;
  make: Make;
}

const P = 'plink' as const;
const ev = (kind: EventKind, pattern: string, extra: Partial<EventDraft> = {}): EventDraft => ({
  kind,
  program: P,
  pattern,
  ...extra,
});
const info = (pattern: string, what: string, detail: Detail = {}): EventDraft => ev('info', pattern, { detail: { what, ...detail } });

/** Network error texts (Windows "Network error: …" and Unix strerror) → connect.failed reasons. */
const NET_REASONS: Array<[RegExp, string]> = [
  [/Connection refused/i, 'refused'],
  [/timed out/i, 'timeout'],
  [/No route to host|Network is unreachable|Host is down|Host is unreachable/i, 'unreachable'],
  [/Host does not exist|Host not found|Name or service not known|Temporary failure in name resolution|No address associated/i, 'dns'],
  [/Connection reset by peer|Software caused connection abort|Broken pipe/i, 'reset'],
  [/Cannot assign requested address|Address family not supported/i, 'local'],
];
function netReason(text: string): string {
  for (const [re, reason] of NET_REASONS) if (re.test(text)) return reason;
  return 'other';
}
const NET_TEXT = String.raw`(?:Network error: )?(?:Connection refused|Connection timed out|Operation timed out|No route to host|Network is unreachable|Host is down|Host is unreachable|Host does not exist|Host not found|Connection reset by peer|Software caused connection abort|Broken pipe|Cannot assign requested address|Unknown network error)`;

/** Algorithm classes as plink names them → our detail.algClass. */
function algClass(phrase: string): string {
  const p = phrase.toLowerCase();
  if (p.includes('key exchange') || p.includes('key-exchange')) return 'kex';
  if (p.includes('host key')) return 'hostkey';
  if (p.includes('cipher')) return 'cipher';
  if (p.includes('mac')) return 'mac';
  if (p.includes('compression')) return 'compression';
  return 'other';
}

/**
 * A batch-mode abort: plink prints `Connection abandoned.` and then `FATAL ERROR: Cannot confirm …
 * in batch mode` for one attempt. The first is the abort (connect.aborted, reported at once); the
 * FATAL line after it only says why (info), so one attempt is one failure.
 */
function batchReason(st: State, pattern: string, reason: string, text: string): EventDraft {
  const fatal = text.startsWith('FATAL');
  if (st.abandoned) {
    st.abandoned = false;
    return info(pattern, 'batch-abort-reason', { reason, fatal });
  }
  return ev('connect.aborted', pattern, { detail: { reason, fatal } });
}

const PATTERNS: Pattern[] = [
  // --- log envelope and noise -------------------------------------------------------------
  {
    id: 'plink.log.header',
    re: /^=~=~=~=~=~=~=~=~=~=~=~= PuTTY log (\d{4})\.(\d\d)\.(\d\d) (\d\d):(\d\d):(\d\d) =~=~=~=~=~=~=~=~=~=~=~=$/,
    make: (m) =>
      ev('noise', 'plink.log.header', {
        time: new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!).getTime(),
        detail: { what: 'log-header' },
      }),
  },
  {
    id: 'plink.log.packet',
    re: /^(?:(?:Incoming|Outgoing) (?:packet|raw data|SSH-\d packet)\b.*| {2}[0-9a-f]{8} {2}.*| {2}\(\d+ bytes? omitted\)| {2}(?:[0-9a-f]{8} {2})?XX.*)$/,
    make: () => ev('noise', 'plink.log.packet'),
  },
  {
    id: 'plink.log.exists',
    re: /^The session log file "(.*)" already exists\.$/,
    make: (m, st) => {
      st.block = 'logfile';
      st.logFile = m[1]!;
      return info('plink.log.exists', 'session-log-exists', { file: m[1]! });
    },
  },
  {
    id: 'plink.log.open',
    re: /^(?:Writing new|Appending|Disabled writing|Error writing) session log \(([^)]*)\)(?: mode)? to file: (.*)$/,
    make: (m) => info('plink.log.open', 'session-log', { mode: m[1]!, file: m[2]! }),
  },
  // --- connection -------------------------------------------------------------------------
  {
    id: 'plink.conn.lookup',
    re: /^Looking up host "([^"]*)"(?: \((IPv4|IPv6)\))?(?: for (.+))?$/,
    make: (m) => ev('connect.lookup', 'plink.conn.lookup', { host: m[1]!, detail: m[2] ? { family: m[2] } : {} }),
  },
  {
    id: 'plink.conn.connecting',
    re: /^Connecting to (\S+) port (\d{1,5})$/,
    make: (m) => ev('connect.start', 'plink.conn.connecting', { host: m[1]!, port: Number(m[2]) }),
  },
  {
    id: 'plink.conn.connected',
    re: /^Connected to (\S+)(?: \(from (.+)\))?$/,
    make: (m) => ev('connect.established', 'plink.conn.connected', { host: m[1]!, detail: m[2] ? { local: m[2] } : {} }),
  },
  {
    id: 'plink.conn.failed',
    re: /^Failed to connect to (\S+): (.+)$/,
    make: (m) =>
      ev('connect.failed', 'plink.conn.failed', { host: m[1]!, detail: { reason: netReason(m[2]!), message: m[2]! } }),
  },
  {
    id: 'plink.conn.unable-to-open',
    re: /^Unable to open connection:(?:\s*(.+))?$/,
    make: (m, st) => {
      const d = ev('connect.failed', 'plink.conn.unable-to-open', { detail: { reason: 'other' } });
      if (m[1]) {
        d.detail = { reason: netReason(m[1]), message: m[1] };
        return d;
      }
      st.held = { draft: d, need: 'open-reason' };
      return [];
    },
  },
  {
    id: 'plink.net.error',
    re: new RegExp(`^(${NET_TEXT})$`),
    make: (m) => ev('connect.failed', 'plink.net.error', { detail: { reason: netReason(m[1]!), message: m[1]! } }),
  },
  // --- version exchange -------------------------------------------------------------------
  {
    id: 'plink.ver.remote',
    re: /^(?:Server|Remote) version: (.*)$/,
    make: (m) => ev('version.remote', 'plink.ver.remote', { detail: { version: m[1]! } }),
  },
  {
    id: 'plink.ver.local',
    re: /^We claim version: (.*)$/,
    make: (m) => ev('version.local', 'plink.ver.local', { detail: { version: m[1]! } }),
  },
  {
    id: 'plink.ver.protocol',
    re: /^Using SSH protocol version (\d)$/,
    make: (m) => info('plink.ver.protocol', 'protocol', { protocol: Number(m[1]) }),
  },
  {
    id: 'plink.ver.bug',
    re: /^We believe remote version (?:has|is) (.*)$/,
    make: (m) => info('plink.ver.bug', 'remote-bug', { bug: m[1]! }),
  },
  // --- key exchange -----------------------------------------------------------------------
  {
    id: 'plink.kex.strict',
    re: /^Enabling strict key exchange semantics$/,
    make: () => info('plink.kex.strict', 'strict-kex'),
  },
  {
    id: 'plink.kex.gex-start',
    re: /^Doing Diffie-Hellman group exchange$/,
    make: () => ev('kex.start', 'plink.kex.gex-start', { detail: { method: 'dh-group-exchange' } }),
  },
  {
    id: 'plink.kex.method',
    re: /^(?:Doing (?:Diffie-Hellman|ECDH|RSA|NTRU|ML-KEM|GSSAPI)\b.*|Doing .+, using hash .+|Using Diffie-Hellman with standard group "[^"]*")$/,
    make: (m) => {
      const hash = /hash (SHA-\d+|SHA-1|MD5)/.exec(m[0]);
      return ev('kex.method', 'plink.kex.method', { detail: { method: m[0], ...(hash ? { hash: hash[1]! } : {}) } });
    },
  },
  {
    id: 'plink.kex.group-packet-missing',
    re: /^(?:expected key exchange group packet from server|Received unexpected packet when expecting Diffie-Hellman group, type (\d+).*)$/,
    make: () =>
      ev('kex.failed', 'plink.kex.group-packet-missing', {
        detail: { reason: 'group-packet-missing', algClass: 'kex', method: 'dh-group-exchange' },
      }),
  },
  {
    id: 'plink.kex.reply-missing',
    re: /^(?:expected key exchange (?:reply )?packet from server|Received unexpected packet when expecting (?:Diffie-Hellman|ECDH|RSA) (?:reply|init).*)$/,
    make: (m) => ev('kex.failed', 'plink.kex.reply-missing', { detail: { reason: 'reply-missing', algClass: 'kex', message: m[0] } }),
  },
  {
    id: 'plink.kex.no-common',
    re: /^Couldn't agree an? (.+?) \(available: (.*)\)$/,
    make: (m) =>
      ev('kex.failed', 'plink.kex.no-common', {
        detail: { reason: 'no-common-algorithm', algClass: algClass(m[1]!), what: m[1]!, serverOffer: m[2]! },
      }),
  },
  {
    id: 'plink.kex.unsupported-selected',
    re: /^Selected (.+?) "([^"]*)" does not correspond to any supported algorithm$/,
    make: (m) =>
      ev('kex.failed', 'plink.kex.unsupported-selected', {
        detail: { reason: 'no-common-algorithm', algClass: algClass(m[1]!), what: m[1]!, serverOffer: m[2]! },
      }),
  },
  {
    id: 'plink.kex.done',
    re: /^Initialised (.+?) (client->server|server->client|outbound|inbound) (encryption|MAC algorithm|compression)(.*)$/,
    make: (m) =>
      ev('kex.done', 'plink.kex.done', {
        detail: { algorithm: m[1]!, direction: m[2]!.includes('client->') || m[2] === 'outbound' ? 'out' : 'in', what: m[3]! },
      }),
  },
  {
    id: 'plink.kex.compression',
    re: /^Initialised (.+) (?:de)?compression$/,
    make: (m) => info('plink.kex.compression', 'compression', { algorithm: m[1]! }),
  },
  {
    id: 'plink.kex.garbled',
    re: /^(Incorrect MAC received on packet|Incoming packet was garbled on decryption|Incorrect CRC received on packet|KEXINIT packet was incomplete|Server's host key did not match the signature supplied)$/,
    make: (m) => ev('kex.failed', 'plink.kex.garbled', { detail: { reason: 'protocol-error', message: m[1]! } }),
  },
  // --- host keys ----------------------------------------------------------------------------
  {
    id: 'plink.hostkey.fingerprint-intro',
    re: /^Host key fingerprint is:$/,
    make: (_m, st) => {
      st.held = { draft: ev('hostkey.fingerprint', 'plink.hostkey.fingerprint-intro'), need: 'fingerprint' };
      return [];
    },
  },
  {
    id: 'plink.hostkey.other-types',
    re: /^Server also has (\S+) host keys?, but we don't know (?:any of them|it)$/,
    make: (m) => ev('hostkey.other-types', 'plink.hostkey.other-types', { detail: { types: m[1]! } }),
  },
  {
    id: 'plink.hostkey.unknown',
    re: /^(?:The server's host key is not cached(?: in the registry)?\. You|The server's host key is not cached\. You have no guarantee|The host key is not cached for this server:)$/,
    make: (_m, st) => {
      st.block = 'hostkey-unknown';
      return ev('hostkey.unknown', 'plink.hostkey.unknown');
    },
  },
  {
    id: 'plink.hostkey.changed',
    re: /^WARNING - POTENTIAL SECURITY BREACH!$/,
    make: (_m, st) => {
      st.block = 'hostkey-changed';
      return ev('hostkey.changed', 'plink.hostkey.changed');
    },
  },
  {
    id: 'plink.hostkey.where',
    re: /^ {2}(\S+) \(port (\d{1,5})\)$/,
    make: (m) => ev('info', 'plink.hostkey.where', { host: m[1]!, port: Number(m[2]), detail: { what: 'hostkey-host' } }),
  },
  {
    id: 'plink.hostkey.batch-abort',
    re: /^(?:FATAL ERROR: )?Cannot confirm a host key in batch mode$/,
    make: (m, st) => batchReason(st, 'plink.hostkey.batch-abort', 'batch-hostkey', m[0]),
  },
  {
    id: 'plink.hostkey.abandoned',
    re: /^Connection abandoned\.$/,
    make: (_m, st) => {
      // the question this abort answers: the open block, else the one whose prompt was just shown
      const q = st.block ?? st.asked;
      const reason = q === 'weakcrypto' ? 'weakcrypto-not-confirmed' : 'hostkey-not-confirmed';
      st.block = undefined;
      st.asked = undefined;
      st.abandoned = true;
      return ev('connect.aborted', 'plink.hostkey.abandoned', { detail: { reason } });
    },
  },
  {
    id: 'plink.hostkey.user-abort',
    re: /^(?:Disconnected: )?User aborted at (host key verification|.+)$/,
    make: (m) =>
      ev('connect.aborted', 'plink.hostkey.user-abort', {
        detail: { reason: m[1] === 'host key verification' ? 'user-hostkey' : 'user', message: m[0] },
      }),
  },
  {
    id: 'plink.hostkey.manual-mismatch',
    re: /^Host key did not appear in manually configured list$/,
    make: () => ev('hostkey.changed', 'plink.hostkey.manual-mismatch', { detail: { reason: 'not-in-manual-list' } }),
  },
  // --- weak crypto --------------------------------------------------------------------------
  {
    id: 'plink.crypto.weak',
    re: /^The (?:first|(.+?) selected for this session is) ?(.+?) (?:supported by the server|we have stored for this server)(?: is)?(?: (\S+), which is below the configured(?: warning threshold\.)?)?$/,
    make: (m, st) => {
      st.block = 'weakcrypto';
      const d = ev('crypto.weak', 'plink.crypto.weak', { detail: { algClass: algClass(m[2]!), what: m[2]! } });
      if (m[3]) {
        d.detail!.algorithm = m[3];
        return d;
      }
      st.held = { draft: d, need: 'weak-algorithm' };
      return [];
    },
  },
  {
    id: 'plink.crypto.weak-batch',
    re: /^(?:FATAL ERROR: )?Cannot confirm a weak crypto primitive in batch mode$/,
    make: (m, st) => batchReason(st, 'plink.crypto.weak-batch', 'batch-weakcrypto', m[0]),
  },
  // --- authentication ---------------------------------------------------------------------
  {
    id: 'plink.auth.username',
    re: /^Using username "(.*)"\.$/,
    make: (m) => ev('auth.username', 'plink.auth.username', { user: m[1]! }),
  },
  {
    id: 'plink.auth.keyfile',
    re: /^Reading (?:key file|private key file) "(.*)"$/,
    make: (m) => info('plink.auth.keyfile', 'key-file', { file: m[1]! }),
  },
  {
    id: 'plink.auth.pubkey',
    re: /^(?:Authenticating with public key "(.*)"(?: from agent)?|Offered public key|Offer of public key accepted|Sent public key signature|Trying Pageant key #\d+|Pageant is running\.? .*)$/,
    make: (m) => ev('auth.attempt', 'plink.auth.pubkey', { detail: { method: 'publickey', ...(m[1] ? { key: m[1] } : {}) } }),
  },
  {
    id: 'plink.auth.password-sent',
    re: /^Sent password$/,
    make: () => ev('auth.attempt', 'plink.auth.password-sent', { detail: { method: 'password' } }),
  },
  {
    id: 'plink.auth.kbdint',
    re: /^(?:Attempting keyboard-interactive authentication|Using keyboard-interactive authentication\.(?:.*)|Keyboard-interactive authentication prompts from server:|End of keyboard-interactive prompts from server)$/,
    make: (m) => ev('auth.attempt', 'plink.auth.kbdint', { detail: { method: 'keyboard-interactive', message: m[0] } }),
  },
  {
    id: 'plink.auth.granted',
    re: /^Access granted$/,
    make: () => ev('auth.success', 'plink.auth.granted'),
  },
  {
    id: 'plink.auth.denied',
    re: /^(?:Access denied|Password authentication failed|Keyboard-interactive authentication failed|(?:FATAL ERROR: )?Configured password was not accepted)$/,
    make: (m) =>
      ev('auth.failed', 'plink.auth.denied', {
        detail: {
          method: /keyboard/i.test(m[0]) ? 'keyboard-interactive' : 'password',
          reason: m[0].replace(/^FATAL ERROR: /, ''),
          ...(m[0].startsWith('FATAL') ? { fatal: true } : {}),
        },
      }),
  },
  {
    id: 'plink.auth.key-refused',
    re: /^(Server refused our key|Server refused public key|Server refused public-key signature despite accepting key!)$/,
    make: (m) => ev('auth.failed', 'plink.auth.key-refused', { detail: { method: 'publickey', reason: m[1]! } }),
  },
  {
    id: 'plink.auth.no-methods',
    re: /^(?:Disconnected: )?No supported authentication methods available(?: \(server sent: (.*)\))?$/,
    make: (m) => ev('auth.no-methods', 'plink.auth.no-methods', { detail: m[1] ? { serverMethods: m[1] } : {} }),
  },
  {
    id: 'plink.auth.batch-prompt',
    re: /^(?:FATAL ERROR: )?Cannot answer interactive prompts in batch mode$/,
    make: (m) =>
      ev('connect.aborted', 'plink.auth.batch-prompt', { detail: { reason: 'batch-prompt', fatal: m[0].startsWith('FATAL') } }),
  },
  {
    id: 'plink.auth.no-username',
    re: /^(?:Disconnected: )?No username provided$/,
    make: () => ev('connect.aborted', 'plink.auth.no-username', { detail: { reason: 'no-username' } }),
  },
  {
    id: 'plink.auth.remote-debug',
    re: /^Remote debug message: (.*)$/,
    make: (m) => info('plink.auth.remote-debug', 'remote-debug', { message: m[1]! }),
  },
  // --- session ------------------------------------------------------------------------------
  {
    id: 'plink.session.channel',
    re: /^(?:Opened channel for session|Opening main session channel|Opened main channel|Opening session as main channel|Requesting X11 forwarding|X11 forwarding enabled|Requesting agent forwarding|Agent forwarding enabled|Allocated pty.*|Primary command failed; attempting fallback)$/,
    make: (m) => info('plink.session.channel', 'channel', { message: m[0] }),
  },
  {
    id: 'plink.session.started',
    re: /^Started a shell\/command$/,
    make: () => ev('session.started', 'plink.session.started'),
  },
  {
    id: 'plink.session.exit-status',
    re: /^(?:Server|Session) sent command exit status (-?\d+)$/,
    make: (m) => ev('session.ended', 'plink.session.exit-status', { detail: { exitStatus: Number(m[1]) } }),
  },
  {
    id: 'plink.session.closed',
    re: /^(?:Main session channel closed|All channels closed|Server closed network connection|Session sent command exit signal .*)$/,
    make: (m) => info('plink.session.closed', 'closed', { message: m[0] }),
  },
  {
    id: 'plink.disc.unexpected',
    re: /^(?:Server|Remote side) unexpectedly closed network connection$/,
    make: () => ev('session.disconnected', 'plink.disc.unexpected', { detail: { reason: 'unexpected-close' } }),
  },
  {
    id: 'plink.disc.message',
    re: /^(?:Server|Remote side) sent disconnect message$/,
    make: (_m, st) => {
      st.held = { draft: ev('session.disconnected', 'plink.disc.message', { detail: { reason: 'disconnect-message' } }), need: 'disconnect-type' };
      return [];
    },
  },
  {
    id: 'plink.disc.received',
    re: /^(?:Received disconnect message \((.*)\)|Disconnection message text: (.*))$/,
    make: (m) =>
      ev('session.disconnected', 'plink.disc.received', {
        detail: { reason: 'disconnect-message', ...(m[1] ? { type: m[1] } : {}), ...(m[2] ? { message: m[2] } : {}) },
      }),
  },
  {
    id: 'plink.disc.local',
    re: /^Disconnected: (.*)$/,
    make: (m) => ev('session.disconnected', 'plink.disc.local', { detail: { reason: 'local', message: m[1]! } }),
  },
  // --- from the source catalog (docs/catalog/plink.json) ---------------------------------------
  {
    // a method the server lists but then refuses; PuTTY goes on with the next one
    id: 'plink.auth.method-refused',
    re: /^(?:Server refused keyboard-interactive authentication|Pageant refused signing request|Pageant failed to respond to signing request)$/,
    make: (m) => info('plink.auth.method-refused', 'method-refused', { method: m[0].startsWith('Pageant') ? 'publickey' : 'keyboard-interactive', message: m[0] }),
  },
  {
    id: 'plink.auth.load-key',
    re: /^(?:Unable to load (?:private )?key \((.*)\)|Unable to use this key file \((.*)\)|Key file contains public key only)$/,
    make: (m) => ev('error.other', 'plink.auth.load-key', { detail: { what: 'load-key', message: m[1] ?? m[2] ?? m[0] } }),
  },
  {
    // 0.80+: the server offers a cipher/MAC pair open to the Terrapin prefix truncation (an event log line; the console question has its own text)
    id: 'plink.crypto.terrapin',
    re: /^SSH connection is vulnerable to 'Terrapin' attack \((CVE-[\d-]+)\)$/,
    make: (m) => ev('crypto.weak', 'plink.crypto.terrapin', { detail: { algClass: 'kex', reason: 'terrapin', cve: m[1]! } }),
  },
  {
    id: 'plink.cmdline',
    re: /^plink: (.*)$/,
    make: (m) => ev('error.other', 'plink.cmdline', { detail: { message: m[1]! } }),
  },
  {
    id: 'plink.error.nonfatal',
    re: /^ERROR: (.*)$/,
    make: (m) => ev('error.other', 'plink.error.nonfatal', { detail: { message: m[1]! } }),
  },
];

/** Prompts: waiting for input, no newline. `kind` names what is asked. */
const PROMPTS: Array<{ id: string; re: RegExp; kind: (st: State) => EventKind }> = [
  { id: 'plink.prompt.store-key', re: /^Store key in cache\? \(y\/n[^)]*\) ?/, kind: () => 'prompt.hostkey' },
  { id: 'plink.prompt.update-key', re: /^Update cached key\? \(y\/n[^)]*\) ?/, kind: () => 'prompt.hostkey' },
  {
    id: 'plink.prompt.continue',
    re: /^Continue with connection\? \(y\/n[^)]*\) ?/,
    kind: (st) => (st.block === 'weakcrypto' ? 'prompt.weakcrypto' : 'prompt.hostkey'),
  },
  { id: 'plink.prompt.logfile', re: /^Wipe the log file\? \([^)]*\) ?/, kind: () => 'prompt.other' },
  { id: 'plink.prompt.login', re: /^login as: /, kind: () => 'prompt.username' },
  { id: 'plink.prompt.password', re: /^[^\s@"]{1,200}@[^\s@"']{1,255}'s password: ?/, kind: () => 'prompt.password' },
  { id: 'plink.prompt.passphrase', re: /^Passphrase for key "[^"]*": ?/, kind: () => 'prompt.passphrase' },
  { id: 'plink.prompt.kbd-password', re: /^(?:Password|Verification code|OTP|One-time password)(?: for [^:]{1,200})?: ?$/, kind: () => 'prompt.password' },
];

/**
 * A line left waiting without a newline that asks something: ends in `?` or `:` (then maybe a
 * space). Waiting partial lines are lines the client stopped in the middle of for a while.
 */
const GENERIC_PROMPT = /^[^\n]{1,300}[?:] ?$/;

/** Lines inside a question block (host key, weak crypto, log file) that only explain it. */
const BLOCK_TEXT =
  /^(?: {2}\S+ \(port \d+\)| {2}\S+ \d+ \S+|.*\b(?:PuTTY|Plink|PSCP|PSFTP)'s\b.*|(?:The|This) (?:server|host|new|session).*|You (?:have no guarantee|can overwrite).*|If you .*|Return to cancel\..*|.* Pressing Return is the ONLY guaranteed|safe choice\.|cached (?:in the registry|for this server).*|have (?:no guarantee|actually connected).*|server administrator has changed.*|the host key, or you have actually connected to another|computer pretending to be the server\.|to be the server\.|think it is\.|you think it is\.|that the server is the computer you think it is\.|connection\.|cache and carry on connecting\.|the key to the cache, enter "n"\.|adding the key to the cache, enter "n"\.|the cache, enter "n"\.|(?:enter|Enter) ".*|enter "y" to update .*|or (?:just press|disable).*|append your session log to the end of it,|warning threshold\.|threshold\.|[a-z][\w.@-]*-[\w.@-]+, which is below the configured(?: warning threshold\.)?|(?:\S+ )?key fingerprint is:|The (?:first|host key) .*|This means that either the server administrator has changed|for this server:|you think it is\.|ssh-\S+ \d+ \S+|(?:ecdsa|rsa|dss|ed25519|ed448)\S* \d+ \S+)$/;

/** Kinds after which no question block can still be open. */
const BLOCK_ENDERS = new Set<EventKind>(['connect.lookup', 'connect.start', 'connect.aborted', 'connect.failed', 'kex.done', 'auth.success']);

function matchLine(text: string, st: State): EventDraft[] | undefined {
  for (const p of PATTERNS) {
    const m = p.re.exec(text);
    if (m) {
      const r = p.make(m, st);
      return Array.isArray(r) ? r : [r];
    }
  }
  return undefined;
}

class PlinkParser implements LineParser {
  private readonly st: State = { block: undefined, asked: undefined, abandoned: false, fingerprint: undefined, logFile: undefined, held: undefined };
  private readonly partial = new PartialLines();

  parse(msg: Message): EventDraft[] {
    let text = this.partial.take(msg);
    const out: EventDraft[] = [];
    if (text.startsWith('Event Log: ')) text = text.slice(11);
    // A line that completes a held draft.
    if (this.st.held) {
      const r = this.complete(text);
      if (r.emit) out.push(r.emit);
      if (r.consumed) return out;
    }
    // A prompt at the start of the line.
    for (const p of PROMPTS) {
      const m = p.re.exec(text);
      if (!m) continue;
      const kind = p.kind(this.st);
      const detail: Detail = { prompt: m[0].trimEnd() };
      if (kind === 'prompt.hostkey') {
        detail.keyState = this.st.block === 'hostkey-changed' ? 'changed' : 'new';
        if (this.st.fingerprint) detail.fingerprint = this.st.fingerprint;
      }
      if (p.id === 'plink.prompt.logfile') {
        detail.question = 'logfile';
        if (this.st.logFile) detail.file = this.st.logFile;
      }
      const asking = kind !== 'prompt.password' && kind !== 'prompt.passphrase' && kind !== 'prompt.username';
      if (asking) {
        this.st.asked = this.st.block;
        this.st.block = undefined;
      }
      out.push(ev(kind, p.id, { detail }));
      const rest = text.slice(m[0].length);
      if (rest === '') return out;
      if (/^[yYnNiI]?$/.test(rest.trim())) {
        out.push(ev('prompt.answered', 'plink.prompt.answer', { detail: { answer: rest.trim() } }));
        return out;
      }
      return out.concat(this.parseText(rest, msg));
    }
    if (this.partial.waits(msg)) {
      // A question we do not know, waiting for its answer: a prompt all the same.
      if (GENERIC_PROMPT.test(text)) {
        out.push(ev('prompt.other', 'plink.prompt.generic', { detail: { prompt: text.trimEnd() } }));
        return out;
      }
      // Else wait for the rest of the line (or the end of input).
      this.partial.hold(text);
      return out;
    }
    return out.concat(this.parseText(text, msg));
  }

  end(): EventDraft[] {
    const out: EventDraft[] = [];
    if (this.st.held) {
      out.push(this.st.held.draft);
      this.st.held = undefined;
    }
    const text = this.partial.flush();
    if (text !== undefined) out.push(...this.parseText(text, { text, referenceTime: 0 }));
    return out;
  }

  private parseText(text: string, _msg: Message): EventDraft[] {
    if (text === '') return [ev('noise', 'plink.blank')];
    let fatal = false;
    let inner = text;
    const f = /^FATAL ERROR: (.*)$/.exec(text);
    if (f) {
      fatal = true;
      inner = f[1]!;
    }
    const hit = matchLine(inner, this.st) ?? (fatal ? undefined : this.blockLine(inner));
    if (!hit || hit[0]?.pattern !== 'plink.hostkey.abandoned') this.st.abandoned = false;
    if (hit) {
      if (fatal) for (const d of hit) d.detail = { ...(d.detail ?? {}), fatal: true };
      if (fatal || hit.some((d) => BLOCK_ENDERS.has(d.kind))) this.st.block = undefined;
      return hit;
    }
    if (fatal) {
      this.st.block = undefined;
      return [ev('error.fatal', 'plink.fatal', { detail: { message: inner } })];
    }
    const ignored = IGNORED.match(inner);
    if (ignored) return [ignored];
    return [ev('unknown', 'plink.unknown')];
  }

  private blockLine(text: string): EventDraft[] | undefined {
    // Inside a question block every other line explains the question (paragraphs are re-wrapped
    // at 60 columns in 0.78+, so their line breaks cannot be listed); the prompt or an abort ends it.
    if (this.st.block === 'hostkey-unknown' || this.st.block === 'hostkey-changed') {
      const fp = /^ {2}((\S+) (\d+) (\S+))$/.exec(text);
      if (fp) {
        this.st.fingerprint = fp[4]!;
        return [ev('hostkey.fingerprint', 'plink.hostkey.block-fingerprint', { detail: { fingerprint: fp[1]!, keyType: fp[2]! } })];
      }
    }
    if (this.st.block && text.length <= 200) return [info('plink.block.text', `${this.st.block}-text`)];
    if (!this.st.block && BLOCK_TEXT.test(text) && /host key|PuTTY|Plink|fingerprint/.test(text)) {
      return [info('plink.block.text', 'question-text')];
    }
    return undefined;
  }

  /** Feeds a line to the held draft: the draft to emit once finished, and whether the line was used up. */
  private complete(text: string): { emit?: EventDraft; consumed: boolean } {
    const held = this.st.held!;
    const d = held.draft;
    d.detail ??= {};
    const finish = (consumed: boolean) => {
      this.st.held = undefined;
      return { emit: d, consumed };
    };
    switch (held.need) {
      case 'fingerprint': {
        const m = /^\s*((\S+) (\d+) (\S+))$/.exec(text);
        if (!m) return finish(false);
        d.detail.fingerprint = m[1]!;
        d.detail.keyType = m[2]!;
        this.st.fingerprint = m[4]!;
        return finish(true);
      }
      case 'weak-algorithm': {
        const m = /^(?:is )?(\S+?),? which is below the configured/.exec(text);
        if (!m) return finish(false);
        d.detail.algorithm = m[1]!;
        return finish(true);
      }
      case 'disconnect-type': {
        const m = /^type (\d+) \((.*)\):$/.exec(text);
        if (!m) return finish(false);
        d.detail.type = m[2]!;
        d.detail.code = Number(m[1]);
        held.need = 'disconnect-text';
        return { consumed: true };
      }
      case 'disconnect-text': {
        const m = /^"(.*?)"?$/.exec(text);
        if (!m) return finish(false);
        d.detail.message = m[1]!;
        return finish(true);
      }
      case 'open-reason':
        d.detail = { reason: netReason(text), message: text };
        return finish(true);
    }
  }
}

const PATTERN_IDS = [
  ...PATTERNS.map((p) => p.id),
  ...PROMPTS.map((p) => p.id),
  'plink.prompt.answer',
  'plink.prompt.generic',
  'plink.hostkey.block-fingerprint',
  'plink.block.text',
  'plink.fatal',
  'plink.blank',
  'plink.ignored',
  'plink.unknown',
];

export const plink: ParserSpec = {
  program: 'plink',
  understands:
    'plink/PuTTY 0.60–0.83: -v stderr, -sshlog/-sshrawlog files (header, "Event Log: ", CRLF, packet dumps), connwatch wrap captures',
  idents: ['plink', 'putty'],
  patterns: PATTERN_IDS,
  sniff(text: string): number {
    if (/^(?:Event Log: )?(?:Looking up host "|Connecting to \S+ port \d+$|We claim version: SSH-|(?:Server|Remote) version: SSH-|=~=~=~=~=~=~=~=~=~=~=~= PuTTY log )/.test(text)) return 1;
    if (/^(?:FATAL ERROR: |Using username "|Store key in cache\?|Update cached key\?|Doing Diffie-Hellman|expected key exchange|(?:Writing new|Appending) session log \(SSH (?:packets|raw data) mode\) to file: )/.test(text)) return 0.95;
    return 0;
  },
  create(): LineParser {
    return new PlinkParser();
  },
};
