/**
 * Saved PuTTY sessions' logging settings, read from the registry with `reg query` (no native
 * module): HKCU\Software\SimonTatham\PuTTY\Sessions\<session> values LogFileName (with PuTTY's
 * &H host, &P port, &Y &M &D date, &T time, && ampersand), LogType (0 none, 1 printable output,
 * 2 all session output, 3 SSH packets, 4 SSH packets and raw data) and LogFileClash (-1 ask,
 * 0 append, 1 overwrite). Only types 3 and 4 carry plink's "Event Log:" lines, so only those
 * are log sources; the others are reported so `doctor` can say what to change.
 *
 * `reg query … /s` prints a key line ("HKEY_CURRENT_USER\…\Sessions\name") and under it one
 * "    Name    REG_TYPE    value" line per value; REG_DWORD values as 0x… hex. Session names
 * are stored escaped by PuTTY (%20 for a space, %XX for other bytes).
 */
import { win32 } from 'node:path';

export const SESSIONS_KEY = 'HKCU\\Software\\SimonTatham\\PuTTY\\Sessions';

export interface PuttySession {
  /** The name as PuTTY shows it (%XX decoded). */
  name: string;
  logFileName?: string;
  logType: number;
  /** -1 ask, 0 append, 1 overwrite (PuTTY's default is -1). */
  logFileClash: number;
}

function dword(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : Number(v);
  if (!Number.isFinite(n)) return dflt;
  // a DWORD of 0xffffffff is -1 (LogFileClash "ask")
  return n > 0x7fffffff ? n - 0x100000000 : n;
}

function decodeName(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Parses the text `reg query HKCU\Software\SimonTatham\PuTTY\Sessions /s` printed. */
export function parseRegQuery(text: string): PuttySession[] {
  const out: PuttySession[] = [];
  let current: { name: string; values: Map<string, string> } | undefined;
  const flush = () => {
    if (!current) return;
    const v = current.values;
    const file = v.get('logfilename');
    out.push({
      name: current.name,
      ...(file ? { logFileName: file } : {}),
      logType: dword(v.get('logtype'), 0),
      logFileClash: dword(v.get('logfileclash'), -1),
    });
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\r$/, '');
    const key = /^HKEY_[A-Z_]+\\.*?\\Sessions\\(.+)$/i.exec(line);
    if (key) {
      flush();
      current = { name: decodeName(key[1]!), values: new Map() };
      continue;
    }
    const val = /^ {2,}(\S(?:.*?\S)?) {2,}(REG_[A-Z_]+)(?: {2,}(.*))?$/.exec(line);
    if (val && current) current.values.set(val[1]!.toLowerCase(), (val[3] ?? '').trim());
  }
  flush();
  return out;
}

/** A PuTTY log file name as a glob: &H &P &Y &M &D &T become *, && an ampersand. */
export function logFileGlob(name: string): string {
  return name.replace(/&([&HPYMDThpymdt])/g, (_m, c: string) => (c === '&' ? '&' : '*'));
}

export interface SessionLogs {
  /** Absolute globs of the log files of sessions that log SSH packets (LogType 3 or 4). */
  globs: Array<{ session: string; glob: string }>;
  /** Sessions whose logs cannot serve, and why (for doctor). */
  unusable: Array<{ session: string; why: string }>;
}

/** Which sessions' logs connwatch can read, and what is wrong with the others. */
export function sessionLogs(sessions: PuttySession[]): SessionLogs {
  const r: SessionLogs = { globs: [], unusable: [] };
  for (const s of sessions) {
    if (s.logType === 0) continue;
    if (s.logType === 1 || s.logType === 2) {
      r.unusable.push({ session: s.name, why: `logs ${s.logType === 1 ? 'printable output' : 'all session output'} only (LogType ${s.logType}); choose "SSH packets" under Session → Logging so plink's Event Log lines are written` });
    } else if (!s.logFileName) {
      r.unusable.push({ session: s.name, why: 'logs SSH packets but names no log file (LogFileName is empty)' });
    } else if (!win32.isAbsolute(s.logFileName)) {
      r.unusable.push({ session: s.name, why: `its log file "${s.logFileName}" is a relative path (relative to wherever PuTTY was started); give a full path such as %LOCALAPPDATA%\\connwatch\\putty-logs\\&H-&Y&M&D-&T.log` });
    } else {
      r.globs.push({ session: s.name, glob: logFileGlob(s.logFileName) });
      if (s.logFileClash === -1) r.unusable.push({ session: s.name, why: 'asks what to do when its log file exists (LogFileClash -1): a plink started by Xming waits for that answer unseen; choose "Always append" or put &T in the file name' });
    }
  }
  return r;
}

/** Runs `reg query` (synchronously: once at start, before the sources start). */
export function readPuttySessions(run: (cmd: string, args: string[]) => string = regQuery): { sessions: PuttySession[]; error?: string } {
  try {
    return { sessions: parseRegQuery(run('reg', ['query', SESSIONS_KEY, '/s'])) };
  } catch (err) {
    const e = err as { status?: number; stdout?: unknown; message?: string };
    // reg exits 1 when the key does not exist: PuTTY never saved a session here
    if (e.status === 1) return { sessions: [] };
    return { sessions: [], error: e.message ?? String(err) };
  }
}

function regQuery(cmd: string, args: string[]): string {
  // loaded here, on Windows only: every `replay` and `run` imports this module (programs.ts), and
  // node:child_process costs ~5 ms of their start-up
  return process.getBuiltinModule('node:child_process').execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'] });
}
