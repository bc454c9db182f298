/**
 * Rotation found, not guessed (issue 19): files created and rotated away while a backlog is read
 * (30,002 of 92,000 lines were lost that way), and after a restart, the generations that held
 * the name while connwatch was stopped; copytruncate's copy read for what only went into it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, copyFileSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Collector, numbered, sleep, startTail, tempDir, waitFor, type TailHarness } from './helpers.js';
import { unseen, type Found } from '../../agent/sources/rotation-finder.js';
import type { Stats } from 'node:fs';

const running: TailHarness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.tail.stop();
});
const text = (xs: string[]): string => xs.map((x) => `${x}\n`).join('');

describe('rotation found', () => {
  it('a file created and rotated away while a backlog is read is read too', async () => {
    const dir = tempDir();
    const f = join(dir, 'app.log');
    writeFileSync(f, text(numbered(1, 3000, 'a')));
    const out = new Collector();
    out.slowMs = 30; // the backlog takes about a second
    const h = await startTail(f, join(dir, 'ck.json'), { fromStart: true }, out);
    running.push(h);
    await waitFor(() => out.lines.length >= 100, 'the backlog under way');
    renameSync(f, `${f}.1`);
    writeFileSync(f, text(numbered(1, 500, 'b')));
    await sleep(20);
    renameSync(`${f}.1`, `${f}.2`);
    renameSync(f, `${f}.1`);
    writeFileSync(f, text(numbered(1, 10, 'c')));
    await waitFor(() => out.lines.length >= 3510, '3,510 lines', 30_000);
    await sleep(300);
    expect(out.raw()).toEqual([...numbered(1, 3000, 'a'), ...numbered(1, 500, 'b'), ...numbered(1, 10, 'c')]);
  });

  it('after a restart, every generation that held the name while stopped is read, oldest first', async () => {
    const dir = tempDir();
    const f = join(dir, 'app.log');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, text(numbered(1, 10, 'a')));
    const h = await startTail(f, ck, { fromStart: true });
    await waitFor(() => h.out.lines.length >= 10, '10 lines');
    await h.tail.stop();
    appendFileSync(f, text(numbered(11, 20, 'a')));
    renameSync(f, `${f}.1`);
    writeFileSync(f, text(numbered(1, 5, 'b')));
    await sleep(10);
    renameSync(`${f}.1`, `${f}.2`);
    renameSync(f, `${f}.1`);
    writeFileSync(f, text(numbered(1, 5, 'c')));
    const h2 = await startTail(f, ck);
    running.push(h2);
    await waitFor(() => h2.out.lines.length >= 20, '20 lines');
    await sleep(300);
    expect(h2.out.raw()).toEqual([...numbered(11, 20, 'a'), ...numbered(1, 5, 'b'), ...numbered(1, 5, 'c')]);
  });

  it('copytruncate: the lines that went only into the copy are read from the copy', async () => {
    const dir = tempDir();
    const f = join(dir, 'app.log');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, text(numbered(1, 10)));
    const h = await startTail(f, ck, { fromStart: true });
    await waitFor(() => h.out.lines.length >= 10, '10 lines');
    await h.tail.stop();
    appendFileSync(f, text(numbered(11, 20)));
    copyFileSync(f, `${f}-20261205`);
    truncateSync(f, 0);
    appendFileSync(f, text(numbered(21, 25)));
    const h2 = await startTail(f, ck);
    running.push(h2);
    await waitFor(() => h2.out.lines.length >= 15, '15 lines');
    await sleep(300);
    expect(new Set(h2.out.raw())).toEqual(new Set(numbered(11, 25)));
    expect(h2.out.raw()).toHaveLength(15);
  });

  it("a symlink's old target stopped half-read is found again at the next start (it is not beside the link)", async () => {
    const dir = tempDir();
    const link = join(dir, 'app.log');
    const ck = join(dir, 'ck.json');
    const retarget = (n: number): void => {
      symlinkSync(join(dir, `target-${n}.log`), join(dir, 'tmp-link'));
      renameSync(join(dir, 'tmp-link'), link);
    };
    writeFileSync(join(dir, 'target-1.log'), text(numbered(1, 10, 'a')));
    retarget(1);
    const h = await startTail(link, ck, { fromStart: true });
    await waitFor(() => h.out.lines.length >= 10, '10 lines');
    await h.tail.stop();
    // while stopped: two retargets; target-2 held the name unseen
    writeFileSync(join(dir, 'target-2.log'), text(numbered(1, 3000, 'b')));
    retarget(2);
    await sleep(20);
    writeFileSync(join(dir, 'target-3.log'), text(numbered(1, 5, 'c')));
    retarget(3);
    const slow = new Collector();
    slow.slowMs = 30;
    const h2 = await startTail(link, ck, {}, slow);
    await waitFor(() => slow.lines.length >= 200, 'part of target-2');
    await h2.tail.stop(); // half-way through target-2
    expect(slow.lines.length).toBeLessThan(3000);
    const h3 = await startTail(link, ck);
    running.push(h3);
    await waitFor(() => slow.lines.length + h3.out.lines.length >= 3005, 'the rest');
    await sleep(300);
    expect([...slow.raw(), ...h3.out.raw()]).toEqual([...numbered(1, 3000, 'b'), ...numbered(1, 5, 'c')]);
  });

  it('a generation born in the same clock tick as its neighbour still counts as unseen (file birth times are coarse)', () => {
    // birth times are kernel coarse-clock ticks: two files created within ~4 ms share one
    const file = (path: string, ino: number, birth: number): Found => ({ path, st: { dev: 1, ino, birthtimeMs: birth } as Stats });
    const before = file('/l/app.log.3', 10, 1000.8145);
    const sameTickAsBefore = file('/l/app.log.2', 11, 1000.8145);
    const between = file('/l/app.log.1', 12, 1004.8145);
    const sameTickAsAfter = file('/l/app.log.0', 13, 1008.8145);
    const after = file('/l/app.log', 14, 1008.8145);
    const exclude = new Set(['1:10', '1:14']); // the two files seen
    expect(unseen([before, sameTickAsBefore, between, sameTickAsAfter, after], 1000.8145, 1008.8145, exclude).map((f) => f.path)).toEqual(['/l/app.log.2', '/l/app.log.1', '/l/app.log.0']);
  });
});
