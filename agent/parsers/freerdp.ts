/**
 * FreeRDP clients (xfreerdp, wlfreerdp, sdl-freerdp; 2.x and 3.x), the FreeRDP shadow server
 * (freerdp-shadow-cli) and libfreerdp inside other programs (Remmina delegates its WLog lines here).
 *
 * Envelopes understood:
 *   - WLog console lines, both majors:
 *       2.x  `[13:44:37:617] [5352:5352] [ERROR][com.freerdp.core] - message`
 *       3.x  `[11:44:34:488] [31906:00007ca3] [DEBUG][com.freerdp.core.nla] - [nla_send]: message`
 *     The prefix has the time of day only: it is put on the date of Message.referenceTime in the
 *     local time zone (the occurrence nearest the reference, so a line read just after midnight
 *     keeps yesterday's date). A time stated by an outer envelope (journal, capture) wins. pid:tid
 *     gives the pid; the level and logger tag go to detail.level / detail.tag.
 *   - the client's plain stdout: the certificate block and its question
 *     `Do you trust the above certificate? (Y/T/N) ` (no newline: waits on stdin forever),
 *     credential prompts, `Error: Could not read answer from stdin.`, the build banner printed at
 *     DEBUG level, `This is FreeRDP version …`;
 *   - the shadow server's log (its own WLog lines plus libx264 statistics, ignored as noise).
 *
 * `freerdp_set_last_error_ex ERRCONNECT_… [0x…]` (2.x), `[caller]: ERRCONNECT_… [0x…]` (3.x) and
 * `freerdp_set_last_error 0x2000D` (2015) map through the ERRCONNECT table (errconnect.ts) to a
 * kind with detail.code, detail.errconnect, detail.meaning and detail.family.
 *
 * Wording verified on FreeRDP 2.11.7 (real captures); 3.x and older wording from signatures.md §E.
 * The `func: Failure in SSL library (protocol error?)` family of TLS texts is taken from
 * FreeRDP's tls.c as remembered, not from a capture.
 */
import type { Detail, EventDraft, Program } from '../event.js';
import { CERT_BLOCK_TEXT, PLAIN_ROWS, PROMPTS, TRANSPORT_ROWS } from './freerdp-cert-table.js';
import { draft, info, withHost, type Ctx, type State, type Wlog } from './freerdp-common.js';
import { WLOG_ROWS } from './freerdp-table.js';
import { PartialLines } from './partial.js';
import { Table } from './table.js';
import type { LineParser, Message, ParserSpec } from './types.js';

export type { Wlog } from './freerdp-common.js';

/** The rows on a WLog line's message (freerdp-table.ts, then freerdp-cert-table.ts), in that order. */
const WLOG_TABLE = new Table<Ctx>('freerdp', [...WLOG_ROWS, ...TRANSPORT_ROWS]);
/** The rows on plain lines (the client's stdout). */
const PLAIN_TABLE = new Table<Ctx>('freerdp', PLAIN_ROWS);

const WLOG_RE =
  /^\[(\d\d):(\d\d):(\d\d):(\d{3})\] \[(\d{1,10}):([0-9a-fA-F]{1,16})\] \[(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\]\[([\w.-]{1,200})\] - (?:\[(\w{1,200})\](?:\[[^\]]{0,200}\])?: )?(.*)$/s;

export function parseWlog(text: string): Wlog | undefined {
  const m = WLOG_RE.exec(text);
  if (!m) return undefined;
  const w: Wlog = {
    hour: +m[1]!,
    minute: +m[2]!,
    second: +m[3]!,
    ms: +m[4]!,
    pid: +m[5]!,
    tid: m[6]!,
    level: m[7] as Wlog['level'],
    tag: m[8]!,
    text: m[10]!,
  };
  if (m[9] !== undefined) w.fn = m[9];
  return w;
}

/**
 * A time of day (local time zone) placed on the day of `reference`, or the day before or after,
 * whichever is nearest the reference.
 */
export function timeOfDay(hour: number, minute: number, second: number, ms: number, reference: number): number {
  const ref = new Date(reference);
  const at = (dayOffset: number) =>
    new Date(ref.getFullYear(), ref.getMonth(), ref.getDate() + dayOffset, hour, minute, second, ms).getTime();
  let best = at(0);
  for (const off of [-1, 1]) {
    const t = at(off);
    if (Math.abs(t - reference) < Math.abs(best - reference)) best = t;
  }
  return best;
}

/** A line left waiting without a newline that asks something: ends in `?` or `:` (then maybe a space). */
const GENERIC_PROMPT = /^[^\n]{1,300}[?:] ?$/;

export class FreerdpLineParser implements LineParser {
  private readonly st: State;
  private readonly partial = new PartialLines();

  constructor(program: Program = 'freerdp') {
    this.st = { program, cert: {}, block: undefined, expectSubject: false };
  }

  parse(msg: Message): EventDraft[] {
    const text = this.partial.take(msg);
    const out: EventDraft[] = [];
    for (const p of PROMPTS) {
      const m = p.re.exec(text);
      if (!m) continue;
      const c: Ctx = { st: this.st, w: undefined };
      const detail: Detail = { prompt: m[0].trimEnd() };
      if (p.kind === 'prompt.certificate') Object.assign(detail, this.st.cert);
      const d = draft(c, p.kind, p.id, detail);
      if (p.kind === 'prompt.certificate') {
        withHost(c, d);
        delete d.detail!.host;
        delete d.detail!.port;
        this.st.block = undefined;
        this.st.cert = {};
      }
      out.push(d);
      const rest = text.slice(m[0].length);
      if (rest === '') return out;
      if (/^[yYtTnN]$/.test(rest.trim())) {
        out.push(draft(c, 'prompt.answered', 'freerdp.prompt.answer', { answer: rest.trim() }));
        return out;
      }
      return out.concat(this.line(rest, msg));
    }
    if (this.partial.waits(msg)) {
      // a question no pattern knows, left waiting: a prompt all the same
      if (GENERIC_PROMPT.test(text)) return [draft({ st: this.st, w: undefined }, 'prompt.other', 'freerdp.prompt.generic', { prompt: text.trimEnd() })];
      this.partial.hold(text);
      return out;
    }
    return this.line(text, msg);
  }

  end(): EventDraft[] {
    const text = this.partial.flush();
    return text === undefined ? [] : this.line(text, { text, referenceTime: 0 });
  }

  /** One complete line, prompt already split off. */
  line(text: string, msg: Message): EventDraft[] {
    const w = parseWlog(text);
    if (!w) return [this.plain(text)];
    const c: Ctx = { st: this.st, w };
    const drafts = this.wlog(w, c);
    for (const d of drafts) {
      d.pid ??= w.pid;
      if (msg.time === undefined && msg.referenceTime > 0) d.time = timeOfDay(w.hour, w.minute, w.second, w.ms, msg.referenceTime);
    }
    return drafts;
  }

  private wlog(w: Wlog, c: Ctx): EventDraft[] {
    const text = w.text.replace(/\r?\n$/, '');
    const expectSubject = this.st.expectSubject;
    this.st.expectSubject = false;
    const hit = WLOG_TABLE.many(text, c);
    if (hit) return hit;
    if (expectSubject && w.tag === 'com.freerdp.crypto') {
      this.st.cert.subject ??= text;
      return [info(c, 'freerdp.cert.subject', 'certificate-subject', { subject: text })];
    }
    if (this.st.block && w.tag === 'com.freerdp.crypto' && CERT_BLOCK_TEXT.test(text)) {
      if (/^\t/.test(text)) this.st.cert.commonName ??= text.trim();
      return [info(c, 'freerdp.cert.block-text', `certificate-${this.st.block}-text`)];
    }
    if (w.level === 'ERROR' || w.level === 'FATAL') return [draft(c, 'error.other', 'freerdp.wlog.error', { message: text })];
    if (w.level === 'WARN') return [draft(c, 'error.other', 'freerdp.wlog.warn', { message: text })];
    return [info(c, 'freerdp.wlog.info', 'log', { message: text })];
  }

  private plain(text: string): EventDraft {
    const c: Ctx = { st: this.st, w: undefined };
    if (text.trim() === '') return draft(c, 'noise', 'freerdp.blank');
    const hit = PLAIN_TABLE.match(text, c);
    if (hit) return hit;
    return draft(c, 'unknown', 'freerdp.unknown');
  }
}

/** Ids that come from the fallbacks rather than a specific pattern. */
export const FREERDP_FALLBACK_PATTERNS = ['freerdp.wlog.error', 'freerdp.wlog.warn', 'freerdp.wlog.info', 'freerdp.unknown'] as const;

const PATTERN_IDS = [
  ...new Set([
    ...WLOG_TABLE.ids,
    ...PLAIN_TABLE.ids,
    ...PROMPTS.map((p) => p.id),
    'freerdp.prompt.answer',
    'freerdp.prompt.generic',
    'freerdp.cert.subject',
    'freerdp.cert.block-text',
    'freerdp.blank',
    ...FREERDP_FALLBACK_PATTERNS,
  ]),
];

const WLOG_SNIFF = /^\[\d\d:\d\d:\d\d:\d{3}\] \[\d+:[0-9a-fA-F]+\] \[(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\]\[[\w.-]+\] - /;

export const freerdp: ParserSpec = {
  program: 'freerdp',
  understands:
    'FreeRDP 2.x and 3.x (xfreerdp, wlfreerdp, sdl-freerdp, freerdp-shadow-cli): WLog console lines ([HH:MM:SS:mmm] [pid:tid] [LEVEL][tag] - …), ERRCONNECT/ERRINFO codes, the stdout certificate block and prompts, shadow-server logs',
  idents: ['xfreerdp', 'wlfreerdp', 'sdl-freerdp', 'xfreerdp3', 'wlfreerdp3', 'sdl-freerdp3', 'freerdp-shadow-cli', 'freerdp-shadow-cli3', 'freerdp'],
  patterns: PATTERN_IDS,
  sniff(text: string): number {
    if (WLOG_SNIFF.test(text)) return 0.95;
    if (/^(?:Certificate details for \S+:\d+ \(|Do you trust the above certificate\? \(Y\/T\/N\)|This is FreeRDP version )/.test(text)) return 0.9;
    return 0;
  },
  create(): LineParser {
    return new FreerdpLineParser('freerdp');
  },
};
