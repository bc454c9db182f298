/**
 * apt's history, /var/log/apt/history.log (apt 0.8 to 2.x; the format has not changed).
 *
 * One stanza per apt run, stanzas separated by blank lines (apt apt-pkg/deb/dpkgpm.cc):
 *
 *   Start-Date: 2018-03-15  09:11:58          (strftime "%F  %T": TWO spaces, local time)
 *   Commandline: apt upgrade
 *   Requested-By: alice (1000)                (when run through sudo/pkexec/PackageKit)
 *   Comment: …                                (optional)
 *   Install: pkg:arch (ver), pkg2:arch (ver, automatic)
 *   Upgrade: pkg:arch (old, new), …           (also Downgrade; Remove, Purge, Reinstall: pkg (ver))
 *   Disappeared: pkg:arch (ver)
 *   Error: Sub-process /usr/bin/dpkg returned an error code (1)
 *   End-Date: 2018-03-15  09:12:05
 *
 * Events: pkg.run phase start (held until the header lines Commandline/Requested-By/Comment are
 * read, so it carries detail.command and the user), one pkg.change per package of a list line
 * (detail.action install|upgrade|downgrade|remove|purge|reinstall|disappear, package without
 * `:arch`, arch, oldVersion, newVersion, version, automatic), error.other for Error:, and pkg.run
 * phase end (detail.command, changes, error). Every line of a stanza carries the Start-Date time;
 * the end event has the End-Date time.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import type { LineParser, Message, ParserSpec } from './types.js';
import { localStamp, splitPackage } from './dpkg.js';

const A = 'apt' as const;
const DATE = /^(Start|End)-Date: (\d{4})-(\d\d)-(\d\d) {1,2}(\d\d):(\d\d):(\d\d)$/;
const FIELD = /^([A-Z][A-Za-z-]*): ?(.*)$/;
const ITEM = /([^\s,()]+) \(([^()]*)\)/g;

const LIST_ACTIONS: Record<string, string> = {
  Install: 'install',
  Upgrade: 'upgrade',
  Downgrade: 'downgrade',
  Remove: 'remove',
  Purge: 'purge',
  Reinstall: 'reinstall',
  Disappeared: 'disappear',
};
const HEADER_FIELDS = new Set(['Commandline', 'Requested-By', 'Comment']);

interface Stanza {
  start: number | undefined;
  command: string | undefined;
  user: string | undefined;
  uid: number | undefined;
  comment: string | undefined;
  /** The start event has been emitted (the header is complete). */
  started: boolean;
  /** A Start-Date was seen: there is a start event to emit. */
  hasStart: boolean;
  changes: number;
  error: boolean;
}

const fresh = (): Stanza => ({
  start: undefined,
  command: undefined,
  user: undefined,
  uid: undefined,
  comment: undefined,
  started: false,
  hasStart: false,
  changes: 0,
  error: false,
});

/** `pkg:arch (a, b[, automatic])` items of one list line → change details. */
export function parsePackageList(action: string, value: string): Detail[] {
  const out: Detail[] = [];
  for (const m of value.matchAll(ITEM)) {
    const p = splitPackage(m[1]!);
    const parts = m[2]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const automatic = parts.at(-1) === 'automatic';
    if (automatic) parts.pop();
    const detail: Detail = { action, package: p.package };
    if (p.arch !== undefined) detail.arch = p.arch;
    if (parts.length >= 2) {
      detail.oldVersion = parts[0]!;
      detail.newVersion = parts[1]!;
      detail.version = parts[1]!;
    } else if (parts.length === 1) {
      if (action === 'remove' || action === 'purge' || action === 'disappear') detail.oldVersion = parts[0]!;
      else detail.newVersion = parts[0]!;
      detail.version = parts[0]!;
    }
    if (automatic) detail.automatic = true;
    out.push(detail);
  }
  return out;
}

class AptParser implements LineParser {
  private st: Stanza = fresh();

  parse(msg: Message): EventDraft[] {
    const text = msg.text.endsWith('\r') ? msg.text.slice(0, -1) : msg.text;
    if (text.trim() === '') return [this.ev('noise', 'apt.blank')];

    const d = DATE.exec(text);
    if (d) {
      const t = localStamp(d, 2);
      if (d[1] === 'Start') {
        const out = this.flushStart();
        this.st = fresh();
        this.st.start = t;
        this.st.hasStart = true;
        return out;
      }
      const out = this.flushStart();
      const detail: Detail = { phase: 'end', changes: this.st.changes, error: this.st.error };
      if (this.st.command !== undefined) detail.command = this.st.command;
      if (this.st.start !== undefined && t !== undefined) detail.durationMs = t - this.st.start;
      out.push(this.ev('pkg.run', 'apt.end', { detail, ...(t !== undefined ? { time: t } : {}) }));
      this.st = fresh();
      return out;
    }

    const f = FIELD.exec(text);
    if (!f) return [...this.flushStart(), this.ev('unknown', 'apt.unknown')];
    const [, name, value] = f as unknown as [string, string, string];

    if (HEADER_FIELDS.has(name) && !this.st.started) {
      if (name === 'Commandline') this.st.command = value;
      else if (name === 'Comment') this.st.comment = value;
      else {
        const r = /^(.*?)(?: \((\d+)\))?$/.exec(value)!;
        this.st.user = r[1]!;
        if (r[2] !== undefined) this.st.uid = Number(r[2]);
      }
      // Only feeds the start event; without a Start-Date there is nothing to complete.
      return this.st.hasStart ? [] : [this.ev('info', 'apt.header', { detail: { what: name, value } })];
    }

    const out = this.flushStart();
    const action = LIST_ACTIONS[name];
    if (action !== undefined) {
      for (const detail of parsePackageList(action, value)) {
        this.st.changes++;
        out.push(this.ev('pkg.change', 'apt.change', { detail }));
      }
      return out;
    }
    if (name === 'Error') {
      this.st.error = true;
      out.push(this.ev('error.other', 'apt.error', { detail: { message: value } }));
      return out;
    }
    out.push(this.ev('info', 'apt.header', { detail: { what: name, value } }));
    return out;
  }

  end(): EventDraft[] {
    return this.flushStart();
  }

  /** The start event, once its header lines are read (or when anything else comes). */
  private flushStart(): EventDraft[] {
    if (!this.st.hasStart || this.st.started) return [];
    this.st.started = true;
    const detail: Detail = { phase: 'start' };
    if (this.st.command !== undefined) detail.command = this.st.command;
    if (this.st.uid !== undefined) detail.uid = this.st.uid;
    if (this.st.comment !== undefined) detail.comment = this.st.comment;
    return [this.ev('pkg.run', 'apt.start', { detail })];
  }

  private ev(kind: EventKind, pattern: string, extra: Partial<EventDraft> = {}): EventDraft {
    const d: EventDraft = { kind, program: A, pattern };
    if (this.st.start !== undefined && kind !== 'noise') d.time = this.st.start;
    if (this.st.user !== undefined && kind !== 'noise' && kind !== 'info') d.user = this.st.user;
    return { ...d, ...extra };
  }
}

export const apt: ParserSpec = {
  program: 'apt',
  understands: 'apt 0.8–2.x /var/log/apt/history.log stanzas (Start-Date, Commandline, Requested-By, Install/Upgrade/…, Error, End-Date)',
  idents: [],
  patterns: ['apt.start', 'apt.end', 'apt.change', 'apt.error', 'apt.header', 'apt.blank', 'apt.unknown'],
  sniff(text: string): number {
    if (/^Start-Date: \d{4}-\d\d-\d\d {2}\d\d:\d\d:\d\d$/.test(text)) return 1;
    if (/^(?:Commandline: |End-Date: \d{4}-\d\d-\d\d {2}|(?:Install|Upgrade|Downgrade|Remove|Purge|Reinstall): \S+ \([^()]*\)(?:, |$))/.test(text)) {
      return 0.95;
    }
    return 0;
  },
  create(): LineParser {
    return new AptParser();
  },
};
