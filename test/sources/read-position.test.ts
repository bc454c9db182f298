/**
 * A read position that means what it says (issue 19):
 * - a line is partial only at the end of the file, never at a read-budget boundary, however long
 *   the pipeline takes over the block before it (10 of 100,000 lines were lost that way);
 * - a corrupt checkpoint file is reported and the files are read from their start, not their end;
 * - a line's identity (for alert ids) is its file, offset and text: read again, the same; a
 *   different line at the same offset (truncation, fixed timestamps), a different one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Collector, numbered, startTail, tempDir, waitFor, type TailHarness } from './helpers.js';
import { lineIdentity } from '../../agent/sources/line-id.js';

const running: TailHarness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.tail.stop();
});

describe('read position', () => {
  it('a slow pipeline over a read block never turns the line across the block boundary into a partial', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    const want = numbered(1, 3000, 'a line of some length to cross the boundaries of the small read budget');
    writeFileSync(f, want.map((l) => `${l}\n`).join(''));
    const out = new Collector();
    out.slowMs = 40; // 30 pauses of 40 ms: every block takes longer than the partial-flush time
    const h = await startTail(f, join(dir, 'ck.json'), { fromStart: true, partialFlushMs: 30, readBudgetBytes: 16 * 1024 }, out);
    running.push(h);
    await waitFor(() => out.lines.length >= want.length, `${want.length} lines`, 30_000);
    expect(out.lines.filter((l) => l.partial || l.continuation)).toEqual([]);
    expect(out.raw()).toEqual(want);
  });

  it('still shows a real last line without newline (a prompt) as partial', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    writeFileSync(f, 'one\nStore key in cache? (y/n) ');
    const h = await startTail(f, join(dir, 'ck.json'), { fromStart: true, partialFlushMs: 50 });
    running.push(h);
    await waitFor(() => h.out.lines.length >= 2, 'the prompt');
    expect(h.out.lines[1]).toMatchObject({ text: 'Store key in cache? (y/n) ', partial: true });
    appendFileSync(f, 'y\n');
    await waitFor(() => h.out.lines.length >= 3, 'the rest');
    expect(h.out.texts()).toEqual(['one', 'Store key in cache? (y/n) y']);
  });

  it('a corrupt checkpoint file is kept aside and the files are read from their start, not their end', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, numbered(1, 100).map((l) => `${l}\n`).join(''));
    writeFileSync(ck, '{"version":1,"entries":{"file:');
    const h = await startTail(f, ck);
    running.push(h);
    await waitFor(() => h.out.lines.length >= 100, '100 lines');
    expect(h.out.raw()).toEqual(numbered(1, 100));
    expect(existsSync(`${ck}.corrupt`)).toBe(true);
  });

  it('a line has the same identity when read again, and another line at the same offset another one', () => {
    const a = { source: 'file:/x', file: '/x', offset: 120, text: 'Dec  5 10:00:00 h sshd[1]: Failed password for u1' };
    expect(lineIdentity(a, 1)).toBe(lineIdentity({ ...a }, 2)); // the time a line was read is not its identity
    expect(lineIdentity({ ...a, text: 'Dec  5 10:00:00 h sshd[1]: Failed password for u2' }, 1)).not.toBe(lineIdentity(a, 1));
    expect(lineIdentity({ ...a, offset: 121 }, 1)).not.toBe(lineIdentity(a, 1));
    expect(lineIdentity({ source: 'journal:system', cursor: 's=1;i=2', text: 'x' }, 1)).toBe(lineIdentity({ source: 'journal:system', cursor: 's=1;i=2', text: 'x' }, 5));
  });
});
