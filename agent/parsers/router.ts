/**
 * LineRouter: one per source. Takes the envelope off each RawLine (syslog, journal JSON or
 * export, capture records, macOS log), picks the parser (by syslog or
 * journal identifier, by what the source knows, else by recognising the program from the text),
 * runs it, and turns its drafts into Events with a time and the line's origin.
 *
 * Time: from the line when it states one; else the last time a line of this source stated
 * (carried); else the arrival time.
 */
import type { Event, EventDraft, Program } from '../event.js';
import type { RawLine } from '../sources/raw-line.js';
import { isOsLogEntry, parseOsLog } from '../envelopes/oslog.js';
import { isWinEventRecord, parseWin32SshLogLine, parseWinEventRecord } from '../envelopes/winevent.js';
import { isJournalEntry, parseJournal, type JournalParts } from '../envelopes/journal.js';
import { JournalExportLines, startsExportEntry } from '../envelopes/journal-export.js';
import { asProgram, isCaptureRecord, type CaptureRecord } from '../envelopes/wrap-capture.js';
import { processRecordDraft, type ProcessRecord } from '../envelopes/capture-events.js';
import { parseSyslogInto } from '../envelopes/syslog.js';
import type { LineParser, Message, ParserSpec } from './types.js';
import { PARSERS, parserFor, parserForIdent } from './registry.js';

const MAX_JSON_LINE = 1 << 20;
/** The detail of an event whose parser gave none: shared, so frozen (nothing downstream writes to a detail). */
const NO_DETAIL: Event['detail'] = Object.freeze({});
/** Parser instances kept per source (one per program and pid). */
const MAX_INSTANCES = 512;

export interface RouterOptions {
  /** The program all lines of this source come from (--program, config, wrap). */
  program?: Program;
}

export class LineRouter {
  private readonly fixed: ParserSpec | undefined;
  private detected: ParserSpec | undefined;
  private readonly instances = new Map<string, { spec: ParserSpec; parser: LineParser }>();
  private lastTime: number | undefined;
  private lastRaw: RawLine | undefined;
  private readonly evicted: EventDraft[] = [];
  private lastKey: string | undefined;
  private lastParser: LineParser | undefined;
  /** Set by decode(): the parser of the line just decoded, and its instance key. */
  private spec: ParserSpec | undefined;
  private key = '';
  /** Set by decode(): the journal cursor the line's envelope names, if any. */
  private cursor: string | undefined;
  /** The entry of `journalctl -o export` being read, once one was seen. */
  private exported: JournalExportLines | undefined;

  constructor(options: RouterOptions = {}) {
    this.fixed = options.program ? parserFor(options.program) : undefined;
  }

  /** The program recognised for this source so far, if any. */
  get program(): Program | undefined {
    return (this.fixed ?? this.detected)?.program;
  }

  route(raw: RawLine): Event[] {
    this.lastRaw = raw;
    const msg = this.decode(raw);
    if (Array.isArray(msg)) return msg;
    const spec = this.spec;
    if (!spec) {
      return [this.finish(raw, msg, { kind: msg.ident ? 'noise' : 'unknown', program: 'other' })];
    }
    const drafts = this.instance(this.key, spec).parse(msg);
    // one event per line mostly: an array of exactly that size (a pushed-to [] reserves 17 slots)
    const out: Event[] = drafts.length === 1 ? [this.finish(raw, msg, drafts[0]!)] : drafts.map((d) => this.finish(raw, msg, d));
    if (this.evicted.length) for (const d of this.evicted.splice(0)) out.push(this.finish(raw, msg, d));
    return out;
  }

  /** End of input: what the parsers still hold back. */
  end(): Event[] {
    const raw = this.lastRaw;
    if (!raw) return [];
    // an export entry without its closing empty line: ended here
    const out: Event[] = this.exported?.active ? this.route({ ...raw, text: '' }) : [];
    const msg: Message = { text: '', referenceTime: raw.receivedAt };
    for (const { parser } of this.instances.values()) {
      for (const d of parser.end()) out.push(this.finish(raw, msg, d));
    }
    return out;
  }

  /**
   * The message of a line (envelope taken off), with its parser and instance key left in
   * this.spec and this.key (no object per line to carry them); a process event of a capture
   * comes back as events.
   */
  private decode(raw: RawLine): Message | Event[] {
    // every field from the start, in one order: messages keep one shape (no property added later)
    const msg: Message = {
      text: raw.text,
      time: undefined,
      pid: raw.pid,
      ident: undefined,
      hostname: undefined,
      partial: raw.partial ? true : undefined,
      continuation: raw.continuation ? true : undefined,
      stream: raw.stream ? raw.stream : undefined,
      referenceTime: raw.receivedAt,
    };
    let program: Program | undefined = raw.program;
    const envelope = raw.envelope ?? 'auto';

    this.cursor = undefined;
    if (this.exported?.active || (envelope === 'auto' && startsExportEntry(raw.text))) {
      // journalctl -o export: the fields of an entry come line by line, its events at its end
      this.exported ??= new JournalExportLines();
      const parts = this.exported.push(raw.text);
      if (parts === 'pending') return [];
      this.journalInto(parts, msg);
    } else if (raw.journal) {
      this.journalInto(raw.journal, msg); // decoded by the journal source
    } else if ((envelope === 'auto' || envelope === 'journal-json' || envelope === 'wrap-capture') && raw.text.startsWith('{')) {
      const obj = parseJsonObject(raw.text);
      if (obj && isCaptureRecord(obj)) {
        const rec = obj as unknown as CaptureRecord;
        program = asProgram(rec.program) ?? program;
        msg.time = rec.t;
        msg.pid = rec.pid;
        if (rec.event) return [this.processEvent(raw, rec, program)];
        msg.text = rec.text ?? '';
        if (rec.partial) msg.partial = true;
        if (rec.cont) msg.continuation = true;
        if (rec.stream) msg.stream = rec.stream;
      } else if (obj && isJournalEntry(obj)) {
        this.journalInto(parseJournal(obj), msg);
      } else if (obj && isOsLogEntry(obj)) {
        // macOS unified log (`log stream --style ndjson`, envelopes/oslog.ts)
        const o = parseOsLog(obj);
        msg.text = o.text;
        if (o.time !== undefined) msg.time = o.time;
        if (o.pid !== undefined) msg.pid = o.pid;
        if (o.ident) msg.ident = o.ident;
      } else if (obj && isWinEventRecord(obj)) {
        // Win32-OpenSSH's event log entry (sources/wevtutil.ts, envelopes/winevent.ts)
        Object.assign(msg, parseWinEventRecord(obj));
      }
    } else if (envelope === 'auto' || envelope === 'syslog') {
      if (!parseSyslogInto(raw.text, raw.receivedAt, msg) && envelope === 'auto') {
        // Win32-OpenSSH's %ProgramData%\ssh\logs\sshd.log, sshd-session.log (envelopes/winevent.ts)
        const w = parseWin32SshLogLine(raw.text, raw.receivedAt);
        if (w) Object.assign(msg, w);
      }
    }

    let spec: ParserSpec | undefined;
    if (msg.ident !== undefined) {
      spec = parserForIdent(msg.ident) ?? (program ? parserFor(program) : undefined);
    } else if (program) {
      spec = parserFor(program);
    } else {
      spec = this.fixed ?? this.detected ?? this.detect(msg.text);
    }
    this.spec = spec;
    this.key = !spec ? '' : spec.stateless ? spec.program : `${spec.program}:${msg.pid ?? ''}`;
    return msg;
  }

  /** A journal entry's fields into the message; its cursor is the line's (this.cursor), the input is not written to. */
  private journalInto(j: JournalParts, msg: Message): void {
    msg.text = j.text;
    if (j.time !== undefined) msg.time = j.time;
    if (j.pid !== undefined) msg.pid = j.pid;
    if (j.ident) msg.ident = j.ident;
    if (j.hostname) msg.hostname = j.hostname;
    if (j.cursor) this.cursor = j.cursor;
    if (j.comm && !msg.ident) msg.ident = j.comm;
  }

  private detect(text: string): ParserSpec | undefined {
    let best: ParserSpec | undefined;
    let bestScore = 0;
    for (const spec of PARSERS) {
      const score = spec.sniff(text);
      if (score > bestScore) {
        best = spec;
        bestScore = score;
      }
    }
    if (best && bestScore >= 0.9) this.detected = best;
    return best;
  }

  /**
   * One parser instance per program and process (a plink's prompt block must not mix with
   * another plink's lines in the same capture). The table is bounded: past MAX_INSTANCES the
   * least recently used instance is ended, and what it held back comes out with the current line.
   */
  private instance(key: string, spec: ParserSpec): LineParser {
    // the same process as the line before (most lines): already the most recent entry
    if (key === this.lastKey && this.lastParser) return this.lastParser;
    let inst = this.instances.get(key);
    if (inst) {
      this.instances.delete(key);
    } else {
      inst = { spec, parser: spec.create() };
      if (this.instances.size >= MAX_INSTANCES) {
        const [oldKey, old] = this.instances.entries().next().value!;
        this.instances.delete(oldKey);
        this.evicted.push(...old.parser.end());
      }
    }
    this.instances.set(key, inst);
    this.lastKey = key;
    this.lastParser = inst.parser;
    return inst.parser;
  }

  /** A process record of a capture (start, exit, input, waiting) as its event; one of a kind this agent does not know: noise. */
  private processEvent(raw: RawLine, rec: CaptureRecord, program: Program | undefined): Event {
    const msg: Message = { text: '', referenceTime: raw.receivedAt, time: rec.t, pid: rec.pid };
    const prog = program ?? this.program ?? 'other';
    const draft = processRecordDraft(rec as unknown as ProcessRecord, prog) ?? { kind: 'noise', program: prog, pid: rec.pid, detail: { what: 'capture-record' } };
    return this.finish(raw, msg, draft);
  }

  private finish(raw: RawLine, msg: Message, d: EventDraft): Event {
    let time: number;
    let timeFrom: Event['timeFrom'];
    const stated = d.time ?? msg.time;
    if (stated !== undefined) {
      time = stated;
      timeFrom = 'line';
      this.lastTime = stated;
    } else if (this.lastTime !== undefined) {
      time = this.lastTime;
      timeFrom = 'carried';
    } else {
      time = raw.receivedAt;
      timeFrom = 'arrival';
    }
    // Every field present (undefined when unknown), always in this order: events keep one shape,
    // so the correlator and the rules read them at monomorphic speed.
    const pos = raw.position;
    const ev: Event = {
      time,
      timeFrom,
      program: d.program,
      kind: d.kind,
      pid: d.pid ?? msg.pid,
      host: d.host,
      port: d.port,
      user: d.user,
      detail: d.detail ?? NO_DETAIL,
      pattern: d.pattern,
      connection: undefined,
      raw: { text: raw.text, message: msg.text === '' ? undefined : msg.text, source: pos.source, file: pos.file, line: pos.line, offset: pos.offset, cursor: pos.cursor ?? this.cursor },
    };
    return ev;
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (text.length > MAX_JSON_LINE) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export type { Message };
