/**
 * Generated benchmark logs, from real line shapes (bench/corpus.ts) and a seeded PRNG, so that a
 * run is reproducible:
 *
 *   - an sshd auth.log (rsyslog's Debian 12 format, `2026-03-01T00:00:00.000000+00:00 vm sshd[pid]: …`)
 *     of N lines or of about N bytes, `failureShare` of them failure lines of many kinds, the rest
 *     ordinary ones; addresses and ports are varied across a pool of hosts, pids across a pool of
 *     live connections;
 *   - a mixed client log in `connwatch wrap`'s capture format (JSONL, one record per line with its
 *     program and pid), several plink/rdesktop/xfreerdp/Remmina runs interleaved as they would be
 *     when run side by side.
 *
 * Files are written in chunks with a bounded buffer, so a 1 GB log costs little memory to make.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Prng } from './prng.js';
import type { ClientRun, SshdShapes } from './corpus.js';

const IPV4 = /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g;
const PORT = /\bport \d+/g;
const START = Date.UTC(2026, 2, 1);
const FLUSH_BYTES = 1 << 20;

function iso(ms: number, micros: number): string {
  const d = new Date(ms);
  return `${d.toISOString().slice(0, 19)}.${String((ms % 1000) * 1000 + micros).padStart(6, '0')}+00:00`;
}

export interface SshdLogOptions {
  seed: number;
  /** Stop after this many lines… */
  lines?: number;
  /** …or after about this many bytes. */
  bytes?: number;
  failureShare: number;
  /** Distinct client addresses. */
  hosts?: number;
}

export interface Written {
  lines: number;
  bytes: number;
  failureLines: number;
}

/** Writes the sshd log to `path`. */
export function writeSshdLog(path: string, shapes: SshdShapes, o: SshdLogOptions): Written {
  if (!shapes.failure.length || !shapes.ordinary.length) throw new Error('bench: no sshd line shapes found under test/fixtures');
  const rnd = new Prng(o.seed);
  const hosts = Array.from({ length: o.hosts ?? 5000 }, () => `100.${rnd.int(64, 127)}.${rnd.int(0, 255)}.${rnd.int(1, 254)}`);
  const pids = Array.from({ length: 2000 }, () => rnd.int(1000, 4_000_000));
  const maxLines = o.lines ?? Infinity;
  const maxBytes = o.bytes ?? Infinity;
  const fd = openSync(path, 'w');
  let t = START;
  let buf = '';
  const out: Written = { lines: 0, bytes: 0, failureLines: 0 };
  try {
    while (out.lines < maxLines && out.bytes < maxBytes) {
      t += rnd.int(0, 400);
      const failure = rnd.next() < o.failureShare;
      const slot = rnd.int(0, pids.length - 1);
      if (rnd.next() < 0.05) pids[slot] = rnd.int(1000, 4_000_000); // connections come and go
      const host = hosts[(slot * 7919 + (failure ? rnd.int(0, 3) : 0)) % hosts.length]!;
      const msg = rnd
        .pick(failure ? shapes.failure : shapes.ordinary)
        .replace(IPV4, host)
        .replace(PORT, () => `port ${rnd.int(1024, 65535)}`);
      const line = `${iso(t, rnd.int(0, 999))} vm sshd[${pids[slot]}]: ${msg}\n`;
      buf += line;
      out.lines++;
      out.bytes += Buffer.byteLength(line);
      if (failure) out.failureLines++;
      if (buf.length >= FLUSH_BYTES) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    if (buf) writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  return out;
}

export interface ClientLogOptions {
  seed: number;
  lines: number;
  /** Runs in progress at the same time. */
  concurrent?: number;
}

/** Writes the mixed client capture log to `path`. */
export function writeClientLog(path: string, runs: readonly ClientRun[], o: ClientLogOptions): Written {
  if (!runs.length) throw new Error('bench: no client captures found under test/fixtures');
  const rnd = new Prng(o.seed);
  let t = START;
  interface Live {
    run: ClientRun;
    pid: number;
    next: number;
  }
  const live: Live[] = [];
  const fd = openSync(path, 'w');
  let buf = '';
  const out: Written = { lines: 0, bytes: 0, failureLines: 0 };
  const emit = (rec: Record<string, unknown>) => {
    const line = JSON.stringify(rec) + '\n';
    buf += line;
    out.lines++;
    out.bytes += Buffer.byteLength(line);
    if (buf.length >= FLUSH_BYTES) {
      writeSync(fd, buf);
      buf = '';
    }
  };
  try {
    while (out.lines < o.lines) {
      t += rnd.int(0, 50);
      while (live.length < (o.concurrent ?? 6)) {
        const run = rnd.pick(runs);
        const l: Live = { run, pid: rnd.int(1000, 4_000_000), next: 0 };
        live.push(l);
        emit({ v: 1, t, pid: l.pid, program: run.program, event: 'start', argv: [run.program === 'freerdp' ? 'xfreerdp' : run.program, 'bench-host'] });
      }
      const i = rnd.int(0, live.length - 1);
      const l = live[i]!;
      emit({ v: 1, t, pid: l.pid, program: l.run.program, stream: 'stderr', text: l.run.lines[l.next++] });
      if (l.next >= l.run.lines.length) {
        emit({ v: 1, t, pid: l.pid, program: l.run.program, event: 'exit', code: 1, signal: null });
        live.splice(i, 1);
      }
    }
    if (buf) writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  return out;
}
