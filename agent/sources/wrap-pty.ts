/**
 * The pseudo-terminal of a wrapped client, provided by util-linux `script` (on every Debian and
 * Fedora system; no native npm module to build): `script -q -e -c CMD /dev/null` gives CMD a
 * new session with a pty as its controlling terminal (/dev/tty), copies its own stdin to the
 * pty and the pty's output to its own stdout, and exits with CMD's code (128 + n for a signal).
 * CMD is `exec CLIENT ARGS <&3 >&4 2>&5`: the client keeps stdout and stderr as separate pipes
 * (wrap's capture semantics and what the person sees stay as they were), and only what it writes
 * to /dev/tty (ssh's questions, plink's password prompt) comes through the pty.
 *
 *   const r = resolveCommand('plink', process.env.PATH);   // { path } or { code: 127, message }
 *   const argv = scriptArgv(['ssh', 'host'], { stdin: 'pipe', rows: 24, cols: 80 });
 *
 * Each argument is single-quoted for /bin/sh (a quote becomes '\''), so no argument is ever
 * interpreted by the shell; SHELL is /bin/sh for `script` and restored for the client.
 */
import { execFile } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, sep } from 'node:path';

export const SCRIPT_BIN = '/usr/bin/script';

export type Resolved = { path: string } | { code: 126 | 127; message: string };

function executable(path: string): 'yes' | 'no' | 'missing' {
  try {
    if (statSync(path).isDirectory()) return 'no';
    accessSync(path, constants.X_OK);
    return 'yes';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'missing' : 'no';
  }
}

/** Finds cmd as a shell would: 127 when it is nowhere, 126 when found but not executable. */
export function resolveCommand(cmd: string, pathVar: string | undefined): Resolved {
  if (cmd.includes('/') || (sep === '\\' && cmd.includes('\\'))) {
    // a path (on Windows also C:\…\plink.exe, as the plink.cmd shim gives it)
    const e = executable(cmd);
    if (e === 'yes') return { path: cmd };
    if (e === 'missing') return { code: 127, message: `${cmd}: no such file` };
    return { code: 126, message: `${cmd}: ${statSafe(cmd)?.isDirectory() ? 'is a directory' : 'permission denied (not executable)'}` };
  }
  let denied: string | undefined;
  for (const dir of (pathVar ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const p = join(dir || '.', cmd);
    const e = executable(p);
    if (e === 'yes') return { path: p };
    if (e === 'no' && !denied && !statSafe(p)?.isDirectory()) denied = p;
  }
  if (denied) return { code: 126, message: `${denied}: permission denied (not executable)` };
  return { code: 127, message: `${cmd}: command not found` };
}

function statSafe(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface ScriptOptions {
  /** 'pipe': the client's stdin is wrap's fd 3; 'pty': the pty itself; 'null': /dev/null. */
  stdin: 'pipe' | 'pty' | 'null';
  rows?: number | undefined;
  cols?: number | undefined;
}

/** The argv of `script` running `argv` on a pty, stdout/stderr on fds 4 and 5. */
export function scriptArgv(argv: string[], o: ScriptOptions): string[] {
  const size = o.rows && o.cols ? `stty rows ${Math.floor(o.rows)} cols ${Math.floor(o.cols)} 2>/dev/null; ` : '';
  const restore = 'if [ -n "${CONNWATCH_SHELL+x}" ]; then SHELL=$CONNWATCH_SHELL; export SHELL; else unset SHELL; fi; unset CONNWATCH_SHELL; ';
  const input = o.stdin === 'pipe' ? '<&3 ' : o.stdin === 'null' ? '</dev/null ' : '';
  const cmd = `${size}${restore}exec ${argv.map(shellQuote).join(' ')} ${input}>&4 2>&5 3<&- 4>&- 5>&-`;
  return ['-q', '-e', '-c', cmd, '/dev/null'];
}

/** script's environment: SHELL=/bin/sh for the -c command, the person's SHELL kept aside. */
export function scriptEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, SHELL: '/bin/sh' };
  delete out.CONNWATCH_SHELL;
  if (env.SHELL !== undefined) out.CONNWATCH_SHELL = env.SHELL;
  return out;
}

/** True when this process has a controlling terminal (a person's terminal, watched or not). */
export function hasControllingTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return true;
  } catch {
    return false;
  }
}

function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The pid of `parent`'s first child (script's child, which execs the client), or undefined. */
export function childOf(parent: number): number | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    if (statFields(Number(n))?.[1] === String(parent)) return Number(n);
  }
  return undefined;
}

/** /dev/pts/N of the process's controlling terminal, from tty_nr in /proc/PID/stat. */
export function ptsOf(pid: number): string | undefined {
  const nr = Number(statFields(pid)?.[4]);
  if (!Number.isInteger(nr) || nr <= 0) return undefined;
  const major = (nr >> 8) & 0xfff;
  const minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
  if (major < 136 || major > 143) return undefined;
  return `/dev/pts/${(major - 136) * 256 + minor}`;
}

/** Sets the pty's size (the kernel then sends SIGWINCH to the client); errors are ignored. */
export function resizePty(pts: string, rows: number, cols: number): void {
  execFile('stty', ['-F', pts, 'rows', String(rows), 'cols', String(cols)], () => undefined);
}
