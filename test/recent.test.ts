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
