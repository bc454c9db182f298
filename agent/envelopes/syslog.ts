/**
 * syslog envelopes as rsyslog and syslog-ng write them to files such as /var/log/auth.log:
 *
 *   RFC 3339 (Debian 12 rsyslog default):  2026-11-21T13:32:07.000916+00:00 vm sshd[31957]: message
 *   traditional (RFC 3164, no year):       Nov 21 13:32:07 vm sshd[31957]: message
 *
 * The identifier may lack a pid (`vm sshd: message`). A traditional date takes its year from a
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
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) (\S+) ([^\s[\]:]{1,64})(?:\[(\d{1,10})\])?: ?(.*)$/s;
const TRADITIONAL =
  /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) ([^\s[\]:]{1,64})(?:\[(\d{1,10})\])?: ?(.*)$/s;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

export function parseSyslog(line: string, referenceTime: number): SyslogParts | undefined {
  const c0 = line.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) {
    const m = RFC3339.exec(line);
    if (!m) return undefined;
    const time = Date.parse(m[1]!);
    if (Number.isNaN(time)) return undefined;
    return withPid({ time, hostname: m[2]!, ident: m[3]!, text: m[5]! }, m[4]);
  }
  const m = TRADITIONAL.exec(line);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  const ref = new Date(referenceTime);
  let year = ref.getFullYear();
  const build = (y: number) =>
    new Date(y, month, Number(m[2]!.trim()), Number(m[3]), Number(m[4]), Number(m[5])).getTime();
  let time = build(year);
  if (time > referenceTime + DAY_MS) time = build(--year);
  return withPid({ time, hostname: m[6]!, ident: m[7]!, text: m[9]! }, m[8]);
}

function withPid(parts: SyslogParts, pid: string | undefined): SyslogParts {
  if (pid !== undefined) parts.pid = Number(pid);
  return parts;
}
