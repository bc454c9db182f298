/**
 * syslog envelopes as the syslog daemons in use write them to files such as /var/log/auth.log:
 *
 *   RFC 3339 (Debian 12 rsyslog default):  2026-11-21T13:32:07.000916+00:00 vm sshd[31957]: message
 *   the same with a space for the `T` (then with a zone), and two spaces (syslog-ng, macOS):
 *                                          2020-03-23 06:47:42.801612-0700  host sshd[3186]: message
 *   traditional (RFC 3164, no year):       Nov 21 13:32:07 vm sshd[31957]: message
 *   traditional without a hostname:        Nov 23 21:50:37 sshd[8148]: message
 *   RFC 3164 with its priority kept:       <38>Nov 21 13:32:07 vm sshd[31957]: message
 *   RFC 5424 (structured data or `-`):     <38>1 2019-07-08T17:40:16.954167-04:00 host sshd 57915 - [a@1 x="y"] message
 *
 * The identifier may lack a pid (`vm sshd: message`) or come in brackets (`vm [sshd]: message`);
 * `sshd-session` and `sshd-auth` (OpenSSH 9.8, 10.x) are identifiers like any other. Solaris and
 * illumos put a message id and facility.level before the message (`sshd[19558]: [ID 800047
 * auth.info] message`): it is taken off the text. A traditional date takes its year from a
 * reference time (when the line was read) and is read in the local time zone; a date that would
 * lie more than a day after the reference belongs to the previous year (logs from December read
 * in January).
 */

export interface SyslogParts {
  time: number;
  hostname: string;
  ident: string;
  pid?: number;
  text: string;
}

const RFC3339 =
  /^(\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?| \d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)))  ?(\S+) ([^\s[\]:]{1,64})(?:\[(\d{1,10})\])?: ?(.*)$/s;
const TRADITIONAL =
  /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d\d):(\d\d):(\d\d) (?:(\S+) )??(\[[^\s[\]:]{1,64}\]|[^\s[\]:]{1,64})(?:\[(\d{1,10})\])?: ?(.*)$/s;
/** RFC 5424 after `<PRI>`: version, time (or `-`), host, app, procid, msgid, structured data (`-` or `[…]…`), message. */
const RFC5424 =
  /^1 (\S+) (\S+) (\S+) (\S+) \S+ (?:-|(?:\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\])+)(?: \ufeff?(.*))?$/s;
/** Solaris / illumos message id between the tag and the message. */
const SOLARIS_ID = /^\[ID \d{1,10} [a-z0-9]{1,10}\.[a-z]{1,10}\] /;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

/**
 * parseSyslog, written into `into` (the router's message) instead of a new object: text, time,
 * ident, hostname, and pid when the line states one. false (and `into` untouched) when the line
 * has no syslog envelope.
 */
export function parseSyslogInto(line: string, referenceTime: number, into: Target): boolean {
  const c0 = line.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) return parseRfc3339(line, into);
  const s = parseSyslog(line, referenceTime);
  if (!s) return false;
  into.text = s.text;
  into.time = s.time;
  into.ident = s.ident;
  into.hostname = s.hostname;
  if (s.pid !== undefined) into.pid = s.pid;
  return true;
}

/** Where parseRfc3339 writes what it read. */
interface Target {
  text: string;
  time?: number;
  ident?: string;
  hostname?: string;
  pid?: number;
}

export function parseSyslog(line: string, referenceTime: number): SyslogParts | undefined {
  const c0 = line.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) {
    const parts: SyslogParts = { time: 0, hostname: '', ident: '', text: '' };
    return parseRfc3339(line, parts) ? parts : undefined;
  }
  if (c0 === 60) {
    // <PRI>: RFC 5424 (`<38>1 …`) or an RFC 3164 line that kept its priority
    const pri = /^<\d{1,3}>/.exec(line);
    if (!pri) return undefined;
    const rest = line.slice(pri[0].length);
    return rest.startsWith('1 ') ? parseRfc5424(rest) : parseSyslog(rest, referenceTime);
  }
  const m = TRADITIONAL.exec(line);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  if (referenceTime !== lastReference) {
    lastReference = referenceTime;
    lastReferenceYear = new Date(referenceTime).getFullYear();
  }
  let year = lastReferenceYear;
  const day = Number(m[2]!.trim());
  const hour = Number(m[3]);
  const minute = Number(m[4]);
  const second = Number(m[5]);
  let time = localTime(year, month, day, hour, minute, second);
  if (time > referenceTime + DAY_MS) time = localTime(--year, month, day, hour, minute, second);
  const tag = m[7]!;
  const ident = tag.startsWith('[') ? tag.slice(1, -1) : tag;
  return withPid({ time, hostname: m[6] ?? '', ident, text: solarisOff(m[9]!) }, m[8]);
}

/*
 * A traditional line's year comes from its reference time, the same for every line of a replay,
 * and its time from the local calendar: each is computed when it differs from the last line's
 * (two Date objects per line before). Both are pure functions of what is compared (the process's
 * time zone does not change under it), so the result is the same.
 */
let lastReference = Number.NaN;
let lastReferenceYear = 0;
let lastLocalKey = -1;
let lastLocal = 0;

/** `new Date(year, month, day, hour, minute, second).getTime()`, kept for the last second asked. */
function localTime(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  // every field has at most two digits (the line's), so the key tells any two apart
  const key = ((((year * 12 + month) * 100 + day) * 100 + hour) * 100 + minute) * 100 + second;
  if (key !== lastLocalKey) {
    lastLocal = new Date(year, month, day, hour, minute, second).getTime();
    lastLocalKey = key;
  }
  return lastLocal;
}

function parseRfc5424(rest: string): SyslogParts | undefined {
  const m = RFC5424.exec(rest);
  if (!m) return undefined;
  const time = m[1] === '-' ? Number.NaN : Date.parse(m[1]!);
  if (Number.isNaN(time)) return undefined;
  const parts: SyslogParts = { time, hostname: m[2] === '-' ? '' : m[2]!, ident: m[3] === '-' ? '' : m[3]!, text: solarisOff(m[5] ?? '') };
  return withPid(parts, /^\d{1,10}$/.test(m[4]!) ? m[4] : undefined);
}

/** The text without a Solaris message id (`[ID 800047 auth.info] `) in front. */
function solarisOff(text: string): string {
  if (text.charCodeAt(0) !== 91) return text;
  const id = SOLARIS_ID.exec(text);
  return id ? text.slice(id[0].length) : text;
}

/**
 * The RFC 3339 form (and its space-separated variant), read by hand: it is the first thing done to every line of a Debian auth.log,
 * and the regular expression (kept as RFC3339, the definition) plus Date.parse cost more than the
 * rest of the envelope work. test/envelopes/syslog.test.ts checks both give the same on every
 * fixture line and on generated hostile ones. The time is computed from the digits when every
 * field is in the range where that is plainly right (day up to 28, no leap second, a stated zone);
 * anything else (a 31st of February, 24:00, a local time) is left to Date.parse, the definition.
 */
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** JavaScript's \s. */
function isSpace(c: number): boolean {
  if (c > 32 && c < 0xa0) return false; // printable ASCII and the C1 controls: the usual case, one test
  return (
    c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

function digitsAt(s: string, at: number, n: number): boolean {
  for (let i = at; i < at + n; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** The two digits at `at` as a number (checked to be digits beforehand). */
const two = (s: string, at: number): number => (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48;

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** The day of the last line and its daysFromCivil: a log's lines come thousands per day. */
let lastDayKey = -1;
let lastDays = 0;

/**
 * Milliseconds since the epoch of the whole second `YYYY-MM-DDTHH:MM:SS` at the line's start
 * with the zone at [zoneStart, zoneEnd) (`Z`, `±HH:MM`, `±HHMM` or none), as Date.parse reads it.
 */
function secondOf(line: string, zoneStart: number, zoneEnd: number): number {
  const month = two(line, 5);
  const day = two(line, 8);
  const hour = two(line, 11);
  const minute = two(line, 14);
  const second = two(line, 17);
  let offset = Number.NaN;
  const zoneLen = zoneEnd - zoneStart;
  if (zoneLen === 1) offset = 0;
  else if (zoneLen === 5 || zoneLen === 6) {
    const oh = two(line, zoneStart + 1);
    const om = two(line, zoneEnd - 2);
    if (oh <= 23 && om <= 59) offset = (line.charCodeAt(zoneStart) === 45 ? -1 : 1) * (oh * 60 + om);
  }
  if (month < 1 || month > 12 || day < 1 || day > 28 || hour > 23 || minute > 59 || second > 59 || Number.isNaN(offset)) {
    return Date.parse(`${line.slice(0, 10)}T${line.slice(11, 19)}${line.slice(zoneStart, zoneEnd)}`);
  }
  const year = two(line, 0) * 100 + two(line, 2);
  const dayKey = (year * 13 + month) * 32 + day;
  if (dayKey !== lastDayKey) {
    lastDays = daysFromCivil(year, month, day);
    lastDayKey = dayKey;
  }
  return ((lastDays * 24 + hour) * 60 + minute - offset) * 60_000 + second * 1000;
}

/** The RFC 3339 form, written into `into` (untouched when the line is not of that form). */
function parseRfc3339(line: string, into: Target): boolean {
  // YYYY-MM-DDTHH:MM:SS
  if (!(digitsAt(line, 0, 4) && line.charCodeAt(4) === 45 && digitsAt(line, 5, 2) && line.charCodeAt(7) === 45 && digitsAt(line, 8, 2))) return false;
  if (!((line.charCodeAt(10) === 84 || line.charCodeAt(10) === 32) && digitsAt(line, 11, 2) && line.charCodeAt(13) === 58 && digitsAt(line, 14, 2) && line.charCodeAt(16) === 58 && digitsAt(line, 17, 2))) return false;
  let i = 19;
  let fracStart = -1;
  let fracEnd = -1;
  if (line.charCodeAt(i) === 46) {
    fracStart = i + 1;
    let j = fracStart;
    while (j < fracStart + 9 && isDigit(line.charCodeAt(j))) j++;
    if (j === fracStart) return false; // "." without digits: the regex's optional group fails, and "." is no space
    fracEnd = j;
    i = j;
  }
  const zoneStart = i;
  const z = line.charCodeAt(i);
  if (z === 90) i++;
  else if ((z === 43 || z === 45) && digitsAt(line, i + 1, 2)) {
    if (line.charCodeAt(i + 3) === 58 && digitsAt(line, i + 4, 2)) i += 6;
    else if (digitsAt(line, i + 3, 2)) i += 5;
  }
  if (line.charCodeAt(i) !== 32) return false;
  // the space-separated form needs its zone (dpkg.log's `2026-11-21 13:26:26 upgrade …` is no syslog line)
  if (line.charCodeAt(10) === 32 && i === zoneStart) return false;
  const zoneEnd = i;
  // hostname: \S+ (after one space, or syslog-ng's two) then one space
  const hostStart = line.charCodeAt(i + 1) === 32 ? i + 2 : i + 1;
  let j = hostStart;
  while (j < line.length && !isSpace(line.charCodeAt(j))) j++;
  if (j === hostStart || line.charCodeAt(j) !== 32) return false;
  const hostname = line.slice(hostStart, j);
  // ident: [^\s[\]:]{1,64}, then an optional [pid], then ":" and an optional space
  const identStart = j + 1;
  let k = identStart;
  for (; k < line.length && k - identStart < 65; k++) {
    const c = line.charCodeAt(k);
    if (c === 91 || c === 93 || c === 58 || isSpace(c)) break;
  }
  const identLen = k - identStart;
  if (identLen < 1 || identLen > 64) return false;
  const ident = line.slice(identStart, k);
  let pid: number | undefined;
  if (line.charCodeAt(k) === 91) {
    let d = k + 1;
    while (d < k + 11 && isDigit(line.charCodeAt(d))) d++;
    if (d === k + 1 || line.charCodeAt(d) !== 93) return false;
    pid = 0;
    for (let x = k + 1; x < d; x++) pid = pid * 10 + line.charCodeAt(x) - 48;
    k = d + 1;
  }
  if (line.charCodeAt(k) !== 58) return false;
  k++;
  if (line.charCodeAt(k) === 32) k++;
  // the time: the whole second, plus milliseconds as Date.parse reads them (first three digits)
  const secondMs = secondOf(line, zoneStart, zoneEnd);
  if (Number.isNaN(secondMs)) return false;
  let ms = 0;
  if (fracStart !== -1) {
    for (let f = fracStart, scale = 100; f < fracStart + 3; f++, scale /= 10) ms += f < fracEnd ? (line.charCodeAt(f) - 48) * scale : 0;
  }
  into.time = secondMs + ms;
  into.hostname = hostname;
  into.ident = ident;
  into.text = solarisOff(line.slice(k));
  if (pid !== undefined) into.pid = pid;
  return true;
}

/** The reference definition of the RFC 3339 form (parseRfc3339 reads the same by hand). */
export function parseRfc3339WithRegex(line: string): SyslogParts | undefined {
  const m = RFC3339.exec(line);
  if (!m) return undefined;
  const time = Date.parse(m[1]!.replace(' ', 'T'));
  if (Number.isNaN(time)) return undefined;
  return withPid({ time, hostname: m[2]!, ident: m[3]!, text: solarisOff(m[5]!) }, m[4]);
}

function withPid(parts: SyslogParts, pid: string | undefined): SyslogParts {
  if (pid !== undefined) parts.pid = Number(pid);
  return parts;
}
