/**
 * A full garbage collection on demand, for long CPU-bound runs (replay of a big log).
 *
 * Replay allocates fast and keeps little: about 30 MB of heap stays live (connection, window and
 * alert tables, all bounded: the shown alerts 11 MB, threshold counters 4 MB, delivered and printed
 * ids 6 MB, connections 2 MB after 800,000 lines). Left alone, V8 grows the old generation with the
 * allocation rate: a 1 GiB replay peaked at about 245 MB resident. replay.ts calls collectAbove
 * every 8,192 lines; with a 64 MB limit that is a full collection every ~200,000 lines (~20 ms
 * each, about 1% of the run). Lower limits cost more than they save (40 MB: 34% slower). The
 * young generation is the other large part: the connwatch command runs with 4 MiB semi-spaces
 * (its shebang) instead of 16, and a 1 GiB replay peaks at 143 MB. `gc` is not exposed to
 * JavaScript by default; --expose-gc is set at run time and the function taken from a fresh
 * context, which is what the flag would give. Where that is refused, fullGc does nothing.
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

/**
 * Collects when the heap holds more than `limitBytes` (checked cheaply; call it every few
 * thousand lines). Returns true when it collected.
 */
export function collectAbove(limitBytes: number): boolean {
  if (getHeapStatistics().used_heap_size <= limitBytes) return false;
  fullGc();
  if (process.env.CONNWATCH_HEAP_DEBUG) process.stderr.write(`heap after gc: ${(getHeapStatistics().used_heap_size / 2 ** 20).toFixed(1)} MB\n`);
  return true;
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
