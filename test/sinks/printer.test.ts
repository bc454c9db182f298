/**
 * PrinterSink gathers its output into writes of about 64 K characters. What must hold: every alert
 * printed once, in order, character for character (multibyte text included), an alert bigger than
 * a write printed whole, nothing held back after writeBuffered(), and a full stream (a slow
 * pipe) answered by waiting for its drain, never by queueing without bound.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../agent/alert.js';
import { PrinterSink } from '../../agent/sinks/printer.js';

function collector(): { out: Writable; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      cb();
    },
  });
  return { out, chunks };
}

function alert(i: number, message: string): Alert {
  return {
    id: `id-${i}`,
    rule: 'test.rule',
    severity: 'warning',
    category: 'auth',
    title: `Title ${i} — ü 日本 🔑`,
    message,
    remedy: 'Do the thing.',
    program: 'sshd',
    host: '192.0.2.7',
    port: 22,
    time: Date.UTC(2026, 10, 21, 12, 0, i % 60),
    key: `k${i}`,
    count: 1,
    evidence: [{ text: `line ${i} — «quoted» 🔑`, source: '/var/log/auth.log', line: i + 1 }],
  };
}

describe('PrinterSink', () => {
  it('prints every alert once, in order and intact, in a few large writes (JSON)', () => {
    const { out, chunks } = collector();
    const p = new PrinterSink(out, true);
    const alerts = Array.from({ length: 2000 }, (_, i) => alert(i, `Message ${i}: ${'é日'.repeat(i % 50)} end`));
    for (const a of alerts) p.deliver(a);
    p.deliver(alerts[5]!); // the same id again: not printed twice
    const beforeFlush = chunks.length;
    p.writeBuffered();
    expect(beforeFlush).toBeGreaterThan(3); // full writes went out on their own
    expect(chunks.length).toBeLessThan(alerts.length / 50); // gathered, not one write per alert
    const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(alerts.length);
    lines.forEach((l, i) => {
      const got = JSON.parse(l) as Record<string, unknown>;
      expect(got.id).toBe(alerts[i]!.id);
      expect(got.title).toBe(alerts[i]!.title);
      expect(got.message).toBe(alerts[i]!.message);
      expect(got.evidence).toEqual(alerts[i]!.evidence);
    });
  });

  it('prints an alert bigger than a write whole, between the ones around it', () => {
    const { out, chunks } = collector();
    const p = new PrinterSink(out, false);
    const huge = `start ${'ü'.repeat(100_000)} finish`;
    p.deliver(alert(1, 'small one'));
    p.deliver(alert(2, huge));
    p.deliver(alert(3, 'small two'));
    p.writeBuffered();
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toContain(`  ${huge}\n`);
    const order = ['small one', huge, 'small two'].map((m) => text.indexOf(`  ${m}\n`));
    expect(order[0]).toBeLessThan(order[1]!);
    expect(order[1]).toBeLessThan(order[2]!);
    expect(text).toContain('Line: /var/log/auth.log:2: line 1 — «quoted» 🔑\n');
  });

  it('writes nothing when there is nothing buffered', () => {
    const { out, chunks } = collector();
    const p = new PrinterSink(out, false);
    p.writeBuffered();
    expect(chunks).toHaveLength(0);
  });

  it('waits for a full stream to drain instead of queueing (a slow pipe)', async () => {
    let queuedMax = 0;
    const chunks: Buffer[] = [];
    // a reader that takes one chunk every few milliseconds, and a 64 KiB high-water mark
    const out = new Writable({
      highWaterMark: 65_536,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        setTimeout(cb, 2);
      },
    });
    const p = new PrinterSink(out, true);
    let waits = 0;
    for (let i = 0; i < 3000; i++) {
      const wait = p.deliver(alert(i, `Message ${i}: ${'x'.repeat(400)}`));
      queuedMax = Math.max(queuedMax, out.writableLength);
      if (wait) {
        waits++;
        await wait;
      }
    }
    await p.close();
    await new Promise<void>((resolve) => out.end(resolve));
    expect(waits).toBeGreaterThan(0);
    // never more than one buffer beyond the high-water mark waits in the stream
    expect(queuedMax).toBeLessThanOrEqual(2 * 65_536);
    const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(3000);
    expect((JSON.parse(lines[2999]!) as { id: string }).id).toBe('id-2999');
  });
});
