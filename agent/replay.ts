/**
 * Replay: the pipeline over finished files, from their start, on event time. Several files are
 * merged by event time (so a client's stderr and the server's auth.log interleave as they
 * happened); lines without a timestamp carry the time of the last line that had one, and a file
 * with no timestamp at all is read at the replay's start time. At the end, absences whose rule
 * says so fire (a prompt still waiting when the log ended); other open windows and unfinished
 * connections are returned for the summary.
 *
 * Files are read synchronously block by block and every line is handled synchronously (see
 * Pipeline.handleRouted): replay is CPU-bound, and a promise per line cost as much as parsing it.
 */
import type { ConnectionFacts, Event, Program } from './event.js';
import { LineRouter } from './parsers/router.js';
import type { Pipeline } from './pipeline.js';
import { FileLines } from './sources/file-lines.js';
import { HeapWatch } from './heap.js';

export interface ReplayResult {
  open: Array<{ rule: string; key: string; since: number; deadline: number }>;
  unfinished: ConnectionFacts[];
  seconds: number;
}

interface Cursor {
  lines: FileLines;
  router: LineRouter;
  next: Event[] | undefined;
}

function advance(c: Cursor): void {
  const raw = c.lines.next();
  c.next = raw ? c.router.route(raw) : undefined;
}

/** Called every 8192 lines: lines so far and, per file, the offset reached (Infinity: done; undefined: not known now). */
export type ReplayProgress = (lines: number, offsets: Array<number | undefined>) => void;

export async function replayFiles(files: readonly string[], pipeline: Pipeline, o: { program?: Program; startTime?: number; progress?: ReplayProgress } = {}): Promise<ReplayResult> {
  const started = process.hrtime.bigint();
  const receivedAt = o.startTime ?? Date.now();
  const cursors: Cursor[] = [];
  try {
    for (const file of files) {
      const c: Cursor = {
        lines: new FileLines(file, { receivedAt, ...(o.program ? { program: o.program } : {}) }),
        router: new LineRouter(o.program ? { program: o.program } : {}),
        next: undefined,
      };
      cursors.push(c);
      advance(c);
    }
    let lines = 0;
    const heap = new HeapWatch();
    for (;;) {
      // a full collection now and then (see heap.ts): a long replay's memory stays near what it uses
      if ((++lines & 0x1fff) === 0) {
        heap.check();
        o.progress?.(lines, cursors.map((c) => (c.next === undefined ? Infinity : c.next[0]?.raw.offset)));
      }
      let best: Cursor | undefined;
      let bestTime = Infinity;
      for (const c of cursors) {
        if (!c.next) continue;
        const t = c.next.length ? c.next[0]!.time : -Infinity;
        if (t < bestTime) {
          best = c;
          bestTime = t;
        }
      }
      if (!best) break;
      pipeline.handleRouted(best.next!);
      advance(best);
    }
  } finally {
    for (const c of cursors) c.lines.close();
  }
  const open = await pipeline.end(cursors.map((c) => c.router));
  return {
    open,
    unfinished: pipeline.sessions.unfinished(),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
