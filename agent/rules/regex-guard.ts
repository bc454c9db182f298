/**
 * Regular expressions from rule files must not stall the agent. Plain JavaScript RegExp
 * backtracks; a pattern like (a+)+$ takes exponential time on 30 characters. Two defences:
 *
 *   1. At load time, reject patterns with a quantified group that itself contains a quantifier
 *      or an alternation that can repeat ("nested quantifiers"), and back-references.
 *   2. At match time, test at most MAX_INPUT characters of the input.
 *
 * The check is conservative: a rejected pattern can usually be rewritten without the nesting
 * (e.g. `(\w+\s?)+` → `[\w\s]+`).
 */

export const MAX_INPUT = 4096;

/** Why the pattern is unsafe or invalid, or undefined when it is fine. */
export function checkRegex(source: string, flags = ''): string | undefined {
  try {
    new RegExp(source, flags);
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
  if (/\\[1-9]|\\k</.test(source)) return 'back-references are not allowed (they can take exponential time)';
  // Walk groups: a group followed by a quantifier must not contain a quantifier or alternation.
  const stack: Array<{ quantified: boolean; hasQuantifier: boolean; hasAlternation: boolean }> = [];
  let i = 0;
  let inClass = false;
  const quantAt = (j: number) => {
    const c = source[j];
    return c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(j)));
  };
  const unbounded = (j: number) => {
    const c = source[j];
    if (c === '*' || c === '+') return true;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(j));
    return !!m && m[2] !== undefined && (m[3] === '' || Number(m[3]) > 1);
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      i += 2;
      if (!inClass && quantAt(i) && stack.length) stack.at(-1)!.hasQuantifier ||= unbounded(i);
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        if (quantAt(i + 1) && stack.length) stack.at(-1)!.hasQuantifier ||= unbounded(i + 1);
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
      stack.push({ quantified: false, hasQuantifier: false, hasAlternation: false });
      i++;
      continue;
    }
    if (c === ')') {
      const g = stack.pop();
      const repeated = unbounded(i + 1);
      if (g && repeated && (g.hasQuantifier || g.hasAlternation)) {
        return `nested quantifier at position ${i + 1}: a repeated group contains ${g.hasQuantifier ? 'a repeat' : 'an alternation'} (catastrophic backtracking); rewrite it without the nesting, e.g. (\\w+\\s?)+ as [\\w\\s]+`;
      }
      if (g && stack.length) {
        const parent = stack.at(-1)!;
        parent.hasQuantifier ||= g.hasQuantifier || repeated;
        parent.hasAlternation ||= g.hasAlternation;
      }
      i++;
      continue;
    }
    if (c === '|' && stack.length) stack.at(-1)!.hasAlternation = true;
    if ((c === '*' || c === '+' || c === '{') && stack.length && unbounded(i)) stack.at(-1)!.hasQuantifier = true;
    i++;
  }
  return undefined;
}

/** Compiles a checked pattern into a bounded tester. */
export function safeTester(source: string, flags = ''): (input: unknown) => boolean {
  const re = new RegExp(source, flags.replace(/[gy]/g, ''));
  return (input) => {
    if (input === undefined || input === null) return false;
    const s = String(input);
    return re.test(s.length > MAX_INPUT ? s.slice(0, MAX_INPUT) : s);
  };
}
