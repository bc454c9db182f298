import { describe, expect, it } from 'vitest';
import { RecentMap, RecentSet } from '../agent/recent.js';

describe('RecentSet', () => {
  it('keeps the newest max members, oldest first, and forgets the oldest', () => {
    const s = new RecentSet<number>(3, [1, 2]);
    s.add(3).add(2).add(4);
    expect([...s]).toEqual([2, 3, 4]);
    expect(s.has(1)).toBe(false);
    expect(s.size).toBe(3);
    for (let i = 5; i < 10_000; i++) s.add(i);
    expect([...s]).toEqual([9997, 9998, 9999]);
  });

  it('re-adding a member does not move it', () => {
    const s = new RecentSet<string>(2, ['a', 'b']);
    s.add('a').add('c');
    expect([...s]).toEqual(['b', 'c']);
  });

  it('stays the same as a Set trimmed from its front, over many adds of new and known members', () => {
    const max = 50;
    const s = new RecentSet<number>(max);
    const ref = new Set<number>();
    let seed = 7;
    for (let i = 0; i < 100_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const x = seed % 120;
      expect(s.has(x)).toBe(ref.has(x));
      s.add(x);
      ref.add(x);
      if (ref.size > max) ref.delete(ref.values().next().value!);
    }
    expect([...s]).toEqual([...ref]);
    expect(s.size).toBe(ref.size);
  });

  it('refuses a bound below one', () => {
    expect(() => new RecentSet(0)).toThrow(RangeError);
  });
});

describe('RecentMap', () => {
  it('forgets by first insertion; set on a known key changes the value, not the place', () => {
    const m = new RecentMap<string, number>(2);
    m.set('a', 1).set('b', 2).set('a', 3).set('c', 4);
    expect(m.get('a')).toBeUndefined();
    expect([...m.values()]).toEqual([2, 4]);
    expect(m.size).toBe(2);
  });
});

describe('RecentMap.delete', () => {
  it('a deleted key leaves the order; set again, it counts as the newest', () => {
    const m = new RecentMap<string, number>(2);
    m.set('a', 1).set('b', 2);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('a')).toBe(false);
    m.set('a', 3).set('c', 4);
    expect(m.has('b')).toBe(false);
    expect([...m.values()]).toEqual([3, 4]);
  });

  it('stays the same as a Map trimmed from its front, over many deletes and sets', () => {
    const max = 50;
    const m = new RecentMap<number, number>(max);
    const ref = new Map<number, number>();
    let seed = 3;
    for (let i = 0; i < 100_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const k = seed % 120;
      if (seed % 3 === 0) {
        expect(m.delete(k)).toBe(ref.delete(k));
      } else {
        m.set(k, i);
        ref.set(k, i);
        if (ref.size > max) ref.delete(ref.keys().next().value!);
      }
    }
    expect([...m.values()]).toEqual([...ref.values()]);
    expect(m.size).toBe(ref.size);
  });
});
