/**
 * LineChild (agent/sources/supervise-lines.ts) with real child processes (node scripts): lines in
 * order, each awaited before the next, why the child ended (code, stderr, ENOENT), the restart
 * after the delay `ended` gives, and stop() ending a child that runs on.
 */
import { describe, expect, it } from 'vitest';
import { LineChild, type ChildEnd } from '../../agent/sources/supervise-lines.js';
import { sleep, waitFor } from './helpers.js';

const node = process.execPath;

describe('LineChild', () => {
  it('hands on each line once, in order, one at a time; tells why it ended; runs it again after the delay given', async () => {
    const lines: string[] = [];
    const ends: ChildEnd[] = [];
    const restarts: boolean[] = [];
    let inHand = 0;
    let overlapped = false;
    const script = "for (let i = 0; i < 200; i++) process.stdout.write('line ' + i + '\\n'); process.stderr.write('bye\\n'); process.exit(3);";
    const c = new LineChild({
      command: () => [node, '-e', script],
      line: async (text) => {
        if (inHand++ > 0) overlapped = true;
        if (lines.length % 50 === 0) await sleep(5);
        lines.push(text);
        inHand--;
      },
      ended: (end) => {
        ends.push(end);
        return ends.length === 1 ? 10 : 60_000;
      },
      spawned: (restart) => restarts.push(restart),
    });
    expect(await c.start()).toBe(true);
    await waitFor(() => ends.length === 2, 'two runs');
    await c.stop();
    expect(overlapped).toBe(false);
    const one = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    expect(lines).toEqual([...one, ...one]);
    expect(ends[0]).toMatchObject({ code: 3, signal: null, stderr: 'bye\n', spawnError: undefined });
    expect(restarts).toEqual([false, true]);
    expect(c.restarts).toBe(1);
  });

  it('a program that is not there: ended hears ENOENT; stop() ends the retries', async () => {
    const ends: ChildEnd[] = [];
    const c = new LineChild({ command: () => ['/nonexistent/streamer'], line: async () => undefined, ended: (e) => (ends.push(e), 20) });
    expect(await c.start()).toBe(false);
    await waitFor(() => ends.length >= 2, 'a retry');
    await c.stop();
    const seen = ends.length;
    expect((ends[0]!.spawnError as NodeJS.ErrnoException).code).toBe('ENOENT');
    await sleep(100);
    expect(ends.length).toBe(seen);
  });

  it('stop() kills a child that runs on, after the line in hand', async () => {
    const lines: string[] = [];
    let ended = 0;
    let inHand = false;
    const c = new LineChild({
      command: () => [node, '-e', "process.stdout.write('first\\n'); setInterval(() => {}, 1000);"],
      line: async (t) => {
        inHand = true;
        await sleep(50);
        lines.push(t);
      },
      ended: () => (ended++, 0),
    });
    await c.start();
    await waitFor(() => inHand, 'the line in hand');
    await c.stop();
    expect(lines).toEqual(['first']);
    expect(c.pid).toBeUndefined();
    expect(ended).toBe(0); // stopped on purpose: not an end to report or to restart after
  });
});
