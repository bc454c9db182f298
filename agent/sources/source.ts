/**
 * The Source contract: every input of the agent (a file or glob, the captures, the journal, the
 * process scan, and the platform sources to come) is one Source. A source knows how its bytes
 * arrive and owns the LineRouter(s) that turn its lines into events; it hands the events of each
 * line to the core through the one entry it was started with:
 *
 *   sources ──(RawLine → own LineRouter → Event[])──▶ core(events) ──▶ correlation, rules, gate ─▶ sinks
 *
 *   const s: Source = new RoutedLines(new FileTail({ path: '/var/log/auth.log', checkpoints, log }), undefined, false);
 *   await s.start((events) => pipeline.handleRouted(events));
 *   …
 *   await s.stop();        // what is in hand delivered, positions saved
 *
 * `replay` and `parse` route their own lines and call the same entry (Pipeline.handleRouted); a
 * source that makes events without lines (the process scan) calls it with them.
 */
import type { Event, Program } from '../event.js';
import { LineRouter } from '../parsers/router.js';
import type { RawLine } from './raw-line.js';

/**
 * The core's one entry: the events of one line, in order (`fromLine` false: events no line gave,
 * a scan finding, not counted as a line read). Synchronous: when it returns, the line's alerts
 * are recorded (sinks that finish later sit behind a bounded queue, sinks/queue.ts).
 */
export type CoreEntry = (events: Event[], fromLine?: boolean) => void;

/** What `connwatch status`, the heartbeat and the doctor read of a source. */
export interface SourceStatus {
  sourceId: string;
  running: boolean;
  [detail: string]: unknown;
}

export interface Source {
  /** For logs, status and the doctor: `file:/var/log/auth.log`, `journal:system`, `process-scan`. */
  readonly name: string;
  /** Starts reading; resolves once it reads (or has reported why it cannot yet and retries). */
  start(core: CoreEntry): Promise<void>;
  /** Stops reading: the line in hand delivered, positions saved. */
  stop(): Promise<void>;
  /** End of input: events the source's routers still hold back (an unfinished block). */
  end(): Event[];
  /** undefined: nothing to show (the process scan keeps its counts to itself). */
  status(): SourceStatus | undefined;
  /**
   * Sees every event the core handled, from any source (the process scan learns of package
   * upgrades so); most sources leave it out.
   */
  observe?(e: Event): void;
}

/**
 * The routers of one source: one per file (each file's program is recognised on its own), or one
 * for all of them (`shared`: the captures, whose records name their program, and the journal).
 */
export class SourceRouters {
  private readonly routers = new Map<string, LineRouter>();
  private readonly first: LineRouter;

  constructor(
    private readonly program: Program | undefined,
    private readonly shared: boolean,
  ) {
    this.first = this.make();
  }

  /** The events of one line, from the router of its file. */
  route(line: RawLine): Event[] {
    return this.routerOf(line).route(line);
  }

  end(): Event[] {
    const out = this.first.end();
    for (const r of this.routers.values()) out.push(...r.end());
    return out;
  }

  private routerOf(line: RawLine): LineRouter {
    const key = line.position.file;
    if (this.shared || key === undefined) return this.first;
    let r = this.routers.get(key);
    if (!r) {
      r = this.make();
      this.routers.set(key, r);
    }
    return r;
  }

  private make(): LineRouter {
    return new LineRouter(this.program ? { program: this.program } : {});
  }
}
