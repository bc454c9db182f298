/**
 * A synchronous evaluator for rule conditions: compiles a condition tree (all/any/not and every
 * operator of spec.ts OPERATORS) once into plain functions over an Event, with json-rules-engine
 * 7's exact semantics, so matching an event costs no promises, no cloning and no fact almanac.
 *
 * json-rules-engine stays the reference (and is still what `rules test` uses to explain a miss);
 * test/rules/fast-eval.test.ts runs both over every fixture line, every built-in and example rule
 * and random conditions, and requires identical results. The semantics copied from
 * json-rules-engine 7.3 (dist/rule.js, condition.js, engine-default-operators.js):
 *
 *   - a fact the event lacks is `undefined` (the engine runs with allowUndefinedFacts);
 *   - an empty `all` or `any` is true; with one child, the child's result passes through as is;
 *     with several, a child counts only when its result is exactly `true`; a nested all/any/not
 *     is true only when its result is exactly `true`; `not` negates; the rule matches when the
 *     top result is truthy;
 *   - built-in operators keep their fact validators: contains/doesNotContain need an array fact
 *     (else false), lessThan… need a fact for which `parseFloat(String(fact))` is a number (else
 *     false) and then compare with JavaScript's own coercions; in/notIn use indexOf (===);
 *   - our operators (compile.ts addOperators) are the same functions.
 *
 *   - a `value` that is a fact reference `{"fact": "host"}` is that field of the same event (the
 *     engine's almanac.getValue; compile.ts gives the engine the referenced fields too).
 *
 * This is THE evaluator: every condition the rule schema allows compiles. What still cannot (a fact
 * reference with the engine's "path" or "params", or naming no event field) throws
 * UnsupportedCondition, which the rule loader reports as an error of that rule in its file.
 */
import type { Event } from '../event.js';
import { checkFieldPath, getter } from './fields.js';
import { CUSTOM_OPERATOR_FNS } from './operators.js';
import type { Condition } from './spec.js';

export type FastMatcher = (e: Event) => boolean;
type Node = (e: Event) => unknown;
type Op = (fact: unknown, value: unknown) => unknown;

const isNumberish = (f: unknown): boolean => Number.parseFloat(f as string).toString() !== 'NaN';
type Cmp = (a: number, b: number) => boolean;
const numeric = (cmp: Cmp): Op => (f, v) => isNumberish(f) && cmp(f as number, v as number);

/** Every operator of spec.ts OPERATORS, as json-rules-engine evaluates it (validator && callback). */
export const FAST_OPERATORS: Readonly<Record<string, Op>> = {
  equal: (f, v) => f === v,
  notEqual: (f, v) => f !== v,
  in: (f, v) => (v as unknown[]).indexOf(f) > -1,
  notIn: (f, v) => (v as unknown[]).indexOf(f) === -1,
  contains: (f, v) => Array.isArray(f) && f.indexOf(v) > -1,
  doesNotContain: (f, v) => Array.isArray(f) && f.indexOf(v) === -1,
  lessThan: numeric((a, b) => a < b),
  lessThanInclusive: numeric((a, b) => a <= b),
  greaterThan: numeric((a, b) => a > b),
  greaterThanInclusive: numeric((a, b) => a >= b),
  ...CUSTOM_OPERATOR_FNS,
};

/** A condition the evaluator cannot run; its message says what and how to write it instead. */
export class UnsupportedCondition extends Error {}

/** json-rules-engine's test for a fact reference (almanac.getValue). */
export const isFactRef = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.prototype.hasOwnProperty.call(v, 'fact');

/** The event field a `value` of `{"fact": PATH}` names, checked. */
export function factRefPath(v: Record<string, unknown>): string {
  const extra = Object.keys(v).filter((k) => k !== 'fact');
  if (typeof v.fact !== 'string') throw new UnsupportedCondition(`a value {"fact": …} must name an event field as a string, got ${JSON.stringify(v.fact)}`);
  if (extra.length) throw new UnsupportedCondition(`a value {"fact": "${v.fact}"} may hold nothing but "fact" (it has ${extra.map((k) => `"${k}"`).join(', ')}): it names a field of the same event`);
  const problem = checkFieldPath(v.fact);
  if (problem) throw new UnsupportedCondition(`a value {"fact": …}: ${problem}`);
  return v.fact;
}

function leaf(c: { fact: string; operator: string; value?: unknown }): Node {
  const op = Object.prototype.hasOwnProperty.call(FAST_OPERATORS, c.operator) ? FAST_OPERATORS[c.operator] : undefined;
  if (!op) throw new UnsupportedCondition(`unknown operator ${JSON.stringify(c.operator)}`);
  const value = 'value' in c ? c.value : true;
  const get = getter(c.fact);
  if (isFactRef(value)) {
    const other = getter(factRefPath(value));
    return (e) => op(get(e), other(e));
  }
  return (e) => op(get(e), value);
}

/** prioritizeAndRun: the raw result of a list under all/any. */
function list(children: Node[], mode: 'all' | 'any'): Node {
  if (children.length === 0) return () => true;
  if (children.length === 1) return children[0]!;
  if (mode === 'all') {
    return (e) => {
      for (const c of children) if (c(e) !== true) return false;
      return true;
    };
  }
  return (e) => {
    for (const c of children) if (c(e) === true) return true;
    return false;
  };
}

/** The raw result of a condition as a child of a list (evaluateCondition). */
function node(c: Condition): Node {
  if ('all' in c || 'any' in c || 'not' in c) {
    const inner = group(c);
    return (e) => inner(e) === true;
  }
  return leaf(c);
}

/** The result of an all/any/not object's own operator. */
function group(c: Condition): Node {
  if ('all' in c) return list(c.all.map(node), 'all');
  if ('any' in c) return list(c.any.map(node), 'any');
  if ('not' in c) {
    const inner = node(c.not);
    return (e) => !inner(e);
  }
  throw new UnsupportedCondition('not a condition: expected all, any, not or a fact');
}

/**
 * Compiles a validated condition tree. A bare leaf at the top is treated as `{"all": [leaf]}`, as
 * compile.ts hands it to json-rules-engine. Throws UnsupportedCondition for a tree it cannot run.
 */
export function compileFast(c: Condition): FastMatcher {
  const top = 'all' in c || 'any' in c || 'not' in c ? group(c) : list([leaf(c)], 'all');
  return (e) => Boolean(top(e));
}
