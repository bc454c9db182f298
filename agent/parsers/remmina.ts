/**
 * Remmina 1.4.x (and the 1.3 wordings of its RDP error texts) with its RDP plugin.
 *
 * Envelopes understood:
 *   - Remmina's stdout/stderr as a capture, `~/.xsession-errors` or the user journal
 *     (identifier `org.remmina.Remmina.desktop`, older `remmina.desktop`; GLib entries `remmina`):
 *       * GLib text lines `(org.remmina.Remmina:4835): remmina-WARNING **: 13:43:33.012: text`,
 *         `(remmina:4242): remmina-DEBUG: 10:11:12.345: (remmina_rdp_main) - text`,
 *         `** Message: 13:45:12.040: text`; the time of day is put on the reference date (local
 *         time zone); messages of other GLib domains (GLib, Gtk, libsecret) are noise;
 *       * FreeRDP WLog lines written by the libfreerdp inside Remmina: delegated to the FreeRDP
 *         parser, so a code maps the same way whoever prints it (program stays `remmina`);
 *       * Remmina's own bare lines: `libfreerdp returned code is 0002000D` (mapped through the
 *         ERRCONNECT table), plugin loading, the secret-service warnings;
 *       * lines of other programs sharing the stream (`dbus-daemon[…]: …`, the at-spi registry):
 *         noise, program `other`;
 *   - `/tmp/remmina_log_file.log` (1.4.35+: the same texts without time, level or function) and
 *     the Debugging window's `(WARN) - ` style prefixes;
 *   - the RDP error texts Remmina shows (signatures.md §F.2), in all three quote styles
 *     (none, "…", “…”), including the two-line `Could not access the RDP server “x”.` + reason.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import { errconnect, errconnectDetail } from './errconnect.js';
import { FreerdpLineParser, parseWlog, timeOfDay } from './freerdp.js';
import type { LineParser, Message, ParserSpec } from './types.js';

const R = 'remmina' as const;

function ev(kind: EventKind, pattern: string, detail: Detail = {}, extra: Partial<EventDraft> = {}): EventDraft {
  return { kind, program: R, pattern, detail, ...extra };
}
const info = (pattern: string, what: string, detail: Detail = {}) => ev('info', pattern, { what, ...detail });

/** A server name in one of the three quote styles. */
const Q = String.raw`["“]?([^"”]*?)["”]?`;

/** `Could not access the RDP server “x”.` is followed by the reason on the next line. */
const ACCESS_REASONS: Array<[RegExp, string]> = [
  [/^Account (?:is )?locked out\.$/, 'account-locked'],
  [/^(?:Account (?:is )?expired\.)$/, 'account-expired'],
  [/^Password expired\.$/, 'password-expired'],
  [/^Account (?:is )?disabled\.$/, 'account-disabled'],
  [/^Account (?:has restrictions|restricted)\.$/, 'account-restricted'],
  [/^(?:User has insufficient privileges|Insufficient user privileges)\.$/, 'privileges'],
  [/^(?:User must change password before connecting|Change user password before connecting)\.$/, 'password-expired'],
];

interface Pattern {
  id: string;
  re: RegExp;
  make: (m: RegExpExecArray, st: State) => EventDraft | EventDraft[];
}

interface State {
  /** `Could not access …` waits for its reason line. */
  access: EventDraft | undefined;
}

const PATTERNS: Pattern[] = [
  {
    id: 'remmina.rdp.libfreerdp-code',
    re: /^libfreerdp returned code is ([0-9A-Fa-f]{8})$/,
    make: (m) => {
      const code = parseInt(m[1]!, 16);
      const e = errconnect(code);
      if (!e) return ev('error.other', 'remmina.rdp.libfreerdp-code', { code: `0x${m[1]!.toUpperCase()}`, meaning: 'an error code connwatch does not know' });
      const reason = e.family;
      return ev(e.kind, 'remmina.rdp.libfreerdp-code', { ...errconnectDetail(e), reason });
    },
  },
  {
    id: 'remmina.rdp.access-failed',
    re: new RegExp(String.raw`^(?:Access to RDP server (.+) failed\.|Could not access the RDP server ${Q}\.)$`),
    make: (m, st) => {
      st.access = ev('auth.failed', 'remmina.rdp.access-failed', { reason: 'access' }, { host: m[1] ?? m[2]! });
      return [];
    },
  },
  {
    id: 'remmina.rdp.auth-failed',
    re: /^(?:Authentication to RDP server (.+) failed\.|Check username, password and domain\.|Could not authenticate using smartcard\.)$/,
    make: (m) => ev('auth.failed', 'remmina.rdp.auth-failed', { reason: m[0].includes('smartcard') ? 'smartcard' : 'logon' }, m[1] ? { host: m[1] } : {}),
  },
  {
    id: 'remmina.rdp.connect-failed',
    re: new RegExp(
      String.raw`^(?:Connection to RDP server (.+) failed\.|Lost connection to the RDP server ${Q}\.|Failed to connect to the RDP server ${Q}\.|Unable to connect to RDP server (.+)|Cannot connect to the ${Q} RDP server\.)$`,
    ),
    make: (m) => ev('connect.failed', 'remmina.rdp.connect-failed', { reason: 'connect', message: m[0] }, { host: (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5])! }),
  },
  {
    id: 'remmina.rdp.dns',
    re: new RegExp(String.raw`^(?:Unable to find the address of RDP server (.+)\.|Could not find the address for the RDP server ${Q}\.)$`),
    make: (m) => ev('connect.failed', 'remmina.rdp.dns', { reason: 'dns' }, { host: (m[1] ?? m[2])! }),
  },
  {
    id: 'remmina.rdp.tls',
    re: new RegExp(
      String.raw`^(?:Error connecting to RDP server (.+)\. TLS connection failed\. .*|Could not connect to the RDP server ${Q} via TLS\. .*)$`,
    ),
    make: (m) => ev('tls.failed', 'remmina.rdp.tls', { reason: 'tls-connect', message: m[0] }, { host: (m[1] ?? m[2])! }),
  },
  {
    id: 'remmina.rdp.nego',
    re: new RegExp(String.raw`^Unable to establish a connection to (?:the )?RDP server(?: ${Q})?\.?(?: Check .*)?$`),
    make: (m) => ev('nego.failed', 'remmina.rdp.nego', { reason: 'security-negotiation', message: m[0] }, m[1] ? { host: m[1] } : {}),
  },
  {
    id: 'remmina.rdp.post-connect',
    re: new RegExp(String.raw`^(?:Cannot connect to the RDP server ${Q}\.|Could not start libfreerdp-gdi\.|You requested a H\.264 GFX mode for the server ${Q}, but your libfreerdp does not support H\.264\..*)$`),
    make: (m) => ev('connect.failed', 'remmina.rdp.post-connect', { reason: 'post-connect', message: m[0] }, m[1] || m[2] ? { host: (m[1] || m[2])! } : {}),
  },
  {
    id: 'remmina.rdp.denied',
    re: new RegExp(String.raw`^The ${Q} server refused the connection\.$`),
    make: (m) => ev('connect.failed', 'remmina.rdp.denied', { reason: 'denied' }, { host: m[1]! }),
  },
  {
    id: 'remmina.rdp.gateway-policy',
    re: new RegExp(String.raw`^The Remote Desktop Gateway ${Q} denied the user ${Q} access due to policy\.$`),
    make: (m) => ev('auth.failed', 'remmina.rdp.gateway-policy', { reason: 'gateway-policy' }, { host: m[1]! }),
  },
  {
    id: 'remmina.rdp.reconnect',
    re: /^\[([^\]]*)\] (network disconnection detected, initiating reconnection attempt|reconnection, attempt #(\d+) of (\d+)|reconnected\.|maximum number of reconnection attempts exceeded\.)$/,
    make: (m) => {
      const t = m[2]!;
      if (t.startsWith('network')) return ev('session.disconnected', 'remmina.rdp.reconnect', { reason: 'network', reconnect: true });
      if (t.startsWith('maximum')) return ev('session.disconnected', 'remmina.rdp.reconnect', { reason: 'reconnect-failed', reconnect: false });
      if (t.startsWith('reconnected')) return ev('connect.established', 'remmina.rdp.reconnect', { reconnect: true });
      return info('remmina.rdp.reconnect', 'reconnect-attempt', { attempt: Number(m[3]), of: Number(m[4]) });
    },
  },
  {
    id: 'remmina.rdp.disconnected',
    re: /^(?:RDP client disconnected|\(rco_on_disconnect\) - Disconnect signal received on RemminaProtocolWidget|Disconnect signal received on RemminaProtocolWidget)$/,
    make: (m) => ev('session.disconnected', 'remmina.rdp.disconnected', { reason: 'disconnect', message: m[0] }),
  },
  {
    id: 'remmina.cert.prompt',
    re: /^(?:Accept certificate\?|Accept changed certificate\?)$/,
    make: (m) => ev('prompt.certificate', 'remmina.cert.prompt', { prompt: m[0], ...(m[0].includes('changed') ? { changed: true } : {}) }),
  },
  {
    id: 'remmina.cert.auto-accepted',
    re: /^Fingerprint automatically accepted$/,
    make: () => info('remmina.cert.auto-accepted', 'certificate-auto-accepted'),
  },
  {
    id: 'remmina.version',
    re: /^org\.remmina\.Remmina - (\d[\w.]*)(?: \(.*\))?$/,
    make: (m) => ev('version.local', 'remmina.version', { version: m[1]! }),
  },
  {
    id: 'remmina.startup',
    re: /^(?:Load modules from (.*)|Remmina plugin (\S+) \(type=(\w+)\) has been registered.*|Remmina does not log all output statements\. Turn on more verbose output by using .*|More info available on the Remmina wiki at:|https:\/\/gitlab\.com\/Remmina\/Remmina\/.*)$/,
    make: (m) => info('remmina.startup', 'startup', { message: m[0] }),
  },
  {
    id: 'remmina.secret-service',
    re: /^(?:\[glibsecret\] unable to get secret service: (.*)|Warning: Remmina is running without a secret plugin\. Passwords will be saved in a less secure way\.)$/,
    make: (m) => info('remmina.secret-service', 'no-secret-service', { message: m[0] }),
  },
  {
    id: 'remmina.debug-function',
    re: /^\((remmina_\w+|rco_\w+|rcw_\w+|rf_\w+|\w+)\) - (.*)$/,
    make: (m) => info('remmina.debug-function', 'debug', { function: m[1]!, message: m[2]! }),
  },
];

/** Lines of other programs that share Remmina's streams. */
const OTHER_PROGRAMS = /^(?:dbus-daemon\[\d+\]: .*|SpiRegistry daemon is running with well-known name - .*|at-spi2?-\w+.*: .*)$/;

/** GLib's text format: `(prg:pid): domain-LEVEL **: HH:MM:SS.mmm: message`, or `** Message: …`. */
const GLIB =
  /^(?:\(([^():\s]+):(\d+)\): )?(?:([\w.-]+)-)?(ERROR|CRITICAL|WARNING|Message|INFO|DEBUG)(?: \*\*)?: (\d\d):(\d\d):(\d\d)\.(\d{3}): (.*)$/s;
const GLIB_BARE = /^\*\* (Message|INFO|DEBUG|WARNING|CRITICAL): (\d\d):(\d\d):(\d\d)\.(\d{3}): (.*)$/s;
/** Debugging window prefix. */
const DEBUG_WINDOW = /^\((INFO|MESSAGE|DEBUG|WARN|ERROR)\) - (.*)$/s;

class RemminaParser implements LineParser {
  private readonly freerdp = new FreerdpLineParser('remmina');
  private readonly st: State = { access: undefined };

  parse(msg: Message): EventDraft[] {
    let text = msg.text;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const out: EventDraft[] = [];
    if (this.st.access) {
      const held = this.st.access;
      this.st.access = undefined;
      const reason = ACCESS_REASONS.find(([re]) => re.test(text.trim()));
      if (reason) {
        held.detail = { ...held.detail, reason: reason[1], family: reason[1], message: text.trim() };
        return [held];
      }
      out.push(held);
    }
    if (parseWlog(text)) return out.concat(this.freerdp.parse({ ...msg, text }));
    return out.concat(this.own(text, msg));
  }

  end(): EventDraft[] {
    const out = this.freerdp.end();
    if (this.st.access) {
      out.push(this.st.access);
      this.st.access = undefined;
    }
    return out;
  }

  private own(text: string, msg: Message): EventDraft[] {
    if (text.trim() === '') return [ev('noise', 'remmina.blank')];
    if (OTHER_PROGRAMS.test(text)) return [{ kind: 'noise', program: 'other', pattern: 'remmina.other-program', detail: { what: 'shared-stream' } }];
    let body = text;
    let time: number | undefined;
    let level: string | undefined;
    const g = GLIB.exec(text);
    const gb = g ? undefined : GLIB_BARE.exec(text);
    if (g) {
      const domain = g[3] ?? (g[4] === 'Message' ? undefined : 'unknown');
      level = g[4]!;
      if (msg.time === undefined) time = timeOfDay(+g[5]!, +g[6]!, +g[7]!, +g[8]!, msg.referenceTime);
      body = g[9]!;
      if (domain !== undefined && domain !== 'remmina') {
        const d: EventDraft = { kind: 'noise', program: R, pattern: 'remmina.glib.other-domain', detail: { what: 'glib', domain, level, message: body } };
        if (g[2]) d.pid = Number(g[2]);
        if (time !== undefined) d.time = time;
        return [d];
      }
    } else if (gb) {
      level = gb[1]!;
      if (msg.time === undefined) time = timeOfDay(+gb[2]!, +gb[3]!, +gb[4]!, +gb[5]!, msg.referenceTime);
      body = gb[6]!;
    } else {
      const dw = DEBUG_WINDOW.exec(text);
      if (dw) {
        level = dw[1]!;
        body = dw[2]!;
      }
    }
    const drafts = this.match(body);
    for (const d of drafts) {
      if (time !== undefined) d.time = time;
      if (g?.[2]) d.pid = Number(g[2]);
      if (level) d.detail = { ...d.detail, level };
    }
    return drafts;
  }

  private match(body: string): EventDraft[] {
    for (const p of PATTERNS) {
      const m = p.re.exec(body);
      if (m) {
        const r = p.make(m, this.st);
        return Array.isArray(r) ? r : [r];
      }
    }
    return [ev('unknown', 'remmina.unknown')];
  }
}

export const remmina: ParserSpec = {
  program: 'remmina',
  understands:
    'Remmina 1.3–1.4 with remmina-plugin-rdp: GLib text lines, libfreerdp WLog lines (delegated to the FreeRDP parser), "libfreerdp returned code is …", RDP error texts, /tmp/remmina_log_file.log, user journal (org.remmina.Remmina.desktop)',
  idents: ['org.remmina.Remmina.desktop', 'org.remmina.Remmina', 'remmina.desktop', 'remmina'],
  patterns: [...PATTERNS.map((p) => p.id), 'remmina.other-program', 'remmina.glib.other-domain', 'remmina.blank', 'remmina.unknown'],
  sniff(text: string): number {
    if (/^libfreerdp returned code is [0-9A-Fa-f]{8}$/.test(text)) return 1;
    if (/^\((?:org\.remmina\.Remmina|remmina):\d+\): /.test(text)) return 1;
    if (/^(?:Load modules from \S*remmina|Remmina plugin |org\.remmina\.Remmina - \d|\*\* Message: [\d:.]+: Remmina )/.test(text)) return 1;
    if (/^remmina-(?:WARNING|CRITICAL|DEBUG|INFO|Message)\b/.test(text)) return 0.95;
    if (OTHER_PROGRAMS.test(text)) return 0.2;
    return 0;
  },
  create(): LineParser {
    return new RemminaParser();
  },
};
