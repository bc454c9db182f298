/**
 * One entry of `journalctl -o json` (one JSON object per line). Field values are strings, or
 * arrays of byte values when the field is not valid UTF-8 or holds control characters
 * ("binary-safe" fields), or null when the field was too large to show.
 */

export interface JournalParts {
  time?: number;
  text: string;
  ident?: string;
  pid?: number;
  hostname?: string;
  cursor?: string;
  comm?: string;
  unit?: string;
}

type JournalValue = string | number[] | null | undefined;

export function journalField(v: unknown): string | undefined {
  const value = v as JournalValue;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((b) => typeof b === 'number')) {
    return Buffer.from(value).toString('utf8');
  }
  return undefined;
}

export function isJournalEntry(o: Record<string, unknown>): boolean {
  return '__CURSOR' in o || '__REALTIME_TIMESTAMP' in o || ('MESSAGE' in o && ('_PID' in o || 'SYSLOG_IDENTIFIER' in o));
}

export function parseJournal(o: Record<string, unknown>): JournalParts {
  const parts: JournalParts = { text: journalField(o.MESSAGE) ?? '' };
  const ts = journalField(o.__REALTIME_TIMESTAMP);
  if (ts && /^\d{1,20}$/.test(ts)) parts.time = Math.floor(Number(ts) / 1000);
  const ident = journalField(o.SYSLOG_IDENTIFIER) ?? journalField(o._COMM);
  if (ident) parts.ident = ident;
  const pid = journalField(o.SYSLOG_PID) ?? journalField(o._PID);
  if (pid && /^\d{1,10}$/.test(pid)) parts.pid = Number(pid);
  const hostname = journalField(o._HOSTNAME);
  if (hostname) parts.hostname = hostname;
  const cursor = journalField(o.__CURSOR);
  if (cursor) parts.cursor = cursor;
  const comm = journalField(o._COMM);
  if (comm) parts.comm = comm;
  const unit = journalField(o._SYSTEMD_UNIT) ?? journalField(o._SYSTEMD_USER_UNIT);
  if (unit) parts.unit = unit;
  return parts;
}
