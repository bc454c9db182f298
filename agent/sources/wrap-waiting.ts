/**
 * WaitWatch: what a wrapped client is blocked on (proc-wait.ts), for its capture's `waiting`
 * records. Checked every `pollMs` once its output has been quiet for `quietMs`; a state is
 * written when it changes and was seen on two checks in a row (a multi-threaded client such as
 * xfreerdp flickers). After an answer, or output following a wait for the person (on the tty or
 * stdin), the next state is written even when it is the same: each prompt gets its own record.
 *
 *   const w = new WaitWatch(pid, (rec) => capture.record(rec), 500, 250);
 *   w.output() on each chunk of output, w.input() on each chunk typed or piped; w.stop() at exit.
 */
import { classifyWait, readProcSnapshot } from './proc-wait.js';
import type { RecordBody } from './wrap-stream.js';

export class WaitWatch {
  private lastOutput = Date.now();
  /** The last state written ('' = none yet, or forgotten after an answer). */
  private lastWait = '';
  /** The state seen on the last check. */
  private candidate = '';
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly record: (rec: RecordBody) => void,
    private readonly quietMs: number,
    pollMs: number,
  ) {
    this.timer = setInterval(() => this.check(), pollMs);
    this.timer.unref();
  }

  output(): void {
    this.lastOutput = Date.now();
    if (this.lastWait.startsWith('tty:') || this.lastWait.startsWith('stdin:')) this.lastWait = '';
  }

  input(): void {
    this.lastWait = '';
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    if (Date.now() - this.lastOutput < this.quietMs) return;
    const snap = readProcSnapshot(this.pid);
    if (!snap) return;
    const w = classifyWait(snap);
    const key = `${w.on}:${w.fd ?? ''}`;
    const seen = this.candidate === key;
    this.candidate = key;
    if (!seen || key === this.lastWait || (this.lastWait === '' && w.on === 'none')) return;
    this.lastWait = key;
    this.record({ event: 'waiting', on: w.on, ...(w.fd !== undefined ? { fd: w.fd } : {}) });
  }
}
