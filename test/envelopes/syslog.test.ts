/**
 * The RFC 3339 syslog envelope is read by hand for speed; the regular expression stays as its
 * definition. Both must agree on every fixture line and on generated lines that bend every part
 * of the format (fractions of every length, zones, hostnames and identifiers at and past their
 * limits, pids, odd spaces).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRfc3339WithRegex, parseSyslog, parseSyslogInto } from '../../agent/envelopes/syslog.js';

/** What parseSyslogInto (the router's way) writes into a message, as parseSyslog's parts. */
function viaInto(line: string): unknown {
  const msg: { text: string; time?: number; ident?: string; hostname?: string; pid?: number } = { text: line };
  return parseSyslogInto(line, 0, msg) ? msg : undefined;
}

const FIXTURES = new URL('../fixtures', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('syslog RFC 3339 envelope', () => {
  it('reads every fixture line as the regular expression does', () => {
    let n = 0;
    for (const f of files(FIXTURES)) {
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        if (!/^\d/.test(line)) continue;
        expect(parseSyslog(line, 0), line).toEqual(parseRfc3339WithRegex(line));
        expect(viaInto(line), line).toEqual(parseRfc3339WithRegex(line));
        n++;
      }
    }
    expect(n).toBeGreaterThan(500);
  });

  it('agrees with the regular expression on generated lines that bend every part', () => {
    let seed = 11;
    const pick = <T>(xs: readonly T[]): T => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return xs[seed % xs.length]!;
    };
    const dates = ['2026-11-21T13:32:07', '2024-02-29T23:59:59', '2026-13-01T00:00:00', '2026-11-21T25:00:00', '2026-1-21T13:32:07', '2026-11-21 13:32:07', '2026-11-21T13:32'];
    const fracs = ['', '.', '.1', '.12', '.123', '.1234', '.000916', '.123456789', '.1234567890', '.9999'];
    const zones = ['', 'Z', '+00:00', '-05:30', '+0100', '+01:0', '+1', '+01:00:00', 'z'];
    const hosts = [' vm', ' host.example', ' ', '  vm', '\tvm', ' vm\u00a0x', ''];
    const idents = [' sshd', ' sshd-session', ' a'.padEnd(66, 'b'), ' '.padEnd(66, 'c'), ' CRON', ' x]', ' [', ' ', ' kernel'];
    const pids = ['', '[31957]', '[]', '[1234567890]', '[12345678901]', '[12a]', '[7'];
    const rests = [': msg', ': [ID 800047 auth.info] msg', ': [ID 1 x] m', ':msg', ':  two spaces', ': ', ':', ' msg', ': line\nwith newline', ': tab\there'];
    for (let i = 0; i < 20_000; i++) {
      const line = pick(dates) + pick(fracs) + pick(zones) + pick(hosts) + pick(idents) + pick(pids) + pick(rests);
      const want = parseRfc3339WithRegex(line);
      expect(parseSyslog(line, 0), JSON.stringify(line)).toEqual(want);
      expect(viaInto(line), JSON.stringify(line)).toEqual(want);
    }
  });

  it('computes the time Date.parse gives for every field at and past its range, in every zone form', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const d2 = (n: number): string => String(n).padStart(2, '0');
    const zones = ['Z', '+00:00', '-00:00', '+0000', '-05:30', '+0530', '+14:00', '-12:00', '+23:59', '+24:00', '-0060', '+99:99', ''];
    let computed = 0;
    for (let i = 0; i < 30_000; i++) {
      // years around the epoch, leap centuries and the far ends; every month, day, hour, minute, second up to 99
      const year = [0, 1, 99, 1600, 1899, 1900, 1969, 1970, 2000, 2024, 2026, 2100, 2400, 9999][rnd(14)]!;
      const stamp = `${String(year).padStart(4, '0')}-${d2(rnd(14))}-${d2(rnd(33))}T${d2(rnd(26))}:${d2(rnd(62))}:${d2(rnd(62))}`;
      const zone = zones[rnd(zones.length)]!;
      const line = `${stamp}.${rnd(1000)}${zone} vm sshd[1]: m`;
      const want = parseRfc3339WithRegex(line);
      expect(parseSyslog(line, 0), line).toEqual(want);
      if (want) computed++;
    }
    expect(computed).toBeGreaterThan(10_000);
  });

  it('keeps the milliseconds Date.parse keeps, across lines of the same second', () => {
    const a = parseSyslog('2026-11-21T13:32:07.000916+00:00 vm sshd[1]: a', 0)!;
    const b = parseSyslog('2026-11-21T13:32:07.5+00:00 vm sshd[1]: b', 0)!;
    const c = parseSyslog('2026-11-21T13:32:07.987654+01:00 vm sshd[1]: c', 0)!;
    expect([a.time, b.time, c.time]).toEqual([Date.parse('2026-11-21T13:32:07.000+00:00'), Date.parse('2026-11-21T13:32:07.500Z'), Date.parse('2026-11-21T12:32:07.987Z')]);
  });
});

describe('syslog traditional envelope', () => {
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  /** The definition: the reference time's year in the local calendar, the year before when that lies more than a day ahead. */
  function want(month: number, day: number, h: number, mi: number, s: number, reference: number): number {
    const year = new Date(reference).getFullYear();
    const t = new Date(year, month, day, h, mi, s).getTime();
    return t > reference + 86_400_000 ? new Date(year - 1, month, day, h, mi, s).getTime() : t;
  }

  it('gives the local calendar time with the reference year, whatever the lines before it (year and second are reused)', () => {
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const d2 = (n: number): string => String(n).padStart(2, '0');
    // references around new year and a leap day; runs of lines in the same second, then jumps
    const references = [Date.UTC(2026, 0, 1, 0, 30), Date.UTC(2025, 11, 31, 23, 59), Date.UTC(2024, 1, 29, 12), Date.UTC(2026, 5, 15)];
    let reference = references[0]!;
    let fields = [0, 1, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) {
      if (rnd(50) === 0) reference = references[rnd(references.length)]!;
      // fields past their range too (day 45, hour 30, minute 75): the calendar carries them over
      if (rnd(3) === 0) fields = [rnd(12), 1 + rnd(45), rnd(30), rnd(75), rnd(75)];
      const [month, day, h, mi, s] = fields as [number, number, number, number, number];
      const line = `${MONTHS[month]} ${String(day).padStart(2, ' ')} ${d2(h)}:${d2(mi)}:${d2(s)} vm sshd[${i}]: m`;
      expect(parseSyslog(line, reference)?.time, `${line} @ ${new Date(reference).toISOString()}`).toBe(want(month, day, h, mi, s, reference));
    }
    // one after the other, lines whose fields a key of too small a base would confuse (Jan 33 and Feb 1, 99:00 and a day later)
    const ref = Date.UTC(2026, 5, 15);
    for (const [a, b] of [
      [[0, 33, 0, 0, 0], [1, 1, 0, 0, 0]],
      [[2, 1, 99, 0, 0], [2, 2, 3, 0, 0]],
      [[2, 1, 0, 99, 0], [2, 1, 1, 0, 0]],
    ] as const) {
      for (const [month, day, h, mi, s] of [a, b]) {
        const line = `${MONTHS[month]} ${String(day).padStart(2, ' ')} ${d2(h)}:${d2(mi)}:${d2(s)} vm sshd[1]: m`;
        expect(parseSyslog(line, ref)?.time, line).toBe(want(month, day, h, mi, s, ref));
      }
    }
  });
});
