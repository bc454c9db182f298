/**
 * The gate's memory is bounded (10,000 throttle windows): what it forgets first must be what
 * throttles nothing any more. A key whose window was renewed is the newest; a log with more hosts
 * than the bound forgets the idle hosts, not the key that keeps coming (an alert without host).
 */
import { describe, expect, it } from 'vitest';
import type { Alert, Sink } from '../../agent/alert.js';
import type { Event } from '../../agent/event.js';
import { compileRule } from '../../agent/rules/compile.js';
import type { RuleHit } from '../../agent/rules/runner.js';
import type { RuleSpec } from '../../agent/rules/spec.js';
import { JoinStage } from '../../agent/correlate/joins.js';
import { AlertGate } from '../../agent/sinks/gate.js';

const rule = compileRule(
  {
    id: 'test.bounds',
    title: 'test {host}',
    description: 'a rule for the gate bound test',
    severity: 'warning',
    category: 'other',
    conditions: { all: [{ fact: 'kind', operator: 'equal', value: 'error.other' }] },
    throttle: '10m',
    message: 'm',
    remedy: 'r',
  } as RuleSpec,
  'test.json',
  false,
);

let line = 0;
function hit(host: string | undefined, time: number): RuleHit {
  line++;
  const event: Event = {
    time,
    timeFrom: 'line',
    program: 'sshd',
    kind: 'error.other',
    pid: undefined,
    host,
    port: undefined,
    user: undefined,
    detail: {},
    pattern: undefined,
    connection: undefined,
    raw: { text: `line ${line}`, source: 'test', line },
  };
  return { rule, event, time, key: host ?? '', count: 1, extra: {} };
}

class Recorder implements Sink {
  readonly name = 'recorder';
  readonly alerts: Alert[] = [];
  private readonly ids = new Set<string>();
  deliver(a: Alert): void {
    // a Set, not a scan of the alerts: 30,000 alerts scanned each took a minute on a busy machine
    if (!this.ids.has(a.id)) this.alerts.push(a);
    this.ids.add(a.id);
  }
}

describe('gate bounds', () => {
  it('a key that keeps coming stays throttled while 10,000 other hosts pass through', async () => {
    const rec = new Recorder();
    const gate = new JoinStage(new AlertGate({ record: [rec] }));
    const t0 = Date.UTC(2026, 2, 1);
    // the host-less alert opens its window first (the oldest entry), then renews it every 11 minutes
    let t = t0;
    for (let i = 0; i < 30_000; i++) {
      t = t0 + i * 100; // 100 ms apart: 50 minutes in all
      if (i % 6600 === 0) gate.accept(hit(undefined, t));
      gate.accept(hit(`10.0.${i >> 8}.${i & 255}`, t));
      // repeats of the host-less alert inside its window: folded, never a new alert
      if (i % 500 === 250) gate.accept(hit(undefined, t));
    }
    const hostless = rec.alerts.filter((a) => a.host === undefined);
    // one per 11-minute renewal (i = 0, 6600, …, 26400), none for the repeats between
    expect(hostless.length).toBe(5);
    expect(rec.alerts.length).toBe(30_000 + 5);
  });

  it('keeps a window an hour after it ended (for logs whose time steps back), then forgets it', async () => {
    const rec = new Recorder();
    const gate = new JoinStage(new AlertGate({ record: [rec] }));
    const t0 = Date.UTC(2026, 2, 1);
    gate.accept(hit('192.0.2.1', t0));
    // 50 min after the window: the time steps back into the window, still a repeat
    gate.accept(hit('192.0.2.2', t0 + 3_600_000));
    gate.accept(hit('192.0.2.1', t0 + 60_000));
    expect(rec.alerts.map((a) => a.host)).toEqual(['192.0.2.1', '192.0.2.2']);
    // 10 min + 1 h + 1 s after: forgotten, so the same step back is an alert again
    gate.accept(hit('192.0.2.3', t0 + 4_201_000));
    gate.accept(hit('192.0.2.1', t0 + 120_000));
    expect(rec.alerts.map((a) => a.host)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.1']);
  });
});
