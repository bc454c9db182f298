/**
 * What a process is blocked on, from /proc/PID: is a client waiting for the person (reading its
 * terminal or stdin), for its network connection, or running?
 *
 *   const snap = readProcSnapshot(pid);            // undefined when the process is gone
 *   const w = snap && classifyWait(snap);          // { on: 'tty', fd: 7 }
 *
 * readProcSnapshot reads, for every thread, /proc/PID/task/TID/syscall ("0 0x7 0x55… …" = the
 * syscall number and its arguments, or "running") and wchan, plus the targets of
 * /proc/PID/fd/N. For poll/ppoll and select/pselect6 it reads the fd list the call waits on
 * from /proc/PID/mem (the process is ours: same user, our descendant); for epoll_wait it reads
 * the registered fds from /proc/PID/fdinfo/EPFD. classifyWait is pure (tested on snapshots of
 * real blocked processes):
 *   - a thread blocked reading a terminal (/dev/pts/N, /dev/tty…, stdin included) → "tty";
 *     fd 0 or a copy of it otherwise → "stdin";
 *   - a thread waiting on a set of fds that holds a socket → "socket" (connected, waiting for the
 *     server or the session: plink and ssh poll their socket and stdin at once in a session);
 *     a set without a socket → "stdin"/"tty" as above, else "other";
 *   - reading a socket (read, recvfrom, recvmsg) → "socket"; sleeps, futex, wait4… → "other";
 *   - main thread running → "none".
 * The main thread decides unless it only waits for another thread ("other"); then the most
 * telling other thread does (tty > stdin > socket).
 * Syscall numbers are those of x86-64 and arm64; elsewhere everything blocked is "other".
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';

export type WaitOn = 'tty' | 'stdin' | 'socket' | 'other' | 'none';

export interface ThreadState {
  /** Content of /proc/PID/task/TID/syscall, trimmed. */
  syscall: string;
  /** Content of /proc/PID/task/TID/wchan ("0" when running). */
  wchan: string;
  /** For poll/select/epoll: the fds it waits on, when they could be read. */
  waitFds?: number[];
}

export interface ProcSnapshot {
  /** process.arch of the machine the snapshot was taken on ('x64', 'arm64'). */
  arch: string;
  /** Main thread first. */
  threads: ThreadState[];
  /** fd number → readlink of /proc/PID/fd/N ("/dev/pts/3", "pipe:[123]", "socket:[456]"). */
  fds: Record<number, string>;
}

export interface Wait {
  on: WaitOn;
  fd?: number;
}

type Kind = 'read' | 'recv' | 'poll' | 'select' | 'epoll' | 'wait';

const SYSCALLS: Record<string, Record<number, Kind>> = {
  x64: { 0: 'read', 17: 'read', 19: 'read', 295: 'read', 45: 'recv', 47: 'recv', 7: 'poll', 271: 'poll', 23: 'select', 270: 'select', 232: 'epoll', 281: 'epoll', 441: 'epoll', 35: 'wait', 230: 'wait', 202: 'wait', 61: 'wait', 247: 'wait', 34: 'wait' },
  arm64: { 63: 'read', 65: 'read', 67: 'read', 69: 'read', 207: 'recv', 212: 'recv', 73: 'poll', 72: 'select', 22: 'epoll', 441: 'epoll', 101: 'wait', 115: 'wait', 98: 'wait', 260: 'wait', 95: 'wait' },
};

/** Parses "NR ARG1 ARG2 …" (NR decimal, args hex); undefined for "running" or a bad line. */
export function parseSyscall(line: string): { nr: number; args: bigint[] } | undefined {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2 || !/^\d+$/.test(parts[0] ?? '')) return undefined;
  const args: bigint[] = [];
  for (const p of parts.slice(1)) {
    if (!/^0x[0-9a-f]+$/i.test(p)) return undefined;
    args.push(BigInt(p));
  }
  return { nr: Number(parts[0]), args };
}

function kindOf(arch: string, nr: number): Kind | undefined {
  return SYSCALLS[arch]?.[nr];
}

const TTY = /^\/dev\/(pts\/\d+|tty[\w/]*|console)$/;

function fdClass(fd: number, target: string | undefined, stdin?: string): WaitOn {
  if (target && TTY.test(target)) return 'tty';
  if (fd === 0 || (target !== undefined && target === stdin)) return 'stdin';
  // stdout/stderr: waited on for writing (to a pipe, or a socketpair when node started it), never the connection
  if (fd === 1 || fd === 2) return 'other';
  if (target?.startsWith('socket:')) return 'socket';
  return 'other';
}

function classifyThread(t: ThreadState, snap: ProcSnapshot): Wait {
  if (t.syscall === 'running' || t.syscall === '') return { on: 'none' };
  const call = parseSyscall(t.syscall);
  if (!call) return { on: 'other' };
  const kind = kindOf(snap.arch, call.nr);
  if (kind === 'read' || kind === 'recv') {
    const fd = Number(call.args[0] ?? -1n);
    const on = fdClass(fd, snap.fds[fd], snap.fds[0]);
    return { on: kind === 'recv' && on === 'other' ? 'socket' : on, fd };
  }
  if (kind === 'poll' || kind === 'select' || kind === 'epoll') {
    const fds = t.waitFds ?? [];
    const sock = fds.find((fd) => fdClass(fd, snap.fds[fd], snap.fds[0]) === 'socket');
    if (sock !== undefined) return { on: 'socket', fd: sock };
    for (const want of ['tty', 'stdin'] as const) {
      const fd = fds.find((f) => fdClass(f, snap.fds[f], snap.fds[0]) === want);
      if (fd !== undefined) return { on: want, fd };
    }
    return { on: 'other' };
  }
  return { on: 'other' };
}

const RANK: Record<WaitOn, number> = { tty: 4, stdin: 3, socket: 2, other: 1, none: 0 };

export function classifyWait(snap: ProcSnapshot): Wait {
  const [main, ...rest] = snap.threads;
  if (!main) return { on: 'none' };
  const first = classifyThread(main, snap);
  if (first.on !== 'other') return first;
  let best = first;
  for (const t of rest) {
    const w = classifyThread(t, snap);
    if (RANK[w.on] > RANK[best.on]) best = w;
  }
  return best;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Reads `len` bytes at address `addr` of the process's memory, or undefined. */
function readMem(pid: number, addr: bigint, len: number): Buffer | undefined {
  if (len <= 0 || len > 64 * 1024 || addr === 0n) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/mem`, 'r');
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, addr);
    return n === len ? buf : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function waitFdsOf(pid: number, arch: string, line: string): number[] | undefined {
  const call = parseSyscall(line);
  if (!call) return undefined;
  const kind = kindOf(arch, call.nr);
  const [a0 = 0n, a1 = 0n] = call.args;
  if (kind === 'poll') {
    const n = Number(a1);
    const mem = readMem(pid, a0, n * 8);
    if (!mem) return undefined;
    const fds: number[] = [];
    for (let i = 0; i < n; i++) {
      const fd = mem.readInt32LE(i * 8);
      if (fd >= 0) fds.push(fd);
    }
    return fds;
  }
  if (kind === 'select') {
    const n = Number(a0);
    const mem = readMem(pid, a1, Math.ceil(n / 64) * 8);
    if (!mem) return undefined;
    const fds: number[] = [];
    for (let fd = 0; fd < n; fd++) if ((mem[fd >> 3] ?? 0) & (1 << (fd & 7))) fds.push(fd);
    return fds;
  }
  if (kind === 'epoll') {
    const info = readText(`/proc/${pid}/fdinfo/${Number(a0)}`);
    if (info === undefined) return undefined;
    return [...info.matchAll(/^tfd:\s*(\d+)/gm)].map((m) => Number(m[1]));
  }
  return undefined;
}

/** A snapshot of `pid` (its threads, their syscalls and its fds), or undefined when it is gone. */
export function readProcSnapshot(pid: number, arch: string = process.arch): ProcSnapshot | undefined {
  let tids: number[];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number).filter((n) => Number.isInteger(n));
  } catch {
    return undefined;
  }
  tids.sort((a, b) => (a === pid ? -1 : b === pid ? 1 : a - b));
  const threads: ThreadState[] = [];
  for (const tid of tids) {
    const syscall = readText(`/proc/${pid}/task/${tid}/syscall`);
    if (syscall === undefined) continue;
    const t: ThreadState = { syscall, wchan: readText(`/proc/${pid}/task/${tid}/wchan`) ?? '' };
    const waitFds = waitFdsOf(pid, arch, syscall);
    if (waitFds) t.waitFds = waitFds;
    threads.push(t);
  }
  if (threads.length === 0) return undefined;
  const fds: Record<number, string> = {};
  try {
    for (const n of readdirSync(`/proc/${pid}/fd`)) {
      try {
        fds[Number(n)] = readlinkSync(`/proc/${pid}/fd/${n}`);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return undefined;
  }
  return { arch, threads, fds };
}
