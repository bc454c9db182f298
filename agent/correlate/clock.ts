/**
 * Clocks. Absence windows ("B did not follow A within T") are measured on EVENT time, so the same
 * rule gives the same answer live and in replay:
 *
 *   - VirtualClock (replay, tests): time only moves when events say so (`advanceTo`), and timers
 *     whose deadline has passed fire in deadline order, synchronously, before the event that moved
 *     the clock is evaluated. No waiting, fully deterministic.
 *   - WallClock (live): also advanced by events, and additionally by real time passing, so a prompt
 *     that nothing follows still expires. Events from a line without its own timestamp carry
 *     their arrival time, which is wall time.
 */

export interface Timer {
  at: number;
  fire: () => void;
}

export interface Clock {
  now(): number;
  /** Runs `fire` once the clock reaches `at`. Returns a handle for cancel(). */
  schedule(at: number, fire: () => void): Timer;
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
  private handle: NodeJS.Timeout | undefined;
  private readonly tickMs: number;
  private readonly onTick: () => void;

  /** `onTick` runs after timers fired because real time passed (the caller then drains its queue). */
  constructor(options: { tickMs?: number; onTick?: () => void } = {}) {
    super(Date.now());
    this.tickMs = options.tickMs ?? 250;
    this.onTick = options.onTick ?? (() => {});
  }

  override now(): number {
    const wall = Date.now();
    if (wall > this.current) this.current = wall;
    return this.current;
  }

  protected override onScheduled(): void {
    if (this.handle) return;
    this.handle = setInterval(() => {
      if (this.timers.length === 0) {
        clearInterval(this.handle);
        this.handle = undefined;
        return;
      }
      this.advanceTo(Date.now());
      this.onTick();
    }, this.tickMs);
    this.handle.unref();
  }

  override stop(): void {
    if (this.handle) clearInterval(this.handle);
    this.handle = undefined;
    super.stop();
  }
}
