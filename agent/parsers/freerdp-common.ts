/**
 * What FreeRDP's rows (freerdp-table.ts, freerdp-cert-table.ts) share: the state a parser keeps
 * (the certificate block being read), the WLog line a message came in, how a draft is made (the
 * line's level, tag and function go into its detail), and the ERRCONNECT/ERRINFO mapping of the
 * last-error line.
 */
import type { Detail, EventDraft, EventKind, Program } from '../event.js';
import { ERRINFO_MEANING, errconnect, errconnectDetail, hex8 } from './errconnect.js';

/** One WLog line taken apart. */
export interface Wlog {
  hour: number;
  minute: number;
  second: number;
  ms: number;
  pid: number;
  tid: string;
  level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
  tag: string;
  /** 3.x: the function name printed before the message. */
  fn?: string;
  text: string;
}

export type CertBlock = 'details' | 'name-mismatch' | 'changed' | 'new-host';

export interface State {
  program: Program;
  /** What the certificate lines seen so far said: goes into the prompt's detail. */
  cert: Detail;
  block: CertBlock | undefined;
  /** The WLog line after `Certificate verification failure` names the subject. */
  expectSubject: boolean;
}

export interface Ctx {
  st: State;
  w: Wlog | undefined;
}

export function draft(c: Ctx, kind: EventKind, pattern: string, detail: Detail = {}, extra: Partial<EventDraft> = {}): EventDraft {
  const d: EventDraft = { kind, program: c.st.program, pattern, detail: { ...detail }, ...extra };
  if (c.w) {
    d.detail!.level = c.w.level;
    d.detail!.tag = c.w.tag;
    if (c.w.fn) d.detail!.function = c.w.fn;
  }
  return d;
}
export const info = (c: Ctx, pattern: string, what: string, detail: Detail = {}): EventDraft => draft(c, 'info', pattern, { what, ...detail });
export const server = { side: 'server' } as const;
/** error.other for ERROR/FATAL/WARN lines, info for quieter levels. */
export const byLevel = (c: Ctx): EventKind => (c.w && (c.w.level === 'ERROR' || c.w.level === 'FATAL' || c.w.level === 'WARN') ? 'error.other' : 'info');

/** The last-error line in all its eras, mapped through the ERRCONNECT table. */
export function lastError(c: Ctx, pattern: string, name: string | undefined, code: string | undefined, caller: string | undefined): EventDraft {
  const num = code !== undefined ? parseInt(code, 16) : undefined;
  const callerDetail: Detail = caller ? { caller } : {};
  if (name?.startsWith('ERRINFO_')) {
    return draft(c, 'session.disconnected', pattern, {
      reason: 'errinfo',
      errinfo: name,
      ...(num !== undefined ? { code: hex8(num) } : {}),
      meaning: ERRINFO_MEANING[name] ?? 'the server ended the session',
      ...callerDetail,
    });
  }
  const e = (name ? errconnect(name) : undefined) ?? (num !== undefined ? errconnect(num) : undefined);
  if (!e) {
    return draft(c, 'error.other', pattern, {
      ...(name ? { errconnect: name } : {}),
      ...(num !== undefined ? { code: hex8(num) } : {}),
      meaning: 'an error code FreeRDP reported that connwatch does not know',
      ...callerDetail,
    });
  }
  // FreeRDP 2 reports a closed port as its first write failing (Broken pipe) with the transport
  // code a wrong NLA password gives from transport_read_layer: a port nobody listens on, not a password
  if (e.family === 'transport' && caller === 'transport_write') {
    return draft(c, e.kind, pattern, { ...errconnectDetail(e), family: 'connect', reason: 'connect', meaning: 'its request could not be sent: nothing accepts connections on that port (FreeRDP 2 reports a closed port this way), or the server dropped the connection at once', ...callerDetail });
  }
  const reason = e.family === 'transport' ? 'transport' : e.family;
  return draft(c, e.kind, pattern, { ...errconnectDetail(e), reason, ...callerDetail });
}

/** The host and port the certificate block named, onto a draft. */
export function withHost(c: Ctx, d: EventDraft): EventDraft {
  if (typeof c.st.cert.host === 'string') d.host = c.st.cert.host;
  if (typeof c.st.cert.port === 'number') d.port = c.st.cert.port;
  return d;
}
