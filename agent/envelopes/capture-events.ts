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

/** plink/PuTTY options that take a value (the host is the first argument that is neither). */
const PLINK_VALUE = new Set(['-P', '-l', '-pw', '-pwfile', '-i', '-L', '-R', '-D', '-m', '-hostkey', '-sshlog', '-sshrawlog', '-load', '-proxycmd', '-sercfg', '-serial', '-jumphost', '-J', '-o', '-cert', '-loghost', '-hostkey-file', '-acceptedhostkey']);
/** rdesktop options that take a value. */
const RDESKTOP_VALUE = 'AuLdscpnkgoSTXaxr';
/** OpenSSH ssh options that take a value. */
const SSH_VALUE = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split('').map((c) => `-${c}`));

interface Target {
  host?: string;
  port?: number;
  user?: string;
}

/** Where a known client's command line says it connects: the host as typed, the port, the user. */
export function targetOf(program: Program, argv: readonly string[]): Target {
  switch (program) {
    case 'plink':
    case 'ssh':
      return sshTarget(program, argv.slice(1));
    case 'freerdp':
    case 'remmina': {
      const v = argv.find((a) => /^[/-]v:/.test(a));
      return v ? hostPort(v.slice(3)) : {};
    }
    case 'rdesktop': {
      const rest = argv.slice(1);
      let last: string | undefined;
      for (let i = 0; i < rest.length; i++) {
        const a = rest[i]!;
        if (a.startsWith('-')) {
          // rdesktop's options are one letter (getopt "A:u:L:d:s:c:p:n:k:g:o:…S:T:X:a:x:r:"); a value
          // follows as the next argument unless attached
          if (a.length === 2 && RDESKTOP_VALUE.includes(a[1]!)) i++;
          continue;
        }
        last = a;
      }
      return last ? hostPort(last) : {};
    }
    default:
      return {};
  }
}

function sshTarget(program: 'plink' | 'ssh', args: readonly string[]): Target {
  const takesValue = program === 'plink' ? PLINK_VALUE : SSH_VALUE;
  let port: number | undefined;
  let user: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      if (i < args.length) return { ...userHost(args[i]!, port, user) };
      break;
    }
    if (a.startsWith('-') && a.length > 1) {
      let value: string | undefined;
      const flag = program === 'ssh' && a.length > 2 && SSH_VALUE.has(a.slice(0, 2)) ? a.slice(0, 2) : a;
      if (flag !== a) value = a.slice(2);
      else if (takesValue.has(a)) value = args[++i];
      if ((flag === '-P' && program === 'plink') || (flag === '-p' && program === 'ssh')) port = validPort(value) ?? port;
      if (flag === '-l' && value) user = value;
      continue;
    }
    return userHost(a, port, user);
  }
  return {};
}

function userHost(arg: string, port: number | undefined, user: string | undefined): Target {
  let s = arg;
  const url = /^ssh:\/\/(.+)$/.exec(s);
  if (url) s = url[1]!.replace(/\/.*$/, '');
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at) || user;
    s = s.slice(at + 1);
  }
  const hp = url ? hostPort(s) : { host: s };
  return { host: hp.host || undefined, port: hp.port ?? port, user };
}

/** `host`, `host:port`, `[v6]:port`, `v6` (more than one colon and no brackets: no port). */
function hostPort(s: string): Target {
  const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (br) return { host: br[1], port: validPort(br[2]) };
  const colons = s.split(':').length - 1;
  if (colons === 1) {
    const [h, p] = s.split(':');
    return { host: h || undefined, port: validPort(p) };
  }
  return { host: s || undefined };
}
