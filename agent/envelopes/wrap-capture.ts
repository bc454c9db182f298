/**
 * The capture file that `connwatch wrap` writes: one JSON object per line.
 *
 *   {"v":1,"t":1763731972123,"pid":4242,"program":"plink","stream":"stderr","text":"Connecting to …"}
 *   {"v":1,"t":…,"pid":4242,"stream":"stderr","text":"Store key in cache? (y/n) ","partial":true}
 *   {"v":1,"t":…,"pid":4242,"stream":"stderr","text":"Initialised …","cont":true}
 *   {"v":1,"t":…,"pid":4242,"program":"plink","event":"start","argv":["plink","-v","host"]}
 *   {"v":1,"t":…,"pid":4242,"program":"plink","event":"exit","code":0,"signal":null}
 *   {"v":1,"t":…,"pid":4242,"program":"ssh","stream":"tty","text":"… (yes/no/[fingerprint])? ","partial":true}
 *   {"v":1,"t":…,"pid":4242,"program":"plink","event":"input","bytes":2,"to":"stdin"}
 *   {"v":1,"t":…,"pid":4242,"program":"plink","event":"waiting","on":"stdin","fd":0}
 *
 * `stream: "tty"`: what the client wrote to its terminal (/dev/tty: ssh's questions), when wrap
 * gave it a pseudo-terminal. `start` also carries `host` and `port` when the command line of a
 * known client names them (argv has its secrets masked). `input`: the person passed `bytes`
 * bytes to the client's stdin or terminal (never their content; at most one record per 500 ms
 * per target). `waiting`: what the client is blocked on, from /proc (`on`: "tty"/"stdin" = it
 * waits for the person, "socket" = for its connection, "other", "none" = running; `fd` the fd
 * it reads when known), written when that changes while its output is quiet.
 *
 * `partial`: the text had no newline yet when captured (a prompt waiting for input);
 * `cont`: the text continues a line whose start was captured as partial.
 */
import type { Program } from '../event.js';
import { PROGRAMS } from '../programs.js';

export const CAPTURE_VERSION = 1;

export interface CaptureRecord {
  v: 1;
  t: number;
  pid: number;
  program?: Program;
  stream?: 'stdout' | 'stderr' | 'tty';
  text?: string;
  partial?: boolean;
  cont?: boolean;
  event?: 'start' | 'exit' | 'input' | 'waiting';
  argv?: string[];
  host?: string;
  port?: number;
  /** start: what wrap added for the capture (`-v`, `WLOG_LEVEL=DEBUG`: --verbose-capture); its output is captured but not shown. */
  added?: string[];
  /** input: how many bytes, and where they went. */
  bytes?: number;
  to?: 'stdin' | 'tty';
  /** waiting: what the client is blocked on, and the fd it waits on when known. */
  on?: 'tty' | 'stdin' | 'socket' | 'other' | 'none';
  fd?: number;
  code?: number | null;
  signal?: string | null;
}

export function isCaptureRecord(o: Record<string, unknown>): boolean {
  return o.v === CAPTURE_VERSION && typeof o.t === 'number' && typeof o.pid === 'number' && ('text' in o || 'event' in o);
}

export function asProgram(s: unknown): Program | undefined {
  return typeof s === 'string' && (PROGRAMS as readonly string[]).includes(s) ? (s as Program) : undefined;
}
