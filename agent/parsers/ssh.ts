/**
 * OpenSSH `ssh` client, releases 7.x to 10.x.
 *
 * Envelopes understood:
 *   - stderr at the default level (no prefix; CRLF endings, as ssh writes `"%s\r\n"`), with `-v`
 *     / `-vv` / `-vvv` (`debug1: ` … `debug3: ` lines), and `-E FILE` log files (the same lines);
 *   - `-y` (syslog, ident `ssh`: the router takes the envelope off; the `error: ` / `fatal: ` level
 *     prefixes syslog adds are taken off here);
 *   - `connwatch wrap` captures: the terminal too, so the questions ssh writes to /dev/tty
 *     (host-key confirmation, password, passphrase) arrive, the last line as a prompt with no newline.
 *     Lines captured from stdout are mostly the remote command's output (noise here), but ssh's
 *     own messages that arrive that way (a terminal shared with the remote side) are kept.
 *
 * Wording by era (shared reference signatures.md, section C, and openssh-portable sources):
 * `ssh_exchange_identification:` (≤7.x) / `kex_exchange_identification:` (8.x+);
 * `Permission denied (M).` (old) / `USER@HOST: Permission denied (M).`; `Authentication succeeded (M).`
 * (debug1, ≤8.x) / `Authenticated to H ([A]:P) using "M".` (with `-v`); `Offering RSA public key: F` (≤7.7) /
 * `Offering public key: T FP F` (7.8–8.1) / `Offering public key: F T FP …` (8.2+); `kex: server->client C M Z`
 * (≤7.2) / `kex: server->client cipher: C MAC: M compression: Z`; `(yes/no)? ` (≤7.x) /
 * `(yes/no/[fingerprint])? ` (8.0+); `ECDSA host key for H has changed …` (7.x) / `Host key for H has
 * changed …` (8.x+); `(user@host) Password: ` keyboard-interactive prompts (8.4+); 10.1's post-quantum
 * warning (`** WARNING: connection is not using a post-quantum key exchange algorithm.`).
 *
 * User names are typed by the person running ssh and may hold `@` or an address: in `U@H: Permission
 * denied` and `U@H's password: ` the host is what follows the LAST `@` (the server name as typed), so an
 * address typed as the user name never becomes `host`.
 *
 * Multi-line state (one parser per source): the REMOTE HOST IDENTIFICATION HAS CHANGED block is turned
 * into ONE hostkey.changed event carrying the new fingerprint, the known_hosts file and line and the
 * host, emitted when the block ends; the host-key situation (new / changed / revoked) is remembered for
 * the prompt and for `Host key verification failed.`; a partial line that is not a prompt waits for its
 * continuation.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import { opensshAlgClass } from './sshd.js';
import { netReason } from './net-reason.js';
import { SSH_ERRORS, SSH_IGNORED } from './ssh-catalog.js';
import { FormatTable, IgnoredTable } from './table.js';
import type { LineParser, Message, ParserSpec } from './types.js';

type KeyState = 'new' | 'changed' | 'revoked' | 'ip-mismatch';
type Block = 'hostkey-changed' | 'hostkey-new' | 'key-permissions' | 'post-quantum';

interface State {
  block: Block | undefined;
  keyState: KeyState | undefined;
  /** The hostkey.changed event being completed by the lines of its block. */
  changed: EventDraft | undefined;
  /** Key type announced by `The fingerprint for the T key sent by the remote host is`; the next line is the fingerprint. */
  fingerprintOf: string | undefined;
  /** A partial line that was not a prompt: completed by the continuation. */
  partialText: string | undefined;
  /** The last partial line was a prompt: its continuation is what was typed (echoed) after it. */
  afterPrompt: boolean;
}

interface Pattern {
  id: string;
  re: RegExp;
  /** A line of the changed-host-key block: does not end it. */
  inBlock?: boolean;
  make: (m: RegExpExecArray, st: State) => EventDraft[] | EventDraft;
}

const P = 'ssh' as const;
const ev = (kind: EventKind, pattern: string, extra: Partial<EventDraft> = {}): EventDraft => ({ kind, program: P, pattern, ...extra });
const info = (pattern: string, what: string, detail: Detail = {}, extra: Partial<EventDraft> = {}): EventDraft =>
  ev('info', pattern, { ...extra, detail: { what, ...detail } });

/** `host`, `[host]:port` (known_hosts notation) or `host:port` → host and port. */
function hostPort(text: string): Partial<EventDraft> {
  const b = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  if (b) return { host: b[1]!, port: Number(b[2]) };
  return text ? { host: text } : {};
}

/** host, port (numeric) and user, leaving out what is absent. */
function who(host: string | undefined, port?: string, user?: string): Partial<EventDraft> {
  const out: Partial<EventDraft> = {};
  if (host !== undefined && host !== '' && host !== 'UNKNOWN') out.host = host;
  if (port !== undefined && port !== '') out.port = Number(port);
  if (user !== undefined) out.user = user;
  return out;
}

/** The option that widens each algorithm class on the client. */
const CLIENT_OPTION: Record<string, string> = {
  kex: 'KexAlgorithms',
  hostkey: 'HostKeyAlgorithms',
  cipher: 'Ciphers',
  mac: 'MACs',
  compression: 'Compression',
};

/** Messages of fatal packet errors (`ssh_dispatch_run_fatal: Connection to H port P: MSG`). */
function packetFailure(message: string): Detail {
  if (/DH GEX group out of range/i.test(message)) return { reason: 'gex-range', algClass: 'kex', message };
  const nm = /no matching (.+?) found/.exec(message);
  if (nm) return { reason: 'no-common-algorithm', algClass: opensshAlgClass(nm[1]!), message };
  return { reason: 'protocol-error', message };
}

const FP = String.raw`(SHA256:[A-Za-z0-9+/=]+|MD5(?::[0-9a-f]{2}){16}|(?:[0-9a-f]{2}:){15}[0-9a-f]{2})`;

/** Lines at the default level (and `-v` lines without a debug prefix). */
const PATTERNS: Pattern[] = [
  // --- version banner -------------------------------------------------------------------------
  {
    id: 'ssh.ver.banner',
    re: /^(OpenSSH_[^\s,]+)(?: ([^,]*))?, ((?:OpenSSL|LibreSSL|BoringSSL) .*|without OpenSSL)$/,
    make: (m) => info('ssh.ver.banner', 'client-version', { version: m[1]!, ...(m[2] ? { distribution: m[2] } : {}), crypto: m[3]! }),
  },
  // --- connection -----------------------------------------------------------------------------
  {
    id: 'ssh.conn.failed',
    re: /^ssh: connect to host (\S+) port (\S+): (.+)$/,
    make: (m) => ev('connect.failed', 'ssh.conn.failed', { ...who(m[1], /^\d+$/.test(m[2]!) ? m[2] : undefined), detail: { reason: netReason(m[3]!), message: m[3]! } }),
  },
  {
    id: 'ssh.conn.resolve',
    // `ssh: ` is __progname (a renamed binary prints its own name); 7.x+ also `Could not resolve host "H"` (CanonicalizeHostname)
    re: /^(?:[\w.-]{1,40}: )?Could not resolve host(?:name (.+?): (.+)| "(.*)")$/,
    make: (m) => ev('connect.failed', 'ssh.conn.resolve', { host: (m[1] ?? m[3])!, detail: { reason: 'dns', message: m[2] ?? 'Could not resolve host' } }),
  },
  {
    id: 'ssh.conn.ident',
    re: /^(?:ssh|kex)_exchange_identification: (?:read: )?(.+)$/,
    make: (m) => {
      const t = m[1]!;
      const reason = /reset by peer/i.test(t) ? 'reset' : /closed by remote host/i.test(t) ? 'closed' : /timed out/i.test(t) ? 'timeout' : /banner|invalid|protocol|version/i.test(t) ? 'bad-banner' : 'other';
      return ev('version.failed', 'ssh.conn.ident', { detail: { reason, message: t } });
    },
  },
  {
    id: 'ssh.conn.banner-timeout',
    re: /^Connection timed out during banner exchange$/,
    make: () => ev('version.failed', 'ssh.conn.banner-timeout', { detail: { reason: 'timeout', message: 'Connection timed out during banner exchange' } }),
  },
  {
    // sshpkt_fatal for SSH_ERR_CONN_TIMEOUT: after "Connection timed out during banner exchange" (9.2)
    id: 'ssh.conn.timed-out',
    re: /^Connection to (\S+?)(?: port (\d{1,5}))? timed out(?: while waiting to (?:read|write))?$/,
    make: (m) => ev('info', 'ssh.conn.timed-out', { ...who(m[1], m[2]), detail: { what: 'timed-out' } }),
  },
  {
    id: 'ssh.conn.closed',
    re: /^Connection (closed|reset) by (\S+?)(?: port (\d+))?$/,
    make: (m) => ev('session.disconnected', 'ssh.conn.closed', { ...who(m[2], m[3]), detail: { reason: m[1] === 'closed' ? 'closed' : 'reset' } }),
  },
  {
    id: 'ssh.conn.closed-remote',
    re: /^Connection to (\S+) closed by remote host\.$/,
    make: (m) => ev('session.disconnected', 'ssh.conn.closed-remote', { ...hostPort(m[1]!), detail: { reason: 'closed-by-remote' } }),
  },
  {
    id: 'ssh.conn.closed-local',
    re: /^(?:Shared c|C)onnection to (\S+) closed\.$/,
    make: (m) => ev('session.ended', 'ssh.conn.closed-local', { ...hostPort(m[1]!), detail: { how: 'closed' } }),
  },
  {
    id: 'ssh.conn.broken-pipe',
    re: /^(?:client_loop: send disconnect: (.+)|packet_write_wait: Connection to (\S+) port (\d+): (.+))$/,
    make: (m) => {
      const message = m[1] ?? m[4]!;
      return ev('session.disconnected', 'ssh.conn.broken-pipe', { ...who(m[2], m[3]), detail: { reason: /Broken pipe/i.test(message) ? 'broken-pipe' : netReason(message), message } });
    },
  },
  {
    id: 'ssh.conn.alive-timeout',
    re: /^Timeout, server (\S+) not responding\.$/,
    make: (m) => ev('session.disconnected', 'ssh.conn.alive-timeout', { host: m[1]!, detail: { reason: 'server-alive-timeout' } }),
  },
  {
    id: 'ssh.conn.received-disconnect',
    // 7.x+: `from H port P:CODE: MSG`; older `from H: CODE: MSG` and `from H: MSG`
    re: /^Received disconnect from (\S+?)(?: port (\d+)(?::(\d+))?|(?:: (\d+))?): (.*)$/,
    make: (m) =>
      ev('session.disconnected', 'ssh.conn.received-disconnect', {
        ...who(m[1], m[2]),
        detail: { reason: /Too many authentication failures/i.test(m[5]!) ? 'too-many-auth-failures' : 'disconnect-message', ...(m[3] ?? m[4] ? { code: Number(m[3] ?? m[4]) } : {}), message: m[5]! },
      }),
  },
  {
    id: 'ssh.conn.disconnected',
    re: /^Disconnected from (\S+?)(?: port (\d+))?$/,
    make: (m) => info('ssh.conn.disconnected', 'disconnected', {}, who(m[1], m[2])),
  },
  {
    id: 'ssh.conn.killed',
    re: /^Killed by signal (\d+)\.$/,
    make: (m) => info('ssh.conn.killed', 'killed', { signal: Number(m[1]) }),
  },
  // --- key exchange ---------------------------------------------------------------------------
  {
    id: 'ssh.kex.no-match',
    re: /^Unable to negotiate with (?:(\S+) port (\d+)|([^\s:]+)): no matching (.+?) found\.? ?Their offer: (.*)$/,
    make: (m) =>
      ev('kex.failed', 'ssh.kex.no-match', {
        ...who(m[1] ?? m[3], m[2]),
        detail: { reason: 'no-common-algorithm', algClass: opensshAlgClass(m[4]!), what: m[4]!, serverOffer: m[5]!, option: CLIENT_OPTION[opensshAlgClass(m[4]!)] ?? 'KexAlgorithms' },
      }),
  },
  {
    id: 'ssh.kex.dispatch-fatal',
    re: /^ssh_dispatch_run_fatal: Connection to (\S+) port (\d+): (.+)$/,
    make: (m) => ev('kex.failed', 'ssh.kex.dispatch-fatal', { ...who(m[1], m[2]), detail: packetFailure(m[3]!) }),
  },
  {
    id: 'ssh.kex.corrupt',
    re: /^(Corrupted MAC on input\.|Bad packet length \d+\.|Disconnecting: Packet corrupt|message authentication code incorrect)$/,
    make: (m) => ev('kex.failed', 'ssh.kex.corrupt', { detail: { reason: 'protocol-error', message: m[1]! } }),
  },
  {
    id: 'ssh.kex.bad-hostkey',
    re: /^Bad server host key: (.+)$/,
    make: (m) => ev('kex.failed', 'ssh.kex.bad-hostkey', { detail: { reason: 'bad-hostkey', algClass: 'hostkey', message: m[1]! } }),
  },
  {
    id: 'ssh.kex.no-hostkey-alg',
    re: /^no hostkey alg$/,
    make: () => ev('kex.failed', 'ssh.kex.no-hostkey-alg', { detail: { reason: 'no-common-algorithm', algClass: 'hostkey', what: 'host key type', option: 'HostKeyAlgorithms' } }),
  },
  {
    id: 'ssh.kex.not-post-quantum',
    re: /^\*\* WARNING: connection is not using a post-quantum key exchange algorithm\.$/,
    make: (_m, st) => {
      st.block = 'post-quantum';
      return ev('crypto.weak', 'ssh.kex.not-post-quantum', { detail: { algClass: 'kex', reason: 'not-post-quantum' } });
    },
  },
  {
    id: 'ssh.kex.post-quantum-text',
    re: /^\*\* (?:This session may be vulnerable to "store now, decrypt later" attacks\.|The server may need to be upgraded\. See (\S+))$/,
    inBlock: true,
    make: (m) => info('ssh.kex.post-quantum-text', 'post-quantum-warning', m[1] ? { url: m[1] } : {}),
  },
  // --- host keys: unknown -------------------------------------------------------------------------
  {
    id: 'ssh.hostkey.authenticity',
    re: /^The authenticity of host '(.+) \(([^()]*)\)' can't be established\.?$/,
    make: (m, st) => {
      st.block = 'hostkey-new';
      st.keyState = 'new';
      return ev('hostkey.unknown', 'ssh.hostkey.authenticity', { ...hostPort(m[1]!), detail: { address: m[2]! } });
    },
  },
  {
    id: 'ssh.hostkey.fingerprint-is',
    re: new RegExp(String.raw`^(\S+) key fingerprint is:? ${FP}\.?$`),
    inBlock: true,
    make: (m) => ev('hostkey.fingerprint', 'ssh.hostkey.fingerprint-is', { detail: { keyType: m[1]!, fingerprint: m[2]! } }),
  },
  {
    id: 'ssh.hostkey.other-names',
    re: /^(?:This key is not known by any other names\.?|This host key is known by the following other names\/addresses:|\s+\S+:\d+: .+|\s+\(\d+ additional names omitted\))$/,
    inBlock: true,
    make: () => info('ssh.hostkey.other-names', 'hostkey-other-names'),
  },
  {
    id: 'ssh.hostkey.strict-unknown',
    re: /^No (\S+) host key is known for (\S+) and you have requested strict checking\.$/,
    make: (m, st) => {
      st.keyState = 'new';
      return ev('hostkey.unknown', 'ssh.hostkey.strict-unknown', { ...hostPort(m[2]!), detail: { keyType: m[1]!, strict: true } });
    },
  },
  {
    id: 'ssh.hostkey.added',
    re: /^Warning: Permanently added (?:the (\S+) host key for IP address )?'([^']+)'(?: \((\S+)\))? to the list of known hosts\.$/,
    make: (m) => {
      const hosts = m[2]!.split(',');
      return info('ssh.hostkey.added', 'hostkey-added', { keyType: m[1] ?? m[3] ?? '', hosts: m[2]! }, hostPort(hosts[0]!));
    },
  },
  {
    id: 'ssh.hostkey.verification-failed',
    re: /^Host key verification failed\.$/,
    make: (_m, st) => {
      const keyState = st.keyState ?? 'unknown';
      st.block = undefined;
      return ev('connect.aborted', 'ssh.hostkey.verification-failed', { detail: { reason: 'hostkey', keyState } });
    },
  },
  // --- host keys: changed (the block) --------------------------------------------------------------
  {
    id: 'ssh.hostkey.at-line',
    re: /^@{20,}$/,
    inBlock: true,
    make: () => info('ssh.hostkey.at-line', 'hostkey-warning-frame'),
  },
  {
    id: 'ssh.hostkey.changed',
    re: /^@\s+WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\s+@$/,
    inBlock: true,
    make: (_m, st) => {
      st.block = 'hostkey-changed';
      st.keyState = 'changed';
      st.changed = ev('hostkey.changed', 'ssh.hostkey.changed', { detail: {} });
      // The event itself is emitted when the block ends, complete with fingerprint and known_hosts.
      return info('ssh.hostkey.changed', 'hostkey-changed-banner');
    },
  },
  {
    id: 'ssh.hostkey.revoked',
    re: /^@\s+WARNING: REVOKED HOST KEY DETECTED!\s+@$/,
    make: (_m, st) => {
      st.block = 'hostkey-changed';
      st.keyState = 'revoked';
      return ev('hostkey.changed', 'ssh.hostkey.revoked', { detail: { reason: 'revoked' } });
    },
  },
  {
    id: 'ssh.hostkey.dns-spoofing',
    re: /^@\s+WARNING: POSSIBLE DNS SPOOFING DETECTED!\s+@$/,
    make: (_m, st) => {
      st.block = 'hostkey-changed';
      st.keyState = 'ip-mismatch';
      return ev('hostkey.changed', 'ssh.hostkey.dns-spoofing', { detail: { reason: 'ip-mismatch' } });
    },
  },
  {
    id: 'ssh.hostkey.ip-differs',
    re: /^Warning: the (\S+) host key for '([^']+)' differs from the key for the IP address '([^']+)'$/,
    make: (m, st) => {
      st.keyState = 'ip-mismatch';
      return ev('hostkey.changed', 'ssh.hostkey.ip-differs', { ...hostPort(m[2]!), detail: { reason: 'ip-mismatch', keyType: m[1]!, address: m[3]! } });
    },
  },
  {
    id: 'ssh.hostkey.block-text',
    re: /^(?:IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!|Someone could be eavesdropping on you right now \(man-in-the-middle attack\)!|It is also possible that (?:a|the) (?:host key|RSA host key|DSA host key) has just been changed\.|Please contact your system administrator\.|\s*remove with:|The (\S+) host key for (\S+) is marked as revoked\.|This could mean that a stolen key is being used to|impersonate this host\.|The (\S+) host key for (\S+) has changed,|and the key for the corresponding IP address (\S+)|is unknown\. This could either mean that|DNS SPOOFING is happening or the IP address for the host|and its host key have changed at the same time\.|Offending key for IP in (\S+):(\d+)|Matching host key in (\S+):(\d+))$/,
    inBlock: true,
    make: () => info('ssh.hostkey.block-text', 'hostkey-warning-text'),
  },
  {
    id: 'ssh.hostkey.fingerprint-intro',
    re: /^The fingerprint for the (\S+) key sent by the remote host is$/,
    inBlock: true,
    make: (m, st) => {
      st.fingerprintOf = m[1]!;
      if (st.changed) st.changed.detail = { ...st.changed.detail, keyType: m[1]! };
      return info('ssh.hostkey.fingerprint-intro', 'hostkey-warning-text', { keyType: m[1]! });
    },
  },
  {
    id: 'ssh.hostkey.fingerprint-line',
    re: new RegExp(String.raw`^${FP}\.?$`),
    inBlock: true,
    make: (m, st) => {
      const keyType = st.fingerprintOf;
      st.fingerprintOf = undefined;
      if (st.changed) st.changed.detail = { ...st.changed.detail, fingerprint: m[1]! };
      return ev('hostkey.fingerprint', 'ssh.hostkey.fingerprint-line', { detail: { fingerprint: m[1]!, ...(keyType ? { keyType } : {}) } });
    },
  },
  {
    id: 'ssh.hostkey.add-correct',
    re: /^Add correct host key in (.+) to get rid of this message\.$/,
    inBlock: true,
    make: (m, st) => {
      if (st.changed) st.changed.detail = { ...st.changed.detail, knownHosts: m[1]! };
      return info('ssh.hostkey.add-correct', 'hostkey-warning-text', { knownHosts: m[1]! });
    },
  },
  {
    id: 'ssh.hostkey.offending',
    re: /^Offending (\S+) key in (.+):(\d+)$/,
    inBlock: true,
    make: (m, st) => {
      if (st.changed) st.changed.detail = { ...st.changed.detail, knownHosts: m[2]!, knownHostsLine: Number(m[3]), offendingKeyType: m[1]! };
      return info('ssh.hostkey.offending', 'hostkey-offending', { keyType: m[1]!, knownHosts: m[2]!, knownHostsLine: Number(m[3]) });
    },
  },
  {
    id: 'ssh.hostkey.remove-with',
    re: /^\s*ssh-keygen -f "(.+)" -R "?([^"]+)"?$/,
    inBlock: true,
    make: (m, st) => {
      if (st.changed) st.changed.detail = { ...st.changed.detail, knownHosts: m[1]!, hostPattern: m[2]! };
      return info('ssh.hostkey.remove-with', 'hostkey-remove-command', { knownHosts: m[1]!, hostPattern: m[2]! });
    },
  },
  {
    id: 'ssh.hostkey.strict-changed',
    re: /^(?:(\S+) )?[Hh]ost key for (\S+) has changed and you have requested strict checking\.$/,
    make: (m, st) => {
      st.keyState = 'changed';
      const hp = hostPort(m[2]!);
      const held = st.changed ?? ev('hostkey.changed', 'ssh.hostkey.strict-changed', { detail: {} });
      st.changed = undefined;
      Object.assign(held, hp, { pattern: 'ssh.hostkey.strict-changed' });
      held.detail = { ...held.detail, strict: true, hostPattern: held.detail?.hostPattern ?? m[2]!, ...(m[1] && !held.detail?.keyType ? { keyType: m[1] } : {}) };
      return held;
    },
  },
  {
    id: 'ssh.hostkey.mitm-disabled',
    re: /^(?:(Password|Keyboard-interactive|Challenge\/response|Agent|X11|Port|Agent forwarding|X11 forwarding|Port forwarding) (?:authentication |forwarding )?is disabled to avoid man-in-the-middle attacks\.|UpdateHostkeys is disabled because the host key is not trusted\.)$/,
    make: (m) => info('ssh.hostkey.mitm-disabled', 'disabled-after-hostkey-change', m[1] ? { feature: m[1] } : {}),
  },
  // --- authentication -----------------------------------------------------------------------------
  {
    id: 'ssh.auth.try-again',
    re: /^Permission denied, please try again\.$/,
    make: () => ev('auth.failed', 'ssh.auth.try-again', { detail: { method: 'password', reason: 'rejected' } }),
  },
  {
    id: 'ssh.auth.denied',
    // The user name is greedy: the host is what follows the last "@".
    re: /^(?:(.*)@([^@\s]+): )?Permission denied \(([\w,@.-]*)\)\.$/,
    make: (m) => ev('auth.no-methods', 'ssh.auth.denied', { ...who(m[2], undefined, m[1]), detail: { methods: m[3]!, reason: 'permission-denied' } }),
  },
  {
    id: 'ssh.auth.success',
    re: /^Authenticated to (\S+) \(\[([^\]]*)\]:(\d+)\)(?: using "([^"]*)")?\.$/,
    make: (m) => ev('auth.success', 'ssh.auth.success', { ...who(m[1], m[3]), detail: { address: m[2]!, ...(m[4] ? { method: m[4] } : {}) } }),
  },
  {
    id: 'ssh.auth.load-key',
    re: /^Load key "(.*)": (.+)$/,
    make: (m) => ev('error.other', 'ssh.auth.load-key', { detail: { what: 'load-key', file: m[1]!, message: m[2]! } }),
  },
  {
    id: 'ssh.auth.identity-missing',
    re: /^(?:no such identity: (.+): (.+)|Warning: Identity file (.+) not accessible: (.+)\.)$/,
    make: (m) => ev('error.other', 'ssh.auth.identity-missing', { detail: { what: 'identity-missing', file: m[1] ?? m[3]!, message: m[2] ?? m[4]! } }),
  },
  {
    id: 'ssh.auth.unprotected-key',
    re: /^@\s+WARNING: UNPROTECTED PRIVATE KEY FILE!\s+@$/,
    make: (_m, st) => {
      st.block = 'key-permissions';
      return info('ssh.auth.unprotected-key', 'key-permissions-warning');
    },
  },
  {
    id: 'ssh.auth.key-too-open',
    re: /^Permissions (0?[0-7]{3,4}) for '(.+)' are too open\.$/,
    make: (m) => ev('error.other', 'ssh.auth.key-too-open', { detail: { what: 'key-permissions', mode: m[1]!, file: m[2]! } }),
  },
  {
    id: 'ssh.auth.key-text',
    re: /^(?:It is (?:required|recommended) that your private key files are NOT accessible by others\.|This private key will be ignored\.)$/,
    inBlock: true,
    make: () => info('ssh.auth.key-text', 'key-permissions-text'),
  },
  {
    id: 'ssh.auth.askpass',
    re: /^(?:ssh_askpass: (?:exec\((.*)\)|fork): (.+)|read_passphrase: can't open \/dev\/tty: (.+))$/,
    make: (m) => ev('error.other', 'ssh.auth.askpass', { detail: { what: 'askpass', message: m[2] ?? m[3]!, ...(m[1] ? { file: m[1] } : {}) } }),
  },
  {
    id: 'ssh.auth.password-expired',
    re: /^(?:WARNING: Your password has expired\.|You must change your password now and login again!|Password change required but no TTY available\.|Password change requested\.\s+Choose a new password\.)$/,
    make: (m) => ev('auth.failed', 'ssh.auth.password-expired', { detail: { method: 'password', reason: 'password-expired', message: m[0] } }),
  },
  // --- configuration --------------------------------------------------------------------------------
  {
    id: 'ssh.config.bad-permissions',
    re: /^Bad owner or permissions on (.+)$/,
    make: (m) => ev('error.fatal', 'ssh.config.bad-permissions', { detail: { what: 'bad-permissions', file: m[1]! } }),
  },
  {
    id: 'ssh.config.bad-option',
    re: /^(?:(.+): line (\d+): )?(Bad configuration option: .+|Unsupported option "?.+"?|.+: terminating, \d+ bad configuration options?|Bad port '.*'|Bad escape character '.*'\.|Unknown (?:key|cipher|MAC|kex) type .*|Bad SSH2 (?:cipher|mac|KexAlgorithms) spec '.*'\.|Bad (?:protocol 2 )?host key algorithms '.*'\.)$/,
    make: (m) => ev('error.fatal', 'ssh.config.bad-option', { detail: { what: 'config', message: m[3]!, ...(m[1] ? { file: m[1], line: Number(m[2]) } : {}) } }),
  },
  // --- session ---------------------------------------------------------------------------------------
  {
    id: 'ssh.session.transferred',
    re: /^Transferred: sent (\d+), received (\d+) bytes, in ([\d.]+) seconds$/,
    make: (m) => info('ssh.session.transferred', 'transferred', { sent: Number(m[1]), received: Number(m[2]), seconds: Number(m[3]) }),
  },
  {
    id: 'ssh.session.rate',
    re: /^Bytes per second: sent ([\d.]+), received ([\d.]+)$/,
    make: (m) => info('ssh.session.rate', 'bytes-per-second', { sent: Number(m[1]), received: Number(m[2]) }),
  },
  {
    id: 'ssh.session.no-pty',
    re: /^(?:Pseudo-terminal will not be allocated because stdin is not a terminal\.|Warning: Remote host (?:denied X11 forwarding|denied authentication agent forwarding|failed or refused to allocate a pseudo tty|refused compression)\.|PTY allocation request failed on channel \d+|Warning: No xauth data; using fake authentication data for X11 forwarding\.|X11 forwarding request failed on channel \d+)$/,
    make: (m) => info('ssh.session.no-pty', 'session-setup', { message: m[0] }),
  },
  {
    id: 'ssh.session.forwarding-failed',
    re: /^(?:bind \[?[^\]\s]*\]?:?\d*: .+|bind: .+|channel_setup_fwd_listener_tcpip: cannot listen to port: \d+|Could not request local forwarding\.|Warning: remote port forwarding failed for listen port \d+|Error: remote port forwarding failed for listen port \d+|channel \d+: open failed: .+|stdio forwarding failed|(?:Warning: )?Could not request (?:remote|tunnel) forwarding\.|(?:Warning|Error): remote port forwarding failed for listen path .+|Tunnel forwarding failed|Tunnel device open failed\.|connect_to (\S+) port (\d+): failed\.)$/,
    make: (m) => ev('error.other', 'ssh.session.forwarding-failed', { detail: { what: 'forwarding', message: m[0] } }),
  },
  // --- from the source catalog (docs/catalog/ssh.json) ----------------------------------------------
  {
    // sshpkt_fatal during the banner exchange (8.x+): `banner exchange: Connection to H port P: invalid format`
    id: 'ssh.conn.banner-exchange',
    re: /^banner exchange: Connection (?:to|from) (\S+?)(?: port (\d+))?: (.+)$/,
    make: (m) => ev('version.failed', 'ssh.conn.banner-exchange', { ...who(m[1], m[2]), detail: { reason: /invalid|format|version|banner/i.test(m[3]!) ? 'bad-banner' : netReason(m[3]!), message: m[3]! } }),
  },
  {
    id: 'ssh.ver.bad-remote',
    re: /^(?:Bad remote protocol version identification: '(.*)'|Protocol major versions differ: (\d+) vs\. (\d+)|Remote machine has too old SSH software version\.|ssh1 is not (?:un)?supported|Server version "(.*)" uses unsafe key agreement; refusing connection)$/,
    make: (m) => ev('version.failed', 'ssh.ver.bad-remote', { detail: { reason: m[4] !== undefined ? 'unsafe-kex' : m[1] !== undefined ? 'bad-banner' : 'old-version', message: m[0] } }),
  },
  {
    id: 'ssh.kex.negotiation',
    re: /^(?:Server host key (\S+) not in HostKeyAlgorithms|host key (\S+) not permitted by HostkeyAlgorithms|Unable to negotiate a key exchange method|no matching (cipher|mac|comp) found: client (.*) server (.*)|Unsupported KEX algorithm "(.*)"|DH_GEX group out of range: .*)$/,
    make: (m) => {
      const algClass = m[1] ?? m[2] ? 'hostkey' : m[3] ? opensshAlgClass(m[3] === 'comp' ? 'compression' : m[3]) : 'kex';
      const reason = m[0].startsWith('DH_GEX') ? 'gex-range' : 'no-common-algorithm';
      return ev('kex.failed', 'ssh.kex.negotiation', { detail: { reason, algClass, message: m[0], option: CLIENT_OPTION[algClass] ?? 'KexAlgorithms' } });
    },
  },
  {
    // sshpkt_fatal: the connection broke under ssh (its peer named, or not)
    id: 'ssh.conn.io-failed',
    re: /^(?:Read from socket failed: (.+)|Write failed: (.+)|Write connection closed|Connection (?:to|from) (\S+?)(?: port (\d+))?: (.+))$/,
    make: (m) => {
      const message = m[1] ?? m[2] ?? m[5] ?? m[0];
      const net = netReason(message);
      return ev('session.disconnected', 'ssh.conn.io-failed', { ...who(m[3], m[4]), detail: { reason: net === 'other' ? 'protocol-error' : net, message } });
    },
  },
  {
    // packet_disconnect: ssh ends the connection over a protocol violation (`Disconnecting: Bad packet length 3.`)
    id: 'ssh.conn.protocol-disconnect',
    re: /^Disconnecting(?: (\S+) port (\d+))?: (.+)$/,
    make: (m) => ev('session.disconnected', 'ssh.conn.protocol-disconnect', { ...who(m[1], m[2]), detail: { reason: 'protocol-error', message: m[3]! } }),
  },
  {
    id: 'ssh.hostkey.revoked-note',
    re: /^(?:(\S+) host key for (\S+) was revoked and you have requested strict checking\.|Host key (\S+) (\S+) revoked by file (.+)|Exiting, you have requested strict checking\.|Error: forwarding disabled due to host key check failure)$/,
    make: (m) => info('ssh.hostkey.revoked-note', m[3] ? 'hostkey-revoked' : 'hostkey-strict', { message: m[0] }, m[2] ? hostPort(m[2]) : {}),
  },
  {
    id: 'ssh.auth.sign-failed',
    re: /^(?:sign_and_send_pubkey: )?(?:no mutual signature supported|signing failed for (\S+) "(.*)"(.*): (.+))$/,
    make: (m) =>
      ev('auth.failed', 'ssh.auth.sign-failed', {
        detail: { method: 'publickey', reason: m[1] ? 'signing-failed' : 'no-mutual-signature-algorithm', ...(m[2] !== undefined ? { key: m[2], keyType: m[1]!, message: m[4]! } : {}) },
      }),
  },
  {
    id: 'ssh.auth.failed-fatal',
    re: /^(?:Authentication failed\.|Server denied authentication request: (\d+))$/,
    make: (m) => ev('auth.failed', 'ssh.auth.failed-fatal', { detail: { reason: 'failed', message: m[0] } }),
  },
];

/** Lines after `debugN: ` (the function-name prefix of 8.5+ `debug_f()` lines stays in the text). */
const DEBUG_PATTERNS: Pattern[] = [
  {
    id: 'ssh.debug.connecting',
    re: /^Connecting to (\S+) \[([^\]]*)\] port (\d+)\.$/,
    make: (m) => ev('connect.start', 'ssh.debug.connecting', { ...who(m[1], m[3]), detail: { address: m[2]! } }),
  },
  {
    id: 'ssh.debug.connect-address',
    re: /^(?:ssh_connect_direct: )?connect to address (\S+) port (\d+): (.+)$/,
    make: (m) => info('ssh.debug.connect-address', 'connect-address-failed', { address: m[1]!, reason: netReason(m[3]!), message: m[3]! }, { port: Number(m[2]) }),
  },
  {
    id: 'ssh.debug.established',
    re: /^Connection established\.$/,
    make: () => ev('connect.established', 'ssh.debug.established'),
  },
  {
    id: 'ssh.debug.local-version',
    re: /^Local version string (SSH-\S+(?: .*)?)$/,
    make: (m) => ev('version.local', 'ssh.debug.local-version', { detail: { version: m[1]! } }),
  },
  {
    id: 'ssh.debug.remote-version',
    re: /^Remote protocol version ([\d.]+), remote software version (.*)$/,
    make: (m) => ev('version.remote', 'ssh.debug.remote-version', { detail: { version: m[2]!, protocol: m[1]! } }),
  },
  {
    id: 'ssh.debug.authenticating',
    re: /^Authenticating to (\S+):(\d+) as '(.*)'$/,
    make: (m) => ev('auth.username', 'ssh.debug.authenticating', { ...who(m[1], m[2], m[3]) }),
  },
  {
    id: 'ssh.debug.kexinit-sent',
    re: /^SSH2_MSG_KEXINIT sent$/,
    make: () => ev('kex.start', 'ssh.debug.kexinit-sent'),
  },
  {
    id: 'ssh.debug.kex-algorithm',
    re: /^kex: algorithm: (.+)$/,
    make: (m) => (m[1] === '(no match)' ? info('ssh.debug.kex-algorithm', 'kex-no-match') : ev('kex.method', 'ssh.debug.kex-algorithm', { detail: { method: m[1]! } })),
  },
  {
    id: 'ssh.debug.kex-hostkey-algorithm',
    re: /^kex: host key algorithm: (.+)$/,
    make: (m) => info('ssh.debug.kex-hostkey-algorithm', 'kex-hostkey-algorithm', { algorithm: m[1]! }),
  },
  {
    id: 'ssh.debug.kex-cipher',
    re: /^kex: (server->client|client->server) (?:cipher: (\S+) MAC: (\S+) compression: (\S+)|(\S+) (\S+) (\S+))$/,
    make: (m) =>
      info('ssh.debug.kex-cipher', 'kex-cipher', {
        direction: m[1] === 'client->server' ? 'out' : 'in',
        cipher: m[2] ?? m[5]!,
        mac: m[3] ?? m[6]!,
        compression: m[4] ?? m[7]!,
      }),
  },
  {
    id: 'ssh.debug.newkeys',
    re: /^SSH2_MSG_NEWKEYS received$/,
    make: () => ev('kex.done', 'ssh.debug.newkeys'),
  },
  {
    id: 'ssh.debug.server-hostkey',
    re: /^Server host key: (\S+) (\S+)$/,
    make: (m) => ev('hostkey.fingerprint', 'ssh.debug.server-hostkey', { detail: { keyType: m[1]!, fingerprint: m[2]! } }),
  },
  {
    id: 'ssh.debug.hostkey-known',
    re: /^(?:Host '(.+)' is known and matches the (\S+) host key\.|Found key in (.+):(\d+))$/,
    make: (m) => info('ssh.debug.hostkey-known', 'hostkey-known', m[1] ? { knownAs: m[1], keyType: m[2]! } : { knownHosts: m[3]!, knownHostsLine: Number(m[4]) }),
  },
  {
    id: 'ssh.debug.auth-continue',
    re: /^Authentications that can continue: (.*)$/,
    make: (m) => info('ssh.debug.auth-continue', 'auth-methods', { methods: m[1]! }),
  },
  {
    id: 'ssh.debug.next-method',
    re: /^Next authentication method: (\S+)$/,
    make: (m) => ev('auth.attempt', 'ssh.debug.next-method', { detail: { method: m[1]! } }),
  },
  {
    id: 'ssh.debug.offering',
    re: /^(?:Offering (?:(\S+) )?public key: (.+)|Trying private key: (.+))$/,
    make: (m) => ev('auth.attempt', 'ssh.debug.offering', { detail: { method: 'publickey', key: (m[2] ?? m[3]!).trim(), ...(m[1] ? { keyType: m[1] } : {}) } }),
  },
  {
    id: 'ssh.debug.no-mutual-sig',
    re: /^send_pubkey_test: no mutual signature algorithm$/,
    make: () => ev('auth.failed', 'ssh.debug.no-mutual-sig', { detail: { method: 'publickey', reason: 'no-mutual-signature-algorithm' } }),
  },
  {
    id: 'ssh.debug.auth-succeeded',
    re: /^Authentication succeeded \(([^)]*)\)\.$/,
    make: (m) => ev('auth.success', 'ssh.debug.auth-succeeded', { detail: { method: m[1]! } }),
  },
  {
    id: 'ssh.debug.session',
    re: /^(?:Entering interactive session\.|Sending command: (.*)|Sending subsystem: (.*))$/,
    make: (m) => ev('session.started', 'ssh.debug.session', { detail: m[1] !== undefined ? { command: m[1] } : m[2] !== undefined ? { subsystem: m[2] } : {} }),
  },
  {
    id: 'ssh.debug.exit-status',
    re: /^Exit status (-?\d+)$/,
    make: (m) => ev('session.ended', 'ssh.debug.exit-status', { detail: { exitStatus: Number(m[1]) } }),
  },
];

/** Prompts: waiting for input on the terminal, no newline. */
const PROMPTS: Array<{ id: string; re: RegExp; make: (m: RegExpExecArray, st: State) => EventDraft }> = [
  {
    id: 'ssh.prompt.hostkey',
    re: /^(?:Are you sure you want to continue connecting \((?:yes\/no(?:\/\[fingerprint\])?)\)\?|Please type 'yes', 'no' or the fingerprint:|Please type 'yes' or 'no':) ?/,
    make: (m, st) => {
      st.keyState ??= 'new';
      return ev('prompt.hostkey', 'ssh.prompt.hostkey', { detail: { prompt: m[0].trimEnd(), keyState: st.keyState } });
    },
  },
  {
    id: 'ssh.prompt.password',
    // Greedy user: the host is what follows the last "@".
    re: /^(?:(.{1,200})@([^@\s']{1,255})'s password: ?|\((.{1,200})@([^@\s)]{1,255})\) Password: ?)/,
    make: (m) => ev('prompt.password', 'ssh.prompt.password', { ...who(m[2] ?? m[4], undefined, m[1] ?? m[3]), detail: { prompt: m[0].trimEnd() } }),
  },
  {
    id: 'ssh.prompt.kbd',
    re: /^(?:\((.{1,200})@([^@\s)]{1,255})\) )?(?:Password|Verification code|One-time password|OTP|Duo two-factor login.*):\s?$/,
    make: (m) => ev('prompt.password', 'ssh.prompt.kbd', { ...who(m[2], undefined, m[1]), detail: { prompt: m[0].trimEnd() } }),
  },
  {
    id: 'ssh.prompt.passphrase',
    re: /^(?:Enter passphrase for key '([^']*)': ?|Bad passphrase, try again for (.+?): ?$|Enter PIN for (\S+) key (.+?): ?$)/,
    make: (m) => ev('prompt.passphrase', 'ssh.prompt.passphrase', { detail: { prompt: m[0].trimEnd(), ...(m[1] ?? m[2] ? { file: (m[1] ?? m[2])! } : {}) } }),
  },
];

function run(patterns: Pattern[], text: string, st: State): { drafts: EventDraft[]; inBlock: boolean } | undefined {
  for (const p of patterns) {
    const m = p.re.exec(text);
    if (m) {
      const before = st.block;
      const r = p.make(m, st);
      // A line that is not part of a block ends it (unless it opened a new one).
      if (!p.inBlock && st.block === before) st.block = undefined;
      return { drafts: Array.isArray(r) ? r : [r], inBlock: p.inBlock === true };
    }
  }
  return undefined;
}

/** The catalog's messages no pattern maps (docs/catalog/ssh.json, generated into ssh-catalog.ts). */
const CATALOG_ERRORS = new FormatTable('ssh.error.catalog', SSH_ERRORS, (level, text) =>
  ev(level === 'fatal' ? 'error.fatal' : 'error.other', 'ssh.error.catalog', { detail: { message: text } }),
);
const IGNORED = new IgnoredTable('ssh', 'ssh.ignored', SSH_IGNORED);

const DEBUG = /^debug([123]): /;
/** A line left waiting without a newline that asks something: ends in `?` or `:` (then maybe a space). */
const GENERIC_PROMPT = /^[^\n]{1,300}[?:] ?$/;
/** What a person types at the host-key question (echoed); passwords are not echoed. */
const ANSWER = /^(?:yes|no|y|n|SHA256:\S+)$/i;
const LEVEL = /^(?:error|fatal|verbose|info): /;

class SshParser implements LineParser {
  private readonly st: State = { block: undefined, keyState: undefined, changed: undefined, fingerprintOf: undefined, partialText: undefined, afterPrompt: false };

  parse(msg: Message): EventDraft[] {
    // CRs: ssh ends lines with "\r\n" (a pseudo-terminal makes that "\r\r\n"), and questions written
    // to the terminal start with "\r" to return to the first column.
    let text = msg.text.replace(/\r+$/, '');
    if (!msg.continuation) text = text.replace(/^\r+/, '');
    if (msg.continuation && this.st.partialText !== undefined) {
      text = this.st.partialText + text;
      this.st.partialText = undefined;
    }
    const afterPrompt = this.st.afterPrompt && msg.continuation === true;
    this.st.afterPrompt = false;
    if (afterPrompt && ANSWER.test(text.trim())) return [ev('prompt.answered', 'ssh.prompt.answer', { detail: { answer: text.trim() } })];
    // ssh's stdout is mostly the remote command's output; on a terminal of its own (connwatch wrap)
    // ssh's own messages may come the same way: what is ssh's is kept, the rest is remote output.
    if (msg.stream === 'stdout') return this.stdoutLine(text);
    // A partial line followed by a new line (not its continuation) was a line of its own.
    const pending = msg.continuation ? [] : this.takePartial();
    return pending.concat(this.prompt(text, msg));
  }

  private prompt(text: string, msg: Message): EventDraft[] {
    for (const p of PROMPTS) {
      const m = p.re.exec(text);
      if (!m) continue;
      const out = this.flush();
      out.push(p.make(m, this.st));
      this.st.block = undefined;
      const rest = text.slice(m[0].length);
      if (rest === '') {
        this.st.afterPrompt = msg.partial === true;
        return out;
      }
      if (ANSWER.test(rest.trim())) {
        out.push(ev('prompt.answered', 'ssh.prompt.answer', { detail: { answer: rest.trim() } }));
        return out;
      }
      return out.concat(this.line(rest));
    }
    if (msg.partial && !msg.continuation) {
      // a question no pattern knows, left waiting (a security key's PIN, a newer release): a prompt all the same
      if (GENERIC_PROMPT.test(text)) {
        this.st.afterPrompt = true;
        return [...this.flush(), ev('prompt.other', 'ssh.prompt.generic', { detail: { prompt: text.trimEnd() } })];
      }
      this.st.partialText = text;
      return [];
    }
    return this.line(text);
  }

  end(): EventDraft[] {
    return this.takePartial().concat(this.flush());
  }

  /** A stdout line: ssh's own message when a pattern knows it, else the remote command's output (noise). */
  private stdoutLine(text: string): EventDraft[] {
    const drafts = text === '' ? [] : this.line(text);
    if (drafts.length === 0 || drafts.every((d) => d.kind === 'unknown' || d.kind === 'noise')) return [{ kind: 'noise', program: P, detail: { what: 'remote-output' } }];
    return drafts;
  }

  /** A partial line still waiting for its continuation, parsed as a line of its own. */
  private takePartial(): EventDraft[] {
    const text = this.st.partialText;
    this.st.partialText = undefined;
    return text === undefined ? [] : this.line(text);
  }

  /** The held hostkey.changed event, if any: the block it belonged to is over. */
  private flush(): EventDraft[] {
    const held = this.st.changed;
    this.st.changed = undefined;
    return held ? [held] : [];
  }

  private line(raw: string): EventDraft[] {
    let text = raw;
    if (text === '') return [...this.flush(), ev('noise', 'ssh.blank')];
    const dbg = DEBUG.exec(text);
    if (dbg) {
      text = text.slice(dbg[0].length);
      const hit = run(DEBUG_PATTERNS, text, this.st);
      if (hit?.drafts.some((d) => d.kind === 'connect.start')) {
        // A new connection (logs appended run after run): forget the previous one's host-key situation.
        const held = this.flush();
        this.st.block = undefined;
        this.st.keyState = undefined;
        return held.concat(hit.drafts);
      }
      const drafts = hit ? hit.drafts : [dbg[1] === '1' ? info('ssh.debug.other', 'debug', { level: `debug${dbg[1]!}` }) : ev('noise', 'ssh.debug.other', { detail: { level: `debug${dbg[1]!}` } })];
      // Debug lines never end the changed-host-key block (ssh -v prints none inside it).
      return drafts;
    }
    const lv = LEVEL.exec(text);
    if (lv) text = text.slice(lv[0].length);
    const hit = run(PATTERNS, text, this.st);
    if (hit) {
      return (hit.inBlock ? [] : this.flush()).concat(hit.drafts);
    }
    if (this.st.block && text.length <= 200) return [info('ssh.block.text', `${this.st.block}-text`)];
    const known = CATALOG_ERRORS.match(text) ?? IGNORED.match(text);
    if (known) return [...this.flush(), known];
    return [...this.flush(), ev('unknown', 'ssh.unknown')];
  }
}

const PATTERN_IDS = [
  ...PATTERNS.map((p) => p.id),
  ...DEBUG_PATTERNS.map((p) => p.id),
  ...PROMPTS.map((p) => p.id),
  'ssh.prompt.answer',
  'ssh.prompt.generic',
  'ssh.debug.other',
  'ssh.block.text',
  'ssh.blank',
  'ssh.error.catalog',
  'ssh.ignored',
  'ssh.unknown',
];

const SNIFF_SURE =
  /^(?:OpenSSH_\S+(?: [^,]*)?, (?:OpenSSL|LibreSSL|BoringSSL|without OpenSSL)|debug1: (?:Reading configuration data |Connecting to \S+ \[[^\]]*\] port \d+\.$|Local version string SSH-|Authenticating to \S+:\d+ as )|ssh: (?:connect to host \S+ port \S+: |Could not resolve hostname )|Unable to negotiate with \S+ port \d+: .*Their offer: .*[^\]]$)/;
const SNIFF_LIKELY =
  /^(?:The authenticity of host '|Host key verification failed\.$|@\s+WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!|.+@[^@\s]+: Permission denied \(|Warning: Permanently added '|Are you sure you want to continue connecting \(yes\/no|(?:kex|ssh)_exchange_identification: |Authenticated to \S+ \(\[)/;

export const ssh: ParserSpec = {
  program: 'ssh',
  understands:
    'OpenSSH ssh client 7.x–10.x: stderr at the default level and with -v/-vv/-vvv, -E log files, -y syslog (ident ssh), connwatch wrap captures with the terminal prompts',
  idents: ['ssh'],
  patterns: PATTERN_IDS,
  sniff(text: string): number {
    const t = text.replace(/\r$/, '');
    if (SNIFF_SURE.test(t)) return 1;
    if (SNIFF_LIKELY.test(t)) return 0.95;
    return 0;
  },
  create(): LineParser {
    return new SshParser();
  },
};
