/**
 * StreamCapture: one output stream of a wrapped client (stdout, stderr or its terminal) cut into
 * capture records: one per line (`text` without its line ending), a line with no newline yet as
 * `partial` after `partialMs` of quiet or at `maxBytes`, what follows it on the line as `cont`.
 *
 *   const cap = new StreamCapture('stderr', record, 300, 64 * 1024);
 *   child.stderr.on('data', (b) => cap.push(b));   child.stderr.on('end', () => cap.end());
 *
 * InputCounter: `input` records for the bytes passed to the client (never their content).
 */
import type { CaptureRecord } from '../envelopes/wrap-capture.js';
import { completeUtf8Length } from './line-splitter.js';

export type RecordBody = Omit<CaptureRecord, 'v' | 't' | 'pid'>;

/** One output stream of the client: splits into lines, writes records, handles partials. */
export class StreamCapture {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private partialSent = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: 'stdout' | 'stderr' | 'tty',
    private readonly write: (rec: RecordBody) => void,
    private readonly partialMs: number,
    private readonly maxBytes: number,
  ) {}

  push(chunk: Buffer): void {
    clearTimeout(this.timer);
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl === -1) break;
      this.add(chunk.subarray(from, nl));
      this.emit(true);
      from = nl + 1;
    }
    if (from < chunk.length) this.add(chunk.subarray(from));
    if (this.pendingBytes > 0) {
      this.timer = setTimeout(() => this.emit(false), this.partialMs);
      this.timer.unref();
    }
  }

  /** A line without newline pending is written now as partial: before an input record, so the question comes before its answer. */
  flushPartial(): void {
    if (this.pendingBytes === 0) return;
    clearTimeout(this.timer);
    this.emit(false);
  }

  /** End of stream: what is left is a partial line for good. */
  end(): void {
    clearTimeout(this.timer);
    if (this.pendingBytes > 0) this.emit(false);
  }

  private add(b: Buffer): void {
    if (b.length === 0) return;
    this.pending.push(Buffer.from(b));
    this.pendingBytes += b.length;
    while (this.pendingBytes >= this.maxBytes) this.emit(false, this.maxBytes);
  }

  /** complete: the line ended with a newline; otherwise emit (up to `limit` bytes) as partial. */
  private emit(complete: boolean, limit?: number): void {
    let buf = Buffer.concat(this.pending);
    let rest = Buffer.alloc(0);
    if (!complete) {
      let cut = completeUtf8Length(limit === undefined ? buf : buf.subarray(0, limit));
      if (cut === 0) cut = Math.min(buf.length, limit ?? buf.length);
      rest = buf.subarray(cut);
      buf = buf.subarray(0, cut);
    } else if (buf.length > 0 && buf[buf.length - 1] === 0x0d) {
      buf = buf.subarray(0, buf.length - 1);
    }
    const rec: RecordBody = { stream: this.stream, text: buf.toString('utf8') };
    if (!complete) rec.partial = true;
    if (this.partialSent) rec.cont = true;
    if (complete || buf.length > 0) this.write(rec);
    this.partialSent = !complete;
    this.pending = rest.length > 0 ? [Buffer.from(rest)] : [];
    this.pendingBytes = rest.length;
  }
}

/** Counts bytes passed to the client: one record at once, then at most one per burstMs. */
export class InputCounter {
  private acc = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly to: 'stdin' | 'tty',
    private readonly record: (r: RecordBody) => void,
    private readonly burstMs: number,
  ) {}
  add(n: number): void {
    if (n <= 0) return;
    if (this.timer) {
      this.acc += n;
      return;
    }
    this.record({ event: 'input', bytes: n, to: this.to });
    this.open();
  }
  private open(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.acc > 0) this.flush();
    }, this.burstMs);
    this.timer.unref();
  }
  private flush(): void {
    const n = this.acc;
    this.acc = 0;
    this.record({ event: 'input', bytes: n, to: this.to });
    this.open();
  }
  end(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.acc > 0) this.record({ event: 'input', bytes: this.acc, to: this.to });
    this.acc = 0;
  }
}
