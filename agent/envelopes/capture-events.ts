/**
 * The process records of a `connwatch wrap` capture (format: wrap-capture.ts) as event drafts:
 *
 *   start   → process.start (detail.command; host and port: the record's own, else read from
 *             the argv of a known client, so "plink -P 2201 vm1" names vm1 port 2201 even when
 *             plink prints nothing about where it connects)
 *   exit    → process.exit (detail.code, detail.signal)
 *   input   → prompt.answered (detail.bytes, detail.to): the person typed or piped something to
 *             the client (its content is never recorded)
 *   waiting → input.waiting (detail.on, detail.fd): what the client blocks reading
 *
 * Fields are read defensively: a record written by a newer wrap with fields this agent does not
 * know still maps, a field of the wrong type is left out.
 */
import type { Detail, EventDraft, Program } from '../event.js';
import { targetOf } from '../sources/wrap-argv.js';

/** The fields of a process record this mapping reads (see wrap-capture.ts for the record format). */
export interface ProcessRecord {
  pid: number;
  event?: unknown;
  argv?: unknown;
  code?: unknown;
  signal?: unknown;
  host?: unknown;
  port?: unknown;
  bytes?: unknown;
  to?: unknown;
  on?: unknown;
  fd?: unknown;
}

const WAITING_ON = new Set(['tty', 'stdin', 'socket', 'other', 'none']);
const INPUT_TO = new Set(['stdin', 'tty']);

/** The draft of a process record, or undefined for a record of a kind this agent does not know. */
export function processRecordDraft(rec: ProcessRecord, program: Program): EventDraft | undefined {
  const detail: Detail = {};
  switch (rec.event) {
    case 'start': {
      const argv = Array.isArray(rec.argv) ? rec.argv.filter((a): a is string => typeof a === 'string') : [];
      if (argv.length) detail.command = argv.join(' ');
      const target = targetOf(program, argv);
      const host = typeof rec.host === 'string' && rec.host ? rec.host : target.host;
      const port = validPort(rec.port) ?? target.port;
      return { kind: 'process.start', program, pid: rec.pid, host, port, user: target.user, detail };
    }
    case 'exit':
      if (typeof rec.code === 'number') detail.code = rec.code;
      if (typeof rec.signal === 'string') detail.signal = rec.signal;
      return { kind: 'process.exit', program, pid: rec.pid, detail };
    case 'input':
      if (typeof rec.bytes === 'number') detail.bytes = rec.bytes;
      if (typeof rec.to === 'string' && INPUT_TO.has(rec.to)) detail.to = rec.to;
      return { kind: 'prompt.answered', program, pid: rec.pid, detail };
    case 'waiting':
      detail.on = typeof rec.on === 'string' && WAITING_ON.has(rec.on) ? rec.on : 'other';
      if (typeof rec.fd === 'number') detail.fd = rec.fd;
      return { kind: 'input.waiting', program, pid: rec.pid, detail };
    default:
      return undefined;
  }
}

function validPort(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}
