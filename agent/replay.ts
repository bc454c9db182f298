/**
 * Replay: the pipeline over finished files, from their start, on event time. Several files are
 * merged by event time (so a client's stderr and the server's auth.log interleave as they
 * happened); lines without a timestamp carry the time of the last line that had one, and a file
 * with no timestamp at all is read at the replay's start time. At the end, absences whose rule
 * says so fire (a prompt still waiting when the log ended); other open windows and unfinished
 * connections are returned for the summary.
 */
import type { ConnectionFacts, Event, Program } from './event.js';
import { LineRouter } from './parsers/router.js';
import type { Pipeline } from './pipeline.js';
import { readFileLines } from './sources/file-lines.js';

export interface ReplayResult {
  open: Array<{ rule: string; key: string; since: number; deadline: number }>;
  unfinished: ConnectionFacts[];
  seconds: number;
}

interface Cursor {
  it: AsyncGenerator<Event[]>;
  next: Event[] | undefined;
  router: LineRouter;
}

async function* routed(path: string, router: LineRouter, program: Program | undefined, receivedAt: number): AsyncGenerator<Event[]> {
  for await (const raw of readFileLines(path, { receivedAt, ...(program ? { program } : {}) })) yield router.route(raw);
}

export async function replayFiles(files: readonly string[], pipeline: Pipeline, o: { program?: Program; startTime?: number } = {}): Promise<ReplayResult> {
  const started = process.hrtime.bigint();
  const receivedAt = o.startTime ?? Date.now();
  const cursors: Cursor[] = [];
  for (const file of files) {
    const router = new LineRouter(o.program ? { program: o.program } : {});
    const it = routed(file, router, o.program, receivedAt);
    const first = await it.next();
    cursors.push({ it, router, next: first.done ? undefined : first.value });
  }
  for (;;) {
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
    await pipeline.handleRouted(best.next!);
    const n = await best.it.next();
    best.next = n.done ? undefined : n.value;
  }
  const open = await pipeline.end(cursors.map((c) => c.router));
  return {
    open,
    unfinished: pipeline.sessions.unfinished(),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
