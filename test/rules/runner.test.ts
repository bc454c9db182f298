/**
 * RuleRunner semantics on a VirtualClock: plain hits, thresholds (sliding window, reset after
 * firing, separate keys), absence windows (closed by any same-key event or only by
 * expect.conditions, fired at the deadline with the opener, second opener ignored, end of input),
 * and what replaceRules keeps.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../agent/correlate/clock.js';
import type { Event, EventKind } from '../../agent/event.js';
import type { CompiledRule } from '../../agent/rules/compile.js';
import { RuleRunner } from '../../agent/rules/runner.js';
import type { RuleSpec } from '../../agent/rules/spec.js';
import { testRule } from '../helpers/rule.js';

const T0 = Date.UTC(2026, 10, 21, 13, 0, 0);

function ev(kind: EventKind, at: number, o: Partial<Event> = {}): Event {
  return { time: T0 + at, timeFrom: 'line', program: 'sshd', kind, detail: {}, raw: { text: `${kind} at ${at}`, source: 'test' }, ...o };
}

function rule(id: string, extra: Partial<RuleSpec>, kinds: EventKind[] = ['auth.failed']): CompiledRule {
  return testRule(id, { all: [{ fact: 'kind', operator: 'in', value: kinds }] }, { message: 'm {count}', ...extra });
}

async function feed(runner: RuleRunner, events: Event[]): Promise<Array<{ id: string; at: number; opener: number; count: number }>> {
  const out = [];
  for (const e of events) for (const h of await runner.evaluate(e)) out.push({ id: h.rule.id, at: h.time - T0, opener: h.event.time - T0, count: h.count });
  return out;
}

const conn = (id: string) => ({ connection: { id, phase: 'start', startedAt: T0, events: 1 } });

describe('plain rules', () => {
  it('hit on every matching event, nothing on others', async () => {
    const r = new RuleRunner([rule('t.plain', {})], new VirtualClock(T0));
    expect(await feed(r, [ev('auth.failed', 0), ev('auth.success', 1), ev('auth.failed', 2)])).toEqual([
      { id: 't.plain', at: 0, opener: 0, count: 1 },
      { id: 't.plain', at: 2, opener: 2, count: 1 },
    ]);
  });
});

describe('threshold', () => {
  const th = () => rule('t.th', { threshold: { count: 3, within: '60s', key: ['host'] } });
  const a = { host: '127.0.0.1' };

  it('fires when count matches fall within the window, once, then counts again from zero', async () => {
    const r = new RuleRunner([th()], new VirtualClock(T0));
    const hits = await feed(r, [0, 10, 20, 30, 40, 50].map((s) => ev('auth.failed', s * 1000, a)));
    expect(hits).toEqual([
      { id: 't.th', at: 20_000, opener: 20_000, count: 3 },
      { id: 't.th', at: 50_000, opener: 50_000, count: 3 },
    ]);
  });

  it('the window slides: matches older than `within` no longer count', async () => {
    const r = new RuleRunner([th()], new VirtualClock(T0));
    // 0, 50 s, 100 s: never three within 60 s; 100, 120, 130: three within 30 s
    expect(await feed(r, [0, 50, 100, 120].map((s) => ev('auth.failed', s * 1000, a)))).toEqual([]);
    expect(await feed(r, [ev('auth.failed', 130_000, a)])).toEqual([{ id: 't.th', at: 130_000, opener: 130_000, count: 3 }]);
  });

  it('exactly `within` apart is outside the window', async () => {
    const r = new RuleRunner([th()], new VirtualClock(T0));
    expect(await feed(r, [0, 30, 60].map((s) => ev('auth.failed', s * 1000, a)))).toEqual([]);
  });

  it('keys count separately', async () => {
    const r = new RuleRunner([th()], new VirtualClock(T0));
    const hosts = ['127.0.0.1', '127.0.0.2', '127.0.0.1', '127.0.0.2', '127.0.0.2'];
    const hits = await feed(r, hosts.map((h, i) => ev('auth.failed', i * 1000, { host: h })));
    expect(hits).toEqual([{ id: 't.th', at: 4000, opener: 4000, count: 3 }]);
    expect((await r.evaluate(ev('auth.failed', 5000, { host: '127.0.0.1' }))).map((h) => h.event.host)).toEqual(['127.0.0.1']);
  });

  it('renders {count} and {within} in the message', async () => {
    const r = new RuleRunner([rule('t.th2', { threshold: { count: 2, within: '2m' }, message: '{count} in {within}' })], new VirtualClock(T0));
    await r.evaluate(ev('auth.failed', 0, a));
    const [h] = await r.evaluate(ev('auth.failed', 1000, a));
    const { renderTemplate } = await import('../../agent/rules/template.js');
    expect(renderTemplate(h!.rule.message, h!.event, h!.extra)).toBe('2 in 2m');
  });
});

describe('expect (absence)', () => {
  const open = (extra: Partial<RuleSpec['expect']> = {}) =>
    rule('t.abs', { expect: { within: '20s', ...extra } }, ['prompt.hostkey']);

  it('closed by any later event with the same key: no hit', async () => {
    const clock = new VirtualClock(T0);
    const r = new RuleRunner([open()], clock);
    expect(await feed(r, [ev('prompt.hostkey', 0, conn('c1')), ev('prompt.answered', 5000, conn('c1')), ev('info', 60_000, conn('c2'))])).toEqual([]);
    expect(r.openWindows()).toBe(0);
  });

  it('an event with another key does not close it; the deadline fires with the opener', async () => {
    const clock = new VirtualClock(T0);
    const r = new RuleRunner([open()], clock);
    expect(await feed(r, [ev('prompt.hostkey', 1000, conn('c1')), ev('info', 5000, conn('c2'))])).toEqual([]);
    expect(r.openWindows()).toBe(1);
    // the next event comes after the deadline: the absence is reported first, at the deadline
    const hits = await feed(r, [ev('info', 40_000, conn('c2'))]);
    expect(hits).toEqual([{ id: 't.abs', at: 21_000, opener: 1000, count: 1 }]);
    expect(r.openWindows()).toBe(0);
  });

  it('the clock alone fires it (live: nothing is written): drain returns the hit', async () => {
    const clock = new VirtualClock(T0);
    const r = new RuleRunner([open()], clock);
    await r.evaluate(ev('prompt.hostkey', 0, conn('c1')));
    clock.advanceTo(T0 + 19_999);
    expect(r.drain()).toEqual([]);
    clock.advanceTo(T0 + 20_000);
    const hits = r.drain();
    expect(hits.map((h) => [h.rule.id, h.time - T0, h.extra.waited])).toEqual([['t.abs', 20_000, '20s without any further output']]);
  });

  it('evaluates synchronously: the hits themselves, never a promise', () => {
    const clock = new VirtualClock(T0);
    const r = new RuleRunner([open()], clock);
    const res = r.evaluate(ev('prompt.hostkey', 0, conn('c1')));
    expect(Array.isArray(res)).toBe(true);
    expect(res).toEqual([]);
    expect(r.openWindows()).toBe(1);
  });

  it('with expect.conditions: only a matching event closes it; others with the same key do not', async () => {
    const r = new RuleRunner([open({ conditions: { all: [{ fact: 'kind', operator: 'equal', value: 'session.started' }] } })], new VirtualClock(T0));
    expect(await feed(r, [ev('prompt.hostkey', 0, conn('c1')), ev('auth.success', 3000, conn('c1')), ev('session.started', 5000, conn('c2'))])).toEqual([]);
    expect(r.openWindows()).toBe(1);
    expect(await feed(r, [ev('session.started', 8000, conn('c1'))])).toEqual([]);
    expect(r.openWindows()).toBe(0);
    expect(await feed(r, [ev('prompt.hostkey', 10_000, conn('c3')), ev('auth.success', 12_000, conn('c3')), ev('info', 31_000, conn('c9'))])).toEqual([
      { id: 't.abs', at: 30_000, opener: 10_000, count: 1 },
    ]);
  });

  it('a second opener while the window is open keeps the first window (deadline from the first)', async () => {
    const r = new RuleRunner([open({ conditions: { all: [{ fact: 'kind', operator: 'equal', value: 'session.started' }] } })], new VirtualClock(T0));
    const hits = await feed(r, [ev('prompt.hostkey', 0, conn('c1')), ev('prompt.hostkey', 15_000, conn('c1')), ev('info', 25_000, conn('c9'))]);
    expect(hits).toEqual([{ id: 't.abs', at: 20_000, opener: 0, count: 1 }]);
  });

  it('at end of input: "fire" reports the open window, "pending" lists it', async () => {
    const fire = rule('t.fire', { expect: { within: '20s', atEndOfInput: 'fire' } }, ['prompt.hostkey']);
    const pend = rule('t.pend', { expect: { within: '20s' } }, ['prompt.password']);
    const r = new RuleRunner([fire, pend], new VirtualClock(T0));
    await feed(r, [ev('prompt.hostkey', 0, conn('c1')), ev('prompt.password', 1000, conn('c2'))]);
    const end = r.endOfInput();
    expect(end.hits.map((h) => [h.rule.id, h.atEnd, h.event.time - T0])).toEqual([['t.fire', true, 0]]);
    expect(end.hits[0]!.extra.waited).toMatch(/still waiting .*when its log ended/);
    expect(end.open).toEqual([{ rule: 't.pend', key: 'c2', since: T0 + 1000, deadline: T0 + 21_000 }]);
  });

  it('replaceRules keeps the open windows of ids that still exist (with the new text), drops the others', async () => {
    const clock = new VirtualClock(T0);
    const keep = rule('t.keep', { expect: { within: '20s' } }, ['prompt.hostkey']);
    const gone = rule('t.gone', { expect: { within: '20s' } }, ['prompt.password']);
    const counted = rule('t.count', { threshold: { count: 2, within: '1m', key: ['host'] } });
    const r = new RuleRunner([keep, gone, counted], clock);
    await feed(r, [ev('prompt.hostkey', 0, conn('c1')), ev('prompt.password', 0, conn('c2')), ev('auth.failed', 0, { host: '127.0.0.1' })]);
    expect(r.openWindows()).toBe(2);
    const keep2 = rule('t.keep', { expect: { within: '20s' }, title: 'new text' }, ['prompt.hostkey']);
    const counted2 = rule('t.count', { threshold: { count: 2, within: '1m', key: ['host'] } });
    r.replaceRules([keep2, counted2]);
    expect(r.openWindows()).toBe(1);
    const hits = await r.evaluate(ev('auth.failed', 30_000, { host: '127.0.0.1' }));
    expect(hits.map((h) => [h.rule.id, h.rule.spec.title, h.time - T0])).toEqual([
      ['t.keep', 'new text', 20_000],
      ['t.count', 't', 30_000],
    ]);
  });

  it('a rule that loses its expect clause on reload loses its windows', async () => {
    const clock = new VirtualClock(T0);
    const r = new RuleRunner([rule('t.x', { expect: { within: '20s' } }, ['prompt.hostkey'])], clock);
    await r.evaluate(ev('prompt.hostkey', 0, conn('c1')));
    r.replaceRules([rule('t.x', {}, ['prompt.hostkey'])]);
    expect(r.openWindows()).toBe(0);
    clock.advanceTo(T0 + 60_000);
    expect(r.drain()).toEqual([]);
  });
});
