/**
 * Turns validated RuleSpecs into CompiledRules: templates compiled, durations in ms, key paths
 * resolved, and conditions compiled by fast-eval.ts into plain synchronous functions (`match`).
 * json-rules-engine stays the reference semantics: `explain` (`rules test`: why a condition
 * failed) and referenceMatcher (the differential test) run the same conditions on it, one small
 * engine per condition tree with our operators registered, loaded and built only when first used:
 * the agent and replay start without it. A condition fast-eval cannot run is an error of its rule
 * (the loader names the file and the rule; the other rules load).
 * Rules are indexed by the program and kind their top-level `all` requires, so an event is only
 * run against rules that can apply to it.
 */
import type { Engine, TopLevelCondition } from 'json-rules-engine';
import type { Event, EventKind, Program } from '../event.js';
import { parseDuration } from './duration.js';
import { getter } from './fields.js';
import { CUSTOM_OPERATOR_FNS } from './operators.js';
import { factsOf, type Condition, type RuleSpec } from './spec.js';
import { compileTemplate, type Template } from './template.js';
import { compileFast, factRefPath, isFactRef } from './fast-eval.js';

/** A compiled condition: synchronous, no promise (fast-eval.ts). */
export type Matcher = (e: Event) => boolean;

/** A leaf condition that failed, with the value the event had. */
export interface FailedLeaf {
  fact: string;
  operator: string;
  value: unknown;
  actual: unknown;
}
export type Explainer = (e: Event) => Promise<{ matched: boolean; failed: FailedLeaf[] }>;

export interface CompiledRule {
  id: string;
  spec: RuleSpec;
  /** The file it came from, and whether it is a built-in one. */
  file: string;
  builtin: boolean;
  enabled: boolean;
  title: Template;
  message: Template;
  remedy: Template;
  key: string[] | undefined;
  match: Matcher;
  /** Like match, and says which leaf conditions failed (for `rules test`). */
  explain: Explainer;
  expect?: { withinMs: number; match: Matcher | undefined; key: string[]; atEndOfInput: 'fire' | 'pending' };
  threshold?: { count: number; withinMs: number; key: string[] };
  throttle: { withinMs: number; key: string[] };
  /** `joins`: the rules whose alerts merge into this one's, and how far apart they may be. */
  join?: { rules: ReadonlySet<string>; withinMs: number };
  /** Rules that declare `joins` naming this one (rule id → their joinWithin); filled by RuleIndex. */
  joinedBy: Map<string, number>;
  /** Programs / kinds the rule can match at all (undefined: any). */
  programs: ReadonlySet<string> | undefined;
  kinds: ReadonlySet<string> | undefined;
}

/** Default throttle: one notification per rule and host every 10 minutes. */
export const DEFAULT_THROTTLE_MS = 10 * 60_000;
/** Default `joinWithin`. */
export const DEFAULT_JOIN_MS = 10_000;

/** Our operators, registered on every engine. */
export function addOperators(engine: Engine): void {
  for (const [name, fn] of Object.entries(CUSTOM_OPERATOR_FNS)) engine.addOperator(name, fn);
}

/** json-rules-engine needs a `value` on every leaf; `exists` may omit it. */
function forEngine(c: Condition): TopLevelCondition {
  const walk = (x: Condition): unknown => {
    if ('all' in x) return { all: x.all.map(walk) };
    if ('any' in x) return { any: x.any.map(walk) };
    if ('not' in x) return { not: walk(x.not) };
    return { fact: x.fact, operator: x.operator, value: 'value' in x ? x.value : true };
  };
  const top = walk(c) as TopLevelCondition;
  // A bare leaf or "not" at the top is wrapped: json-rules-engine wants all/any/not at the top.
  return 'all' in top || 'any' in top || 'not' in top ? top : ({ all: [top] } as TopLevelCondition);
}

let jre: Promise<{ Engine: typeof Engine }> | undefined;

/** The fields a condition tree reads, with the ones its values name as `{"fact": …}`. */
function factsRead(c: Condition, into = factsOf(c)): Set<string> {
  if ('all' in c) for (const x of c.all) factsRead(x, into);
  else if ('any' in c) for (const x of c.any) factsRead(x, into);
  else if ('not' in c) factsRead(c.not, into);
  else if ('value' in c && isFactRef(c.value)) into.add(factRefPath(c.value));
  return into;
}

function engineFor(c: Condition): { run: (e: Event) => ReturnType<Engine['run']> } {
  let engine: Promise<Engine> | undefined;
  const conditions = forEngine(c);
  const paths = [...factsRead(c)].map((p) => [p, getter(p)] as const);
  return {
    run: async (e: Event) => {
      engine ??= (jre ??= import('json-rules-engine')).then(({ Engine }) => {
        const en = new Engine([], { allowUndefinedFacts: true, replaceFactsInEventParams: false });
        addOperators(en);
        en.addRule({ conditions, event: { type: 'match' } });
        return en;
      });
      const facts: Record<string, unknown> = {};
      for (const [p, get] of paths) facts[p] = get(e);
      return (await engine).run(facts);
    },
  };
}

/**
 * Matching runs on fast-eval.ts (the conditions compiled to plain functions, proven identical to
 * json-rules-engine by test/rules/fast-eval.test.ts). Throws (UnsupportedCondition) for a
 * condition it cannot run: the loader reports that rule as broken.
 */
export function compileMatcher(c: Condition): Matcher {
  return compileFast(c);
}

/** The same condition on json-rules-engine, the reference semantics (the differential test). */
export function referenceMatcher(c: Condition): (e: Event) => Promise<boolean> {
  const { run } = engineFor(c);
  return async (e: Event) => (await run(e)).events.length > 0;
}

interface ResultNode {
  all?: ResultNode[];
  any?: ResultNode[];
  not?: ResultNode;
  fact?: string;
  operator?: string;
  value?: unknown;
  result?: boolean;
  factResult?: unknown;
}

function failedLeaves(n: ResultNode | undefined, out: FailedLeaf[]): FailedLeaf[] {
  if (!n) return out;
  if (n.all) for (const x of n.all) failedLeaves(x, out);
  else if (n.any) {
    if (!n.any.some((x) => x.result)) for (const x of n.any) failedLeaves(x, out);
  } else if (n.not) {
    if (n.not.result) out.push({ fact: '(not)', operator: 'not', value: undefined, actual: true });
  } else if (n.fact && n.result === false) out.push({ fact: n.fact, operator: n.operator ?? '', value: n.value, actual: n.factResult });
  return out;
}

export function compileExplainer(c: Condition): Explainer {
  const { run } = engineFor(c);
  return async (e: Event) => {
    const r = await run(e);
    if (r.events.length > 0) return { matched: true, failed: [] };
    const res = r.failureResults[0] as unknown as { conditions?: ResultNode } | undefined;
    return { matched: false, failed: failedLeaves(res?.conditions, []) };
  };
}

/** Program and kind values a condition tree requires at its top `all`, for indexing. */
function required(c: Condition, fact: 'program' | 'kind'): Set<string> | undefined {
  const leaves = 'all' in c ? c.all : 'fact' in c ? [c] : [];
  for (const leaf of leaves) {
    if (!('fact' in leaf) || leaf.fact !== fact) continue;
    if (leaf.operator === 'equal' && typeof leaf.value === 'string') return new Set([leaf.value]);
    if (leaf.operator === 'in' && Array.isArray(leaf.value)) return new Set(leaf.value.map(String));
  }
  return undefined;
}

export interface CompileOptions {
  /** Replaces expect.within of every rule in category "hang" (config `hangWindow`). */
  hangWindowMs?: number;
}

export function compileRule(spec: RuleSpec, file: string, builtin: boolean, options: CompileOptions = {}): CompiledRule {
  const rule: CompiledRule = {
    id: spec.id,
    spec,
    file,
    builtin,
    enabled: spec.enabled !== false,
    title: compileTemplate(spec.title),
    message: compileTemplate(spec.message),
    remedy: compileTemplate(spec.remedy),
    key: spec.key,
    match: compileMatcher(spec.conditions),
    explain: compileExplainer(spec.conditions),
    throttle:
      typeof spec.throttle === 'string'
        ? { withinMs: parseDuration(spec.throttle)!, key: ['host'] }
        : spec.throttle
          ? { withinMs: parseDuration(spec.throttle.within)!, key: spec.throttle.key ?? ['host'] }
          : { withinMs: DEFAULT_THROTTLE_MS, key: ['host'] },
    programs: required(spec.conditions, 'program'),
    kinds: required(spec.conditions, 'kind'),
    joinedBy: new Map(),
  };
  if (spec.joins) rule.join = { rules: new Set(spec.joins), withinMs: spec.joinWithin ? parseDuration(spec.joinWithin)! : DEFAULT_JOIN_MS };
  if (spec.expect) {
    let withinMs = parseDuration(spec.expect.within)!;
    if (options.hangWindowMs !== undefined && spec.category === 'hang') withinMs = options.hangWindowMs;
    rule.expect = {
      withinMs,
      match: spec.expect.conditions ? compileMatcher(spec.expect.conditions) : undefined,
      key: spec.expect.key ?? ['connection.id'],
      atEndOfInput: spec.expect.atEndOfInput ?? 'pending',
    };
  }
  if (spec.threshold) {
    rule.threshold = {
      count: spec.threshold.count,
      withinMs: parseDuration(spec.threshold.within)!,
      key: spec.threshold.key ?? spec.key ?? ['host'],
    };
  }
  return rule;
}

/** An index from program/kind to the rules that can match. */
export class RuleIndex {
  /** program → kind → rules (nested maps: no key string to build per event). */
  private readonly cache = new Map<Program, Map<EventKind, CompiledRule[]>>();
  constructor(readonly rules: readonly CompiledRule[]) {
    // Which rules name each rule in `joins` (the join stage holds both sides' alerts for the join).
    const byId = new Map(rules.map((r) => [r.id, r]));
    for (const r of rules) r.joinedBy.clear();
    for (const r of rules) {
      if (!r.join || !r.enabled) continue;
      for (const id of r.join.rules) byId.get(id)?.joinedBy.set(r.id, r.join.withinMs);
    }
  }

  /**
   * The prefilter (issue #20): whether any enabled rule can match an event of this program and
   * kind (what candidates() finds, cached with it; a reload builds a new index).
   */
  canMatch(program: Program, kind: EventKind): boolean {
    return this.candidates(program, kind).length > 0;
  }

  candidates(program: Program, kind: EventKind): CompiledRule[] {
    let byKind = this.cache.get(program);
    if (!byKind) this.cache.set(program, (byKind = new Map()));
    let list = byKind.get(kind);
    if (!list) {
      list = this.rules.filter((r) => r.enabled && (!r.programs || r.programs.has(program)) && (!r.kinds || r.kinds.has(kind)));
      byKind.set(kind, list);
    }
    return list;
  }
}
