/**
 * PatternTable: a parser's ordered patterns, indexed by the first character a line can start
 * with, so a line is tried only against the patterns that could match it — and still in table
 * order, so the first match wins exactly as in a plain loop over every pattern.
 *
 * The possible first characters of an anchored pattern are read from its source (first-chars.ts);
 * a pattern whose first character cannot be told is in the group tried for every line. A pattern
 * is never left out of a line it could match (test/parsers/dispatch.test.ts checks it against
 * every sample line).
 *
 * A pattern that must be tried for every line can say what text any match contains (`needs`: one
 * of these substrings, or a regular expression that a match satisfies), so the lines without it
 * skip the expensive part (a leading `(.+): ` that backtracks over the whole line). All guards of a
 * table are also folded into one case-insensitive expression, asked once per line: most lines hold
 * none of those texts, and one scan is cheaper than a search per guard.
 */
import { firstChars } from './first-chars.js';

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
