/**
 * Helpers for the source tests: temp dirs, a collecting sink, polling for a condition, and a
 * FileTail factory with fast timings (the behaviour is the same, only the waits are shorter).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore } from '../../agent/sources/checkpoint.js';
import { FileTail, type FileTailOptions } from '../../agent/sources/file-tail.js';
import type { RawLine } from '../../agent/sources/raw-line.js';
import type { ConnwatchError } from '../../agent/errors.js';

export function tempDir(prefix = 'cw-src-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class Collector {
  readonly lines: RawLine[] = [];
  readonly problems: ConnwatchError[] = [];
  /** Pause this long every 100 lines (a slow pipeline), 0 = never. */
  slowMs = 0;
  readonly sink = async (line: RawLine): Promise<void> => {
    if (this.slowMs > 0 && this.lines.length % 100 === 0) await sleep(this.slowMs);
    this.lines.push(line);
  };
  /** Texts of complete lines (partials and continuations merged back into whole lines). */
  texts(): string[] {
    const out: string[] = [];
    let open = false;
    for (const l of this.lines) {
      if (l.continuation && open) out[out.length - 1] += l.text;
      else out.push(l.text);
      open = l.partial === true;
    }
    return out;
  }
  raw(): string[] {
    return this.lines.map((l) => l.text);
  }
}

export interface TailHarness {
  tail: FileTail;
  store: CheckpointStore;
  out: Collector;
}

export async function startTail(path: string, ckpt: string, extra: Partial<FileTailOptions> = {}, out = new Collector()): Promise<TailHarness> {
  const store = new CheckpointStore(ckpt, { flushMs: 50 });
  await store.load();
  const tail = new FileTail({
    path,
    checkpoints: store,
    pollMs: 100,
    recheckMs: 50,
    partialFlushMs: 0,
    rotatedQuietMs: 1500,
    log: () => undefined,
    onProblem: (e) => out.problems.push(e),
    ...extra,
  });
  await tail.start(out.sink);
  return { tail, store, out };
}

export function numbered(from: number, to: number, prefix = 'line'): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${prefix} ${i}`);
  return out;
}
