/**
 * Async jobs run one at a time, in the order they were given: a job starts when the one before
 * it has settled, and a job that fails does not stop the next (its caller gets the failure).
 * The desktop and toast sinks deliver through one.
 */
export class Serial {
  private chain: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
