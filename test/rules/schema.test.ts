/**
 * rules/schema.json (for editors) and the validator (agent/rules/spec.ts, fields.ts, event.ts)
 * describe one language: this test fails when either changes alone. It compares the rule, file,
 * expect, threshold and throttle properties, the required fields, operators, categories,
 * severities, the id pattern, the field-path pattern (on a list of paths, valid and not), the
 * duration pattern, and the threshold bounds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, SEVERITIES } from '../../agent/event.js';
import { parseDuration } from '../../agent/rules/duration.js';
import { CONNECTION_FIELDS, EVENT_FIELDS, RAW_FIELDS, checkFieldPath } from '../../agent/rules/fields.js';
import { EXPECT_KEYS, FILE_KEYS, ID, OPERATORS, RULE_KEYS, THRESHOLD_KEYS, THROTTLE_KEYS, validateRuleFile } from '../../agent/rules/spec.js';
import { ROOT } from '../helpers/cli.js';

interface Schema {
  properties: Record<string, unknown>;
  $defs: {
    duration: { pattern: string };
    fieldPath: { pattern: string };
    condition: { oneOf: Array<{ properties: Record<string, { enum?: string[] }> }> };
    rule: {
      required: string[];
      properties: Record<string, { pattern?: string; enum?: string[]; properties?: Record<string, { minimum?: number; maximum?: number; enum?: string[] }>; oneOf?: Array<{ properties?: Record<string, unknown> }> }>;
    };
  };
}
const schema = JSON.parse(readFileSync(join(ROOT, 'rules', 'schema.json'), 'utf8')) as Schema;
const rule = schema.$defs.rule;
const sorted = (x: Iterable<string>) => [...x].sort();

const good = {
  id: 'local.schema.good',
  title: 't',
  description: 'd',
  severity: 'info',
  category: 'other',
  conditions: { all: [{ fact: 'kind', operator: 'equal', value: 'auth.failed' }] },
  message: 'm',
  remedy: 'r',
};

describe('rules/schema.json agrees with the validator', () => {
  it('file and rule properties', () => {
    expect(sorted(Object.keys(schema.properties))).toEqual(sorted(FILE_KEYS));
    expect(sorted(Object.keys(rule.properties))).toEqual(sorted(RULE_KEYS));
    expect(sorted(Object.keys(rule.properties.expect!.properties!))).toEqual(sorted(EXPECT_KEYS));
    expect(sorted(Object.keys(rule.properties.threshold!.properties!))).toEqual(sorted(THRESHOLD_KEYS));
    expect(sorted(Object.keys(rule.properties.throttle!.oneOf![1]!.properties!))).toEqual(sorted(THROTTLE_KEYS));
  });

  it('required fields: removing one is an error on that field; removing an optional one is not', () => {
    expect(validateRuleFile('f.json', { rules: [good] })).toEqual([]);
    for (const k of Object.keys(good)) {
      const r: Record<string, unknown> = { ...good };
      delete r[k];
      const problems = validateRuleFile('f.json', { rules: [r] });
      expect(rule.required.includes(k), `schema lists ${k} as required`).toBe(true);
      expect(problems.map((p) => p.field), k).toContain(k);
    }
    expect(sorted(rule.required)).toEqual(sorted(Object.keys(good)));
  });

  it('operators, categories, severities, atEndOfInput', () => {
    const leaf = schema.$defs.condition.oneOf.find((c) => 'fact' in c.properties)!;
    expect(leaf.properties.operator!.enum).toEqual([...OPERATORS]);
    expect(rule.properties.category!.enum).toEqual(Object.keys(CATEGORIES));
    expect(rule.properties.severity!.enum).toEqual([...SEVERITIES]);
    expect(rule.properties.expect!.properties!.atEndOfInput!.enum).toEqual(['fire', 'pending']);
  });

  it('the id pattern', () => {
    expect(rule.properties.id!.pattern).toBe(ID.source);
  });

  it('the field-path pattern accepts exactly the paths checkFieldPath accepts', () => {
    const re = new RegExp(schema.$defs.fieldPath.pattern);
    const valid = [...EVENT_FIELDS, ...CONNECTION_FIELDS.map((f) => `connection.${f}`), ...RAW_FIELDS.map((f) => `raw.${f}`), 'detail.reason', 'detail._x1'];
    const invalid = ['', 'address', 'detail', 'detail.', 'detail.a.b', 'detail.1x', 'detail.a-b', 'connection', 'connection.hostname', 'raw', 'raw.offset', 'raw.cursor', 'Host', 'kind.x', 'time.x'];
    for (const p of valid) {
      expect(checkFieldPath(p), p).toBeUndefined();
      expect(re.test(p), `schema accepts ${p}`).toBe(true);
    }
    for (const p of invalid) {
      expect(checkFieldPath(p), p).toBeDefined();
      expect(re.test(p), `schema rejects ${p}`).toBe(false);
    }
  });

  it('the duration pattern accepts exactly what parseDuration accepts', () => {
    const re = new RegExp(schema.$defs.duration.pattern);
    for (const d of ['500ms', '30s', '5m', '2h', '1d', '1m30s', '0s', '0ms', '00m', '30', '', '2 minutes', '1.5s', '5M', '-5s', ' 30s']) {
      expect(re.test(d), d).toBe(parseDuration(d) !== undefined);
    }
  });

  it('threshold count bounds', () => {
    const count = rule.properties.threshold!.properties!.count!;
    expect([count.minimum, count.maximum]).toEqual([2, 100_000]);
    const at = (n: number) => validateRuleFile('f.json', { rules: [{ ...good, threshold: { count: n, within: '1m' } }] }).length;
    expect([at(1), at(2), at(100_000), at(100_001)]).toEqual([1, 0, 0, 1]);
  });
});
