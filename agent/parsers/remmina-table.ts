/**
 * Remmina's own lines declared as a table (agent/parsers/table.ts): pattern id → expression with
 * named groups → draft. The server name of an RDP error text is the group `host` (in one of the
 * three quote styles: none, "…", “…”); rows with several wordings name each form's group apart
 * (`host2`…) and `build` their draft from the groups. remmina.ts runs the engine and the envelopes.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import { errconnect, errconnectDetail } from './errconnect.js';
import type { Row } from './table.js';

const R = 'remmina' as const;

/** Remmina's drafts: kind, program, pattern, detail, then what `extra` adds (host). */
export function ev(kind: EventKind, pattern: string, detail: Detail = {}, extra: Partial<EventDraft> = {}): EventDraft {
  return { kind, program: R, pattern, detail, ...extra };
}
const info = (pattern: string, what: string, detail: Detail = {}): EventDraft => ev('info', pattern, { what, ...detail });

/** A server name in one of the three quote styles, as the group NAME. */
const q = (name: string): string => String.raw`["“]?(?<${name}>[^"”]*?)["”]?`;

/** `Could not access the RDP server “x”.` is followed by the reason on the next line. */
export const ACCESS_REASONS: Array<[RegExp, string]> = [
  [/^Account (?:is )?locked out\.$/, 'account-locked'],
  [/^(?:Account (?:is )?expired\.)$/, 'account-expired'],
  [/^Password expired\.$/, 'password-expired'],
  [/^Account (?:is )?disabled\.$/, 'account-disabled'],
  [/^Account (?:has restrictions|restricted)\.$/, 'account-restricted'],
  [/^(?:User has insufficient privileges|Insufficient user privileges)\.$/, 'privileges'],
  [/^(?:User must change password before connecting|Change user password before connecting)\.$/, 'password-expired'],
];

export interface State {
  /** `Could not access …` waits for its reason line. */
  access: EventDraft | undefined;
}

export const PATTERNS: ReadonlyArray<Row<State>> = [
  {
    id: 'remmina.rdp.libfreerdp-code',
    re: /^libfreerdp returned code is (?<code>[0-9A-Fa-f]{8})$/,
    build: (g) => {
      const code = parseInt(g.code!, 16);
      const e = errconnect(code);
      if (!e) return ev('error.other', 'remmina.rdp.libfreerdp-code', { code: `0x${g.code!.toUpperCase()}`, meaning: 'an error code connwatch does not know' });
      const reason = e.family;
      return ev(e.kind, 'remmina.rdp.libfreerdp-code', { ...errconnectDetail(e), reason });
    },
  },
  {
    id: 'remmina.rdp.access-failed',
    re: new RegExp(String.raw`^(?:Access to RDP server (?<host>.+) failed\.|Could not access the RDP server ${q('host2')}\.)$`),
    build: (g, st) => {
      st.access = ev('auth.failed', 'remmina.rdp.access-failed', { reason: 'access' }, { host: g.host ?? g.host2! });
      return [];
    },
  },
  {
    id: 'remmina.rdp.auth-failed',
    re: /^(?:Authentication to RDP server (?<host>.+) failed\.|Check username, password and domain\.|Could not authenticate using smartcard\.)$/,
    build: (g, _st, text) => ev('auth.failed', 'remmina.rdp.auth-failed', { reason: text.includes('smartcard') ? 'smartcard' : 'logon' }, g.host ? { host: g.host } : {}),
  },
  {
    id: 'remmina.rdp.connect-failed',
    re: new RegExp(
      String.raw`^(?:Connection to RDP server (?<host>.+) failed\.|Lost connection to the RDP server ${q('host2')}\.|Failed to connect to the RDP server ${q('host3')}\.|Unable to connect to RDP server (?<host4>.+)|Cannot connect to the ${q('host5')} RDP server\.)$`,
    ),
    build: (g, _st, text) => ev('connect.failed', 'remmina.rdp.connect-failed', { reason: 'connect', message: text }, { host: (g.host ?? g.host2 ?? g.host3 ?? g.host4 ?? g.host5)! }),
  },
  {
    id: 'remmina.rdp.dns',
    re: new RegExp(String.raw`^(?:Unable to find the address of RDP server (?<host>.+)\.|Could not find the address for the RDP server ${q('host2')}\.)$`),
    build: (g) => ev('connect.failed', 'remmina.rdp.dns', { reason: 'dns' }, { host: (g.host ?? g.host2)! }),
  },
  {
    id: 'remmina.rdp.tls',
    re: new RegExp(String.raw`^(?:Error connecting to RDP server (?<host>.+)\. TLS connection failed\. .*|Could not connect to the RDP server ${q('host2')} via TLS\. .*)$`),
    build: (g, _st, text) => ev('tls.failed', 'remmina.rdp.tls', { reason: 'tls-connect', message: text }, { host: (g.host ?? g.host2)! }),
  },
  {
    id: 'remmina.rdp.nego',
    re: new RegExp(String.raw`^Unable to establish a connection to (?:the )?RDP server(?: ${q('host')})?\.?(?: Check .*)?$`),
    build: (g, _st, text) => ev('nego.failed', 'remmina.rdp.nego', { reason: 'security-negotiation', message: text }, g.host ? { host: g.host } : {}),
  },
  {
    id: 'remmina.rdp.post-connect',
    re: new RegExp(
      String.raw`^(?:Cannot connect to the RDP server ${q('host')}\.|Could not start libfreerdp-gdi\.|You requested a H\.264 GFX mode for the server ${q('host2')}, but your libfreerdp does not support H\.264\..*)$`,
    ),
    build: (g, _st, text) => ev('connect.failed', 'remmina.rdp.post-connect', { reason: 'post-connect', message: text }, g.host || g.host2 ? { host: (g.host || g.host2)! } : {}),
  },
  {
    id: 'remmina.rdp.denied',
    re: new RegExp(String.raw`^The ${q('host')} server refused the connection\.$`),
    build: (g) => ev('connect.failed', 'remmina.rdp.denied', { reason: 'denied' }, { host: g.host! }),
  },
  {
    id: 'remmina.rdp.gateway-policy',
    re: new RegExp(String.raw`^The Remote Desktop Gateway ${q('host')} denied the user ${q('user')} access due to policy\.$`),
    build: (g) => ev('auth.failed', 'remmina.rdp.gateway-policy', { reason: 'gateway-policy' }, { host: g.host! }),
  },
  {
    id: 'remmina.rdp.reconnect',
    re: /^\[[^\]]*\] (?<what>network disconnection detected, initiating reconnection attempt|reconnection, attempt #(?<attempt>\d+) of (?<of>\d+)|reconnected\.|maximum number of reconnection attempts exceeded\.)$/,
    build: (g) => {
      const t = g.what!;
      if (t.startsWith('network')) return ev('session.disconnected', 'remmina.rdp.reconnect', { reason: 'network', reconnect: true });
      if (t.startsWith('maximum')) return ev('session.disconnected', 'remmina.rdp.reconnect', { reason: 'reconnect-failed', reconnect: false });
      if (t.startsWith('reconnected')) return ev('connect.established', 'remmina.rdp.reconnect', { reconnect: true });
      return info('remmina.rdp.reconnect', 'reconnect-attempt', { attempt: Number(g.attempt), of: Number(g.of) });
    },
  },
  {
    id: 'remmina.rdp.disconnected',
    re: /^(?:RDP client disconnected|\(rco_on_disconnect\) - Disconnect signal received on RemminaProtocolWidget|Disconnect signal received on RemminaProtocolWidget)$/,
    build: (_g, _st, text) => ev('session.disconnected', 'remmina.rdp.disconnected', { reason: 'disconnect', message: text }),
  },
  {
    id: 'remmina.cert.prompt',
    re: /^(?:Accept certificate\?|Accept changed certificate\?)$/,
    build: (_g, _st, text) => ev('prompt.certificate', 'remmina.cert.prompt', { prompt: text, ...(text.includes('changed') ? { changed: true } : {}) }),
  },
  {
    id: 'remmina.cert.auto-accepted',
    re: /^Fingerprint automatically accepted$/,
    build: () => info('remmina.cert.auto-accepted', 'certificate-auto-accepted'),
  },
  {
    id: 'remmina.version',
    re: /^org\.remmina\.Remmina - (?<version>\d[\w.]*)(?: \(.*\))?$/,
    build: (g) => ev('version.local', 'remmina.version', { version: g.version! }),
  },
  {
    id: 'remmina.startup',
    re: /^(?:Load modules from .*|Remmina plugin \S+ \(type=\w+\) has been registered.*|Remmina does not log all output statements\. Turn on more verbose output by using .*|More info available on the Remmina wiki at:|https:\/\/gitlab\.com\/Remmina\/Remmina\/.*)$/,
    build: (_g, _st, text) => info('remmina.startup', 'startup', { message: text }),
  },
  {
    id: 'remmina.secret-service',
    re: /^(?:\[glibsecret\] unable to get secret service: .*|Warning: Remmina is running without a secret plugin\. Passwords will be saved in a less secure way\.)$/,
    build: (_g, _st, text) => info('remmina.secret-service', 'no-secret-service', { message: text }),
  },
  {
    id: 'remmina.debug-function',
    re: /^\((?<function>remmina_\w+|rco_\w+|rcw_\w+|rf_\w+|\w+)\) - (?<message>.*)$/,
    build: (g) => info('remmina.debug-function', 'debug', { function: g.function!, message: g.message! }),
  },
];
