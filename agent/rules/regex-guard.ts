/**
 * Regular expressions from rule files must not stall the agent. Plain JavaScript RegExp
 * backtracks: `^(a+)+$` takes exponential time on 30 characters, `^(a?a?)+$` too, and even
 * patterns without nesting take polynomial time that hurts on a long line (`.*a.*b.*c`
 * measured on Node 20: 10.8 s on a 512-character line). Three defences:
 *
 *   1. At load time, reject patterns whose repeated group contains a quantifier (`+ * ? {n,m}`)
 *      or an alternation ("nested quantifiers"), and back-references. One safe idiom is allowed:
 *      a repeated group that starts with a literal character and holds exactly one quantified
 *      atom that cannot match that character, such as `(-[a-z]+)*` or `(\.\d+)*` — every
 *      repetition must begin with the delimiter, so a line splits into repetitions one way only.
 *   2. At match time, test at most MAX_INPUT characters of the input.
 *   3. V8's linear-time engine takes over a match that backtracks excessively
 *      (`--enable-experimental-regexp-engine-on-excessive-backtracks`, set when this module
 *      loads; V8 ignores the flag where it does not exist). It covers the polynomial cases the
 *      static check cannot see (`.*a.*b.*c` on 4,096 characters: 39 ms instead of hours).
 *
 *   4. A pattern the linear-time engine takes (no lookaround, no back-reference) runs on it from
 *      the start: V8's `l` flag (`--enable-experimental-regexp-engine`, set when this module loads,
 *      so no node flag is needed wherever the agent is started). Matching time is then linear in
 *      the (bounded) input whatever the pattern.
 *   5. A pattern it cannot take (a lookaround) backtracks, and the fallback of 3. cannot take it
 *      over either: such a pattern may repeat without bound (`*`, `+`, `{n,}`) at most once.
 *      `^(?!root$).*.*.*.*=$` passed the old checks and stalled every source for 33.9 s on one
 *      768-character user name; it is now rejected at load with the rewrite to make.
 *
 * The static check is conservative: a rejected pattern can usually be rewritten without the
 * nesting (e.g. `(\w+\s?)+` → `[\w\s]+`).
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
setFlagsFromString('--enable-experimental-regexp-engine');

/** The pattern compiled by V8's linear-time engine, or undefined when that engine cannot run it. */
export function linearRegExp(source: string, flags = ''): RegExp | undefined {
  try {
    return new RegExp(source, `${flags.replace(/[gyl]/g, '')}l`);
  } catch {
    return undefined;
  }
}

/** How many times the pattern repeats without bound (`*`, `+`, `{n,}`), outside character classes. */
export function unboundedRepeats(source: string): number {
  let n = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '*' || c === '+') n++;
    else if (c === '{' && /^\{\d+,\}/.test(source.slice(i))) n++;
  }
  return n;
}

export const MAX_INPUT = 4096;

interface Group {
  /** Index of the "(" in the source. */
  start: number;
  hasQuantifier: boolean;
  hasAlternation: boolean;
  hasGroup: boolean;
}

const QUANT_AT = /^(?:[*+?]|\{\d+(?:,\d*)?\})/;

/** Length of the quantifier at j (with a lazy/possessive "?"), 0 when there is none. */
function quantifierLength(source: string, j: number): number {
  const m = QUANT_AT.exec(source.slice(j));
  if (!m) return 0;
  return m[0].length + (source[j + m[0].length] === '?' ? 1 : 0);
}

/** True for a quantifier that can repeat more than once (`*`, `+`, `{2,}`, `{1,5}`). */
function repeats(source: string, j: number): boolean {
  const c = source[j];
  if (c === '*' || c === '+') return true;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(j));
  if (!m) return false;
  if (m[2] === undefined) return Number(m[1]) > 1;
  return m[3] === '' || Number(m[3]) > 1;
}

/** Splits a group body into atoms with their quantifiers; undefined when it holds a group. */
function atoms(body: string): Array<{ atom: string; quantified: boolean }> | undefined {
  const out: Array<{ atom: string; quantified: boolean }> = [];
  let i = 0;
  while (i < body.length) {
    let end: number;
    const c = body[i]!;
    if (c === '(' || c === '|') return undefined;
    if (c === '\\') end = i + 2;
    else if (c === '[') {
      end = i + 1;
      while (end < body.length && body[end] !== ']') end += body[end] === '\\' ? 2 : 1;
      end++;
    } else end = i + 1;
    const q = quantifierLength(body, end);
    out.push({ atom: body.slice(i, end), quantified: q > 0 });
    i = end + q;
  }
  return out;
}

/**
 * The one nested form allowed: `(Dx+)` where D is a literal character and x cannot match D,
 * so each repetition starts at a D and the split of a line into repetitions is unique.
 */
function delimited(body: string): boolean {
  const list = atoms(body);
  if (!list || list.length < 2) return false;
  const [first, ...rest] = list;
  if (first!.quantified) return false;
  const lit = first!.atom.length === 1 ? first!.atom : /^\\[^\w]$/.test(first!.atom) ? first!.atom[1]! : undefined;
  if (lit === undefined || '.^$'.includes(first!.atom)) return false;
  const quantified = rest.filter((a) => a.quantified);
  if (quantified.length !== 1) return false;
  return !new RegExp(`^(?:${quantified[0]!.atom})$`).test(lit);
}

/** Why the pattern is unsafe or invalid, or undefined when it is fine. */
export function checkRegex(source: string, flags = ''): string | undefined {
  try {
    new RegExp(source, flags);
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
  if (/\\[1-9]|\\k</.test(source)) return 'back-references are not allowed (they can take exponential time)';
  if (!linearRegExp(source, flags) && unboundedRepeats(source) > 1) {
    return `uses a lookaround, so it cannot run on the linear-time engine, and repeats without bound ${unboundedRepeats(source)} times (a long line can stall the agent for hours); keep at most one "*", "+" or "{n,}" in such a pattern (e.g. "^(?!root$).*=$"), or do without the lookaround (a "notMatches" condition beside a "matches" one)`;
  }
  const stack: Group[] = [];
  let i = 0;
  let inClass = false;
  const markQuantified = (j: number) => {
    if (quantifierLength(source, j) > 0 && stack.length) stack.at(-1)!.hasQuantifier = true;
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      i += 2;
      if (!inClass) markQuantified(i);
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        markQuantified(i + 1);
      }
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      i++;
      continue;
    }
    if (c === '(') {
      if (stack.length) stack.at(-1)!.hasGroup = true;
      stack.push({ start: i, hasQuantifier: false, hasAlternation: false, hasGroup: false });
      i++;
      continue;
    }
    if (c === ')') {
      const g = stack.pop();
      const repeated = repeats(source, i + 1);
      if (g && repeated && (g.hasQuantifier || g.hasAlternation)) {
        const body = source.slice(g.start + 1, i).replace(/^\?(?:[:=!]|<[=!]|<[A-Za-z_]\w*>)/, '');
        if (g.hasAlternation || g.hasGroup || !delimited(body)) {
          return `nested quantifier at position ${i + 1}: a repeated group contains ${g.hasQuantifier ? 'a quantifier' : 'an alternation'} (catastrophic backtracking); rewrite it without the nesting, e.g. (\\w+\\s?)+ as [\\w\\s]+, or start each repetition with a delimiter the rest cannot match, e.g. [a-z]+(-[a-z]+)*`;
        }
      }
      if (g && stack.length) {
        const parent = stack.at(-1)!;
        parent.hasQuantifier ||= g.hasQuantifier || quantifierLength(source, i + 1) > 0;
        parent.hasAlternation ||= g.hasAlternation;
      }
      i++;
      continue;
    }
    if (c === '|' && stack.length) stack.at(-1)!.hasAlternation = true;
    if (c !== '(' && c !== '|') markQuantified(i + 1);
    i++;
  }
  return undefined;
}

/** Compiles a checked pattern into a bounded tester. */
export function safeTester(source: string, flags = ''): (input: unknown) => boolean {
  const re = linearRegExp(source, flags) ?? new RegExp(source, flags.replace(/[gy]/g, ''));
  return (input) => {
    if (input === undefined || input === null) return false;
    const s = String(input);
    return re.test(s.length > MAX_INPUT ? s.slice(0, MAX_INPUT) : s);
  };
}
