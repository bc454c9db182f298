/**
 * Bounded Set and Map that forget their oldest entries (first inserted first), as a Set or Map
 * trimmed with `delete(keys().next().value)` would — without its cost. V8 leaves a deleted entry
 * as a hole at the front of the table until the next rehash, and `keys().next()` walks over every
 * hole: with 20,000 ids and one eviction per alert, a replay spent more time finding the oldest
 * id than making the alert. Here the insertion order is kept beside the table, in a list of
 * slots that deletions only mark.
 *
 * Order is that of first insertion: setting an existing key of a RecentMap changes its value, not
 * its place (as Map.set does).
 */

interface Slot<K, V> {
  key: K;
  value: V;
  live: boolean;
}

/**
 * A Map of at most `max` entries; setting one more forgets the oldest. delete() is allowed: the
 * slot is marked dead in the order and skipped (and dropped when dead slots pile up).
 */
export class RecentMap<K, V> {
  private readonly map = new Map<K, Slot<K, V>>();
  private order: Array<Slot<K, V>> = [];
  private head = 0;

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`RecentMap needs room for at least one entry, got ${max}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(k: K): V | undefined {
    return this.map.get(k)?.value;
  }

  has(k: K): boolean {
    return this.map.has(k);
  }

  set(k: K, v: V): this {
    const slot = this.map.get(k);
    if (slot) {
      slot.value = v;
      return this;
    }
    const fresh: Slot<K, V> = { key: k, value: v, live: true };
    this.map.set(k, fresh);
    this.order.push(fresh);
    if (this.map.size > this.max) {
      let oldest = this.order[this.head++]!;
      while (!oldest.live) oldest = this.order[this.head++]!;
      oldest.live = false;
      this.map.delete(oldest.key);
    }
    this.compactWhenMostlyPassed();
    return this;
  }

  delete(k: K): boolean {
    const slot = this.map.get(k);
    if (!slot) return false;
    slot.live = false;
    this.map.delete(k);
    if (this.order.length - this.head > 2 * this.map.size + 1024) this.compact();
    return true;
  }

  /** Forgets the oldest entries while `stale` says so of the oldest; returns how many went. */
  forgetOldestWhile(stale: (value: V) => boolean): number {
    let n = 0;
    while (this.head < this.order.length) {
      const oldest = this.order[this.head]!;
      if (oldest.live) {
        if (!stale(oldest.value)) break;
        oldest.live = false;
        this.map.delete(oldest.key);
        n++;
      }
      this.head++;
    }
    this.compactWhenMostlyPassed();
    return n;
  }

  /** Oldest first. */
  *values(): IterableIterator<V> {
    for (const slot of this.map.values()) yield slot.value;
  }

  /** Oldest first. */
  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  /** The order list once more than half of it (and over 1,024 slots) lies behind the head. */
  private compactWhenMostlyPassed(): void {
    if (this.head > 1024 && this.head * 2 > this.order.length) this.compact();
  }

  private compact(): void {
    this.order = this.order.slice(this.head).filter((s) => s.live);
    this.head = 0;
  }
}

/**
 * A Set of at most `max` members; adding one more forgets the oldest. No delete, so the order is a
 * ring of the members beside a plain Set: adding writes one slot, forgetting deletes what the
 * slot held (no entry object per member, as a RecentMap's, and no order list to compact: the
 * printer's and the gate's id sets add one per alert).
 */
export class RecentSet<T> implements Iterable<T> {
  private readonly members = new Set<T>();
  private readonly ring: T[] = [];
  /** The ring's slot of the oldest member once it is full (the next to be overwritten). */
  private next = 0;

  constructor(
    readonly max: number,
    initial: Iterable<T> = [],
  ) {
    if (!(max >= 1)) throw new RangeError(`RecentSet needs room for at least one member, got ${max}`);
    for (const x of initial) this.add(x);
  }

  get size(): number {
    return this.members.size;
  }

  has(x: T): boolean {
    return this.members.has(x);
  }

  add(x: T): this {
    if (this.members.has(x)) return this;
    if (this.ring.length < this.max) this.ring.push(x);
    else {
      this.members.delete(this.ring[this.next]!);
      this.ring[this.next] = x;
      if (++this.next === this.max) this.next = 0;
    }
    this.members.add(x);
    return this;
  }

  /** Oldest first (the Set's insertion order: only the oldest is ever deleted). */
  [Symbol.iterator](): IterableIterator<T> {
    return this.members.values();
  }
}
