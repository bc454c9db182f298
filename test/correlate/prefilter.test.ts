/**
 * The prefilter (issue #20; Pipeline.process, RuleRunner.needsFacts, Sessions.attach's `facts`): an event
 * no rule can match, while no absence window is open and nothing sees every event, updates its
 * connection but gets no connection facts; every other event gets them as before. Real sshd lines
 * through the real router, the real pipeline, built-in and hand-made rules.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../agent/correlate/clock.js';
import type { Event, EventKind } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { Pipeline } from '../../agent/pipeline.js';
import { RuleIndex, type CompiledRule } from '../../agent/rules/compile.js';
import { builtinRulesDir, loadRules } from '../../agent/rules/load.js';
import { RuleRunner } from '../../agent/rules/runner.js';
import type { RuleSpec } from '../../agent/rules/spec.js';
import { testRule } from '../helpers/rule.js';
import { AlertGate } from '../../agent/sinks/gate.js';

const router = new LineRouter();
let offset = 0;
let second = 0;
function line(pid: number, message: string): Event[] {
  const text = `2026-03-01T00:00:${String(second++ % 60).padStart(2, '0')}.000000+00:00 vm sshd[${pid}]: ${message}`;
  return router.route({ sourceId: 'test', text, receivedAt: 0, position: { source: 'test', file: '/t/auth.log', offset: (offset += 100) } });
}
const connect = (pid: number) => line(pid, `Connection from 198.51.100.7 port ${40000 + pid} on 192.0.2.10 port 22 rdomain ""`);
const failed = (pid: number) => line(pid, `Failed password for root from 198.51.100.7 port ${40000 + pid} ssh2`);

function rule(id: string, kinds: EventKind[], extra: Partial<RuleSpec> = {}): CompiledRule {
  return testRule(id, { all: [{ fact: 'program', operator: 'equal', value: 'sshd' }, { fact: 'kind', operator: 'in', value: kinds }] }, extra);
}

function pipeline(rules: readonly CompiledRule[], onEvent?: (e: Event) => void): { p: Pipeline; runner: RuleRunner } {
  const runner = new RuleRunner(rules, new VirtualClock(0));
  const gate = new AlertGate({ record: [], uniqueIds: true });
  return { p: new Pipeline({ runner, gate, ...(onEvent ? { onEvent } : {}) }), runner };
}

function handle(p: Pipeline, events: Event[]): Event {
  expect(p.handleRouted(events)).toBeUndefined();
  return events[0]!;
}

describe('the prefilter', () => {
  const builtin = loadRules([{ dir: builtinRulesDir(), builtin: true }]).rules;

  it('knows which program and kind any built-in rule can match', () => {
    const index = new RuleIndex(builtin);
    expect(index.canMatch('sshd', 'auth.failed')).toBe(true);
    expect(index.canMatch('sshd', 'kex.failed')).toBe(true);
    expect(index.canMatch('sshd', 'connect.start')).toBe(false);
    expect(index.canMatch('sshd', 'session.started')).toBe(false);
    // asked twice (cached): the same answer
    expect(index.canMatch('sshd', 'connect.start')).toBe(false);
  });

  it('an event no rule can use updates its connection without facts; the next used one sees them all', () => {
    const { p } = pipeline(builtin);
    const start = handle(p, connect(501));
    expect(start.kind).toBe('connect.start');
    expect(start.connection).toBeUndefined();
    const fail = handle(p, failed(501));
    expect(fail.kind).toBe('auth.failed');
    // the connect line counted and set the connection's phase and peer address
    expect(fail.connection).toMatchObject({ events: 2, phase: 'start', host: '198.51.100.7', user: 'root' });
    expect(p.sessions.unfinished().map((c) => c.events)).toEqual([2]);
  });

  it('gives every event its facts when something sees every event (parse, rules test)', () => {
    const seen: Event[] = [];
    const { p } = pipeline(builtin, (e) => seen.push(e));
    handle(p, connect(502));
    handle(p, failed(502));
    expect(seen.map((e) => e.connection?.events)).toEqual([1, 2]);
  });

  it('gives every event its facts while an absence window is open (any event of its key may close it)', () => {
    const opener = rule('test.open', ['auth.failed'], { expect: { within: '1h' } });
    const { p, runner } = pipeline([opener]);
    expect(handle(p, connect(503)).connection).toBeUndefined();
    handle(p, failed(503));
    expect(runner.openWindows()).toBe(1);
    // a session line no rule matches: it closes the window, so it must carry its connection id
    const closer = handle(p, line(503, 'Accepted password for root from 198.51.100.7 port 40503 ssh2'));
    expect(closer.connection?.events).toBe(3);
    expect(runner.openWindows()).toBe(0);
    expect(handle(p, connect(504)).connection).toBeUndefined();
  });

  it('follows a rule reload', () => {
    const { p, runner } = pipeline([rule('test.fail', ['auth.failed'])]);
    expect(handle(p, connect(505)).connection).toBeUndefined();
    runner.replaceRules([rule('test.fail', ['auth.failed']), rule('test.connect', ['connect.start'])]);
    expect(handle(p, connect(506)).connection?.events).toBe(1);
    runner.replaceRules([rule('test.fail', ['auth.failed'])]);
    expect(handle(p, connect(507)).connection).toBeUndefined();
  });
});
