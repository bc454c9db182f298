/**
 * "(×N)" counts failed attempts of one kind for one host, never rule hits, lines of one attempt,
 * join partners or a threshold's lines (issue 17 measured each of these as a false count). The
 * gate is fed hits as the rule runner gives them; what a person sees is the count of the alert
 * the record sinks and the notice board get last.
 */
import { describe, expect, it } from 'vitest';
import type { Alert, Sink } from '../../agent/alert.js';
import type { Event } from '../../agent/event.js';
import { compileRule } from '../../agent/rules/compile.js';
import type { RuleHit } from '../../agent/rules/runner.js';
import type { RuleSpec } from '../../agent/rules/spec.js';
import { JoinStage } from '../../agent/correlate/joins.js';
import { AlertGate } from '../../agent/sinks/gate.js';
import { NoticeBoard } from '../../agent/sinks/notices.js';

const rule = compileRule(
  {
    id: 'test.counts',
    title: 'failure at {host}',
    description: 'a rule for the count test',
    severity: 'error',
    category: 'network',
    conditions: { all: [{ fact: 'kind', operator: 'equal', value: 'connect.failed' }] },
    throttle: { within: '10m', key: ['host'] },
    message: '{count} lines',
    remedy: 'r',
  } as RuleSpec,
  'test.json',
  false,
);

let offset = 0;
/** A hit of attempt `attempt` (its correlation key) at `host`; `count` as a threshold gives it. */
function hit(attempt: string, host: string, count = 1): RuleHit {
  offset += 100;
  const event: Event = {
    time: 1_000_000 + offset,
    timeFrom: 'line',
    program: 'plink',
    kind: 'connect.failed',
    host,
    detail: {},
    raw: { text: `line at ${offset}`, source: 'test', offset },
  };
  return { rule, event, time: event.time, key: attempt, count, extra: { count } };
}

class Last implements Sink {
  readonly name = 'last';
  readonly seen: Alert[] = [];
  deliver(a: Alert): void {
    this.seen.push({ ...a });
  }
  get last(): Alert {
    return this.seen.at(-1)!;
  }
}

function gate() {
  const record = new Last();
  const notify = new Last();
  const g = new JoinStage(new AlertGate({ record: [record], board: new NoticeBoard({ sinks: [notify], updateMs: 1 }), foldMs: 1 }));
  return { g, record, notify };
}

describe('counts mean attempts', () => {
  it('one xfreerdp run (one pid) that connects twice (NLA, then TLS), the second line without port: ×1; another run: ×2', async () => {
    const { g, record } = gate();
    const run = (key: string, pid: number, port?: number): RuleHit => {
      const h = hit(key, '192.0.2.9');
      h.event.program = 'freerdp';
      h.event.pid = pid;
      if (port !== undefined) h.event.port = port;
      return h;
    };
    g.accept(run('c1', 4242, 3390));
    g.accept(run('c2', 4242));
    expect(record.last.count).toBe(1);
    g.accept(run('c3', 4343, 3390));
    await g.flush();
    expect(record.last.count).toBe(2);
  });

  it('two lines (two hits) of ONE attempt: ×1', async () => {
    const { g, record } = gate();
    g.accept(hit('plink:capture:100', '192.0.2.1'));
    g.accept(hit('plink:capture:100', '192.0.2.1'));
    expect(record.last.count).toBe(1);
    expect(new Set(record.seen.map((a) => a.id)).size).toBe(1);
  });

  it('a second attempt at the same host: ×2, as an update of the same alert; another host: its own', async () => {
    const { g, record, notify } = gate();
    g.accept(hit('plink:capture:100', '192.0.2.1'));
    g.accept(hit('plink:capture:200', '192.0.2.1'));
    g.accept(hit('plink:capture:300', '192.0.2.2'));
    await g.flush();
    const at1 = record.seen.filter((a) => a.host === '192.0.2.1');
    expect(at1.map((a) => a.count)).toEqual([1, 2]);
    expect(new Set(at1.map((a) => a.id)).size).toBe(1);
    expect(notify.seen.filter((a) => a.host === '192.0.2.1').at(-1)!.count).toBe(2);
    expect(record.seen.filter((a) => a.host === '192.0.2.2').map((a) => a.count)).toEqual([1]);
  });

  it('a threshold hit of 3 lines, then of 5: one occurrence, ×1, the lines in the message', async () => {
    const { g, record } = gate();
    g.accept(hit('192.0.2.9', '192.0.2.9', 3));
    g.accept(hit('192.0.2.9', '192.0.2.9', 5));
    expect(record.last.count).toBe(1);
    expect(record.seen[0]!.message).toBe('3 lines');
  });
});
