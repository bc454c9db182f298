/**
 * Times for `--since` and `--until`, as journalctl takes them: a date ("2026-12-05"), a date and
 * time ("2026-12-05 14:00", "2026-12-05T14:00:00Z"), a time today ("14:00"), the words "now",
 * "today", "yesterday", "tomorrow", a relative time ("-2h", "+30m", "2h ago") and a bare duration
 * ("1h": that long ago), or "@SECONDS" since the epoch. Dates and times without a zone are local.
 */
import { parseDuration } from '../rules/duration.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

function midnight(now: number, days: number): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days).getTime();
}

/** Milliseconds since the epoch, or undefined when `text` is not a time. */
export function parseWhen(text: string, now: number): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'now') return now;
  if (t === 'today') return midnight(now, 0);
  if (t === 'yesterday') return midnight(now, -1);
  if (t === 'tomorrow') return midnight(now, 1);
  if (/^@\d+(\.\d+)?$/.test(t)) return Math.round(Number(t.slice(1)) * 1000);
  const rel = /^([+-]?)\s*([0-9a-z]+)(\s+ago)?$/.exec(t);
  if (rel && !(rel[1] && rel[3])) {
    const ms = parseDuration(rel[2]);
    if (ms !== undefined) return rel[1] === '+' ? now + ms : now - ms;
  }
  const d = DATE.exec(text.trim());
  if (d) {
    const [y, mo, da, h = '0', mi = '0', s = '0', frac = '0', zone] = d.slice(1);
    const parts = [Number(y), Number(mo) - 1, Number(da), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0'))] as const;
    if (parts[1] > 11 || parts[2] < 1 || parts[2] > 31 || parts[3] > 23 || parts[4] > 59 || parts[5] > 60) return undefined;
    if (!zone) return new Date(...parts).getTime();
    const utc = Date.UTC(...parts);
    if (zone === 'Z') return utc;
    const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const off = (Number(m[2]) * 60 + Number(m[3])) * 60_000;
    return m[1] === '+' ? utc - off : utc + off;
  }
  const tm = TIME.exec(t);
  if (tm) {
    const [h, mi, s = '0'] = tm.slice(1);
    if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
    const base = new Date(midnight(now, 0));
    base.setHours(Number(h), Number(mi), Number(s));
    return base.getTime();
  }
  return undefined;
}
