/**
 * rdesktop 1.8.x and 1.9.x.
 *
 * Envelopes understood:
 *   - 1.8: `ERROR: `, `WARNING: `, `NOT IMPLEMENTED: ` prefixes on stderr, and many bare status
 *     lines (`Connection established using SSL.`, `Failed to connect, …`, `disconnect: …`);
 *   - 1.9: `Subject(level): ` prefixes on stderr (`Core(error): tcp_connect(), …`,
 *     `Protocol(warning): …`), notices and verbose lines bare on **stdout**;
 *   - the 1.9 certificate question block on stderr, ending in `Do you trust this certificate
 *     (yes/no)? ` with no newline (rdesktop reads stdin and waits forever): the block's reasons,
 *     subject, issuer and fingerprints go into the prompt.certificate event's detail;
 *   - `connwatch wrap` captures and syslog/journal lines with identifier `rdesktop`.
 *
 * The CredSSP/NLA failure exists in two wordings: 1.8 `CredSSP: Initialize failed, do you have
 * correct kerberos tgt initialized ?` and 1.9 `Failed to initialize NLA, do you have correct
 * Kerberos TGT initialized ?` (2017 dev builds: `intialize`). After it, `Connection established
 * using SSL.` is a downgrade, not a success: the event says so (detail.downgrade).
 * Wording from real captures of 1.9.0 and the 2018 incident (1.8), the rest from signatures.md §D.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import { netReason } from './net-reason.js';
import { PartialLines } from './partial.js';
import type { LineParser, Message, ParserSpec } from './types.js';

interface State {
  nlaFailed: boolean;
  /** Inside the certificate question block: what it said so far. */
  cert: { reasons: string[]; detail: Detail } | undefined;
}

interface Ctx {
  st: State;
  /** 1.8 prefix (ERROR/WARNING) or 1.9 subject(level). */
  level: string | undefined;
  subject: string | undefined;
}

type Make = (m: RegExpExecArray, c: Ctx) => EventDraft;
interface Pattern {
  id: string;
  re: RegExp;
  make: Make;
}

function ev(c: Ctx, kind: EventKind, pattern: string, detail: Detail = {}, extra: Partial<EventDraft> = {}): EventDraft {
  const d: EventDraft = { kind, program: 'rdesktop', pattern, detail: { ...detail }, ...extra };
  if (c.level) d.detail!.level = c.level;
  if (c.subject) d.detail!.subject = c.subject;
  return d;
}
const info = (c: Ctx, pattern: string, what: string, detail: Detail = {}) => ev(c, 'info', pattern, { what, ...detail });

/** `Failed to connect, <reason>.` → the RDP_NEG_FAILURE code the server sent. */
const NEGO_REASON: Array<[RegExp, string]> = [
  [/^CredSSP required by server/, 'HYBRID_REQUIRED_BY_SERVER'],
  [/^SSL with user authentication required by server/, 'SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER'],
  [/^SSL required by server/, 'SSL_REQUIRED_BY_SERVER'],
  [/^SSL not allowed by server/, 'SSL_NOT_ALLOWED_BY_SERVER'],
  [/^no valid authentication certificate on server/, 'SSL_CERT_NOT_ON_SERVER'],
  [/^inconsistent negotiation flags/, 'INCONSISTENT_FLAGS'],
];

const PATTERNS: Pattern[] = [
  // --- NLA / CredSSP ----------------------------------------------------------------------
  {
    id: 'rdesktop.cssp.no-tgt',
    re: /^(?:CredSSP: Initialize failed, do you have correct kerberos tgt initialized \?|Failed to in(?:i)?tialize NLA, do you have correct [Kk]erberos (?:TGT|tgt) initialized \?)$/,
    make: (_m, c) => {
      c.st.nlaFailed = true;
      return ev(c, 'nla.failed', 'rdesktop.cssp.no-tgt', { reason: 'no-kerberos-tgt' });
    },
  },
  {
    id: 'rdesktop.cssp.fallback',
    re: /^Failed to connect using NLA, trying with SSL$/,
    make: (_m, c) => {
      c.st.nlaFailed = true;
      return info(c, 'rdesktop.cssp.fallback', 'nla-fallback-ssl');
    },
  },
  {
    id: 'rdesktop.cssp.failed',
    re: /^(?:CredSSP: Negotiation failed\.|cssp_connect\(\), negotiation failed|CredSSP: System doesn't have support for desired authentication mechanism\.|CredSSP: Confidiality service required but is not available\.|cssp_connect\(\), confid(?:ent)?iality service required but is not available|CredSSP: Cannot guarantee integrity of server connection, MITM \? \(public key data mismatch\)|cssp_connect\(\), public key mismatch, cannot guarantee integrity of server connection)$/,
    make: (m, c) => {
      c.st.nlaFailed = true;
      const t = m[0];
      const reason = /negotiation failed/i.test(t)
        ? 'negotiation'
        : /mechanism/.test(t)
          ? 'no-mechanism'
          : /confid/i.test(t)
            ? 'no-confidentiality'
            : 'public-key-mismatch';
      return ev(c, 'nla.failed', 'rdesktop.cssp.failed', { reason, message: t });
    },
  },
  {
    id: 'rdesktop.cssp.tls',
    re: /^CredSSP: Failed to establish TLS connection\.$/,
    make: (_m, c) => ev(c, 'tls.failed', 'rdesktop.cssp.tls', { reason: 'credssp-tls' }),
  },
  // --- negotiation --------------------------------------------------------------------------
  {
    id: 'rdesktop.nego.established',
    re: /^Connection established using (SSL|CredSSP|plain RDP)\.$/,
    make: (m, c) => {
      const security = m[1] === 'SSL' ? 'ssl' : m[1] === 'CredSSP' ? 'credssp' : 'rdp';
      const d = ev(c, 'connect.established', 'rdesktop.nego.established', { security });
      if (security !== 'credssp' && c.st.nlaFailed) d.detail!.downgrade = true;
      return d;
    },
  },
  {
    id: 'rdesktop.nego.tls-session',
    re: /^TLS {1,2}Session info: \((TLS[\d.]+|SSL[\d.]+)\)-(.*)$/,
    make: (m, c) => ev(c, 'connect.established', 'rdesktop.nego.tls-session', { security: 'tls', tlsVersion: m[1]!, cipherSuite: m[2]! }),
  },
  {
    id: 'rdesktop.nego.connecting',
    re: /^Connecting to server using (NLA|SSL|plain RDP)\.\.\.$/,
    make: (m, c) => ev(c, 'connect.start', 'rdesktop.nego.connecting', { security: m[1]!.toLowerCase() }),
  },
  {
    id: 'rdesktop.nego.failed',
    re: /^Failed to connect, (.+?)\.?$/,
    make: (m, c) => {
      const text = m[1]!;
      const reason = NEGO_REASON.find(([re]) => re.test(text))?.[1] ?? 'unknown';
      return ev(c, 'nego.failed', 'rdesktop.nego.failed', { reason, message: text });
    },
  },
  {
    id: 'rdesktop.nego.retry',
    re: /^(?:Failed to negotiate protocol, retrying with plain RDP\.|Protocol negotiation failed with reason: (.*)|Retrying with plain RDP\.)$/,
    make: (m, c) =>
      m[1] !== undefined
        ? ev(c, 'nego.failed', 'rdesktop.nego.retry', { reason: m[1], retry: 'plain-rdp' })
        : info(c, 'rdesktop.nego.retry', 'retry-plain-rdp'),
  },
  {
    id: 'rdesktop.nego.unexpected',
    re: /^(?:Expected RDP_NEG_RSP, got type = 0x[0-9a-fA-F]+|Unexpected protocol in negotiation response, got data = 0x[0-9a-fA-F]+\.|iso_connect\(\), (?:expected RDP_NEG_RSP|unexpected protocol in negotiation response), got 0x[0-9a-fA-F]+)$/,
    make: (m, c) => ev(c, 'nego.failed', 'rdesktop.nego.unexpected', { reason: 'protocol-error', message: m[0] }),
  },
  // --- TCP -----------------------------------------------------------------------------------
  {
    id: 'rdesktop.tcp.connect',
    re: /^(?:(\S+): unable to connect|connect: (.+)|tcp_connect\(\), unable to connect to (\S+)|tcp_connect\(\), connect\(\) failed: (.+))$/,
    make: (m, c) => {
      const message = m[2] ?? m[4];
      const host = m[1] ?? m[3];
      return ev(c, 'connect.failed', 'rdesktop.tcp.connect', { reason: message ? netReason(message) : 'connect', ...(message ? { message } : {}) }, host ? { host } : {});
    },
  },
  {
    id: 'rdesktop.tcp.resolve',
    re: /^(?:(\S+): unable to resolve host|getaddrinfo: (.+)|tcp_connect\(\), getaddrinfo\(\) failed: (.+)|tcp_connect\(\), unable to resolve host '([^']*)')$/,
    make: (m, c) => {
      const host = m[1] ?? m[4];
      const message = m[2] ?? m[3];
      return ev(c, 'connect.failed', 'rdesktop.tcp.resolve', { reason: 'dns', ...(message ? { message } : {}) }, host ? { host } : {});
    },
  },
  {
    id: 'rdesktop.tcp.closed',
    re: /^(?:recv: (.+)|send: (.+)|Connection closed|tcp_recv\(\), recv\(\) failed: (.+)|rcp_recv\(\), connection closed by peer)$/,
    make: (m, c) => {
      const message = m[1] ?? m[2] ?? m[3];
      return ev(c, 'session.disconnected', 'rdesktop.tcp.closed', { reason: message ? netReason(message) : 'closed-by-peer', ...(message ? { message } : {}) });
    },
  },
  // --- TLS -----------------------------------------------------------------------------------
  {
    id: 'rdesktop.tls.failed',
    re: /^(?:SSL_(?:read|write): (-?\d+) \((.*)\)|Remote peer initiated ssl shutdown\.|tcp_recv\(\), gnutls_record_recv\(\) failed with (-?\d+): (.*)|tcp_send\(\), gnutls_record_send\(\) failed with (-?\d+): (.*)|tcp_tls_connect\(\), TLS handshake failed\. GnuTLS error: (.*)|tcp_tls_connect\(\), TLS method should be 1\.0, 1\.1, or 1\.2|tcp_tls_connect\(\), Could not load system trust database: (.*)|tcp_tls_connect: SSL_CTX_new\(\) failed to create TLS v1\.0 context|Certificate error during TLS handshake: (.*))$/,
    make: (m, c) => {
      const t = m[0];
      const reason = /^SSL_|gnutls_record|shutdown/.test(t)
        ? 'tls-session-dropped'
        : /Certificate error/.test(t)
          ? 'certificate'
          : /method|SSL_CTX_new/.test(t)
            ? 'tls-version'
            : /trust database/.test(t)
              ? 'trust-store'
              : 'handshake';
      return ev(c, 'tls.failed', 'rdesktop.tls.failed', { reason, message: t, ...(c.st.nlaFailed ? { afterNlaFailure: true } : {}) });
    },
  },
  // --- certificates ---------------------------------------------------------------------------
  {
    id: 'rdesktop.cert.untrusted',
    re: /^ATTENTION! The server uses an?d? invalid security certificate which can not be trusted for$/,
    make: (_m, c) => {
      c.st.cert = { reasons: [], detail: {} };
      return ev(c, 'cert.untrusted', 'rdesktop.cert.untrusted', { reason: 'untrusted' });
    },
  },
  {
    id: 'rdesktop.cert.changed',
    re: /^ATTENTION! Found a certificate stored for host '([^']*)', but it does not match the certificate$/,
    make: (m, c) => {
      c.st.cert = { reasons: ['changed'], detail: {} };
      return ev(c, 'cert.changed', 'rdesktop.cert.changed', { reason: 'changed' }, { host: m[1]! });
    },
  },
  {
    id: 'rdesktop.cert.exception',
    re: /^Certificate received from server is NOT trusted by this system, an exception has been added by the user to trust this specific certificate\.$/,
    make: (_m, c) => info(c, 'rdesktop.cert.exception', 'certificate-exception-used'),
  },
  {
    id: 'rdesktop.cert.hostname',
    re: /^cert_verify_callback\(\), certificate hostname mismatch$/,
    make: (_m, c) => ev(c, 'cert.untrusted', 'rdesktop.cert.hostname', { reason: 'name-mismatch' }),
  },
  {
    id: 'rdesktop.cert.stdin-eof',
    re: /^Failed to read response from stdin$/,
    make: (_m, c) => ev(c, 'connect.aborted', 'rdesktop.cert.stdin-eof', { reason: 'stdin-eof' }),
  },
  // --- session --------------------------------------------------------------------------------
  {
    id: 'rdesktop.disc.reason',
    re: /^(?:disconnect: (.+?)\.?|Internal protocol error: ([0-9a-fA-F]+))$/,
    make: (m, c) => ev(c, 'session.disconnected', 'rdesktop.disc.reason', { reason: m[1] ? 'server' : 'protocol-error', message: m[1] ?? m[0] }),
  },
  {
    id: 'rdesktop.disc.network',
    re: /^(?:Disconnected due to network error, (?:retrying to reconnect for (\d+) minutes|exiting)\.{1,3}|Tried to reconnect for (\d+) minutes, giving up\.)$/,
    make: (m, c) => ev(c, 'session.disconnected', 'rdesktop.disc.network', { reason: 'network', message: m[0], reconnect: m[1] !== undefined }),
  },
  {
    id: 'rdesktop.session.redirect',
    re: /^Redirected to (.*)@(.*) session (\d+)\.$/,
    make: (m, c) => info(c, 'rdesktop.session.redirect', 'redirect', { target: m[2]!, session: Number(m[3]) }),
  },
  {
    id: 'rdesktop.start.keymap',
    re: /^(?:Autoselected keyboard map (\S+)|Autoselecting keyboard map '([^']*)' from locale)$/,
    make: (m, c) => info(c, 'rdesktop.start.keymap', 'keymap', { keymap: m[1] ?? m[2]! }),
  },
  {
    id: 'rdesktop.version',
    re: /^Version (\d[\w.]*)\. Copyright \(C\) .*$/,
    make: (m, c) => ev(c, 'version.local', 'rdesktop.version', { version: m[1]! }),
  },
  {
    id: 'rdesktop.usage',
    re: /^(?:rdesktop: A Remote Desktop Protocol client\.|See http:\/\/www\.rdesktop\.org\/ for more information\.)$/,
    make: (_m, c) => info(c, 'rdesktop.usage', 'usage'),
  },
  {
    // 1.9 `GUI(error): ui_init(), failed to open X11 display: :0` (1.8: `Failed to open display: :0`)
    id: 'rdesktop.x11.no-display',
    re: /^(?:ui_init\(\), failed to open X11 display|Failed to open display): (.*)$/,
    make: (m, c) => ev(c, 'error.fatal', 'rdesktop.x11.no-display', { reason: 'no-display', display: m[1]! }),
  },
];

/** Lines of the certificate question block (1.9 utils.c). */
const CERT_FIELDS: Array<[RegExp, string]> = [
  [/^ {4}Subject: (.*)$/, 'subject'],
  [/^ {5}Issuer: (.*)$/, 'issuer'],
  [/^ Valid From: (.*)$/, 'validFrom'],
  [/^ {9}To: (.*)$/, 'validTo'],
  [/^ {7}sha1: ([0-9a-f]+)$/, 'sha1'],
  [/^ {5}sha256: ([0-9a-f]+)$/, 'sha256'],
];
const CERT_TEXT =
  /^(?:the following identified reasons?\(s\);|received from server\.|Review the following certificate info before you trust it to be added as an exception\.|If you do not trust the certificate the connection atempt will be aborted:| {2}Certificate fingerprints:| {3,}\S.*| \d+\. .*| {4}given in the certificate\.)$/;

const PROMPTS: Array<{ id: string; re: RegExp; kind: EventKind }> = [
  { id: 'rdesktop.prompt.certificate', re: /^Do you trust this certificate \(yes\/no\)\? ?/, kind: 'prompt.certificate' },
  { id: 'rdesktop.prompt.password', re: /^(?:Password|Smart card PIN): ?/, kind: 'prompt.password' },
];

const PREFIX = /^(?:(ERROR|WARNING|NOT IMPLEMENTED): |(UI|GUI|Keyboard|Clipboard|Sound|Protocol|Graphics|Core|SmartCard|Disk)\((debug|verbose|warning|error|notice)\): )(.*)$/s;

/** A line left waiting without a newline that asks something: ends in `?` or `:` (then maybe a space). */
const GENERIC_PROMPT = /^[^\n]{1,300}[?:] ?$/;

class RdesktopParser implements LineParser {
  private readonly st: State = { nlaFailed: false, cert: undefined };
  private readonly partial = new PartialLines();

  parse(msg: Message): EventDraft[] {
    const text = this.partial.take(msg);
    const c: Ctx = { st: this.st, level: undefined, subject: undefined };
    for (const p of PROMPTS) {
      const m = p.re.exec(text);
      if (!m) continue;
      const detail: Detail = { prompt: m[0].trimEnd() };
      if (p.kind === 'prompt.certificate' && this.st.cert) {
        Object.assign(detail, this.st.cert.detail);
        if (this.st.cert.reasons.length) detail.reasons = this.st.cert.reasons.join('; ');
        this.st.cert = undefined;
      }
      const out = [ev(c, p.kind, p.id, detail)];
      const rest = text.slice(m[0].length);
      if (rest === '') return out;
      if (/^(?:yes|no)$/i.test(rest.trim())) {
        out.push(ev(c, 'prompt.answered', 'rdesktop.prompt.answer', { answer: rest.trim() }));
        return out;
      }
      return out.concat(this.line(rest));
    }
    if (this.partial.waits(msg)) {
      // a question no pattern knows, left waiting: a prompt all the same
      if (GENERIC_PROMPT.test(text)) return [ev({ st: this.st, level: undefined, subject: undefined }, 'prompt.other', 'rdesktop.prompt.generic', { prompt: text.trimEnd() })];
      this.partial.hold(text);
      return [];
    }
    return this.line(text);
  }

  end(): EventDraft[] {
    const text = this.partial.flush();
    return text === undefined ? [] : this.line(text);
  }

  private line(text: string): EventDraft[] {
    const c: Ctx = { st: this.st, level: undefined, subject: undefined };
    let inner = text;
    const p = PREFIX.exec(text);
    if (p) {
      c.level = (p[1] ?? p[3]!).toLowerCase();
      if (p[2]) c.subject = p[2];
      inner = p[4]!;
    }
    if (inner.trim() === '') return [ev(c, 'noise', 'rdesktop.blank')];
    for (const pat of PATTERNS) {
      const m = pat.re.exec(inner);
      if (m) return [pat.make(m, c)];
    }
    if (this.st.cert && !p) {
      const cert = this.st.cert;
      for (const [re, key] of CERT_FIELDS) {
        const m = re.exec(inner);
        if (m) {
          cert.detail[key] ??= m[1]!;
          return [info(c, 'rdesktop.cert.block-text', 'certificate-text', { field: key })];
        }
      }
      const reason = /^ \d+\. (.*)$/.exec(inner);
      if (reason) cert.reasons.push(reason[1]!);
      if (CERT_TEXT.test(inner)) return [info(c, 'rdesktop.cert.block-text', 'certificate-text')];
    }
    if (c.level === 'error' || c.level === 'warning' || c.level === 'not implemented') {
      return [ev(c, 'error.other', 'rdesktop.error.other', { message: inner })];
    }
    if (c.level) return [info(c, 'rdesktop.log.other', 'log', { message: inner })];
    return [ev(c, 'unknown', 'rdesktop.unknown')];
  }
}

export const RDESKTOP_FALLBACK_PATTERNS = ['rdesktop.error.other', 'rdesktop.log.other', 'rdesktop.unknown'] as const;

export const rdesktop: ParserSpec = {
  program: 'rdesktop',
  understands:
    'rdesktop 1.8.x (ERROR:/WARNING: on stderr) and 1.9.x (Subject(level): on stderr, notices bare on stdout), including the certificate question block and its prompt',
  idents: ['rdesktop'],
  patterns: [
    ...PATTERNS.map((p) => p.id),
    ...PROMPTS.map((p) => p.id),
    'rdesktop.prompt.answer',
    'rdesktop.prompt.generic',
    'rdesktop.cert.block-text',
    'rdesktop.blank',
    ...RDESKTOP_FALLBACK_PATTERNS,
  ],
  sniff(text: string): number {
    if (/^(?:ERROR|WARNING): CredSSP: /.test(text)) return 1;
    if (/^(?:UI|GUI|Keyboard|Clipboard|Sound|Protocol|Graphics|Core|SmartCard|Disk)\((?:debug|verbose|warning|error|notice)\): /.test(text)) return 1;
    if (/^(?:Failed to initialize NLA, do you have correct Kerberos|Autoselected keyboard map |Autoselecting keyboard map '|ATTENTION! The server uses an?d? invalid security certificate|Do you trust this certificate \(yes\/no\)\?)/.test(text)) return 1;
    if (/^(?:Connection established using (?:SSL|CredSSP|plain RDP)\.$|Failed to connect, CredSSP required by server|Connecting to server using NLA\.\.\.$)/.test(text)) return 0.95;
    if (/^(?:ERROR|WARNING): /.test(text)) return 0.3;
    return 0;
  },
  create(): LineParser {
    return new RdesktopParser();
  },
};
