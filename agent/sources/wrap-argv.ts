/**
 * What a client's command line says: the program, the argv with secrets masked, and the host,
 * port and (ssh, plink) user it connects to. `connwatch wrap` writes them in its `start` record;
 * the capture's events (envelopes/capture-events.ts) read the target of a record without one.
 *
 *   redactArgv(['xfreerdp', '/u:me', '/p:secret', '/v:h:3390'])  // [..., '/p:***', ...]
 *   targetOf('freerdp', ['xfreerdp', '/v:h:3390'])                // { host: 'h', port: 3390 }
 *   targetOf('ssh', ['ssh', '-l', 'me', 'vm1'])                   // { host: 'vm1', user: 'me' }
 *
 * Masked (the client still gets them unchanged): plink/PuTTY `-pw X`; xfreerdp `/p:X`, `/gp:X`,
 * `/pth:X`, `p:X` inside `/gateway:…,p:X,…`; rdesktop (and sshpass) `-p X` and `-pX` (not
 * rdesktop's `-p -`, "read it from stdin"); `--password X`, `--password=X` for any client; the password of any URL
 * (`rdp://user:pass@host`, as Remmina and xfreerdp take them).
 * The port is set only when the command line names it (plink `-P`, ssh `-p`/`-oPort=`/
 * `ssh://h:p`, xfreerdp `/v:h:p` or `/port:`, rdesktop `h:p`). The user (ssh and plink only):
 * `user@host`, else `-l user`.
 */
import { basename } from 'node:path';
import type { Program } from '../event.js';
import { programOfBinary } from '../programs.js';

/** The program of a command line's argv[0] (programs.ts: binaries, identifiers, names). */
export function programOf(argv0: string): Program | undefined {
  return programOfBinary(basename(argv0));
}

const MASK = '***';

function maskUrl(a: string): string {
  return a.replace(/^([a-z][\w+.-]*:\/\/[^/@:\s]*):[^@/\s]*@/i, `$1:${MASK}@`);
}

/** argv with passwords replaced by "***". */
export function redactArgv(argv: string[], program: Program | undefined = programOf(argv[0] ?? '')): string[] {
  const out = [...argv];
  const sshpass = basename(argv[0] ?? '') === 'sshpass';
  for (let i = 1; i < out.length; i++) {
    const a = out[i] as string;
    const next = i + 1 < out.length;
    if (sshpass && !a.startsWith('-')) {
      // the command sshpass runs: masked as its own command line
      out.splice(i, out.length - i, ...redactArgv(out.slice(i)));
      break;
    }
    if ((a === '-pw' || a === '--password' || (a === '-p' && (program === 'rdesktop' || sshpass))) && next) {
      if (!(a === '-p' && out[i + 1] === '-')) out[i + 1] = MASK;
      i++;
    } else if (/^[/-](p|gp|pth|password):/i.test(a)) out[i] = `${a.slice(0, a.indexOf(':') + 1)}${MASK}`;
    else if (/^--password=/.test(a)) out[i] = `--password=${MASK}`;
    else if ((program === 'rdesktop' || sshpass) && /^-p./.test(a) && a !== '-p-') out[i] = `-p${MASK}`;
    else if (/^[/-](g|gateway):/i.test(a)) out[i] = a.replace(/([:,]p:)[^,]*/gi, `$1${MASK}`);
    else out[i] = maskUrl(a);
  }
  return out;
}

export interface Target {
  host?: string;
  port?: number;
  user?: string;
}

function portOf(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n > 0 && n < 65536 ? n : undefined;
}

/** "user@host", "host:port", "[v6]:port", "ssh://user@host:port" → host and port. */
function splitHost(s: string, withPort: boolean): Target {
  let rest = s.replace(/^[a-z][\w+.-]*:\/\//i, '');
  const url = rest !== s;
  rest = rest.replace(/\/.*$/, '');
  const at = rest.lastIndexOf('@');
  const user = at > 0 ? { user: rest.slice(0, at) } : {};
  if (at >= 0) rest = rest.slice(at + 1);
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) return { host: v6[1] as string, ...(portOf(v6[2]) ? { port: portOf(v6[2]) as number } : {}), ...user };
  const m = /^([^:]+):(\d+)$/.exec(rest);
  if ((withPort || url) && m) return { host: m[1] as string, ...(portOf(m[2]) ? { port: portOf(m[2]) as number } : {}), ...user };
  return rest ? { host: rest, ...user } : user;
}

// Options that take a value (separate or attached), per client.
const PLINK_VALUE = new Set(['-P', '-l', '-pw', '-i', '-L', '-R', '-D', '-m', '-hostkey', '-sercfg', '-sshlog', '-sshrawlog', '-proxycmd', '-pwfile', '-load', '-nc', '-o', '-logoverwrite', '-logappend', '-serial', '-jumphost', '-J', '-cert', '-loghost', '-hostkey-file', '-acceptedhostkey']);
const SSH_VALUE = 'BbcDEeFIiJLlmOoPpQRSWw';
const RDESKTOP_VALUE = 'AVudscpnkgoSTXaxrL';

function plinkTarget(argv: readonly string[]): Target {
  let port: number | undefined;
  let user: string | undefined;
  let host: Target = {};
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (PLINK_VALUE.has(a)) {
      if (a === '-P') port = portOf(argv[i + 1]);
      if (a === '-l' && argv[i + 1]) user = argv[i + 1];
      i++;
    } else if (a.startsWith('-')) continue;
    else {
      host = splitHost(a, false);
      break;
    }
  }
  return { ...(user ? { user } : {}), ...host, ...(port ? { port } : {}) };
}

function getoptTarget(argv: readonly string[], valueLetters: string, portLetter: string | undefined, withPort: boolean): Target {
  let port: number | undefined;
  let user: string | undefined;
  let host: Target = {};
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      host = splitHost(argv[i + 1] ?? '', withPort);
      break;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j] as string;
        if (!valueLetters.includes(c)) continue;
        const value = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (c === portLetter) port = portOf(value);
        if (c === 'l' && value) user = value;
        if (c === 'o' && portLetter === 'p') {
          const m = /^port[= ]\s*(\d+)$/i.exec(value ?? '');
          if (m) port = portOf(m[1]);
        }
        break;
      }
      continue;
    }
    host = splitHost(a, withPort);
    break;
  }
  return { ...(user ? { user } : {}), ...host, ...(port ? { port } : host.port ? { port: host.port } : {}) };
}

function freerdpTarget(argv: readonly string[]): Target {
  let t: Target = {};
  let port: number | undefined;
  for (const a of argv.slice(1)) {
    const v = /^[/-]v:(.+)$/i.exec(a);
    if (v) t = splitHost(v[1] as string, true);
    const p = /^[/-]port:(\d+)$/i.exec(a);
    if (p) port = portOf(p[1]);
    if (/^rdp:\/\//i.test(a)) t = splitHost(a, true);
  }
  return { ...t, ...(port ? { port } : {}) };
}

/** The host, port and (ssh, plink) user a known client's command line connects to; {} when unknown. */
export function targetOf(program: Program | undefined, argv: readonly string[]): Target {
  let t: Target = {};
  if (program === 'plink') t = plinkTarget(argv);
  else if (program === 'ssh') t = getoptTarget(argv, SSH_VALUE, 'p', false);
  else if (program === 'rdesktop') t = getoptTarget(argv, RDESKTOP_VALUE, undefined, true);
  else if (program === 'freerdp') t = freerdpTarget(argv);
  else if (program === 'remmina') {
    const url = argv.find((a) => /^[a-z]+:\/\//i.test(a));
    if (url) t = splitHost(url, true);
  }
  if (t.host !== undefined && t.host === '') delete t.host;
  if (program !== 'plink' && program !== 'ssh') delete t.user;
  return t;
}
