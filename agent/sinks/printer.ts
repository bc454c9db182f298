/**
 * Prints alerts to a stream (replay): one JSON object per line, or a readable block per alert.
 * Count updates of a throttled alert are not printed again; the summary counts them.
 * Output is gathered into writes of about 64 KiB (a replay prints thousands of alerts; one write
 * each cost more than making them), encoded into the block as each alert is printed (a 64 KiB
 * string built with += had to be flattened and encoded again at every write); writeBuffered()
 * writes the rest.
 */
import type { Writable } from 'node:stream';
import type { Alert, Sink } from '../alert.js';
import { RecentSet } from '../recent.js';

const BLOCK_BYTES = 64 * 1024;

export class PrinterSink implements Sink {
  readonly name = 'printer';
  private readonly seen = new RecentSet<string>(20_000);
  /** The block being filled, and how many bytes of it are used; a new block after each write (the stream may keep it). */
  private block = Buffer.allocUnsafe(BLOCK_BYTES);
  private used = 0;

  constructor(
    private readonly out: Writable,
    private readonly json: boolean,
  ) {}

  deliver(alert: Alert): void {
    if (this.seen.has(alert.id)) return;
    this.seen.add(alert.id);
    if (this.json) {
      const { id, rule, severity, category, title, message, remedy, program, host, port, user, key, count, evidence } = alert;
      this.put(JSON.stringify({ rule, severity, category, title, message, remedy, program, host, port, user, time: new Date(alert.time).toISOString(), key, count, id, evidence }) + '\n');
      return;
    }
    const where = alert.host ? ` — ${alert.host}${alert.port ? `:${alert.port}` : ''}` : '';
    const ev = alert.evidence[0];
    this.put(
      `${new Date(alert.time).toISOString()} ${alert.severity.toUpperCase()} [${alert.rule}] ${alert.title}${where}\n` +
        `  ${alert.message}\n` +
        `  What to do: ${alert.remedy}\n` +
        (ev ? `  Line: ${ev.source}${ev.line ? `:${ev.line}` : ''}: ${ev.text}\n` : '') +
        '\n',
    );
  }

  writeBuffered(): void {
    if (this.used === 0) return;
    this.out.write(this.block.subarray(0, this.used));
    this.block = Buffer.allocUnsafe(BLOCK_BYTES);
    this.used = 0;
  }

  async close(): Promise<void> {
    this.writeBuffered();
  }

  private put(text: string): void {
    // a UTF-16 unit takes at most 3 bytes in UTF-8
    if (this.used + text.length * 3 > BLOCK_BYTES) this.writeBuffered();
    if (text.length * 3 > BLOCK_BYTES) this.out.write(text);
    else this.used += this.block.write(text, this.used);
  }
}
