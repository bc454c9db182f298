/**
 * The forwarder's disk buffer on its own (agent/sinks/forward-spool.ts), on real files: order,
 * the byte bound, a segment rewritten as its records arrive, what a restart finds. The forwarder
 * with real receivers: fleet-forward.test.ts and the other fleet-*.test.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Spool } from '../../agent/sinks/forward-spool.js';

const root = mkdtempSync(join(tmpdir(), 'connwatch-spool-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function spool(name: string, maxBytes = 1 << 20) {
  const dir = join(root, name);
  const dropped: Array<[number, string]> = [];
  const errors: string[] = [];
  const s = new Spool(dir, maxBytes, (n, why) => dropped.push([n, why]), (m) => errors.push(m));
  return { s, dir, dropped, errors, files: () => readdirSync(dir).sort() };
}

describe('Spool', () => {
  it('oldest first; a failed batch written "first" goes before every segment', () => {
    const { s } = spool('order');
    s.store(['b1', 'b2']);
    s.store(['c1']);
    s.write(['a1'], true);
    expect(s.lines).toBe(4);
    const seen: string[] = [];
    for (let batch = s.peek(10); batch; batch = s.peek(10)) {
      seen.push(...batch);
      s.commit(batch.length);
    }
    expect(seen).toEqual(['a1', 'b1', 'b2', 'c1']);
    expect(s.hasWork).toBe(false);
  });

  it('the segment being sent is rewritten as batches arrive, removed when empty', () => {
    const { s, dir, files } = spool('rewrite');
    s.store(['r1', 'r2', 'r3']);
    expect(s.peek(2)).toEqual(['r1', 'r2']);
    s.commit(2);
    const [file] = files();
    expect(readFileSync(join(dir, file!), 'utf8')).toBe('r3\n');
    s.commit(1);
    expect(files()).toEqual([]);
  });

  it('past the byte bound the oldest segments are deleted and counted; records larger than the bound are dropped, the older ones kept', () => {
    const { s, dropped, files } = spool('bound', 20);
    s.store(['aaaa', 'bbbb']); // 10 bytes
    s.store(['cccc', 'dddd']); // 10 bytes: 20, at the bound
    s.store(['eeee']); // the oldest segment gives way
    expect(dropped).toEqual([[2, 'disk buffer full: the oldest records were dropped']]);
    expect(files()).toHaveLength(2);
    s.store(['x'.repeat(30)]);
    expect(dropped.at(-1)).toEqual([1, 'disk buffer full']);
    expect(s.lines).toBe(1 + 2);
  });

  it('at stop the loaded segment keeps what did not arrive; a restart finds it first', () => {
    const { s, dir } = spool('restart');
    s.store(['s1', 's2']);
    s.store(['s3']);
    s.peek(1);
    s.commit(1);
    s.close();
    const again = new Spool(dir, 1 << 20, () => undefined, () => undefined);
    expect(again.lines).toBe(2);
    expect(again.peek(10)).toEqual(['s2']);
  });

  it('a segment that cannot be read is reported and skipped', () => {
    const { s, dir, errors, files } = spool('unreadable');
    s.store(['u1']);
    // unreadable even for root: a directory where the segment was
    const file = join(dir, files()[0]!);
    rmSync(file);
    mkdirSync(file);
    expect(s.peek(10)).toEqual([]);
    expect(errors[0]).toMatch(/^spool segment .* unreadable \(.*\); skipped$/);
  });
});
