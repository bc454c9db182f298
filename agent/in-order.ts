/**
 * Calls `fn` on items[from…] one after the other, synchronously until a call returns a promise;
 * the rest then follow that promise, still in order. Returns a promise only when some call
 * returned one. The pipeline and the gate run this way so that a replay, whose sinks finish at
 * once, needs no promise per line or per alert (a promise each cost as much as parsing the line).
 */
export function inOrder<T>(items: readonly T[], fn: (item: T) => Promise<unknown> | undefined, from = 0): Promise<void> | undefined {
  for (let i = from; i < items.length; i++) {
    const wait = fn(items[i]!);
    if (wait) return wait.then(() => inOrder(items, fn, i + 1));
  }
  return undefined;
}
