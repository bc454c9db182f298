/**
 * connwatch's own condition operators, defined once: registered on json-rules-engine (compile.ts)
 * and used as they are by the synchronous evaluator (fast-eval.ts), so both agree by construction.
 */
import { safeTester } from './regex-guard.js';
import type { CUSTOM_OPERATORS } from './spec.js';

export type OperatorFn = (fact: unknown, value: unknown) => boolean;

const regexCache = new Map<string, (v: unknown) => boolean>();
function tester(pattern: string): (v: unknown) => boolean {
  let t = regexCache.get(pattern);
  if (!t) {
    t = safeTester(pattern);
    regexCache.set(pattern, t);
  }
  return t;
}

/** A fact as text for the string operators: strings as they are, numbers and booleans printed. */
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

export const CUSTOM_OPERATOR_FNS: Readonly<Record<(typeof CUSTOM_OPERATORS)[number], OperatorFn>> = {
  matches: (f, pattern) => typeof pattern === 'string' && tester(pattern)(str(f)),
  notMatches: (f, pattern) => typeof pattern === 'string' && str(f) !== undefined && !tester(pattern)(str(f)),
  includes: (f, v) => str(f)?.includes(String(v)) ?? false,
  notIncludes: (f, v) => !(str(f)?.includes(String(v)) ?? false),
  startsWith: (f, v) => str(f)?.startsWith(String(v)) ?? false,
  endsWith: (f, v) => str(f)?.endsWith(String(v)) ?? false,
  exists: (f, v) => (f !== undefined && f !== null && f !== '') === (v !== false),
};
