/**
 * A one-rule spec for tests: valid (checked against the rule-file schema, so a test cannot run on
 * a rule the loader would refuse) and compiled as the loader compiles it.
 */
import { expect } from 'vitest';
import type { Condition } from '../../agent/rules/spec.js';
import { compileRule, type CompiledRule } from '../../agent/rules/compile.js';
import { validateRuleFile, type RuleSpec } from '../../agent/rules/spec.js';

export function testRule(id: string, conditions: Condition, extra: Partial<RuleSpec> = {}): CompiledRule {
  const spec: RuleSpec = { id, title: 't', description: 'd', severity: 'warning', category: 'other', conditions, message: 'm', remedy: 'r', ...extra };
  expect(validateRuleFile('test.json', { rules: [spec] })).toEqual([]);
  return compileRule(spec, 'test.json', false);
}
