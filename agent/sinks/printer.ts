/**
 * Prints alerts to a stream (replay): one JSON object per line, or a readable block per alert.
 * Count updates of a throttled alert are not printed again; the summary counts them.
 * Output is gathered into writes of about 64 K characters (a replay prints thousands of alerts;
 * one write each cost more than making them); writeBuffered() writes the rest. Each alert's text
 * is made inert on its own (inert() over the gathered 64 K cost more than the alerts' texts). Not
 * a reused Buffer: written to a file, each block handed to the stream is a new one (the stream may
 * keep it), and that memory outside the heap raised a 2M-line replay's peak by 5–12 MB.
 * Backpressure: when the stream says it is full (a slow pipe), the delivery that filled it
 * returns a promise of its 'drain', so a replay waits instead of queueing without bound.
 */
import type { Writable } from 'node:stream';

/**
 * Terminal output made inert: log text reaches stdout/stderr of every command (alerts, replay,
 * rules test, parse, the agent's own log), and ESC/OSC sequences, NUL, other C0 and C1 controls,
 * DEL and bidi overrides/isolates in it would act on the terminal or reorder what it shows. Each
 * becomes the six visible characters \uXXXX; newline and tab stay. Inside a JSON string that is
 * the same character escaped, so JSON output stays valid and means the same.
 */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
export function inert(text: string): string {
  ACTIVE.lastIndex = 0;
  if (!ACTIVE.test(text)) return text;
  return text.replace(ACTIVE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
import type { Alert, Sink } from '../alert.js';
import { RecentSet } from '../recent.js';

/** Characters gathered before a write. */
const CHUNK = 65_536;

export class PrinterSink implements Sink {
  readonly name = 'printer';
  private readonly seen = new RecentSet<string>(20_000);
  private pending = '';
  /** Set while the stream is over its high-water mark: the promise of its 'drain'. */
  private full: Promise<void> | undefined;

  constructor(
    private readonly out: Writable,
    private readonly json: boolean,
  ) {}

  deliver(alert: Alert): Promise<void> | undefined {
    if (this.seen.has(alert.id)) return undefined;
    this.seen.add(alert.id);
    if (this.json) {
      const { id, rule, severity, category, title, message, remedy, program, host, port, user, key, count, evidence } = alert;
      return this.put(JSON.stringify({ rule, severity, category, title, message, remedy, program, host, port, user, time: new Date(alert.time).toISOString(), key, count, id, evidence }) + '\n');
    }
    const where = alert.host ? ` — ${alert.host}${alert.port ? `:${alert.port}` : ''}` : '';
    const ev = alert.evidence[0];
    return this.put(
      `${new Date(alert.time).toISOString()} ${alert.severity.toUpperCase()} [${alert.rule}] ${alert.title}${where}\n` +
        `  ${alert.message}\n` +
        `  What to do: ${alert.remedy}\n` +
        (ev ? `  Line: ${ev.source}${ev.line ? `:${ev.line}` : ''}: ${ev.text}\n` : '') +
        '\n',
    );
  }

  writeBuffered(): void {
    if (this.pending === '') return;
    this.send(this.pending);
    this.pending = '';
  }

  async close(): Promise<void> {
    this.writeBuffered();
    await this.full;
  }

  /** Gathers `text` (made inert); a promise when the stream must drain first. */
  private put(text: string): Promise<void> | undefined {
    this.pending += inert(text);
    if (this.pending.length >= CHUNK) this.writeBuffered();
    return this.full;
  }

  private send(chunk: string): void {
    if (this.out.write(chunk) || this.full) return;
    this.full = new Promise((resolve) => {
      const done = (): void => {
        this.out.off('drain', done);
        this.out.off('close', done);
        this.out.off('error', done);
        this.full = undefined;
        resolve();
      };
      this.out.on('drain', done).on('close', done).on('error', done);
    });
  }
}
