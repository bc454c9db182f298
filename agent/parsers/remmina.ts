/**
 * Remmina 1.4.x (and the 1.3 wordings of its RDP error texts) with its RDP plugin.
 *
 * Envelopes understood:
 *   - Remmina's stdout/stderr as a capture, `~/.xsession-errors` or the user journal
 *     (identifier `org.remmina.Remmina.desktop`, older `remmina.desktop`; GLib entries `remmina`):
 *       * GLib text lines `(org.remmina.Remmina:4835): remmina-WARNING **: 13:43:33.012: text`,
 *         `(remmina:4242): remmina-DEBUG: 10:11:12.345: (remmina_rdp_main) - text`,
 *         `** Message: 13:45:12.040: text`; the time of day is put on the reference date (local
 *         time zone); messages of other GLib domains (GLib, Gtk, libsecret) are noise;
 *       * FreeRDP WLog lines written by the libfreerdp inside Remmina: delegated to the FreeRDP
 *         parser, so a code maps the same way whoever prints it (program stays `remmina`);
 *       * Remmina's own bare lines: `libfreerdp returned code is 0002000D` (mapped through the
 *         ERRCONNECT table), plugin loading, the secret-service warnings;
 *       * lines of other programs sharing the stream (`dbus-daemon[…]: …`, the at-spi registry):
 *         noise, program `other`;
 *   - `/tmp/remmina_log_file.log` (1.4.35+: the same texts without time, level or function) and
 *     the Debugging window's `(WARN) - ` style prefixes;
 *   - the RDP error texts Remmina shows (signatures.md §F.2), in all three quote styles
 *     (none, "…", “…”), including the two-line `Could not access the RDP server “x”.` + reason.
 */
import type { EventDraft } from '../event.js';
import { FreerdpLineParser, parseWlog, timeOfDay } from './freerdp.js';
import { ACCESS_REASONS, ev, PATTERNS, type State } from './remmina-table.js';
import { Table } from './table.js';
import type { LineParser, Message, ParserSpec } from './types.js';

const R = 'remmina' as const;
const TABLE = new Table<State>(R, PATTERNS);

/** Lines of other programs that share Remmina's streams. */
const OTHER_PROGRAMS = /^(?:dbus-daemon\[\d+\]: .*|SpiRegistry daemon is running with well-known name - .*|at-spi2?-\w+.*: .*)$/;

/** GLib's text format: `(prg:pid): domain-LEVEL **: HH:MM:SS.mmm: message`, or `** Message: …`. */
const GLIB =
  /^(?:\((?<prog>[^():\s]+):(?<pid>\d+)\): )?(?:(?<domain>[\w.-]+)-)?(?<level>ERROR|CRITICAL|WARNING|Message|INFO|DEBUG)(?: \*\*)?: (?<h>\d\d):(?<min>\d\d):(?<s>\d\d)\.(?<ms>\d{3}): (?<body>.*)$/s;
const GLIB_BARE = /^\*\* (?<level>Message|INFO|DEBUG|WARNING|CRITICAL): (?<h>\d\d):(?<min>\d\d):(?<s>\d\d)\.(?<ms>\d{3}): (?<body>.*)$/s;
/** Debugging window prefix. */
const DEBUG_WINDOW = /^\((?<level>INFO|MESSAGE|DEBUG|WARN|ERROR)\) - (?<body>.*)$/s;

class RemminaParser implements LineParser {
  private readonly freerdp = new FreerdpLineParser('remmina');
  private readonly st: State = { access: undefined };

  parse(msg: Message): EventDraft[] {
    let text = msg.text;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const out: EventDraft[] = [];
    if (this.st.access) {
      const held = this.st.access;
      this.st.access = undefined;
      const reason = ACCESS_REASONS.find(([re]) => re.test(text.trim()));
      if (reason) {
        held.detail = { ...held.detail, reason: reason[1], family: reason[1], message: text.trim() };
        return [held];
      }
      out.push(held);
    }
    if (parseWlog(text)) return out.concat(this.freerdp.parse({ ...msg, text }));
    return out.concat(this.own(text, msg));
  }

  end(): EventDraft[] {
    const out = this.freerdp.end();
    if (this.st.access) {
      out.push(this.st.access);
      this.st.access = undefined;
    }
    return out;
  }

  private own(text: string, msg: Message): EventDraft[] {
    if (text.trim() === '') return [ev('noise', 'remmina.blank')];
    if (OTHER_PROGRAMS.test(text)) return [{ kind: 'noise', program: 'other', pattern: 'remmina.other-program', detail: { what: 'shared-stream' } }];
    let body = text;
    let time: number | undefined;
    let level: string | undefined;
    const g = GLIB.exec(text)?.groups;
    const gb = g ? undefined : GLIB_BARE.exec(text)?.groups;
    if (g) {
      const domain = g.domain ?? (g.level === 'Message' ? undefined : 'unknown');
      level = g.level!;
      if (msg.time === undefined) time = timeOfDay(+g.h!, +g.min!, +g.s!, +g.ms!, msg.referenceTime);
      body = g.body!;
      if (domain !== undefined && domain !== 'remmina') {
        const d: EventDraft = { kind: 'noise', program: R, pattern: 'remmina.glib.other-domain', detail: { what: 'glib', domain, level, message: body } };
        if (g.pid) d.pid = Number(g.pid);
        if (time !== undefined) d.time = time;
        return [d];
      }
    } else if (gb) {
      level = gb.level!;
      if (msg.time === undefined) time = timeOfDay(+gb.h!, +gb.min!, +gb.s!, +gb.ms!, msg.referenceTime);
      body = gb.body!;
    } else {
      const dw = DEBUG_WINDOW.exec(text)?.groups;
      if (dw) {
        level = dw.level!;
        body = dw.body!;
      }
    }
    const drafts = this.match(body);
    for (const d of drafts) {
      if (time !== undefined) d.time = time;
      if (g?.pid) d.pid = Number(g.pid);
      if (level) d.detail = { ...d.detail, level };
    }
    return drafts;
  }

  private match(body: string): EventDraft[] {
    return TABLE.many(body, this.st) ?? [ev('unknown', 'remmina.unknown')];
  }
}

export const remmina: ParserSpec = {
  program: 'remmina',
  understands:
    'Remmina 1.3–1.4 with remmina-plugin-rdp: GLib text lines, libfreerdp WLog lines (delegated to the FreeRDP parser), "libfreerdp returned code is …", RDP error texts, /tmp/remmina_log_file.log, user journal (org.remmina.Remmina.desktop)',
  idents: ['org.remmina.Remmina.desktop', 'org.remmina.Remmina', 'remmina.desktop', 'remmina'],
  patterns: [...TABLE.ids, 'remmina.other-program', 'remmina.glib.other-domain', 'remmina.blank', 'remmina.unknown'],
  sniff(text: string): number {
    if (/^libfreerdp returned code is [0-9A-Fa-f]{8}$/.test(text)) return 1;
    if (/^\((?:org\.remmina\.Remmina|remmina):\d+\): /.test(text)) return 1;
    if (/^(?:Load modules from \S*remmina|Remmina plugin |org\.remmina\.Remmina - \d|\*\* Message: [\d:.]+: Remmina )/.test(text)) return 1;
    if (/^remmina-(?:WARNING|CRITICAL|DEBUG|INFO|Message)\b/.test(text)) return 0.95;
    if (OTHER_PROGRAMS.test(text)) return 0.2;
    return 0;
  },
  create(): LineParser {
    return new RemminaParser();
  },
};
