/**
 * The rule file language: its TypeScript shape and its validation. rules/schema.json publishes
 * the same shape as a JSON Schema for editors; test/rules/schema.test.ts keeps the two in step.
 *
 * A rule file:  { "$schema": "…/schema.json", "rules": [ Rule, … ] }
 *
 * Every problem is reported as "FILE: rule "ID": FIELD: what was expected, got what", and a file
 * with any problem contributes no rules (the rest keep running). The condition trees and their
 * operators are conditions.ts.
 */
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../event.js';
import { show, validateCondition, type Condition } from './conditions.js';
import { parseDuration } from './duration.js';
import { checkFieldPath } from './fields.js';
import { compileTemplate } from './template.js';

export {
  BUILTIN_OPERATORS,
  CUSTOM_OPERATORS,
  OPERATORS,
  REGEX_OPERATORS,
  factsOf,
  type AllCondition,
  type AnyCondition,
  type Condition,
  type LeafCondition,
  type NotCondition,
} from './conditions.js';

export interface ExpectClause {
  /** How long to wait for the expected event, e.g. "30s". */
  within: string;
  /** What the expected event must look like; omitted: any later event with the same key. */
  conditions?: Condition;
  /** Fields that must be equal on both events; default ["connection.id"]. */
  key?: string[];
  /**
   * End of input in replay, window still open: "fire" counts it as missed (the program was
   * waiting when its log ended, e.g. at a prompt); "pending" lists it as unfinished. Default "pending".
   */
  atEndOfInput?: 'fire' | 'pending';
}

export interface ThresholdClause {
  count: number;
  within: string;
  key?: string[];
}

export interface ThrottleClause {
  within: string;
  key?: string[];
}

export interface RuleSpec {
  id: string;
  title: string;
  description: string;
  severity: Severity;
  category: Category;
  enabled?: boolean;
  conditions: Condition;
  message: string;
  remedy: string;
  /** Correlation key of the alert; default ["connection.id"] when the event has a connection, else ["program", "host"]. */
  key?: string[];
  expect?: ExpectClause;
  threshold?: ThresholdClause;
  throttle?: ThrottleClause | string;
  /**
   * Client/server join: ids of rules (usually the server's side of the same failure) whose alert,
   * when it comes within `joinWithin` of this rule's alert for a compatible host, is merged into
   * this rule's alert instead of being shown on its own (agent/sinks/gate.ts, docs/rules.md).
   */
  joins?: string[];
  /** How far apart on event time the two alerts may be; default "10s". Only with `joins`. */
  joinWithin?: string;
}

export interface RuleFile {
  $schema?: string;
  description?: string;
  rules: RuleSpec[];
}

export const RULE_KEYS = new Set(['id', 'title', 'description', 'severity', 'category', 'enabled', 'conditions', 'message', 'remedy', 'key', 'expect', 'threshold', 'throttle', 'joins', 'joinWithin']);
export const FILE_KEYS = new Set(['$schema', 'description', 'rules']);
export const EXPECT_KEYS = new Set(['within', 'conditions', 'key', 'atEndOfInput']);
export const THRESHOLD_KEYS = new Set(['count', 'within', 'key']);
export const THROTTLE_KEYS = new Set(['within', 'key']);
export const ID = /^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*){1,5}$/;

export interface RuleProblem {
  file: string;
  rule?: string;
  field?: string;
  message: string;
}

export function formatProblem(p: RuleProblem): string {
  return `${p.file}: ${p.rule ? `rule "${p.rule}": ` : ''}${p.field ? `"${p.field}" ` : ''}${p.message}`;
}

/** Validates a parsed rule file. Returns the problems (empty when the file is good). */
export function validateRuleFile(file: string, doc: unknown): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const add = (message: string, rule?: string, field?: string) =>
    problems.push({ file, ...(rule !== undefined ? { rule } : {}), ...(field !== undefined ? { field } : {}), message });
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    add(`must be a JSON object with a "rules" array, got ${show(doc)}`);
    return problems;
  }
  const obj = doc as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (!FILE_KEYS.has(k)) add(`unknown top-level field; expected one of $schema, description, rules`, undefined, k);
  if (!Array.isArray(obj.rules)) {
    add(`must be an array of rules, got ${show(obj.rules)}`, undefined, 'rules');
    return problems;
  }
  const seen = new Set<string>();
  obj.rules.forEach((r, i) => {
    const label = typeof r === 'object' && r !== null && typeof (r as { id?: unknown }).id === 'string' ? (r as { id: string }).id : `#${i + 1}`;
    validateRule(r, label, (message, field) => add(message, label, field));
    if (label && !label.startsWith('#')) {
      if (seen.has(label)) add(`duplicate id: another rule in this file has the same id`, label, 'id');
      seen.add(label);
    }
  });
  return problems;
}

function validateRule(r: unknown, _label: string, add: (message: string, field?: string) => void): void {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) {
    add(`a rule must be an object, got ${show(r)}`);
    return;
  }
  const rule = r as Record<string, unknown>;
  for (const k of Object.keys(rule)) if (!RULE_KEYS.has(k)) add(`unknown field; expected one of ${[...RULE_KEYS].join(', ')}`, k);
  if (typeof rule.id !== 'string' || !ID.test(rule.id)) {
    add(`must be a dotted lowercase id like "plink.kex.gex-old-client" (2 to 6 parts of a-z, 0-9, -), got ${show(rule.id)}`, 'id');
  }
  for (const f of ['title', 'description', 'message', 'remedy'] as const) {
    if (typeof rule[f] !== 'string' || (rule[f] as string).trim() === '') add(`must be a non-empty string, got ${show(rule[f])}`, f);
  }
  for (const f of ['title', 'message', 'remedy'] as const) {
    if (typeof rule[f] === 'string') {
      try {
        compileTemplate(rule[f] as string);
      } catch (err) {
        add((err as Error).message, f);
      }
    }
  }
  if (!(SEVERITIES as readonly unknown[]).includes(rule.severity)) add(`must be one of ${SEVERITIES.join(', ')}, got ${show(rule.severity)}`, 'severity');
  if (typeof rule.category !== 'string' || !(rule.category in CATEGORIES)) {
    add(`must be one of ${Object.keys(CATEGORIES).join(', ')}, got ${show(rule.category)}`, 'category');
  }
  if (rule.enabled !== undefined && typeof rule.enabled !== 'boolean') add(`must be true or false, got ${show(rule.enabled)}`, 'enabled');
  if (rule.conditions === undefined) add('is required: json-rules-engine conditions with all/any/not', 'conditions');
  else validateCondition(rule.conditions, 'conditions', add);
  if (rule.key !== undefined) validateKey(rule.key, 'key', add);
  if (rule.expect !== undefined && rule.threshold !== undefined) add('a rule has either "expect" or "threshold", not both', 'threshold');
  if (rule.expect !== undefined) {
    const x = rule.expect as Record<string, unknown>;
    if (typeof x !== 'object' || x === null || Array.isArray(x)) add(`must be an object with "within", got ${show(x)}`, 'expect');
    else {
      for (const k of Object.keys(x)) if (!EXPECT_KEYS.has(k)) add(`unknown field; expected one of ${[...EXPECT_KEYS].join(', ')}`, `expect.${k}`);
      checkDuration(x.within, 'expect.within', add);
      if (x.conditions !== undefined) validateCondition(x.conditions, 'expect.conditions', add);
      if (x.key !== undefined) validateKey(x.key, 'expect.key', add);
      if (x.atEndOfInput !== undefined && x.atEndOfInput !== 'fire' && x.atEndOfInput !== 'pending') {
        add(`must be "fire" or "pending", got ${show(x.atEndOfInput)}`, 'expect.atEndOfInput');
      }
    }
  }
  if (rule.threshold !== undefined) {
    const t = rule.threshold as Record<string, unknown>;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) add(`must be an object with "count" and "within", got ${show(t)}`, 'threshold');
    else {
      for (const k of Object.keys(t)) if (!THRESHOLD_KEYS.has(k)) add(`unknown field; expected one of ${[...THRESHOLD_KEYS].join(', ')}`, `threshold.${k}`);
      if (!Number.isInteger(t.count) || (t.count as number) < 2 || (t.count as number) > 100_000) {
        add(`must be a whole number from 2 to 100000, got ${show(t.count)}`, 'threshold.count');
      }
      checkDuration(t.within, 'threshold.within', add);
      if (t.key !== undefined) validateKey(t.key, 'threshold.key', add);
    }
  }
  if (rule.throttle !== undefined) {
    if (typeof rule.throttle === 'string') checkDuration(rule.throttle, 'throttle', add);
    else if (typeof rule.throttle !== 'object' || rule.throttle === null || Array.isArray(rule.throttle)) {
      add(`must be a duration like "10m" or an object {"within": "10m", "key": ["host"]}, got ${show(rule.throttle)}`, 'throttle');
    } else {
      const t = rule.throttle as Record<string, unknown>;
      for (const k of Object.keys(t)) if (!THROTTLE_KEYS.has(k)) add(`unknown field; expected one of ${[...THROTTLE_KEYS].join(', ')}`, `throttle.${k}`);
      checkDuration(t.within, 'throttle.within', add);
      if (t.key !== undefined) validateKey(t.key, 'throttle.key', add);
    }
  }
  validateJoins(rule, add);
}

function validateJoins(rule: Record<string, unknown>, add: (message: string, field?: string) => void): void {
  if (rule.joins !== undefined) {
    if (!Array.isArray(rule.joins) || rule.joins.length === 0 || !rule.joins.every((x) => typeof x === 'string' && ID.test(x))) {
      add(`must be a non-empty array of rule ids such as ["sshd.kex.protocol-error"], got ${show(rule.joins)}`, 'joins');
    } else if (rule.joins.includes(rule.id)) add('a rule cannot join itself', 'joins');
  }
  if (rule.joinWithin !== undefined) {
    if (rule.joins === undefined) add('needs "joins": the ids of the rules to join with', 'joinWithin');
    checkDuration(rule.joinWithin, 'joinWithin', add);
  }
}

function checkDuration(v: unknown, field: string, add: (m: string, f?: string) => void): void {
  if (parseDuration(v) === undefined) add(`must be a duration like "30s" or "5m" (units ms, s, m, h, d), got ${show(v)}`, field);
}

function validateKey(v: unknown, field: string, add: (m: string, f?: string) => void): void {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) {
    add(`must be a non-empty array of field names such as ["connection.id"] or ["host"], got ${show(v)}`, field);
    return;
  }
  for (const path of v as string[]) {
    const problem = checkFieldPath(path);
    if (problem) add(problem, field);
  }
}
