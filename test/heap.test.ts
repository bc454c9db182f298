/**
 * HeapWatch (agent/heap.ts): replay's full collections. The limit must follow what stays alive, so
 * a live size above the floor neither lets the heap grow without bound nor collects at every check.
 */
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HeapWatch } from '../agent/heap.js';

const MB = 2 ** 20;
const used = (): number => getHeapStatistics().used_heap_size;

describe('HeapWatch', () => {
  it('leaves a heap below its limit alone', () => {
    const w = new HeapWatch(2 ** 40, 16 * MB);
    expect(w.check()).toBe(false);
    expect(w.limit).toBe(2 ** 40);
  });

  it('collects past its limit, then sets the next limit to what stayed alive plus the growth', () => {
    const kept = new Array<number>(3_000_000).fill(1.5); // about 24 MB of doubles on the heap
    const w = new HeapWatch(1, 16 * MB);
    expect(w.check()).toBe(true);
    expect(w.limit).toBeGreaterThanOrEqual(24 * MB + 16 * MB);
    expect(w.limit).toBeLessThanOrEqual(used() + 16 * MB + 8 * MB);
    // what stays alive is above the floor: the next check does not collect again at once
    expect(w.check()).toBe(false);
    expect(kept.length).toBe(3_000_000);
  });

  it('never sets the limit below its floor', () => {
    let garbage: number[] | undefined = new Array<number>(4_000_000).fill(2.5); // 32 MB, soon dead
    expect(garbage.length).toBe(4_000_000);
    const floor = used() - 1; // just below the heap now: the check collects
    garbage = undefined;
    const w = new HeapWatch(floor, 0);
    expect(w.check()).toBe(true);
    expect(used()).toBeLessThan(floor); // the garbage went...
    expect(w.limit).toBe(floor); // ...and the limit stays at the floor, not at what is left
  });
});
