/**
 * Prints alerts to a stream (replay): one JSON object per line, or a readable block per alert.
 * Count updates of a throttled alert are not printed again; the summary counts them.
 */
import type { Writable } from 'node:stream';
import type { Alert, Sink } from '../alert.js';

export class PrinterSink implements Sink {
  readonly name = 'printer';
  private readonly seen = new Set<string>();

  constructor(
    private readonly out: Writable,
    private readonly json: boolean,
  ) {}

  async deliver(alert: Alert): Promise<void> {
    if (this.seen.has(alert.id)) return;
    this.seen.add(alert.id);
    if (this.seen.size > 20_000) this.seen.delete(this.seen.values().next().value!);
    if (this.json) {
      const { id, rule, severity, category, title, message, remedy, program, host, port, user, key, count, evidence } = alert;
      this.out.write(
        JSON.stringify({ rule, severity, category, title, message, remedy, program, host, port, user, time: new Date(alert.time).toISOString(), key, count, id, evidence }) + '\n',
      );
      return;
    }
    const where = alert.host ? ` — ${alert.host}${alert.port ? `:${alert.port}` : ''}` : '';
    const ev = alert.evidence[0];
    this.out.write(
      `${new Date(alert.time).toISOString()} ${alert.severity.toUpperCase()} [${alert.rule}] ${alert.title}${where}\n` +
        `  ${alert.message}\n` +
        `  What to do: ${alert.remedy}\n` +
        (ev ? `  Line: ${ev.source}${ev.line ? `:${ev.line}` : ''}: ${ev.text}\n` : '') +
        '\n',
    );
  }
}
