/**
 * FreeRDP's transport, TLS and certificate messages declared as a table (agent/parsers/table.ts):
 * the WLog rows (TRANSPORT_ROWS, tried after freerdp-table.ts's), the plain stdout lines of the
 * certificate block (PLAIN_ROWS), the block's text and the prompts that wait on stdin.
 */
import type { EventKind } from '../event.js';
import { byLevel, draft, info, withHost, type Ctx } from './freerdp-common.js';
import { netReason } from './net-reason.js';
import type { Row } from './table.js';

const CERT_FIELD: Readonly<Record<string, string>> = {
  'Common Name': 'commonName',
  Subject: 'subject',
  Issuer: 'issuer',
  Thumbprint: 'thumbprint',
  Fingerprint: 'thumbprint',
};

export const TRANSPORT_ROWS: ReadonlyArray<Row<Ctx>> = [
  // --- transport and TLS ------------------------------------------------------------------
  {
    id: 'freerdp.transport.system-error',
    re: /^(?<call>\w+) returned a system error (?<errno>\d+): (?<message>.*)$/,
    build: (g, c) => {
      const errno = Number(g.errno);
      if (errno === 0) return draft(c, 'session.disconnected', 'freerdp.transport.system-error', { reason: 'closed-by-peer', call: g.call! });
      return draft(c, 'connect.failed', 'freerdp.transport.system-error', { reason: netReason(g.message!), errno, message: g.message!, call: g.call! });
    },
  },
  {
    id: 'freerdp.transport.ssl-error',
    re: /^(?<call>\w+) returned an error: (?<message>.*)$/,
    build: (g, c) => {
      const alert = /tlsv1 alert internal error/.test(g.message!);
      return draft(c, 'tls.failed', 'freerdp.transport.ssl-error', {
        reason: alert ? 'tls-alert-internal-error' : 'ssl-error',
        message: g.message!,
        call: g.call!,
        ...(alert ? { hint: 'during NLA this is the 2018 CredSSP mismatch: update FreeRDP and restart every program using it' } : {}),
      });
    },
  },
  {
    id: 'freerdp.transport.ssl-alert',
    re: /^(?:transport_ssl_cb: ACCESS DENIED|SSL error \(where=(?<where>.*), ret=(?<ret>-?\d+) \[(?<alert>.*)\]\))$/,
    build: (g, c, text) =>
      text.includes('ACCESS DENIED')
        ? draft(c, 'auth.failed', 'freerdp.transport.ssl-alert', { reason: 'tls-access-denied' })
        : draft(c, 'tls.failed', 'freerdp.transport.ssl-alert', { reason: 'tls-alert', message: g.alert! }),
  },
  {
    id: 'freerdp.tls.failed',
    re: /^(?:(?<fn>\w+): (?<what>Server closed TLS connection|Failure in SSL library \(protocol error\?\)|I\/O error: .*|SSL_ERROR_\w+)|BIO_do_handshake failed|(?<openssl>error:[0-9A-Fa-f]+:SSL routines:.*))$/,
    build: (_g, c, text) => draft(c, 'tls.failed', 'freerdp.tls.failed', { reason: /SSL_ERROR_SSL|SSL routines/.test(text) ? 'ssl-error' : 'handshake', message: text }),
  },
  {
    id: 'freerdp.transport.check-fds',
    re: /^(?:transport_check_fds: .*|transport_check_fds\(\) - -?\d+)$/,
    build: (_g, c, text) => draft(c, byLevel(c), 'freerdp.transport.check-fds', byLevel(c) === 'info' ? { what: 'transport', message: text } : { message: text }),
  },
  // --- certificates (com.freerdp.crypto) ----------------------------------------------------
  {
    id: 'freerdp.cert.verify-failure',
    re: /^Certificate verification failure '(?<reason>.*) \((?<code>\d+)\)' at stack position (?<depth>\d+)$/,
    build: (g, c) => {
      c.st.expectSubject = true;
      c.st.cert.verifyError = g.reason!;
      return draft(c, 'cert.untrusted', 'freerdp.cert.verify-failure', { reason: g.reason!, verifyCode: Number(g.code), depth: Number(g.depth) });
    },
  },
  { id: 'freerdp.cert.border', re: /^@{20,}$/, build: (_g, c) => info(c, 'freerdp.cert.border', 'certificate-warning-border') },
  {
    id: 'freerdp.cert.warning',
    re: /^@\s+WARNING: (?<which>CERTIFICATE NAME MISMATCH|REMOTE HOST IDENTIFICATION HAS CHANGED|NEW HOST IDENTIFICATION)!\s+@$/,
    build: (g, c) => {
      const which = g.which!;
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
    re: /^(?:The hostname used for this connection \((?<host>\S+):(?<port>\d+)\) ?|The host key for (?<host2>\S+):(?<port2>\d+) has changed)$/,
    build: (g, c) => {
      const host = g.host ?? g.host2!;
      const port = Number(g.port ?? g.port2);
      c.st.cert.host = host;
      c.st.cert.port = port;
      return { ...info(c, 'freerdp.cert.hostname', 'certificate-host'), host, port };
    },
  },
  {
    id: 'freerdp.cert.rejected',
    re: /^certificate not trusted, aborting\.$/,
    build: (_g, c) => {
      c.st.block = undefined;
      return draft(c, 'connect.aborted', 'freerdp.cert.rejected', { reason: 'certificate-rejected' });
    },
  },
  { id: 'freerdp.cert.ignored', re: /^\[DANGER\] Certificate not checked, \/cert:ignore in use\.$/, build: (_g, c) => info(c, 'freerdp.cert.ignored', 'certificate-not-checked') },
];

/** Text inside the WLog certificate warning blocks (com.freerdp.crypto). */
export const CERT_BLOCK_TEXT =
  /^(?:does not match (?:the name|the names|\S+) given in the certificate:|Common Name \(CN\):|Alternative names:|\t.*|A valid certificate for the wrong name should NOT be trusted!|IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!|Someone could be eavesdropping on you right now \(man-in-the-middle attack\)!|It is also possible that a host key has just been changed\.|The fingerprint for the host key sent by the remote host is.*|Please contact your system administrator\.|Add correct host key in .*|Host key for .* has changed and you have requested strict checking\.|Host key verification failed\.|The authenticity of host .* can't be established\.|.* key fingerprint is .*)$/;

/** Plain lines (no WLog prefix): the client's stdout. */
export const PLAIN_ROWS: ReadonlyArray<Row<Ctx>> = [
  {
    id: 'freerdp.cert.details',
    re: /^(?:Certificate details for (?<host>\S+):(?<port>\d+) \((?<what>.*)\):|(?<which>New |Old )?Certificate details:)$/,
    build: (g, c) => {
      if (!g.which) {
        c.st.cert = {};
        c.st.block = 'details';
      }
      if (g.host) {
        c.st.cert.host = g.host;
        c.st.cert.port = Number(g.port);
        return { ...info(c, 'freerdp.cert.details', 'certificate-details'), host: g.host, port: Number(g.port) };
      }
      return info(c, 'freerdp.cert.details', 'certificate-details', g.which ? { which: g.which.trim().toLowerCase() } : {});
    },
  },
  {
    id: 'freerdp.cert.field',
    re: /^\t(?<field>Common Name|Subject|Issuer|Thumbprint|Fingerprint):\s*(?<value>.*)$/,
    build: (g, c) => {
      if (c.st.cert[CERT_FIELD[g.field!]!] === undefined) c.st.cert[CERT_FIELD[g.field!]!] = g.value!;
      return info(c, 'freerdp.cert.field', 'certificate-field', { field: g.field!, value: g.value! });
    },
  },
  {
    id: 'freerdp.cert.unverified',
    re: /^The above X\.509 certificate could not be verified, possibly because you do not have$/,
    build: (_g, c) => {
      c.st.cert.reason ??= 'unverified';
      return withHost(c, draft(c, 'cert.untrusted', 'freerdp.cert.unverified', { reason: 'unverified' }));
    },
  },
  {
    id: 'freerdp.cert.changed',
    re: /^(?:The above X\.509 certificate does not match the certificate used for previous connections\.|!!!Certificate for (?<host>\S+):(?<port>\d+) \((?<what>.*)\) has changed!!!|!!! Certificate has changed !!!)$/,
    build: (g, c) => {
      c.st.block = 'changed';
      c.st.cert.reason = 'changed';
      if (g.host) {
        c.st.cert.host = g.host;
        c.st.cert.port = Number(g.port);
      }
      return withHost(c, draft(c, 'cert.changed', 'freerdp.cert.changed', { reason: 'changed' }));
    },
  },
  {
    id: 'freerdp.cert.text',
    re: /^(?:the CA certificate in your certificate store, or the certificate has expired\.|Please look at the OpenSSL documentation on how to add a private CA to the store\.|This may indicate that the certificate has been tampered with\.|Please contact the administrator of the RDP server and clarify\.)$/,
    build: (_g, c) => info(c, 'freerdp.cert.text', 'certificate-text'),
  },
  {
    id: 'freerdp.cert.stdin-eof',
    re: /^Error: Could not read answer from stdin\.(?: - Run without parameter "--from-stdin" to set trust\.)?$/,
    build: (_g, c) => draft(c, 'connect.aborted', 'freerdp.cert.stdin-eof', { reason: 'stdin-eof' }),
  },
  { id: 'freerdp.version', re: /^This is FreeRDP version (?<version>\S+)(?: \((?<build>.*)\))?$/, build: (g, c) => draft(c, 'version.local', 'freerdp.version', { version: g.version! }) },
  { id: 'freerdp.banner', re: /^(?:Build type|CFLAGS|Compiler|Target architecture|Build configuration):\s.*$/, build: (_g, c, text) => info(c, 'freerdp.banner', 'build', { message: text }) },
  { id: 'freerdp.noise.codec', re: /^\[(?:libx264|libx265|h264|hevc|libav\w*|swscaler|\w+) @ 0x[0-9a-fA-F]+\] .*$/, build: (_g, c) => draft(c, 'noise', 'freerdp.noise.codec') },
];

/** Prompts: waiting on stdin, no newline. */
export const PROMPTS: ReadonlyArray<{ id: string; re: RegExp; kind: EventKind }> = [
  { id: 'freerdp.prompt.certificate', re: /^Do you trust the above certificate\? \(Y\/T\/N\) ?/, kind: 'prompt.certificate' },
  { id: 'freerdp.prompt.password', re: /^(?:Gateway)?Password: ?/, kind: 'prompt.password' },
  { id: 'freerdp.prompt.username', re: /^(?:Gateway)?Username: ?/, kind: 'prompt.username' },
  { id: 'freerdp.prompt.domain', re: /^(?:Gateway)?Domain: {0,3}/, kind: 'prompt.other' },
];
