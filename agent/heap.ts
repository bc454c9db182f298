/**
 * A full garbage collection on demand, for long CPU-bound runs (replay of a big log).
 *
 * Replay allocates fast and keeps little: about 30 MB of heap stays live (connection, window and
 * alert tables, all bounded). Left alone, V8 grows the old generation with the allocation rate:
 * a 1 GiB replay peaked at about 245 MB resident. replay.ts calls collectAbove every 8,192 lines;
 * with a 64 MB limit that is a full collection every ~150,000 lines (~20 ms each, about 2% of the
 * run) and a 300 MB log peaks at ~155 MB instead of ~245 MB. Lower limits cost more than they
 * save (40 MB: 148 MB but 34% slower), because new space (2 × 16 MB) and Node itself (~58 MB)
 * stay whatever the limit. `gc` is not exposed to
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
