/**
 * SinkQueue: a sink that finishes later gets its alerts one at a time and in order, the core never
 * waits, at most `max` wait (the oldest dropped, counted and logged), a failure is logged and the
 * next alert still goes out, and drain() waits for all of it.
 */
import { describe, expect, it } from 'vitest';
import type { Alert, Sink } from '../../agent/alert.js';
import { SinkQueue } from '../../agent/sinks/queue.js';

const alert = (n: number): Alert => ({
  id: `a${n}`,
  rule: `r.${n}`,
  severity: 'warning',
  category: 'auth',
  title: 't',
  message: 'm',
  remedy: 'r',
  program: 'sshd',
  time: n,
  key: 'k',
  count: 1,
  evidence: [],
});

/** A sink whose deliveries finish only when the test says so. */
function slowSink(fail: Set<string> = new Set()): Sink & { got: string[]; running: number; most: number; release(): void } {
  const waiting: Array<() => void> = [];
  const s = {
    name: 'slow',
    got: [] as string[],
    running: 0,
    most: 0,
    deliver(a: Alert): Promise<void> {
      s.running++;
      s.most = Math.max(s.most, s.running);
      return new Promise<void>((resolve, reject) => {
        waiting.push(() => {
          s.running--;
          s.got.push(a.id);
          if (fail.has(a.id)) reject(new Error(`cannot send ${a.id}`));
          else resolve();
        });
      });
    },
    release(): void {
      for (const w of waiting.splice(0)) w();
    },
  };
  return s;
}

describe('SinkQueue', () => {
  it('a synchronous sink is called at once, nothing queued', async () => {
    const got: string[] = [];
    const q = new SinkQueue({ name: 'sync', deliver: (a) => void got.push(a.id) });
    q.deliver(alert(1));
    expect(got).toEqual(['a1']);
    expect(q.length).toBe(0);
    await q.drain();
  });

  it('an async sink: one delivery at a time, in order; drain waits for the last', async () => {
    const s = slowSink();
    const q = new SinkQueue(s);
    for (let i = 1; i <= 5; i++) expect(q.deliver(alert(i))).toBeUndefined();
    expect(q.length).toBe(4);
    let drained = false;
    const d = q.drain().then(() => (drained = true));
    for (let i = 0; i < 10 && !drained; i++) {
      s.release();
      await new Promise((r) => setImmediate(r));
    }
    await d;
    expect(s.got).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(s.most).toBe(1);
  });

  it('bounded: past `max` waiting the oldest waiting is dropped, counted and logged at 1, 10, 100', async () => {
    const s = slowSink();
    const logs: string[] = [];
    const q = new SinkQueue(s, { max: 3, log: (level, m) => logs.push(`${level}: ${m}`) });
    for (let i = 1; i <= 115; i++) q.deliver(alert(i));
    expect(q.length).toBe(3);
    expect(q.dropped).toBe(111);
    expect(logs).toHaveLength(3);
    expect(logs[0]).toMatch(/^warn: sink slow is not keeping up: 1 alert\(s\) dropped so far/);
    expect(logs[2]).toMatch(/100 alert\(s\) dropped/);
    const d = q.drain();
    for (let i = 0; i < 10; i++) {
      s.release();
      await new Promise((r) => setImmediate(r));
    }
    await d;
    // the one in flight, then the newest three
    expect(s.got).toEqual(['a1', 'a113', 'a114', 'a115']);
  });

  it('a failed delivery is logged with the sink and the rule; the next goes out', async () => {
    const s = slowSink(new Set(['a2']));
    const logs: string[] = [];
    const q = new SinkQueue(s, { log: (level, m) => logs.push(`${level}: ${m}`) });
    for (let i = 1; i <= 3; i++) q.deliver(alert(i));
    const d = q.drain();
    for (let i = 0; i < 10; i++) {
      s.release();
      await new Promise((r) => setImmediate(r));
    }
    await d;
    expect(s.got).toEqual(['a1', 'a2', 'a3']);
    expect(logs).toEqual(['error: sink slow failed for alert r.2: cannot send a2']);
  });
});
