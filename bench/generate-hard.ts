/**
 * The harder generated sshd log: what a busy, scanned server writes, and what a benchmark tuned to
 * one kind log would miss (issue #20 measured 3.1× fail2ban-regex on such a mix against 5.6× on
 * the kinder one):
 *
 *   - many distinct addresses (200,000 by default) and connections: each connection is one pid
 *     that opens with `Connection from … port N on … port 22`, says 2–12 things and closes, so a
 *     2,000,000-line log holds about 270,000 connections, far more than the connection table keeps;
 *   - a realistic share of alert-producing lines (`failureShare`, 40% by default: failed
 *     passwords, invalid users, negotiation failures, drops, of every kind the corpus has);
 *   - every envelope replay reads, line by line: RFC 3339 (rsyslog's Debian default), RFC 3164
 *     (`Mar  1 00:00:07 vm sshd[4242]: …`), RFC 5424 (`<38>1 … vm sshd 4242 - - …`) and the
 *     journal's JSON export (`journalctl -o json`), and `sshd-session` beside `sshd` as the
 *     identifier (OpenSSH 9.8 and later).
 *
 * Same seed, same bytes; written in chunks, so a big log costs little memory to make.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Prng } from './prng.js';
import type { SshdShapes } from './corpus.js';
import type { Written } from './generate.js';

const IPV4 = /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g;
const PORT = /\bport \d+/g;
const START = Date.UTC(2026, 2, 1);
const FLUSH_BYTES = 1 << 20;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface HardLogOptions {
  seed: number;
  lines: number;
  /** Share of the lines inside a connection drawn from the failure shapes. */
  failureShare?: number;
  /** Distinct client addresses. */
  hosts?: number;
  /** Connections open at once (their lines interleave). */
  concurrent?: number;
}

interface Conn {
  pid: number;
  host: string;
  port: number;
  ident: string;
  left: number;
}

const two = (n: number) => String(n).padStart(2, '0');

/** One line in envelope `k` (0 RFC 3339, 1 RFC 3164, 2 RFC 5424, 3 journal JSON). */
function envelope(k: number, ms: number, micros: number, ident: string, pid: number, msg: string, seq: number): string {
  const d = new Date(ms);
  const frac = String((ms % 1000) * 1000 + micros).padStart(6, '0');
  const iso = `${d.toISOString().slice(0, 19)}.${frac}+00:00`;
  switch (k) {
    case 0:
      return `${iso} vm ${ident}[${pid}]: ${msg}`;
    case 1:
      return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} vm ${ident}[${pid}]: ${msg}`;
    case 2:
      return `<38>1 ${iso} vm ${ident} ${pid} - - ${msg}`;
    default:
      return JSON.stringify({
        __CURSOR: `s=0b5e;i=${seq.toString(16)};b=1f;m=${(ms * 1000 + micros).toString(16)}`,
        __REALTIME_TIMESTAMP: String(ms * 1000 + micros),
        _HOSTNAME: 'vm',
        SYSLOG_IDENTIFIER: ident,
        _PID: String(pid),
        MESSAGE: msg,
      });
  }
}

/** Writes the harder sshd log to `path`. */
export function writeHardSshdLog(path: string, shapes: SshdShapes, o: HardLogOptions): Written {
  if (!shapes.failure.length || !shapes.ordinary.length) throw new Error('bench: no sshd line shapes found under test/fixtures');
  const rnd = new Prng(o.seed);
  const failureShare = o.failureShare ?? 0.5;
  const hosts = o.hosts ?? 200_000;
  const hostOf = (i: number) => `${10 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.${1 + ((i * 7) % 253)}`;
  const live: Conn[] = [];
  const fd = openSync(path, 'w');
  let t = START;
  let buf = '';
  let seq = 0;
  const out: Written = { lines: 0, bytes: 0, failureLines: 0 };
  const emit = (c: Conn, msg: string) => {
    t += rnd.int(0, 60);
    const line = `${envelope(rnd.int(0, 9) < 4 ? 0 : rnd.int(1, 3), t, rnd.int(0, 999), c.ident, c.pid, msg, ++seq)}\n`;
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
      while (live.length < (o.concurrent ?? 400)) {
        // a few scanners come back often, most addresses once or twice
        const h = rnd.next() < 0.3 ? rnd.int(0, 199) : rnd.int(0, hosts - 1);
        const c: Conn = { pid: rnd.int(1000, 4_000_000), host: hostOf(h), port: rnd.int(1024, 65535), ident: rnd.next() < 0.2 ? 'sshd-session' : 'sshd', left: rnd.int(2, 12) };
        live.push(c);
        emit(c, `Connection from ${c.host} port ${c.port} on 192.0.2.10 port 22 rdomain ""`);
      }
      if (out.lines >= o.lines) break;
      const i = rnd.int(0, live.length - 1);
      const c = live[i]!;
      if (--c.left <= 0) {
        emit(c, rnd.next() < 0.5 ? `Connection closed by ${c.host} port ${c.port} [preauth]` : `Disconnected from authenticating user root ${c.host} port ${c.port} [preauth]`);
        live[i] = live[live.length - 1]!;
        live.pop();
        continue;
      }
      const failure = rnd.next() < failureShare;
      const msg = rnd
        .pick(failure ? shapes.failure : shapes.ordinary)
        .replace(IPV4, c.host)
        .replace(PORT, `port ${c.port}`);
      emit(c, msg);
      if (failure) out.failureLines++;
    }
    if (buf) writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  return out;
}
