/**
 * Backoff: when to try a failing thing again. Doubles from `initialMs` up to `maxMs`, with up to
 * 20% jitter so many sources failing together do not retry in lockstep; `reset()` after success.
 */
export class Backoff {
  private failures = 0;
  private next = 0;

  constructor(
    private readonly initialMs = 1_000,
    private readonly maxMs = 60_000,
  ) {}

  /** Record a failure at `now`; returns the delay before the next attempt. */
  fail(now = Date.now()): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 30));
    const delay = Math.round(base * (1 + Math.random() * 0.2));
    this.failures += 1;
    this.next = now + delay;
    return delay;
  }

  /** true when no failure is recorded or its delay has passed. */
  ready(now = Date.now()): boolean {
    return now >= this.next;
  }

  get failing(): boolean {
    return this.failures > 0;
  }

  reset(): void {
    this.failures = 0;
    this.next = 0;
  }
}
