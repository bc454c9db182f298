/**
 * Win32-OpenSSH's server logs (PowerShell/openssh-portable, contrib/win32/win32compat/w32log.c):
 *
 * 1. The event log (the default, any SyslogFacility but LOCAL0): provider "OpenSSH"
 *    {C4B57D35-0636-4BC3-A262-370F249F9802}; Info (event 4) and Warning (3) go to the channel
 *    OpenSSH/Operational, Error (2) and Critical (1) to OpenSSH/Admin, Debug (6) to OpenSSH/Debug
 *    (off by default). Every event has two strings, `process` (the program: sshd, sshd-session)
 *    and `payload` (the text as sshd wrote it, "error: " and "debug1: " prefixes included); the
 *    message template is "%1: %2". `wevtutil qe OpenSSH/Operational /f:xml` prints each event as
 *
 *      <Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider
 *      Name='OpenSSH' Guid='{C4B5…}'/><EventID>4</EventID>…<Level>4</Level>…<TimeCreated
 *      SystemTime='2026-03-02T09:14:07.5512345Z'/><EventRecordID>1187</EventRecordID>…<Execution
 *      ProcessID='4712' ThreadID='4716'/><Channel>OpenSSH/Operational</Channel><Computer>WS01
 *      </Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='process'>sshd
 *      </Data><Data Name='payload'>Accepted password for ann from 10.0.0.5 port 50122 ssh2</Data>
 *      </EventData></Event>
 *
 *    (quotes single or double, events back to back or one per line); `/f:text` prints blocks
 *    "Event[N]:", "  Log Name: …", "  Date: 2026-03-02T10:14:07.551" (local time), …,
 *    "  Description: ", then "sshd: <payload>". The XML has the record id, UTC time and pid, so
 *    the source (sources/wevtutil.ts) reads XML; text is read for captures a person pastes.
 *
 *    The source hands each event on as one JSON line with these names (winEventRecord), which
 *    the router recognises (isWinEventRecord) and takes apart here (parseWinEventRecord).
 *
 * 2. Files (SyslogFacility LOCAL0): %ProgramData%\ssh\logs\<program>.log, so sshd.log and, since
 *    Win32-OpenSSH 9.8 (sshd-session.exe), sshd-session.log; sftp-server.log. One line per message:
 *
 *      4712 2026-03-02 10:14:07.551 Accepted password for ann from 10.0.0.5 port 50122 ssh2
 *
 *    pid, local date and time with milliseconds, the text. Releases before early 2018 wrote no
 *    date: "3488 11:30:03:638 text" (and earlier "5936 13:19:12 620 text"); the date is then
 *    taken from when the line was read (parseWin32SshLogLine).
 */

export interface WinEvent {
  recordId?: number;
  channel?: string;
  provider?: string;
  eventId?: number;
  /** 1 Critical, 2 Error, 3 Warning, 4 Information, 5 Verbose (Debug events say 16). */
  level?: number;
  /** ms since the epoch. */
  time?: number;
  pid?: number;
  computer?: string;
  /** The program that logged it (the `process` string): sshd, sshd-session. */
  process?: string;
  /** The text as the program wrote it. */
  payload: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const unxml = (s: string) =>
  s.replace(/&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|(lt|gt|amp|quot|apos));/g, (all, hex?: string, dec?: string, name?: string) => {
    if (name) return ENTITIES[name]!;
    const cp = hex ? parseInt(hex, 16) : Number(dec);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
  });

const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml)?.[1];
const attr = (xml: string, el: string, name: string): string | undefined => new RegExp(`<${el}\\s[^>]*?\\b${name}=(["'])(.*?)\\1`).exec(xml)?.[2];

/** An ISO time with up to 9 fraction digits and Z or an offset → ms; undefined otherwise. */
export function isoTime(s: string): number | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/.exec(s);
  if (!m) return undefined;
  const ms = Number(((m[7] ?? '0') + '00').slice(0, 3));
  let t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
  if (m[8] !== 'Z') {
    const z = /^([+-])(\d\d):?(\d\d)$/.exec(m[8]!)!;
    t -= (z[1] === '-' ? -1 : 1) * (+z[2]! * 60 + +z[3]!) * 60_000;
  }
  return t;
}

const num = (s: string | undefined): number | undefined => (s !== undefined && /^\d{1,15}$/.test(s.trim()) ? Number(s.trim()) : undefined);

/** Every <Event> in `wevtutil qe … /f:xml` output (with or without an /e: root element). */
export function parseWevtutilXml(text: string): WinEvent[] {
  const out: WinEvent[] = [];
  for (const m of text.matchAll(/<Event[\s>][\s\S]*?<\/Event>/g)) {
    const xml = m[0];
    const data = new Map<string, string>();
    for (const d of xml.matchAll(/<Data\s+Name=(["'])([^"']*)\1\s*(?:\/>|>([\s\S]*?)<\/Data>)/g)) data.set(d[2]!, unxml(d[3] ?? ''));
    const e: WinEvent = { payload: data.get('payload') ?? '' };
    const set = <K extends keyof WinEvent>(k: K, v: WinEvent[K] | undefined) => {
      if (v !== undefined && v !== '') e[k] = v;
    };
    set('recordId', num(tag(xml, 'EventRecordID')));
    set('channel', unxml(tag(xml, 'Channel') ?? ''));
    set('provider', unxml(attr(xml, 'Provider', 'Name') ?? ''));
    set('eventId', num(tag(xml, 'EventID')));
    set('level', num(tag(xml, 'Level')));
    const when = attr(xml, 'TimeCreated', 'SystemTime');
    set('time', when ? isoTime(when) : undefined);
    set('pid', num(attr(xml, 'Execution', 'ProcessID')));
    set('computer', unxml(tag(xml, 'Computer') ?? ''));
    set('process', data.get('process'));
    out.push(e);
  }
  return out;
}

/**
 * `wevtutil qe … /f:text` blocks. The Date has no zone (local time) and there is no record id;
 * the description is "%1: %2", so "sshd: text" gives the process and the payload.
 */
export function parseWevtutilText(text: string): WinEvent[] {
  const out: WinEvent[] = [];
  for (const block of text.split(/^Event\[\d+\]:\r?$/m).slice(1)) {
    const field = (name: string) => new RegExp(`^\\s+${name}: ?(.*?)\\r?$`, 'm').exec(block)?.[1];
    const desc = /^\s+Description: ?\r?\n([\s\S]*)$/m.exec(block)?.[1]?.replace(/\r/g, '').replace(/\n+$/, '') ?? '';
    const dm = /^([^\s:]{1,64}): ([\s\S]*)$/.exec(desc);
    const e: WinEvent = { payload: dm ? dm[2]! : desc };
    if (dm) e.process = dm[1]!;
    const channel = field('Log Name');
    if (channel) e.channel = channel;
    const source = field('Source');
    if (source) e.provider = source;
    const id = num(field('Event ID'));
    if (id !== undefined) e.eventId = id;
    const date = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?$/.exec(field('Date') ?? '');
    if (date) e.time = new Date(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!, Number(((date[7] ?? '0') + '00').slice(0, 3))).getTime();
    const level = { Critical: 1, Error: 2, Warning: 3, Information: 4, Verbose: 5 }[field('Level') ?? ''];
    if (level) e.level = level;
    const computer = field('Computer');
    if (computer) e.computer = computer;
    out.push(e);
  }
  return out;
}

/** The JSON object a source hands on for one event (one line of text). */
export function winEventRecord(e: WinEvent): Record<string, unknown> {
  return {
    Channel: e.channel ?? '',
    Provider: e.provider ?? 'OpenSSH',
    EventRecordID: e.recordId ?? null,
    EventID: e.eventId ?? null,
    Level: e.level ?? null,
    TimeCreated: e.time !== undefined ? new Date(e.time).toISOString() : null,
    ProcessID: e.pid ?? null,
    Computer: e.computer ?? null,
    process: e.process ?? null,
    payload: e.payload,
  };
}

export function isWinEventRecord(o: Record<string, unknown>): boolean {
  return typeof o.Channel === 'string' && typeof o.payload === 'string' && 'EventRecordID' in o;
}

export interface WinEventParts {
  text: string;
  time?: number;
  pid?: number;
  ident?: string;
  hostname?: string;
}

export function parseWinEventRecord(o: Record<string, unknown>): WinEventParts {
  const parts: WinEventParts = { text: String(o.payload) };
  const t = typeof o.TimeCreated === 'string' ? isoTime(o.TimeCreated) : undefined;
  if (t !== undefined) parts.time = t;
  if (typeof o.ProcessID === 'number' && Number.isInteger(o.ProcessID) && o.ProcessID > 0) parts.pid = o.ProcessID;
  if (typeof o.process === 'string' && /^[\w.-]{1,64}$/.test(o.process)) parts.ident = o.process.replace(/\.exe$/i, '');
  if (typeof o.Computer === 'string' && o.Computer) parts.hostname = o.Computer;
  return parts;
}

const FILE_LINE = /^(\d{1,10}) (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) (.*)$/s;
const OLD_FILE_LINE = /^(\d{1,10}) (\d\d):(\d\d):(\d\d)[: ](\d{3}) (.*)$/s;

/**
 * One line of %ProgramData%\ssh\logs\sshd.log or sshd-session.log → pid, time, text; undefined
 * when the line is not in that shape. A line without a date takes the local date of `reference`
 * (when it was read), or the day before when that would put it more than a minute ahead.
 */
export function parseWin32SshLogLine(line: string, reference: number): { pid: number; time: number; text: string } | undefined {
  // cheap refusal first (the router asks about every line that is not syslog): digits, a space
  const sp = line.indexOf(' ');
  if (sp < 1 || sp > 10) return undefined;
  for (let i = 0; i < sp; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const m = FILE_LINE.exec(line);
  if (m) {
    const time = new Date(+m[2]!, +m[3]! - 1, +m[4]!, +m[5]!, +m[6]!, +m[7]!, +m[8]!).getTime();
    return Number.isNaN(time) ? undefined : { pid: Number(m[1]), time, text: m[9]!.replace(/\r$/, '') };
  }
  const o = OLD_FILE_LINE.exec(line);
  if (!o || +o[2]! > 23 || +o[3]! > 59 || +o[4]! > 60) return undefined;
  const d = new Date(reference);
  let time = new Date(d.getFullYear(), d.getMonth(), d.getDate(), +o[2]!, +o[3]!, +o[4]!, +o[5]!).getTime();
  if (time > reference + 60_000) time = new Date(d.getFullYear(), d.getMonth(), d.getDate() - 1, +o[2]!, +o[3]!, +o[4]!, +o[5]!).getTime();
  return { pid: Number(o[1]), time, text: o[6]!.replace(/\r$/, '') };
}
