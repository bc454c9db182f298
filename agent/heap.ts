/**
 * A full garbage collection on demand, for long CPU-bound runs (replay of a big log).
 *
 * Replay allocates fast and keeps little: 25–35 MB of heap stays live on a 1 GiB log (connection,
 * window and alert tables, all bounded: the shown alerts 11 MB, threshold counters 4 MB, delivered
 * and printed ids 6 MB, connections 2 MB after 800,000 lines). Left alone, V8 grows the old
 * generation with the allocation rate: a 1 GiB replay peaked at about 245 MB resident. replay.ts
 * asks a HeapWatch every 8,192 lines; it collects once the heap has grown 16 MB past what the last
 * collection left alive (and not below 40 MB), so the peak follows the live size: a 1 GiB replay
 * peaks at 131–138 MB instead of 150–157 MB with the fixed 64 MB limit this replaced, at the same
 * speed within the run-to-run noise (a full collection every ~130,000 lines, ~25 ms each). A
 * fixed low limit would collect at every check once the live size reached it; this one cannot.
 * The young generation is the other large part: the connwatch command runs with 4 MiB
 * semi-spaces (its shebang) instead of 16. `gc` is not exposed to JavaScript by default;
 * --expose-gc is set at run time and the function taken from a fresh context, which is what the
 * flag would give. Where that is refused, fullGc does nothing.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined | null = null;

export function fullGc(): void {
  if (gc === null) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = undefined;
    }
  }
  gc?.();
}

/** When to collect: see the header. */
export class HeapWatch {
  /** Heap size past which check() collects. */
  limit: number;

  constructor(
    private readonly floorBytes = 40 * 2 ** 20,
    private readonly growthBytes = 16 * 2 ** 20,
  ) {
    this.limit = floorBytes;
  }

  /** Collects when the heap holds more than the limit (a cheap check: call it every few thousand lines); true when it did. */
  check(): boolean {
    if (getHeapStatistics().used_heap_size <= this.limit) return false;
    fullGc();
    const live = getHeapStatistics().used_heap_size;
    this.limit = Math.max(this.floorBytes, live + this.growthBytes);
    if (process.env.CONNWATCH_HEAP_DEBUG) process.stderr.write(`heap after gc: ${(live / 2 ** 20).toFixed(1)} MB, next at ${(this.limit / 2 ** 20).toFixed(1)} MB\n`);
    return true;
  }
}

/**
 * The same text in a string of its own. A substring (a host sliced from a log line) keeps its
 * whole line alive; a string kept for long without its line (a threshold counter's key) is copied
 * with this, so it holds only its own characters. (Not for rendered alert texts: they share their
 * template's constant pieces, and a flat copy of each was larger.)
 */
export function ownCopy(s: string): string {
  // a one-character prefix makes a new string; slicing it off makes V8 copy the characters out
  return ` ${s}`.slice(1);
}
