/**
 * Differential test: fast-eval.ts against json-rules-engine, the reference. Every line of every
 * file under test/fixtures/** goes through the router and the sessions (as replay does), and each
 * resulting event is evaluated by both evaluators against
 *   - every condition of every built-in rule file (rules/*.json) and example (docs/examples/*.json),
 *     `conditions` and `expect.conditions`;
 *   - random valid conditions (seeded), built from the facts, values and operators the events
 *     actually carry plus edge values (undefined facts, numeric strings, null, empty lists),
 *     over a sample of the events and a set of synthetic edge-case events.
 * The results must be identical, event by event.
 */
import { walk } from '../../bench/corpus.js';
import { Prng } from '../../bench/prng.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sessions } from '../../agent/correlate/sessions.js';
import type { Event } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { referenceMatcher } from '../../agent/rules/compile.js';
import { compileFast, FAST_OPERATORS, UnsupportedCondition } from '../../agent/rules/fast-eval.js';
import { getter } from '../../agent/rules/fields.js';
import { OPERATORS, validateRuleFile, type Condition, type RuleFile } from '../../agent/rules/spec.js';

const ROOT = join(import.meta.dirname, '../..');

/** Every fixture line, through a router per file and one Sessions, as `connwatch replay` does. */
function fixtureEvents(): Event[] {
  const events: Event[] = [];
  const sessions = new Sessions();
  for (const file of walk(join(ROOT, 'test/fixtures'))) {
    const buf = readFileSync(file);
    if (buf.includes(0) && buf.indexOf(0) < 4096) continue; // binary files (SAM database)
    const router = new LineRouter();
    const lines = buf.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    lines.forEach((text, i) => {
      for (const e of router.route({ sourceId: `fixture:${file}`, text: text.replace(/\r$/, ''), receivedAt: 1_700_000_000_000, position: { source: `fixture:${file}`, file, line: i + 1 } })) {
        sessions.attach(e);
        events.push(e);
      }
    });
    for (const e of router.end()) {
      sessions.attach(e);
      events.push(e);
    }
  }
  return events;
}

interface Named {
  name: string;
  condition: Condition;
}

/** Conditions of the built-in rules and the documented examples. */
function ruleConditions(): Named[] {
  const files = [
    ...walk(join(ROOT, 'rules')).filter((f) => f.endsWith('.json') && !f.endsWith('schema.json')),
    ...walk(join(ROOT, 'docs/examples')).filter((f) => f.endsWith('.json')),
  ];
  const out: Named[] = [];
  for (const file of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue; // a file being written right now by someone else; the loader's tests cover it
    }
    if (validateRuleFile(file, doc).length) continue;
    for (const r of (doc as RuleFile).rules) {
      out.push({ name: `${r.id} (${file.slice(ROOT.length + 1)})`, condition: r.conditions });
      if (r.expect?.conditions) out.push({ name: `${r.id} expect`, condition: r.expect.conditions });
    }
  }
  return out;
}

/** json-rules-engine, the reference semantics (compile.ts). */
function reference(c: Condition): (e: Event) => Promise<boolean> {
  return referenceMatcher(c);
}

async function compare(c: Condition, events: readonly Event[], label: string): Promise<{ matched: number }> {
  const fast = compileFast(c);
  expect(fast, `${label}: fast-eval refused a condition from the rule language`).toBeDefined();
  const ref = reference(c);
  let matched = 0;
  for (const e of events) {
    const want = await ref(e);
    const got = fast!(e);
    if (got !== want) {
      throw new Error(`${label}: fast-eval says ${got}, json-rules-engine says ${want}\ncondition: ${JSON.stringify(c)}\nline: ${e.raw.file}:${e.raw.line}: ${e.raw.text}\nevent: ${JSON.stringify(e)}`);
    }
    if (want) matched++;
  }
  return { matched };
}

/** mulberry32, so the random conditions are the same on every run. */
function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}

const FACTS = [
  'kind', 'program', 'host', 'port', 'user', 'pid', 'time', 'pattern',
  'detail.reason', 'detail.method', 'detail.code', 'detail.version', 'detail.message', 'detail.nosuchfield',
  'connection.id', 'connection.phase', 'connection.events', 'connection.port', 'connection.clientVersion',
  'raw.text', 'raw.line', 'raw.file',
];

function randomConditions(events: readonly Event[], n: number, seed: number): Condition[] {
  const rnd = prng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const observed = new Map<string, unknown[]>();
  for (const f of FACTS) {
    const get = getter(f);
    const vals = new Set<unknown>();
    for (const e of events) {
      const v = get(e);
      if (v !== undefined && vals.size < 40) vals.add(v);
    }
    observed.set(f, [...vals]);
  }
  const edge: unknown[] = ['', '0', '12abc', 'NaN', ' 7', 0, -1, 22, 1e12, true, false, null, 'auth', 'sshd', 'c1', 'Infinity'];
  const regexes = ['^auth', 'fail|invalid', '\\d+', '^$', '[A-Z]', 'kex\\.', '^c\\d$', 'plink', '127\\.0\\.0\\.1'];
  const value = (fact: string, op: string): unknown => {
    const obs = observed.get(fact)!;
    const scalar = () => (obs.length && rnd() < 0.7 ? pick(obs) : pick(edge));
    if (op === 'in' || op === 'notIn') return Array.from({ length: Math.floor(rnd() * 4) }, scalar);
    if (op === 'matches' || op === 'notMatches') {
      const o = obs.length && rnd() < 0.5 ? String(pick(obs)) : undefined;
      return o ? `^${o.slice(0, 6).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` : pick(regexes);
    }
    if (op === 'exists') return pick([true, false, 'yes', 0]);
    if (op === 'includes' || op === 'startsWith' || op === 'endsWith' || op === 'notIncludes') {
      const o = obs.length && rnd() < 0.7 ? String(pick(obs)) : String(pick(edge));
      return rnd() < 0.5 ? o.slice(0, 3) : o.slice(-3);
    }
    return scalar();
  };
  const leafOf = (): Condition => {
    let fact = pick(FACTS);
    const operator = pick(OPERATORS);
    if (fact === 'kind' && ['equal', 'notEqual', 'in', 'notIn'].includes(operator)) fact = 'program';
    const c: Record<string, unknown> = { fact, operator };
    if (operator !== 'exists' || rnd() < 0.7) c.value = value(fact, operator);
    return c as unknown as Condition;
  };
  const tree = (depth: number): Condition => {
    const r = rnd();
    if (depth > 3 || r < 0.45) return leafOf();
    const kids = Array.from({ length: Math.floor(rnd() * 4) }, () => tree(depth + 1));
    if (r < 0.7) return { all: kids };
    if (r < 0.9) return { any: kids };
    return { not: tree(depth + 1) };
  };
  const out: Condition[] = [];
  while (out.length < n) {
    const c = tree(0);
    if (validateRuleFile('random.json', { rules: [{ id: 'random.cond', title: 't', description: 'd', severity: 'info', category: 'auth', conditions: c, message: 'm', remedy: 'r' }] }).length === 0) out.push(c);
  }
  return out;
}

/** Events with the awkward values a condition must treat as json-rules-engine does. */
function edgeEvents(base: Event): Event[] {
  const mk = (patch: Partial<Event>, detail: Event['detail']): Event => ({ ...base, ...patch, detail: { ...base.detail, ...detail } });
  return [
    mk({ host: undefined, port: undefined, user: undefined, connection: undefined }, {}),
    mk({ host: '', user: '' }, { reason: '', code: 0, method: 'none' }),
    mk({ host: '12abc', port: 0 }, { reason: '12', code: -1, version: ' 7' }),
    mk({ user: 'NaN', pid: 1 }, { reason: 'Infinity', code: 1e12, method: true, message: false }),
  ];
}

describe('fast-eval gives exactly what json-rules-engine gives', () => {
  const events = fixtureEvents();

  it('covers the fixture corpus and every operator', () => {
    expect(events.length).toBeGreaterThan(1000);
    expect(Object.keys(FAST_OPERATORS).sort()).toEqual([...OPERATORS].sort());
  });

  it('for every built-in and example rule, over every fixture event', async () => {
    const conds = ruleConditions();
    expect(conds.length).toBeGreaterThan(0);
    let total = 0;
    for (const { name, condition } of conds) total += (await compare(condition, events, name)).matched;
    expect(total).toBeGreaterThan(0); // the rules match something real, so agreement means something
  });

  it('for random conditions, over a sample of events and edge cases', async () => {
    const step = Math.max(1, Math.floor(events.length / 150));
    const sample = events.filter((_, i) => i % step === 0);
    sample.push(...edgeEvents(events[0]!));
    const conds = randomConditions(events, 400, 20260301);
    let matched = 0;
    let missed = 0;
    for (const [i, c] of conds.entries()) {
      const r = await compare(c, sample, `random condition #${i}`);
      matched += r.matched;
      missed += sample.length - r.matched;
    }
    // both outcomes must be common, or the comparison proves little
    expect(matched).toBeGreaterThan(1000);
    expect(missed).toBeGreaterThan(1000);
  });

  it('hand-picked corners: empty all/any, single child passes through, not, fact references', async () => {
    const e = events.find((x) => x.host !== undefined)!;
    const corners: Condition[] = [
      { all: [] },
      { any: [] },
      { not: { any: [] } },
      { all: [{ any: [] }, { fact: 'host', operator: 'exists', value: true } as Condition] },
      { any: [{ all: [] }, { fact: 'port', operator: 'lessThan', value: '100000' } as Condition] },
      { fact: 'port', operator: 'greaterThan', value: 0 } as Condition,
      { not: { fact: 'host', operator: 'equal', value: e.host } as Condition },
      { all: [{ fact: 'detail.nosuchfield', operator: 'lessThan', value: 5 } as Condition] },
      { all: [{ fact: 'raw.text', operator: 'contains', value: 'a' } as Condition] },
      { all: [{ fact: 'raw.text', operator: 'doesNotContain', value: 'a' } as Condition] },
      // a value that names another field of the same event (json-rules-engine resolves it)
      { all: [{ fact: 'host', operator: 'equal', value: { fact: 'user' } } as Condition] },
      { all: [{ fact: 'host', operator: 'equal', value: { fact: 'connection.host' } } as Condition] },
      { all: [{ fact: 'port', operator: 'lessThan', value: { fact: 'connection.port' } } as Condition] },
      { any: [{ fact: 'raw.text', operator: 'includes', value: { fact: 'host' } } as Condition, { fact: 'user', operator: 'notEqual', value: { fact: 'detail.nosuchfield' } } as Condition] },
      { not: { fact: 'detail.reason', operator: 'matches', value: { fact: 'host' } } as Condition },
    ];
    for (const [i, c] of corners.entries()) await compare(c, [e, ...edgeEvents(e)], `corner #${i}`);
  });

  it('fact references over the whole corpus: every field against every other', async () => {
    const fields = ['host', 'user', 'port', 'pid', 'connection.host', 'connection.port', 'connection.user', 'detail.host', 'detail.user', 'detail.port'];
    const step = Math.max(1, Math.floor(events.length / 300));
    const sample = events.filter((_, i) => i % step === 0);
    let matched = 0;
    for (const a of fields) {
      for (const b of fields) {
        if (a === b) continue;
        for (const operator of ['equal', 'notEqual', 'lessThan', 'includes']) {
          matched += (await compare({ all: [{ fact: a, operator, value: { fact: b } } as Condition] }, sample, `${a} ${operator} {fact: ${b}}`)).matched;
        }
      }
    }
    expect(matched).toBeGreaterThan(100);
  });

  it('refuses, with a message, only what no rule file can mean: a reference with "path" or to no field', () => {
    const refuse = (value: unknown): string => {
      try {
        compileFast({ all: [{ fact: 'host', operator: 'equal', value } as Condition] });
      } catch (err) {
        expect(err).toBeInstanceOf(UnsupportedCondition);
        return (err as Error).message;
      }
      throw new Error(`compiled ${JSON.stringify(value)}`);
    };
    expect(refuse({ fact: 'user', path: '$.x' })).toMatch(/may hold nothing but "fact".*"path"/);
    expect(refuse({ fact: 'nosuch' })).toMatch(/unknown field "nosuch"/);
    expect(refuse({ fact: 3 })).toMatch(/must name an event field as a string/);
  });
});
