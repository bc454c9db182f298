/**
 * The fields a rule may name, in conditions (`fact`), keys and message placeholders, and how to
 * read them from an event. Dotted paths: `kind`, `host`, `detail.reason`, `connection.clientVersion`.
 */
import type { Event } from '../event.js';

export const EVENT_FIELDS = ['time', 'program', 'kind', 'pid', 'host', 'port', 'user', 'pattern'] as const;
export const CONNECTION_FIELDS = ['id', 'phase', 'startedAt', 'host', 'port', 'user', 'clientVersion', 'serverVersion', 'events', 'stale', 'target', 'address', 'where', 'command', 'prompt', 'peer', 'input'] as const;
export const RAW_FIELDS = ['text', 'message', 'source', 'file', 'line'] as const;
/** Placeholders available in messages besides event fields. */
export const ALERT_FIELDS = ['rule', 'count', 'within', 'since', 'waited'] as const;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The field paths a rule may name, for messages: "time, program, …, detail.NAME, connection.(id|…), raw.(…)". */
export const FIELDS_TEXT = `${EVENT_FIELDS.join(', ')}, detail.NAME, connection.(${CONNECTION_FIELDS.join('|')}), raw.(${RAW_FIELDS.join('|')})`;

/** Why a path names no field (saying which would), or undefined when it is fine. */
export function checkFieldPath(path: string): string | undefined {
  const parts = path.split('.');
  const [head, sub, ...rest] = parts;
  if (parts.length === 1) {
    return (EVENT_FIELDS as readonly string[]).includes(head!) ? undefined : `unknown field "${path}"; expected one of ${FIELDS_TEXT}`;
  }
  if (rest.length > 0) return `"${path}" is nested too deep; expected one of ${FIELDS_TEXT}`;
  switch (head) {
    case 'detail':
      return IDENT.test(sub!) ? undefined : `"${path}": detail field names are letters, digits and _, like detail.reason`;
    case 'connection':
      return (CONNECTION_FIELDS as readonly string[]).includes(sub!) ? undefined : `unknown connection field "${sub}"; expected one of ${CONNECTION_FIELDS.join(', ')}`;
    case 'raw':
      return (RAW_FIELDS as readonly string[]).includes(sub!) ? undefined : `unknown raw field "${sub}"; expected one of ${RAW_FIELDS.join(', ')}`;
    default:
      return `unknown field "${path}"; expected one of ${FIELDS_TEXT}`;
  }
}

export function allFieldNames(): string[] {
  return [
    ...EVENT_FIELDS,
    'detail.<name>',
    ...CONNECTION_FIELDS.map((f) => `connection.${f}`),
    ...RAW_FIELDS.map((f) => `raw.${f}`),
  ];
}

/** A compiled getter for a checked path (the common fields as plain property reads: rules run on every event). */
export function getter(path: string): (e: Event) => unknown {
  const [head, sub] = path.split('.') as [string, string | undefined];
  if (sub === undefined) {
    switch (head) {
      case 'program':
        return (e) => e.program;
      case 'kind':
        return (e) => e.kind;
      case 'host':
        return (e) => e.host;
      case 'port':
        return (e) => e.port;
      case 'user':
        return (e) => e.user;
      case 'pid':
        return (e) => e.pid;
      case 'time':
        return (e) => e.time;
      case 'pattern':
        return (e) => e.pattern;
    }
    return (e) => (e as unknown as Record<string, unknown>)[head];
  }
  if (head === 'connection' && sub === 'id') return (e) => e.connection?.id;
  if (head === 'detail') return (e) => e.detail[sub];
  if (head === 'connection') return (e) => (e.connection as unknown as Record<string, unknown> | undefined)?.[sub];
  if (head === 'raw') return (e) => (e.raw as unknown as Record<string, unknown>)[sub];
  return () => undefined;
}
