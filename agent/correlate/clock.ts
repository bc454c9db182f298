/**
 * Clocks. Absence windows ("B did not follow A within T") are measured on EVENT time, so the same
 * rule gives the same answer live and in replay:
 *
 *   - VirtualClock (replay, tests): time only moves when events say so (`advanceTo`), and timers
 *     whose deadline has passed fire in deadline order, synchronously, before the event that moved
 *     the clock is evaluated. No waiting, fully deterministic.
 *   - WallClock (live): a window lasts its `within` from the moment its opening line was READ
 *     (real time), so a prompt that nothing follows expires after that long, and a line read
 *     from history (--from-start, a backlog after a restart) is not judged expired at once just
 *     because its timestamp is old: the next lines, read a moment later, can still close it.
 */

export interface Timer {
  at: number;
  fire: () => void;
}

export interface Clock {
  now(): number;
  /**
   * Runs `fire` once the clock reaches `at`. `openedAt` is the event time the wait started from
   * (a live clock measures the wait `at - openedAt` in real time). Returns a handle for cancel().
   */
  schedule(at: number, fire: () => void, openedAt?: number): Timer;
  cancel(timer: Timer): void;
  /** Moves the clock forward to `t` (never backward) and fires what became due. */
  advanceTo(t: number): void;
  /** Stops any real timer; pending timers are dropped. */
  stop(): void;
}

export class VirtualClock implements Clock {
  protected current: number;
  protected readonly timers: Timer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(at: number, fire: () => void): Timer {
    const timer: Timer = { at, fire };
    // keep sorted by deadline; insertion after equal deadlines keeps scheduling order
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.at > at) i--;
    this.timers.splice(i, 0, timer);
    this.onScheduled();
    return timer;
  }

  cancel(timer: Timer): void {
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  advanceTo(t: number): void {
    if (t > this.current) this.current = t;
    while (this.timers.length > 0 && this.timers[0]!.at <= this.current) {
      const timer = this.timers.shift()!;
      timer.fire();
    }
  }

  /** Fires every pending timer as if time ran out (end of input when the log proves the window passed). */
  pending(): readonly Timer[] {
    return this.timers;
  }

  stop(): void {
    this.timers.length = 0;
  }

  protected onScheduled(): void {}
}

export class WallClock extends VirtualClock {
  /** Live timers run on real time: due `at - openedAt` after they were scheduled. */
  override schedule(at: number, fire: () => void, openedAt = at): Timer {
    return super.schedule(Date.now() + Math.max(0, at - openedAt), fire);
  }

  /** Events do not fire live timers (their timestamps may be old); real time does. */
  override advanceTo(_t: number): void {
    super.advanceTo(Date.now());
  }

  private handle: NodeJS.Timeout | undefined;
  /** When the armed real timer fires (Infinity: none armed). */
  private armedAt = Infinity;
  private readonly onTick: () => void;

  /**
   * `onTick` runs after timers fired because real time passed (the caller then drains its queue).
   * One real timer is armed for the earliest deadline, so a hang is decided when its window ends,
   * not at the next poll (a 250 ms interval added up to a quarter of a second before), and nothing
   * wakes the agent while no window is open.
   */
  constructor(options: { onTick?: () => void } = {}) {
    super(Date.now());
    this.onTick = options.onTick ?? (() => {});
  }

  override now(): number {
    const wall = Date.now();
    if (wall > this.current) this.current = wall;
    return this.current;
  }

  protected override onScheduled(): void {
    this.arm();
  }

  private arm(): void {
    const next = this.timers[0]?.at;
    if (next === undefined || next >= this.armedAt) return;
    if (this.handle) clearTimeout(this.handle);
    this.armedAt = next;
    this.handle = setTimeout(() => {
      this.handle = undefined;
      this.armedAt = Infinity;
      this.advanceTo(Date.now());
      this.onTick();
      this.arm();
    }, Math.max(0, next - Date.now()));
    this.handle.unref();
  }

  override stop(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    this.armedAt = Infinity;
    super.stop();
  }
}
