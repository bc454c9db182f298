/**
 * PrinterSink gathers its output into writes of about 64 K characters. What must hold: every alert
 * printed once, in order, character for character (multibyte text included), an alert bigger than
 * a write printed whole, and nothing held back after writeBuffered().
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
});
