/** agent/serial.ts: one job at a time, in order; a failed job fails its caller only. */
import { describe, expect, it } from 'vitest';
import { Serial } from '../agent/serial.js';

describe('Serial', () => {
  it('runs jobs one after another in the order given, and a failure does not stop the next', async () => {
    const s = new Serial();
    const log: string[] = [];
    const job = (name: string, ms: number, fail = false) => () =>
      new Promise<string>((resolve, reject) => {
        log.push(`start ${name}`);
        setTimeout(() => {
          log.push(`end ${name}`);
          if (fail) reject(new Error(name));
          else resolve(name);
        }, ms);
      });
    const a = s.run(job('a', 30));
    const b = s.run(job('b', 1, true));
    const c = s.run(job('c', 1));
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});
