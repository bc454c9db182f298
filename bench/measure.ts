/**
 * Running a command the way the benchmark measures it: wall time from spawn to exit
 * (process.hrtime), peak resident memory of the process (GNU time's %M, the kernel's maxrss, when
 * /usr/bin/time exists; else VmHWM from /proc/PID/status polled every 20 ms), exit code, and the
 * tail of its stderr. stdout goes to /dev/null unless asked for, so printing costs what a redirect
 * to a file costs. Also: reading a process's CPU ticks and resident memory from /proc, and medians.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  seconds: number;
  maxRssMb: number | undefined;
  code: number | null;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

export function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; stdout?: boolean } = {}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'connwatch-bench-time-'));
  const timeFile = join(dir, 'rss');
  const useTime = existsSync(GNU_TIME);
  const [c, a] = useTime ? [GNU_TIME, ['-f', '%M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(c, a, { env: o.env ?? process.env, stdio: ['ignore', o.stdout ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hwm = 0;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    const poll = useTime
      ? undefined
      : setInterval(() => {
          const kb = procStatusKb(child.pid!, 'VmHWM');
          if (kb !== undefined) hwm = Math.max(hwm, kb);
        }, 20);
    child.once('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`, { cause: e })));
    child.once('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (poll) clearInterval(poll);
      let maxRssMb: number | undefined = hwm ? hwm / 1024 : undefined;
      if (useTime) {
        const kb = Number.parseInt(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '', 10);
        if (Number.isFinite(kb)) maxRssMb = kb / 1024;
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ seconds, maxRssMb, code, stdout, stderr });
    });
  });
}

/** A field of /proc/PID/status in kB (VmRSS, VmHWM), or undefined when the process is gone. */
export function procStatusKb(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
export function procCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
