/**
 * What an alert quotes and whom it may act on, seen from the person's side:
 *
 * - evidenceText: the line as the program printed it. A line that arrived inside an envelope of
 *   ours or the journal's (a `connwatch wrap` capture record, a journal JSON entry) is quoted as
 *   its text, never as the JSON record around it.
 * - waitingProcess: a client connwatch captured itself (a capture record carries its pid) that
 *   is still running as that program, identified by pid AND start time, so that the
 *   notification's "stop the waiting client" can never signal a process that took the pid later.
 */
import { readFileSync } from 'node:fs';
import type { Alert } from '../alert.js';
import type { Event } from '../event.js';
import { isCaptureRecord } from '../envelopes/wrap-capture.js';
import { isJournalEntry, parseJournal } from '../envelopes/journal.js';

const MAX_JSON = 1 << 20;

function jsonObject(text: string): Record<string, unknown> | undefined {
  if (text.length > MAX_JSON || !text.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The line to quote: a line of a log file as it stands there (a syslog line keeps its header, as
 * grep finds it); a line that came inside a JSON envelope (capture record, journal entry, macOS
 * log entry) as the program's own text (`message`, what the router took out of the envelope).
 */
export function evidenceText(raw: string, message?: string): string {
  if (!raw.startsWith('{')) return raw;
  if (message !== undefined) return message;
  const o = jsonObject(raw);
  if (!o) return raw;
  if (isCaptureRecord(o)) return typeof o.text === 'string' ? o.text : raw;
  if (isJournalEntry(o)) return parseJournal(o).text;
  return raw;
}

/** The captured client's pid, when the raw line is a capture record of ours. */
function capturedPid(e: Event): number | undefined {
  if (e.pid === undefined) return undefined;
  const o = jsonObject(e.raw.text);
  return o && isCaptureRecord(o) && o.pid === e.pid ? e.pid : undefined;
}

/** Start time (field 22 of /proc/PID/stat, clock ticks since boot) and comm of a live process. */
export function processIdentity(pid: number): { start: number; comm: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may itself hold ") ": the fields after it start at the last ")"
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is field 3 (state): field 22 is fields[19]
    const start = Number(fields[19]);
    return Number.isFinite(start) ? { start, comm } : undefined;
  } catch {
    return undefined;
  }
}

const COMM: Partial<Record<Alert['program'], RegExp>> = {
  plink: /^plink/,
  ssh: /^ssh$/,
  freerdp: /freerdp/,
  rdesktop: /^rdesktop$/,
};

/** The captured client of a hang, still running as that program; undefined otherwise. */
export function waitingProcess(e: Event): Alert['process'] {
  const pid = capturedPid(e);
  const comm = COMM[e.program];
  if (pid === undefined || !comm) return undefined;
  const id = processIdentity(pid);
  return id && comm.test(id.comm) ? { pid, start: id.start, program: e.program } : undefined;
}
