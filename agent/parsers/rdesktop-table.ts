/**
 * rdesktop's messages declared as a table (agent/parsers/table.ts): pattern id → expression with
 * named groups → draft (the level and subject of the 1.8/1.9 prefix go into its detail), and the
 * lines of the certificate question block. The engine (prefixes, prompts, the block) is rdesktop.ts.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import { netReason } from './net-reason.js';
import type { Row } from './table.js';

export interface State {
  nlaFailed: boolean;
  /** Inside the certificate question block: what it said so far. */
  cert: { reasons: string[]; detail: Detail } | undefined;
}

export interface Ctx {
  st: State;
  /** 1.8 prefix (ERROR/WARNING) or 1.9 subject(level). */
  level: string | undefined;
  subject: string | undefined;
}

export function ev(c: Ctx, kind: EventKind, pattern: string, detail: Detail = {}, extra: Partial<EventDraft> = {}): EventDraft {
  const d: EventDraft = { kind, program: 'rdesktop', pattern, detail: { ...detail }, ...extra };
  if (c.level) d.detail!.level = c.level;
  if (c.subject) d.detail!.subject = c.subject;
  return d;
}
export const info = (c: Ctx, pattern: string, what: string, detail: Detail = {}) => ev(c, 'info', pattern, { what, ...detail });

/** `Failed to connect, <reason>.` → the RDP_NEG_FAILURE code the server sent. */
const NEGO_REASON: Array<[RegExp, string]> = [
  [/^CredSSP required by server/, 'HYBRID_REQUIRED_BY_SERVER'],
  [/^SSL with user authentication required by server/, 'SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER'],
  [/^SSL required by server/, 'SSL_REQUIRED_BY_SERVER'],
  [/^SSL not allowed by server/, 'SSL_NOT_ALLOWED_BY_SERVER'],
  [/^no valid authentication certificate on server/, 'SSL_CERT_NOT_ON_SERVER'],
  [/^inconsistent negotiation flags/, 'INCONSISTENT_FLAGS'],
];

export const RDESKTOP_ROWS: ReadonlyArray<Row<Ctx>> = [
  // --- NLA / CredSSP ----------------------------------------------------------------------
  {
    id: 'rdesktop.cssp.no-tgt',
    re: /^(?:CredSSP: Initialize failed, do you have correct kerberos tgt initialized \?|Failed to in(?:i)?tialize NLA, do you have correct [Kk]erberos (?:TGT|tgt) initialized \?)$/,
    build: (_g, c) => {
      c.st.nlaFailed = true;
      return ev(c, 'nla.failed', 'rdesktop.cssp.no-tgt', { reason: 'no-kerberos-tgt' });
    },
  },
  {
    id: 'rdesktop.cssp.fallback',
    re: /^Failed to connect using NLA, trying with SSL$/,
    build: (_g, c) => {
      c.st.nlaFailed = true;
      return info(c, 'rdesktop.cssp.fallback', 'nla-fallback-ssl');
    },
  },
  {
    id: 'rdesktop.cssp.failed',
    re: /^(?:CredSSP: Negotiation failed\.|cssp_connect\(\), negotiation failed|CredSSP: System doesn't have support for desired authentication mechanism\.|CredSSP: Confidiality service required but is not available\.|cssp_connect\(\), confid(?:ent)?iality service required but is not available|CredSSP: Cannot guarantee integrity of server connection, MITM \? \(public key data mismatch\)|cssp_connect\(\), public key mismatch, cannot guarantee integrity of server connection)$/,
    build: (_g, c, t) => {
      c.st.nlaFailed = true;
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
    build: (_g, c) => ev(c, 'tls.failed', 'rdesktop.cssp.tls', { reason: 'credssp-tls' }),
  },
  // --- negotiation --------------------------------------------------------------------------
  {
    id: 'rdesktop.nego.established',
    re: /^Connection established using (?<security>SSL|CredSSP|plain RDP)\.$/,
    build: (g, c) => {
      const security = g.security === 'SSL' ? 'ssl' : g.security === 'CredSSP' ? 'credssp' : 'rdp';
      const d = ev(c, 'connect.established', 'rdesktop.nego.established', { security });
      if (security !== 'credssp' && c.st.nlaFailed) d.detail!.downgrade = true;
      return d;
    },
  },
  {
    id: 'rdesktop.nego.tls-session',
    re: /^TLS {1,2}Session info: \((?<version>TLS[\d.]+|SSL[\d.]+)\)-(?<suite>.*)$/,
    build: (g, c) => ev(c, 'connect.established', 'rdesktop.nego.tls-session', { security: 'tls', tlsVersion: g.version!, cipherSuite: g.suite! }),
  },
  {
    id: 'rdesktop.nego.connecting',
    re: /^Connecting to server using (?<security>NLA|SSL|plain RDP)\.\.\.$/,
    build: (g, c) => ev(c, 'connect.start', 'rdesktop.nego.connecting', { security: g.security!.toLowerCase() }),
  },
  {
    id: 'rdesktop.nego.failed',
    re: /^Failed to connect, (?<message>.+?)\.?$/,
    build: (g, c) => {
      const text = g.message!;
      const reason = NEGO_REASON.find(([re]) => re.test(text))?.[1] ?? 'unknown';
      return ev(c, 'nego.failed', 'rdesktop.nego.failed', { reason, message: text });
    },
  },
  {
    id: 'rdesktop.nego.retry',
    re: /^(?:Failed to negotiate protocol, retrying with plain RDP\.|Protocol negotiation failed with reason: (?<reason>.*)|Retrying with plain RDP\.)$/,
    build: (g, c) =>
      g.reason !== undefined
        ? ev(c, 'nego.failed', 'rdesktop.nego.retry', { reason: g.reason, retry: 'plain-rdp' })
        : info(c, 'rdesktop.nego.retry', 'retry-plain-rdp'),
  },
  {
    id: 'rdesktop.nego.unexpected',
    re: /^(?:Expected RDP_NEG_RSP, got type = 0x[0-9a-fA-F]+|Unexpected protocol in negotiation response, got data = 0x[0-9a-fA-F]+\.|iso_connect\(\), (?:expected RDP_NEG_RSP|unexpected protocol in negotiation response), got 0x[0-9a-fA-F]+)$/,
    build: (_g, c, text) => ev(c, 'nego.failed', 'rdesktop.nego.unexpected', { reason: 'protocol-error', message: text }),
  },
  // --- TCP -----------------------------------------------------------------------------------
  {
    id: 'rdesktop.tcp.connect',
    re: /^(?:(?<host>\S+): unable to connect|connect: (?<message>.+)|tcp_connect\(\), unable to connect to (?<host2>\S+)|tcp_connect\(\), connect\(\) failed: (?<message2>.+))$/,
    build: (g, c) => {
      const message = g.message ?? g.message2;
      const host = g.host ?? g.host2;
      return ev(c, 'connect.failed', 'rdesktop.tcp.connect', { reason: message ? netReason(message) : 'connect', ...(message ? { message } : {}) }, host ? { host } : {});
    },
  },
  {
    id: 'rdesktop.tcp.resolve',
    re: /^(?:(?<host>\S+): unable to resolve host|getaddrinfo: (?<message>.+)|tcp_connect\(\), getaddrinfo\(\) failed: (?<message2>.+)|tcp_connect\(\), unable to resolve host '(?<host2>[^']*)')$/,
    build: (g, c) => {
      const host = g.host ?? g.host2;
      const message = g.message ?? g.message2;
      return ev(c, 'connect.failed', 'rdesktop.tcp.resolve', { reason: 'dns', ...(message ? { message } : {}) }, host ? { host } : {});
    },
  },
  {
    id: 'rdesktop.tcp.closed',
    re: /^(?:recv: (?<recv>.+)|send: (?<send>.+)|Connection closed|tcp_recv\(\), recv\(\) failed: (?<failed>.+)|rcp_recv\(\), connection closed by peer)$/,
    build: (g, c) => {
      const message = g.recv ?? g.send ?? g.failed;
      return ev(c, 'session.disconnected', 'rdesktop.tcp.closed', { reason: message ? netReason(message) : 'closed-by-peer', ...(message ? { message } : {}) });
    },
  },
  // --- TLS -----------------------------------------------------------------------------------
  {
    id: 'rdesktop.tls.failed',
    re: /^(?:SSL_(?:read|write): (-?\d+) \((.*)\)|Remote peer initiated ssl shutdown\.|tcp_recv\(\), gnutls_record_recv\(\) failed with (-?\d+): (.*)|tcp_send\(\), gnutls_record_send\(\) failed with (-?\d+): (.*)|tcp_tls_connect\(\), TLS handshake failed\. GnuTLS error: (.*)|tcp_tls_connect\(\), TLS method should be 1\.0, 1\.1, or 1\.2|tcp_tls_connect\(\), Could not load system trust database: (.*)|tcp_tls_connect: SSL_CTX_new\(\) failed to create TLS v1\.0 context|Certificate error during TLS handshake: (.*))$/,
    build: (_g, c, t) => {
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
    build: (_g, c) => {
      c.st.cert = { reasons: [], detail: {} };
      return ev(c, 'cert.untrusted', 'rdesktop.cert.untrusted', { reason: 'untrusted' });
    },
  },
  {
    id: 'rdesktop.cert.changed',
    re: /^ATTENTION! Found a certificate stored for host '(?<host>[^']*)', but it does not match the certificate$/,
    build: (g, c) => {
      c.st.cert = { reasons: ['changed'], detail: {} };
      return ev(c, 'cert.changed', 'rdesktop.cert.changed', { reason: 'changed' }, { host: g.host! });
    },
  },
  {
    id: 'rdesktop.cert.exception',
    re: /^Certificate received from server is NOT trusted by this system, an exception has been added by the user to trust this specific certificate\.$/,
    build: (_g, c) => info(c, 'rdesktop.cert.exception', 'certificate-exception-used'),
  },
  {
    id: 'rdesktop.cert.hostname',
    re: /^cert_verify_callback\(\), certificate hostname mismatch$/,
    build: (_g, c) => ev(c, 'cert.untrusted', 'rdesktop.cert.hostname', { reason: 'name-mismatch' }),
  },
  {
    id: 'rdesktop.cert.stdin-eof',
    re: /^Failed to read response from stdin$/,
    build: (_g, c) => ev(c, 'connect.aborted', 'rdesktop.cert.stdin-eof', { reason: 'stdin-eof' }),
  },
  // --- session --------------------------------------------------------------------------------
  {
    id: 'rdesktop.disc.reason',
    re: /^(?:disconnect: (?<message>.+?)\.?|Internal protocol error: (?<code>[0-9a-fA-F]+))$/,
    build: (g, c, text) => ev(c, 'session.disconnected', 'rdesktop.disc.reason', { reason: g.message ? 'server' : 'protocol-error', message: g.message ?? text }),
  },
  {
    id: 'rdesktop.disc.network',
    re: /^(?:Disconnected due to network error, (?:retrying to reconnect for (?<minutes>\d+) minutes|exiting)\.{1,3}|Tried to reconnect for (?<tried>\d+) minutes, giving up\.)$/,
    build: (g, c, text) => ev(c, 'session.disconnected', 'rdesktop.disc.network', { reason: 'network', message: text, reconnect: g.minutes !== undefined }),
  },
  {
    id: 'rdesktop.session.redirect',
    re: /^Redirected to (?<user>.*)@(?<target>.*) session (?<session>\d+)\.$/,
    build: (g, c) => info(c, 'rdesktop.session.redirect', 'redirect', { target: g.target!, session: Number(g.session) }),
  },
  {
    id: 'rdesktop.start.keymap',
    re: /^(?:Autoselected keyboard map (?<keymap>\S+)|Autoselecting keyboard map '(?<fromLocale>[^']*)' from locale)$/,
    build: (g, c) => info(c, 'rdesktop.start.keymap', 'keymap', { keymap: g.keymap ?? g.fromLocale! }),
  },
  {
    id: 'rdesktop.version',
    re: /^Version (?<version>\d[\w.]*)\. Copyright \(C\) .*$/,
    build: (g, c) => ev(c, 'version.local', 'rdesktop.version', { version: g.version! }),
  },
  {
    id: 'rdesktop.usage',
    re: /^(?:rdesktop: A Remote Desktop Protocol client\.|See http:\/\/www\.rdesktop\.org\/ for more information\.)$/,
    build: (_g, c) => info(c, 'rdesktop.usage', 'usage'),
  },
  {
    // 1.9 `GUI(error): ui_init(), failed to open X11 display: :0` (1.8: `Failed to open display: :0`)
    id: 'rdesktop.x11.no-display',
    re: /^(?:ui_init\(\), failed to open X11 display|Failed to open display): (?<display>.*)$/,
    build: (g, c) => ev(c, 'error.fatal', 'rdesktop.x11.no-display', { reason: 'no-display', display: g.display! }),
  },
];

/** Lines of the certificate question block (1.9 utils.c). */
export const CERT_FIELDS: Array<[RegExp, string]> = [
  [/^ {4}Subject: (.*)$/, 'subject'],
  [/^ {5}Issuer: (.*)$/, 'issuer'],
  [/^ Valid From: (.*)$/, 'validFrom'],
  [/^ {9}To: (.*)$/, 'validTo'],
  [/^ {7}sha1: ([0-9a-f]+)$/, 'sha1'],
  [/^ {5}sha256: ([0-9a-f]+)$/, 'sha256'],
];
export const CERT_TEXT =
  /^(?:the following identified reasons?\(s\);|received from server\.|Review the following certificate info before you trust it to be added as an exception\.|If you do not trust the certificate the connection atempt will be aborted:| {2}Certificate fingerprints:| {3,}\S.*| \d+\. .*| {4}given in the certificate\.)$/;

export const PROMPTS: Array<{ id: string; re: RegExp; kind: EventKind }> = [
  { id: 'rdesktop.prompt.certificate', re: /^Do you trust this certificate \(yes\/no\)\? ?/, kind: 'prompt.certificate' },
  { id: 'rdesktop.prompt.password', re: /^(?:Password|Smart card PIN): ?/, kind: 'prompt.password' },
];

