/**
 * A parser declared as a table: each row is a pattern id, a regular expression with NAMED groups,
 * and the event kind and detail it gives. `host`, `port` and `user` are filled from the groups of
 * those names; the detail is a constant (copied per line) or built from the groups. The rows are
 * dispatched through PatternTable (dispatch.ts), so a line is tried only against the rows whose
 * first characters it can start with, still in table order. Rows that need code beyond groups
 * keep a `make` function (the same shape as before the table), so a parser can move row by row.
 *
 * Also here: the catalog's `ignored` rows (tools/catalog.ts): printf formats of messages a program
 * prints that carry no diagnostic weight, each with its class, turned into anchored expressions
 * and dispatched the same way; a line that matches gives `noise` with detail.ignored.
 */
import type { Detail, EventDraft, EventKind, Program } from '../event.js';
import { setFlagsFromString } from 'node:v8';
import { PatternTable } from './dispatch.js';
import { groupsBuilder, positional, type Groups } from './groups.js';

export type { Groups } from './groups.js';

export interface Row<C> {
  id: string;
  re: RegExp;
  /** See dispatch.ts: text every match contains (for rows tried on every line). */
  needs?: readonly string[] | RegExp;
  kind?: EventKind;
  /** A constant detail (copied for each line) or one built from the named groups. */
  detail?: Detail | ((g: Groups, ctx: C) => Detail);
  /** Rows that need more than groups: the whole draft. */
  make?: (m: RegExpExecArray, ctx: C) => EventDraft;
  /**
   * Rows that keep state or give no draft or several: built from the named groups (and the whole
   * match, `g[0]`... as `text`), for Table.many.
   */
  build?: (g: Groups, ctx: C, text: string) => EventDraft | EventDraft[];
  /** A line of a multi-line block that does not end it (what a block is, the parser says: Table.run). */
  inBlock?: boolean;
}

interface Compiled<C> {
  id: string;
  re: RegExp;
  needs?: readonly string[] | RegExp;
  make: (m: RegExpExecArray, ctx: C) => EventDraft | EventDraft[];
  inBlock: boolean;
}

/** A draft with every field present, in one order (drafts keep one shape). */
export function draft(program: Program, kind: EventKind, pattern: string, host?: string, port?: string | number, user?: string, detail?: Detail): EventDraft {
  return {
    kind,
    program,
    pattern,
    time: undefined,
    pid: undefined,
    host: host === '' ? undefined : host,
    port: port === undefined ? undefined : Number(port),
    user,
    detail,
  };
}

/** A row with a constant detail: host, port and user straight from the match (no groups object per line). */
function fieldsMaker(program: Program, kind: EventKind, id: string, detail: Detail | undefined, names: readonly string[], index: readonly number[]): (m: RegExpExecArray) => EventDraft {
  const at = (name: string): number => {
    const i = names.indexOf(name);
    return i === -1 ? -1 : index[i]!;
  };
  const h = at('host');
  const p = at('port');
  const u = at('user');
  return (m) => draft(program, kind, id, h === -1 ? undefined : m[h], p === -1 ? undefined : m[p], u === -1 ? undefined : m[u], detail ? { ...detail } : {});
}

function compile<C>(program: Program, row: Row<C>): Compiled<C> {
  const inBlock = row.inBlock === true;
  if (row.make) return { id: row.id, re: row.re, ...(row.needs ? { needs: row.needs } : {}), make: row.make, inBlock };
  const { id, kind, detail, build } = row;
  const { re, names, index } = positional(row.re);
  const groupsOf = names.length ? groupsBuilder(names, index) : (m: RegExpExecArray): Groups => m.groups ?? {};
  if (build) return { id, re, ...(row.needs ? { needs: row.needs } : {}), make: (m, ctx) => build(groupsOf(m), ctx, m[0]), inBlock };
  if (!kind) throw new Error(`table row ${id}: neither kind nor make`);
  const make =
    typeof detail === 'function'
      ? (m: RegExpExecArray, ctx: C): EventDraft => {
          const g = groupsOf(m);
          return draft(program, kind, id, g.host, g.port, g.user, detail(g, ctx));
        }
      : names.length
        ? fieldsMaker(program, kind, id, detail, names, index)
        : (m: RegExpExecArray): EventDraft => {
            const g = groupsOf(m);
            return draft(program, kind, id, g.host, g.port, g.user, detail ? { ...detail } : {});
          };
  return { id, re, ...(row.needs ? { needs: row.needs } : {}), make, inBlock };
}

/**
 * A table's rows are compiled (positional groups, builders, the dispatch index) on the first line
 * it is asked about, not when its module loads: start-up pays only for the programs seen.
 */
export class Table<C> {
  private index: PatternTable<Compiled<C>> | undefined;
  readonly ids: readonly string[];

  constructor(
    private readonly program: Program,
    private readonly rows: ReadonlyArray<Row<C>>,
  ) {
    this.ids = [...new Set(rows.map((r) => r.id))];
  }

  private build(): PatternTable<Compiled<C>> {
    return (this.index = new PatternTable(this.rows.map((r) => compile(this.program, r))));
  }

  /** The draft of the first row that matches (a table whose rows give one draft each). */
  match(text: string, ctx: C): EventDraft | undefined {
    const index = this.index ?? this.build();
    const row = index.find(text);
    if (!row) return undefined;
    const d = row.make(index.found!, ctx);
    return Array.isArray(d) ? d[0] : d;
  }

  /** The drafts of the first row that matches (none, one or several); undefined when no row matches. */
  many(text: string, ctx: C): EventDraft[] | undefined {
    return this.run(text, ctx)?.drafts;
  }

  /** Like many, and whether the row that matched is a line inside a block (Row.inBlock). */
  run(text: string, ctx: C): { drafts: EventDraft[]; inBlock: boolean } | undefined {
    const index = this.index ?? this.build();
    const row = index.find(text);
    if (!row) return undefined;
    const d = row.make(index.found!, ctx);
    return { drafts: Array.isArray(d) ? d : [d], inBlock: row.inBlock };
  }
}

/**
 * A format's expression is a chain of `.*` between literals, which backtracks polynomially on a
 * hostile line that repeats the literals. V8 hands a match that backtracks excessively to its
 * linear-time engine (the flag agent/rules/regex-guard.ts sets for rule patterns too; V8 ignores
 * it where it does not exist), so such a line costs linear time, and the usual one keeps the fast
 * backtracking engine.
 */
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

/**
 * A printf format (`%s`, `%d`, `%.100s`, `%%` …) as an anchored expression of what it prints.
 * Conversions written next to each other (`%s%s%s`) are one run of text: a single `.*` (`\S+`
 * for numbers alone), not a chain whose splits the engine would try one by one.
 */
export function formatToRegExp(fmt: string): RegExp {
  let out = '';
  let last = 0;
  let run = '';
  const esc = (s: string): string => s.replace(/%%/g, '%').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const one = (c: string): string => (c === 's' ? '.*' : c === 'c' ? '.' : /[diouxX]/.test(c) ? '-?[0-9a-fA-F]+' : '\\S+');
  const flush = (): void => {
    if (run.length === 1) out += one(run);
    else if (run.length > 1) out += run.includes('s') ? '.*' : run.includes('c') ? '.+' : '\\S+';
    run = '';
  };
  const re = /%[-+ #0]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|j|z|t|L|q)?([diouxXeEfgGcsp%])/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fmt))) {
    if (m[1] === '%') continue;
    if (m.index !== last) {
      flush();
      out += esc(fmt.slice(last, m.index));
    }
    run += m[1]!;
    last = m.index + m[0].length;
  }
  flush();
  return new RegExp(`^${out}${esc(fmt.slice(last))}$`, 's');
}

/**
 * Messages of a program known by their printf formats (the catalog's generated tables): format →
 * tag, turned into anchored expressions and dispatched like a table; a line that matches gives
 * what `make` builds from the tag and the line. The first format in row order wins.
 *
 * Most of OpenSSH's internal messages start with their function's name (`%s: sshbuf_new failed`):
 * a leading conversion would put every one of them in the group tried for every line. Those are
 * indexed by what follows their `%s: ` instead, and tried on the text after each `: ` of the line
 * (what `.*: ` can take), so a line meets only the formats whose own text it can start with.
 */
export class FormatTable {
  /** Built on the first line asked (the ssh catalog's formats are compiled only if ssh lines come). */
  private index: PatternTable<FormatRow> | undefined;
  /** Formats `%s: REST` with REST starting with text: indexed by REST. */
  private prefixed: PatternTable<FormatRow> | undefined;

  constructor(
    private readonly pattern: string,
    private readonly rows: FormatRows | (() => FormatRows),
    private readonly make: (tag: string, text: string) => EventDraft,
  ) {}

  private build(): PatternTable<FormatRow> {
    const pattern = this.pattern;
    // the longest literal of a format guards it: a line without that text skips the expression
    const longest = (fmt: string): string =>
      fmt
        .split(/%[-+ #0]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|j|z|t|L|q)?[diouxXeEfgGcsp%]/)
        .reduce((a, b) => (b.length > a.length ? b : a), '');
    const plain: FormatRow[] = [];
    const prefixed: FormatRow[] = [];
    (typeof this.rows === 'function' ? this.rows() : this.rows).forEach(([fmt, tag], order) => {
      const lead = /^%-?\d*(?:\.\d+)?s: (?=[^%])/.exec(fmt);
      if (lead) prefixed.push({ id: pattern, re: formatToRegExp(fmt.slice(lead[0].length)), tag, order });
      // (only formats that start with a conversion are guarded: the others are dispatched by their first character)
      else plain.push({ id: pattern, re: formatToRegExp(fmt), tag, order, ...(fmt.startsWith('%') ? { needs: [longest(fmt)] } : {}) });
    });
    this.prefixed = prefixed.length ? new PatternTable(prefixed) : undefined;
    return (this.index = new PatternTable(plain));
  }

  match(text: string): EventDraft | undefined {
    let best = (this.index ?? this.build()).find(text);
    if (this.prefixed) {
      for (let i = text.indexOf(': '); i !== -1; i = text.indexOf(': ', i + 1)) {
        const hit = this.prefixed.find(text.slice(i + 2));
        if (hit && (!best || hit.order < best.order)) best = hit;
      }
    }
    return best ? this.make(best.tag, text) : undefined;
  }
}

/** format → tag rows; FormatTable also takes a function that gives them, called on the first line (a table read from a data file). */
export type FormatRows = ReadonlyArray<readonly [format: string, tag: string]>;

interface FormatRow {
  id: string;
  re: RegExp;
  tag: string;
  /** Its place in the rows: the first that matches wins. */
  order: number;
  needs?: readonly string[];
}

/** The catalog's ignored messages of a program: format → class, as `noise` with detail.ignored. */
export class IgnoredTable extends FormatTable {
  constructor(program: Program, pattern: string, rows: FormatRows | (() => FormatRows)) {
    super(pattern, rows, (cls) => draft(program, 'noise', pattern, undefined, undefined, undefined, { ignored: cls }));
  }
}
