/**
 * The capture file that `connwatch wrap` writes: one JSON object per line.
 *
 *   {"v":1,"t":1763731972123,"pid":4242,"program":"plink","stream":"stderr","text":"Connecting to …"}
 *   {"v":1,"t":…,"pid":4242,"stream":"stderr","text":"Store key in cache? (y/n) ","partial":true}
 *   {"v":1,"t":…,"pid":4242,"stream":"stderr","text":"Initialised …","cont":true}
 *   {"v":1,"t":…,"pid":4242,"program":"plink","event":"start","argv":["plink","-v","host"]}
 *   {"v":1,"t":…,"pid":4242,"program":"plink","event":"exit","code":0,"signal":null}
 *
 * `partial`: the text had no newline yet when captured (a prompt waiting for input);
 * `cont`: the text continues a line whose start was captured as partial.
 */
import type { Program } from '../event.js';
import { PROGRAMS } from '../event.js';

export const CAPTURE_VERSION = 1;

export interface CaptureRecord {
  v: 1;
  t: number;
  pid: number;
  program?: Program;
  stream?: 'stdout' | 'stderr';
  text?: string;
  partial?: boolean;
  cont?: boolean;
  event?: 'start' | 'exit';
  argv?: string[];
  code?: number | null;
  signal?: string | null;
}

export function isCaptureRecord(o: Record<string, unknown>): boolean {
  return o.v === CAPTURE_VERSION && typeof o.t === 'number' && typeof o.pid === 'number' && ('text' in o || 'event' in o);
}

export function asProgram(s: unknown): Program | undefined {
  return typeof s === 'string' && (PROGRAMS as readonly string[]).includes(s) ? (s as Program) : undefined;
}
