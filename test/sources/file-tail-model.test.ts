/**
 * Random sequences of write / partial write / rotate / truncate / delete+recreate / restart on
 * a real file, checked against a model (as Vector does): every line written arrives exactly
 * once, in order within its file generation, with nothing else. Fixed seed: reproducible.
 *
 * Where the operations themselves lose data in real life (truncating or deleting lines nobody
 * has read yet), the model first waits until the tail has caught up, as a log rotation that
 * keeps its promises would. A file must have been seen by the tail before it is rotated away
 * (while running: wait until the tail holds it; while stopped: at most one rotation or
 * recreation), because a file that appears and is renamed away before anyone looks cannot be
 * told apart from an old archive.
 */
import { Prng } from '../../bench/prng.js';
import { describe, expect, it } from 'vitest';
import { appendFileSync, closeSync, openSync, renameSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Collector, startTail, tempDir, waitFor, type TailHarness } from './helpers.js';

function mulberry32(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}

const SEED = Number(process.env.CONNWATCH_MODEL_SEED ?? 20261121);
const STEPS = 2000;

describe('FileTail against a model', () => {
  it(`${STEPS} random steps (seed ${SEED}): every line exactly once, in order per file`, async () => {
    const rnd = mulberry32(SEED);
    const pick = (n: number): number => Math.floor(rnd() * n);
    const dir = tempDir('cw-model-');
    const f = join(dir, 'app.log');
    const ck = join(dir, 'ck.json');
    const out = new Collector();
    const written: string[] = [];
    let fd = openSync(f, 'a');
    let gen = 0;
    let seq = 0;
    let rotations = 0;
    let pending: string | undefined; // second half of a line whose first half is written
    let h: TailHarness | undefined = await startTail(f, ck, { fromStart: true, pollMs: 50, rotatedQuietMs: 400 }, out);
    let writesWhileStopped = 0;
    let rotationsWhileStopped = 0;
    let caughtUpAtStop = false;
    const counts: Record<string, number> = {};

    const text = (): string => `g${gen} n${++seq} ${'x'.repeat(pick(60))}`;
    const caughtUp = (): boolean => out.texts().length === written.length && !out.lines.at(-1)?.partial;
    const trace: string[] = [];
    const waitCaughtUp = async (): Promise<void> => {
      try {
        await waitFor(caughtUp, 'catch-up', 20_000);
      } catch {
        const got = new Set(out.texts());
        const missing = written.filter((l) => !got.has(l)).map((l) => l.slice(0, 12));
        throw new Error(`no catch-up: ${out.texts().length}/${written.length}; missing ${missing.slice(0, 5).join(', ')}…; last steps: ${trace.slice(-25).join(' | ')}; status ${JSON.stringify(h?.tail.status())}`);
      }
    };
    const completePending = (): void => {
      if (pending === undefined) return;
      writeSync(fd, `${pending}\n`);
      pending = undefined;
    };
    const newFile = (): void => {
      closeSync(fd);
      gen += 1;
      fd = openSync(f, 'a');
    };

    for (let step = 0; step < STEPS; step++) {
      const r = rnd();
      const running = h !== undefined;
      let op: string;
      if (r < 0.55) op = 'write';
      else if (r < 0.65) op = 'partial';
      else if (r < 0.73) op = 'rotate';
      else if (r < 0.78) op = 'truncate';
      else if (r < 0.83) op = 'recreate';
      else op = 'restart';
      if (!running && (op === 'truncate' || op === 'recreate') && (!caughtUpAtStop || writesWhileStopped > 0)) op = 'write';
      if (!running && (op === 'rotate' || op === 'recreate') && rotationsWhileStopped > 0) op = 'write';
      counts[op] = (counts[op] ?? 0) + 1;
      trace.push(`${step}:${op}${running ? '' : '(stopped)'} g${gen} n${seq}`);

      switch (op) {
        case 'write': {
          completePending();
          const n = 1 + pick(20);
          const ls: string[] = [];
          for (let i = 0; i < n; i++) ls.push(text());
          writeSync(fd, ls.map((l) => `${l}\n`).join(''));
          written.push(...ls);
          if (!running) writesWhileStopped += 1;
          break;
        }
        case 'partial': {
          completePending();
          const line = text();
          const cut = 1 + pick(line.length - 1);
          writeSync(fd, line.slice(0, cut));
          pending = line.slice(cut);
          written.push(line);
          if (!running) writesWhileStopped += 1;
          break;
        }
        case 'rotate': {
          completePending(); // the old writer finishes its line in the renamed file
          if (h) {
            const tail = h.tail;
            const ino = statSync(f).ino;
            await waitFor(() => tail.status().files.some((x) => x.ino === ino && !x.rotated), 'the tail to hold the file');
          }
          rotations += 1;
          renameSync(f, `${f}.${rotations}`);
          newFile();
          if (!running) rotationsWhileStopped += 1;
          break;
        }
        case 'truncate': {
          completePending();
          if (running) await waitCaughtUp();
          truncateSync(f, 0);
          gen += 1; // same file, new content: a new generation for the order check
          break;
        }
        case 'recreate': {
          completePending();
          if (running) await waitCaughtUp();
          unlinkSync(f);
          newFile();
          if (!running) rotationsWhileStopped += 1;
          break;
        }
        case 'restart': {
          if (h) {
            await h.tail.stop();
            h = undefined;
            caughtUpAtStop = caughtUp();
            writesWhileStopped = 0;
            rotationsWhileStopped = 0;
          } else {
            h = await startTail(f, ck, { fromStart: true, pollMs: 50, rotatedQuietMs: 400 }, out);
          }
          break;
        }
      }
    }
    completePending();
    if (!h) h = await startTail(f, ck, { fromStart: true, pollMs: 50, rotatedQuietMs: 400 }, out);
    appendFileSync(f, ''); // nothing: just make sure the last write is visible
    await waitCaughtUp();
    await new Promise((r) => setTimeout(r, 300));
    await h.tail.stop();
    closeSync(fd);

    const got = out.texts();
    const dupes = got.filter((l, i) => got.indexOf(l) !== i);
    expect(dupes).toEqual([]);
    expect([...got].sort()).toEqual([...written].sort());
    // Order within each generation.
    const lastSeq = new Map<string, number>();
    for (const l of got) {
      const m = /^g(\d+) n(\d+)/.exec(l);
      expect(m).not.toBeNull();
      const g = m?.[1] as string;
      const n = Number(m?.[2]);
      expect(n).toBeGreaterThan(lastSeq.get(g) ?? 0);
      lastSeq.set(g, n);
    }
    console.log(`model: ${STEPS} steps ${JSON.stringify(counts)}, ${written.length} lines, ${gen + 1} generations, ${rotations} rotations`);
  });
});
