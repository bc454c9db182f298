/**
 * PatternTable: a parser's ordered patterns, indexed by the first character a line can start
 * with, so a line is tried only against the patterns that could match it — and still in table
 * order, so the first match wins exactly as in a plain loop over every pattern.
 *
 * The possible first characters of an anchored pattern (`^…`) are read from its source: literal
 * characters, escaped punctuation, classes of literals and ranges, \d and \w, groups and
 * alternations, and quantifiers that allow zero (`?`, `*`, `{0,…}`) which let the next term's
 * characters in too. Anything else (`.`, \s, negated classes, lookarounds, backreferences, the
 * `m` flag, a pattern that can match at its start with nothing) puts the pattern in the group
 * tried for every line. The analysis errs only that way: a pattern is never left out of a line it
 * could match (test/parsers/dispatch.test.ts checks it against every sample line).
 *
 * A pattern that must be tried for every line can say what text any match contains (`needs`: one
 * of these substrings, or a regular expression that a match satisfies), so the lines without it
 * skip the expensive part (a leading `(.+): ` that backtracks over the whole line). All guards of a
 * table are also folded into one case-insensitive expression, asked once per line: most lines hold
 * none of those texts, and one scan is cheaper than a search per guard.
 */

class Unknown extends Error {}

const DIGITS = '0123456789';
const WORD = `${DIGITS}abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_`;

interface First {
  chars: Set<string>;
  /** The part can match the empty string. */
  nullable: boolean;
}

/** The characters a match of `re` can start with; undefined when that cannot be told (any). */
export function firstChars(re: RegExp): Set<string> | undefined {
  const src = re.source;
  if (!src.startsWith('^') || re.flags.includes('m')) return undefined;
  try {
    const p = new Reader(src, 1);
    const f = p.alternation();
    if (p.i !== src.length || f.nullable) return undefined;
    if (!re.flags.includes('i')) return f.chars;
    const both = new Set<string>();
    for (const c of f.chars) {
      both.add(c.toLowerCase());
      both.add(c.toUpperCase());
    }
    return both;
  } catch (err) {
    if (err instanceof Unknown) return undefined;
    throw err;
  }
}

class Reader {
  constructor(
    private readonly s: string,
    public i: number,
  ) {}

  /** alt ('|' alt)* up to ')' or the end. */
  alternation(): First {
    const out: First = { chars: new Set(), nullable: false };
    for (;;) {
      const f = this.sequence();
      for (const c of f.chars) out.chars.add(c);
      if (f.nullable) out.nullable = true;
      if (this.s[this.i] !== '|') return out;
      this.i++;
    }
  }

  private sequence(): First {
    const out: First = { chars: new Set(), nullable: true };
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      if (!out.nullable) {
        // the first characters are known: the rest of this alternative only needs skipping
        this.skipTerm();
        this.quantifier();
        continue;
      }
      const t = this.term();
      const zero = this.quantifier();
      for (const c of t.chars) out.chars.add(c);
      if (!(t.nullable || zero)) out.nullable = false;
    }
    return out;
  }

  /** Steps over one term without reading it: a group (balanced), a class, an escape or a character. */
  private skipTerm(): void {
    const c = this.s[this.i];
    if (c === '\\') this.i += 2;
    else if (c === '[') {
      this.i++;
      while (this.i < this.s.length && this.s[this.i] !== ']') this.i += this.s[this.i] === '\\' ? 2 : 1;
      this.i++;
    } else if (c === '(') {
      this.i++;
      if (this.s[this.i] === '?') {
        const m = /^\?(?::|=|!|<=|<!|<[^>]*>)/.exec(this.s.slice(this.i));
        if (!m) throw new Unknown();
        this.i += m[0].length;
      }
      while (this.i < this.s.length && this.s[this.i] !== ')') {
        if (this.s[this.i] === '|') this.i++;
        else {
          this.skipTerm();
          this.quantifier();
        }
      }
      if (this.s[this.i] !== ')') throw new Unknown();
      this.i++;
    } else this.i++;
  }

  private term(): First {
    const c = this.s[this.i]!;
    if (c === '(') return this.group();
    if (c === '[') return this.klass();
    if (c === '\\') return this.escape();
    if (c === '$') {
      // end anchor: matches nothing, consumes nothing
      this.i++;
      return { chars: new Set(), nullable: true };
    }
    if ('.^*+?{}'.includes(c)) throw new Unknown();
    this.i++;
    return { chars: new Set([c]), nullable: false };
  }

  private group(): First {
    this.i++;
    if (this.s[this.i] === '?') {
      if (this.s[this.i + 1] === ':') this.i += 2;
      else if (this.s[this.i + 1] === '<' && /[A-Za-z_$]/.test(this.s[this.i + 2] ?? '')) this.i = this.s.indexOf('>', this.i) + 1;
      else throw new Unknown(); // lookaround
    }
    const f = this.alternation();
    if (this.s[this.i] !== ')') throw new Unknown();
    this.i++;
    return f;
  }

  private klass(): First {
    this.i++;
    if (this.s[this.i] === '^') throw new Unknown();
    const chars = new Set<string>();
    let prev: string | undefined;
    while (this.i < this.s.length && this.s[this.i] !== ']') {
      let c = this.s[this.i]!;
      if (c === '\\') {
        const e = this.s[this.i + 1] ?? '';
        this.i += 2;
        if (e === 'd' || e === 'w') {
          for (const x of e === 'd' ? DIGITS : WORD) chars.add(x);
          prev = undefined;
          continue;
        }
        if (/[A-Za-z0-9]/.test(e)) throw new Unknown();
        c = e;
      } else this.i++;
      if (c === '-' && prev !== undefined && this.s[this.i] !== ']') {
        let to = this.s[this.i]!;
        if (to === '\\') {
          to = this.s[this.i + 1] ?? '';
          if (/[A-Za-z0-9]/.test(to)) throw new Unknown();
          this.i++;
        }
        this.i++;
        for (let x = prev.charCodeAt(0); x <= to.charCodeAt(0); x++) chars.add(String.fromCharCode(x));
        prev = undefined;
        continue;
      }
      chars.add(c);
      prev = c;
    }
    if (this.s[this.i] !== ']') throw new Unknown();
    this.i++;
    return { chars, nullable: false };
  }

  private escape(): First {
    const e = this.s[this.i + 1] ?? '';
    this.i += 2;
    if (e === 'd') return { chars: new Set(DIGITS), nullable: false };
    if (e === 'w') return { chars: new Set(WORD), nullable: false };
    if (/[A-Za-z0-9]/.test(e) || e === '') throw new Unknown(); // \s \S \b \x41 \1 …
    return { chars: new Set([e]), nullable: false };
  }

  /** Skips a quantifier after a term; true when it allows zero repetitions. */
  private quantifier(): boolean {
    const c = this.s[this.i];
    let zero = false;
    if (c === '?' || c === '*') {
      zero = true;
      this.i++;
    } else if (c === '+') this.i++;
    else if (c === '{') {
      const m = /^\{(\d*)(?:,\d*)?\}/.exec(this.s.slice(this.i));
      if (!m) throw new Unknown();
      zero = m[1] === '' || Number(m[1]) === 0;
      this.i += m[0].length;
    } else return false;
    if (this.s[this.i] === '?') this.i++; // lazy
    return zero;
  }
}

export interface TablePattern {
  re: RegExp;
  /** Text every match contains: one of these substrings, or what this expression finds. */
  needs?: readonly string[] | RegExp;
}

/** The `needs` check as one function, made once per pattern. */
function guardOf(needs: readonly string[] | RegExp): (text: string) => boolean {
  if (needs instanceof RegExp) return (text) => needs.test(text);
  if (needs.length === 1) {
    const [a] = needs as [string];
    return (text) => text.includes(a);
  }
  if (needs.length === 2) {
    const [a, b] = needs as [string, string];
    return (text) => text.includes(a) || text.includes(b);
  }
  return (text) => needs.some((n) => text.includes(n));
}

/**
 * One expression that finds any text some guard needs (a superset: case-insensitive, and every
 * guard's text), so a line that holds none of them is told so by a single scan instead of a
 * search per guard. undefined when a guard cannot be folded in (an expression with flags other
 * than `i`, or with backreferences): then every guard runs.
 */
function guardFilterOf(all: ReadonlyArray<readonly string[] | RegExp>): RegExp | undefined {
  const parts: string[] = [];
  for (const needs of all) {
    if (needs instanceof RegExp) {
      if (!/^i?$/.test(needs.flags) || /\\[1-9k]/.test(needs.source)) return undefined;
      parts.push(`(?:${needs.source})`);
    } else for (const n of needs) parts.push(n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
  return parts.length ? new RegExp(parts.join('|'), 'i') : undefined;
}

interface Entry<P> {
  p: P;
  re: RegExp;
  guard: ((text: string) => boolean) | undefined;
}

/** What PatternTable builds from its patterns (on first use). */
interface Index<P> {
  byChar: Map<string, ReadonlyArray<Entry<P>>>;
  /** Patterns whose first character cannot be told: tried for every line. */
  any: ReadonlyArray<Entry<P>>;
  /** See guardFilterOf. */
  guardFilter: RegExp | undefined;
}

/**
 * Ordered patterns with the per-first-character candidate lists, built on the first line asked:
 * a program whose lines never come costs nothing at start-up (the ssh catalog's ~1,100 formats
 * took 0.1 s of every `replay` before any line was read).
 */
export class PatternTable<P extends TablePattern> {
  private built: Index<P> | undefined;

  constructor(readonly patterns: readonly P[]) {}

  private build(): Index<P> {
    const patterns = this.patterns;
    const entries = patterns.map((p) => ({ p, re: p.re, guard: p.needs ? guardOf(p.needs) : undefined, first: firstChars(p.re) }));
    const strip = (xs: typeof entries): Array<Entry<P>> => xs.map(({ p, re, guard }) => ({ p, re, guard }));
    const byChar = new Map<string, ReadonlyArray<Entry<P>>>();
    const chars = new Set<string>();
    for (const x of entries) if (x.first) for (const c of x.first) chars.add(c);
    for (const c of chars) byChar.set(c, strip(entries.filter((x) => !x.first || x.first.has(c))));
    const any = strip(entries.filter((x) => !x.first));
    const guardFilter = guardFilterOf(patterns.flatMap((p) => (p.needs ? [p.needs] : [])));
    return (this.built = { byChar, any, guardFilter });
  }

  /** The patterns that can match `text`, in table order. */
  candidates(text: string): readonly P[] {
    return this.entries(this.built ?? this.build(), text).map((x) => x.p);
  }

  /** The first pattern (in table order) that matches, with its match. */
  match(text: string): [P, RegExpExecArray] | undefined {
    const p = this.find(text);
    return p ? [p, this.found!] : undefined;
  }

  /**
   * The match of the last find() that found a pattern (the per-line path: no pair allocated for
   * each line). Valid until the next call.
   */
  found: RegExpExecArray | undefined;

  /** The first pattern (in table order) that matches; its match is left in `found`. */
  find(text: string): P | undefined {
    const index = this.built ?? this.build();
    // 0: not asked yet, 1: some guard may pass, 2: no guard can pass
    let guards = 0;
    for (const x of this.entries(index, text)) {
      if (x.guard) {
        if (guards === 0) guards = index.guardFilter === undefined || index.guardFilter.test(text) ? 1 : 2;
        if (guards === 2 || !x.guard(text)) continue;
      }
      const m = x.re.exec(text);
      if (m) {
        this.found = m;
        return x.p;
      }
    }
    return undefined;
  }

  private entries(index: Index<P>, text: string): ReadonlyArray<Entry<P>> {
    return (text.length > 0 ? index.byChar.get(text[0]!) : undefined) ?? index.any;
  }
}
