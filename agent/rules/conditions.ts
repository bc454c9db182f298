/**
 * The condition language of rule files: json-rules-engine's tree of all/any/not over leaves
 * {fact, operator, value}, its operators (json-rules-engine's own plus ours, operators.ts), and
 * the validation of one condition tree (spec.ts validates the rest of a rule and calls this for
 * "conditions" and "expect.conditions").
 */
import { isEventKind } from '../event.js';
import { PROGRAMS } from '../programs.js';
import { checkFieldPath } from './fields.js';
import { checkRegex } from './regex-guard.js';

export type Condition = AllCondition | AnyCondition | NotCondition | LeafCondition;
export interface AllCondition {
  all: Condition[];
}
export interface AnyCondition {
  any: Condition[];
}
export interface NotCondition {
  not: Condition;
}
export interface LeafCondition {
  fact: string;
  operator: string;
  value: unknown;
}

/** Operators: json-rules-engine's own plus ours (registered in engine.ts). */
export const BUILTIN_OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;
export const CUSTOM_OPERATORS = ['matches', 'notMatches', 'includes', 'notIncludes', 'startsWith', 'endsWith', 'exists'] as const;
export const OPERATORS: readonly string[] = [...BUILTIN_OPERATORS, ...CUSTOM_OPERATORS];
export const REGEX_OPERATORS = new Set(['matches', 'notMatches']);

/** A value as a problem message quotes it: JSON, cut at 60 characters. */
export const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** Reports each problem of the condition tree `c` at `field` (e.g. "conditions.all[2].value"). */
export function validateCondition(c: unknown, field: string, add: (m: string, f?: string) => void, depth = 0): void {
  if (depth > 20) {
    add('conditions nest deeper than 20 levels', field);
    return;
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    add(`must be an object {"all": [...]}, {"any": [...]}, {"not": {...}} or {"fact", "operator", "value"}, got ${show(c)}`, field);
    return;
  }
  const o = c as Record<string, unknown>;
  const keys = Object.keys(o);
  if ('all' in o || 'any' in o) {
    const k = 'all' in o ? 'all' : 'any';
    if (keys.length !== 1) add(`"${k}" must stand alone in its object, found also ${keys.filter((x) => x !== k).join(', ')}`, field);
    const list = o[k];
    if (!Array.isArray(list)) add(`must be an array of conditions, got ${show(list)}`, `${field}.${k}`);
    else list.forEach((x, i) => validateCondition(x, `${field}.${k}[${i}]`, add, depth + 1));
    return;
  }
  if ('not' in o) {
    if (keys.length !== 1) add(`"not" must stand alone in its object`, field);
    validateCondition(o.not, `${field}.not`, add, depth + 1);
    return;
  }
  for (const k of keys) {
    if (!['fact', 'operator', 'value'].includes(k)) add(`unknown field in a condition; expected fact, operator, value`, `${field}.${k}`);
  }
  if (typeof o.fact !== 'string') add(`must name an event field such as "kind" or "detail.reason", got ${show(o.fact)}`, `${field}.fact`);
  else {
    const problem = checkFieldPath(o.fact);
    if (problem) add(problem, `${field}.fact`);
  }
  if (typeof o.operator !== 'string' || !OPERATORS.includes(o.operator)) {
    add(`must be one of ${OPERATORS.join(', ')}, got ${show(o.operator)}`, `${field}.operator`);
    return;
  }
  if (!('value' in o) && o.operator !== 'exists') add('is required', `${field}.value`);
  if (REGEX_OPERATORS.has(o.operator)) {
    if (typeof o.value !== 'string') add(`must be a regular expression string, got ${show(o.value)}`, `${field}.value`);
    else {
      const problem = checkRegex(o.value);
      if (problem) add(problem, `${field}.value`);
    }
  }
  if ((o.operator === 'in' || o.operator === 'notIn') && !Array.isArray(o.value)) add(`must be an array for "${o.operator}", got ${show(o.value)}`, `${field}.value`);
  if (o.fact === 'kind' && (o.operator === 'equal' || o.operator === 'notEqual') && typeof o.value === 'string' && !isEventKind(o.value)) {
    add(`unknown event kind ${show(o.value)} (see docs/events.md)`, `${field}.value`);
  }
  if (o.fact === 'kind' && (o.operator === 'in' || o.operator === 'notIn') && Array.isArray(o.value)) {
    for (const k of o.value) if (typeof k !== 'string' || !isEventKind(k)) add(`unknown event kind ${show(k)} (see docs/events.md)`, `${field}.value`);
  }
  // a program name no parser produces can never match: name the known ones
  if (o.fact === 'program' && ['equal', 'notEqual', 'in', 'notIn'].includes(o.operator)) {
    for (const p of Array.isArray(o.value) ? o.value : [o.value]) {
      if (typeof p !== 'string' || !(PROGRAMS as readonly string[]).includes(p)) add(`unknown program ${show(p)}: it can never match; known programs: ${PROGRAMS.join(', ')}`, `${field}.value`);
    }
  }
}

/** Every field path a condition tree reads. */
export function factsOf(c: Condition, into = new Set<string>()): Set<string> {
  if ('all' in c) for (const x of c.all) factsOf(x, into);
  else if ('any' in c) for (const x of c.any) factsOf(x, into);
  else if ('not' in c) factsOf(c.not, into);
  else into.add(c.fact);
  return into;
}
