/**
 * The condition language on its own (agent/rules/conditions.ts): the problems validateCondition
 * reports, each at its path, and the fields factsOf finds. Whole rule files: schema.test.ts and
 * language.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { factsOf, OPERATORS, show, validateCondition, type Condition } from '../../agent/rules/conditions.js';

function problems(c: unknown): Array<[string | undefined, string]> {
  const out: Array<[string | undefined, string]> = [];
  validateCondition(c, 'conditions', (m, f) => out.push([f, m]));
  return out;
}

describe('validateCondition', () => {
  it('a good tree: no problem', () => {
    expect(problems({ all: [{ fact: 'kind', operator: 'equal', value: 'auth.failed' }, { not: { fact: 'host', operator: 'matches', value: '^10\\.' } }] })).toEqual([]);
  });

  it('names the path of each problem inside the tree', () => {
    expect(problems({ any: [{ fact: 'kind', operator: 'equal', value: 'auth.failed' }, { fact: 'host', operator: 'resembles', value: 'x' }] })).toEqual([
      ['conditions.any[1].operator', `must be one of ${OPERATORS.join(', ')}, got "resembles"`],
    ]);
    expect(problems({ all: [{ not: { fact: 'kind', operator: 'equal', value: 'no.such-kind' } }] })).toEqual([
      ['conditions.all[0].not.value', 'unknown event kind "no.such-kind" (see docs/events.md)'],
    ]);
  });

  it('all/any/not stand alone; a leaf has fact, operator, value and nothing else', () => {
    expect(problems({ all: [], any: [] })[0]).toEqual(['conditions', '"all" must stand alone in its object, found also any']);
    expect(problems({ fact: 'host', operator: 'equal', value: 'h', extra: 1 })).toEqual([['conditions.extra', 'unknown field in a condition; expected fact, operator, value']]);
    expect(problems({ fact: 'host', operator: 'equal' })).toEqual([['conditions.value', 'is required']]);
    expect(problems({ fact: 'host', operator: 'exists' })).toEqual([]);
  });

  it('regular expressions, "in" lists and program names are checked', () => {
    expect(problems({ fact: 'raw.text', operator: 'matches', value: 3 })).toEqual([['conditions.value', 'must be a regular expression string, got 3']]);
    expect(problems({ fact: 'host', operator: 'in', value: 'h' })).toEqual([['conditions.value', 'must be an array for "in", got "h"']]);
    expect(problems({ fact: 'program', operator: 'equal', value: 'telnet' })[0]![1]).toMatch(/^unknown program "telnet": it can never match; known programs: .*plink/);
  });

  it('stops at 20 levels of nesting', () => {
    let c: unknown = { fact: 'host', operator: 'equal', value: 'h' };
    for (let i = 0; i < 22; i++) c = { not: c };
    expect(problems(c).map(([, m]) => m)).toEqual(['conditions nest deeper than 20 levels']);
  });

  it('quotes values as JSON, cut at 60 characters', () => {
    expect(show(undefined)).toBe('undefined');
    expect(show('x'.repeat(100))).toBe(`"${'x'.repeat(56)}...`);
  });
});

describe('factsOf', () => {
  it('every field a tree reads, once', () => {
    const c: Condition = { all: [{ fact: 'kind', operator: 'equal', value: 'x' }, { any: [{ fact: 'host', operator: 'exists', value: true }, { not: { fact: 'kind', operator: 'notEqual', value: 'y' } }] }] };
    expect([...factsOf(c)]).toEqual(['kind', 'host']);
  });
});
