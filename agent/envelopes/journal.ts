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

/** One line of `journalctl -o json`, decoded; undefined when it is not a journal entry. */
export function parseJournalLine(text: string): JournalParts | undefined {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof o === 'object' && o !== null && !Array.isArray(o) && isJournalEntry(o as Record<string, unknown>) ? parseJournal(o as Record<string, unknown>) : undefined;
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

/**
 * `journalctl -o export`: entries of `FIELD=value` lines separated by an empty line; a field whose
 * value is not plain text is written as `FIELD`, a newline, its length as a 64-bit little-endian
 * number, the bytes, and a newline. Each entry becomes the same parts as a `-o json` entry.
 */
export function parseJournalExport(data: Buffer): JournalParts[] {
  const out: JournalParts[] = [];
  let entry: Record<string, unknown> = {};
  let fields = 0;
  let i = 0;
  const flush = (): void => {
    if (fields) out.push(parseJournal(entry));
    entry = {};
    fields = 0;
  };
  while (i < data.length) {
    const nl = data.indexOf(0x0a, i);
    const end = nl === -1 ? data.length : nl;
    if (end === i) {
      flush();
      i = end + 1;
      continue;
    }
    const eq = data.indexOf(0x3d, i);
    if (eq !== -1 && eq < end) {
      entry[data.toString('utf8', i, eq)] = data.toString('utf8', eq + 1, end);
      fields++;
      i = end + 1;
      continue;
    }
    // binary field: name, newline, u64 LE length, bytes, newline
    const name = data.toString('utf8', i, end);
    const at = end + 1;
    if (at + 8 > data.length) break;
    const len = Number(data.readBigUInt64LE(at));
    const start = at + 8;
    if (start + len > data.length) break;
    entry[name] = [...data.subarray(start, start + len)];
    fields++;
    i = start + len + 1;
  }
  flush();
  return out;
}
