/**
 * The benchmark cases. Each runs the real binary (dist/agent/cli/main.js) as a child process, as
 * a person or a service would, and returns numbers for bench/report.ts:
 *
 *   throughput  `connwatch replay FILE` (all built-in rules) vs. the references on the same file,
 *               each run `reps` times: lines/s from wall time, medians, peak RSS;
 *   memory      `connwatch replay` on a big generated log: peak RSS, lines/s;
 *   latency     `connwatch run` in its default configuration with a real notification server:
 *               from a failure line's append, and from the end of a hang window, to the arrival
 *               of its Notify call at the server, p50/p99;
 *   idle        `connwatch run` watching a quiet file: resident memory and CPU ticks over a period.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, procCpuTicks, procStatusKb, run, type RunResult } from './measure.js';
import { startBenchNotifyServer } from './notify-server.js';
import { AGENT_NODE_OPTIONS } from '../agent/install/service.js';

export interface Tool {
  name: string;
  cmd: string;
  args: (file: string) => string[];
  env?: NodeJS.ProcessEnv;
  /** Checks the run did the work (exit code, summary line); returns a note or throws. */
  check?: (r: RunResult) => string | undefined;
}

export interface ToolResult {
  name: string;
  seconds: number[];
  linesPerSec: number;
  maxRssMb: number | undefined;
  note?: string;
}

export async function throughput(file: string, lines: number, tools: readonly Tool[], reps: number, log: (m: string) => void): Promise<ToolResult[]> {
  const runs = tools.map(() => ({ seconds: [] as number[], rss: [] as number[], note: undefined as string | undefined }));
  // Round by round (each tool once per round), not all runs of one tool and then the next: this
  // machine's speed drifts over minutes, and a drift must not fall on one tool only.
  for (let i = 0; i < reps; i++) {
    for (const [k, t] of tools.entries()) {
      const r = await run(t.cmd, t.args(file), t.env ? { env: t.env } : {});
      if (r.code !== 0) throw new Error(`${t.name} exited with ${r.code}: ${r.stderr.slice(-2000)}`);
      const acc = runs[k]!;
      acc.note = t.check?.(r) ?? acc.note;
      acc.seconds.push(r.seconds);
      if (r.maxRssMb !== undefined) acc.rss.push(r.maxRssMb);
      log(`  ${t.name}: ${r.seconds.toFixed(2)} s${r.maxRssMb ? `, ${r.maxRssMb.toFixed(0)} MB` : ''}`);
    }
  }
  return tools.map((t, k) => {
    const { seconds, rss, note } = runs[k]!;
    return { name: t.name, seconds, linesPerSec: lines / median(seconds), maxRssMb: rss.length ? Math.max(...rss) : undefined, ...(note ? { note } : {}) };
  });
}

/** The summary line `connwatch replay` prints on stderr. */
export function replaySummary(r: RunResult): string | undefined {
  return /connwatch replay: [^\n]*/.exec(r.stderr)?.[0];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Agent {
  child: ChildProcess;
  dir: string;
  stop(): Promise<void>;
}

/** Starts `connwatch run` in a private XDG world and waits until it says it is running. */
async function startAgent(cli: string, args: string[], env: NodeJS.ProcessEnv, defaults = false): Promise<Agent> {
  const dir = mkdtempSync(join(tmpdir(), 'connwatch-bench-agent-'));
  for (const d of ['config', 'state', 'runtime']) mkdirSync(join(dir, d), { mode: 0o700 });
  // started as the user service starts it (the unit's ExecStart: node options, then the agent)
  const child = spawn(process.execPath, [...AGENT_NODE_OPTIONS, cli, 'run', ...(defaults ? [] : ['--no-defaults']), ...args], {
    env: { ...env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), XDG_RUNTIME_DIR: join(dir, 'runtime') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-20_000)));
  const deadline = Date.now() + 60_000;
  while (!err.includes('connwatch running')) {
    if (child.exitCode !== null) throw new Error(`connwatch run exited (${child.exitCode}): ${err}`);
    if (Date.now() > deadline) throw new Error(`connwatch run did not start within 60 s: ${err}`);
    await sleep(50);
  }
  return {
    child,
    dir,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface LatencySeries {
  attempts: number;
  /** Attempts whose notification arrived. */
  received: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LatencyResult {
  /** A failure line appended → its Notify call. */
  failure: LatencySeries;
  /** The end of a hang window → its Notify call. */
  hang: LatencySeries;
  /** Time between two attempts (the two kinds alternate). */
  paceMs: number;
  hangWindowMs: number;
  /** Notify calls beyond one per attempt (an attempt notified twice would show here). */
  extraCalls: number;
}

/**
 * The real plink 0.78 output up to the host-key question (fixtures/real/04, run a), for a capture
 * file as `connwatch wrap` writes it; HOST is replaced per attempt.
 */
const HANG_LINES = [
  'Looking up host "HOST" for SSH connection',
  'Connecting to HOST port 2201',
  'Connected to HOST',
  'We claim version: SSH-2.0-PuTTY_Release_0.78',
  'Remote version: SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10',
  'Using SSH protocol version 2',
  'Doing NTRU Prime / Curve25519 hybrid key exchange, using hash SHA-512 (unaccelerated)',
  'Host key fingerprint is:',
  'ssh-ed25519 255 SHA256:VbV5t/i+GvIIf1PxZa2cS/E/r+O4XVIHd/ULyOg+YLs',
  'The host key is not cached for this server:',
  '  HOST (port 2201)',
  'You have no guarantee that the server is the computer you',
  'think it is.',
];
const HANG_PROMPT = 'Store key in cache? (y/n, Return cancels connection, i for more info) ';
/** plink.hostkey.prompt-hang's window (rules/plink-hostkey.json). */
const BUILTIN_HANG_MS = 20_000;

function series(lat: number[], attempts: number): LatencySeries {
  return lat.length
    ? { attempts, received: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), max: Math.max(...lat) }
    : { attempts, received: 0, p50: NaN, p99: NaN, max: NaN };
}

/** The host a summary names: "… — HOST" or "… — HOST:PORT". */
const summaryHost = (summary: string): string | undefined => /— ([\d.]+)(?::\d+)?$/.exec(summary)?.[1];

/**
 * The agent in its default configuration (default sources, so the capture directory of
 * `connwatch wrap`; the built-in rules; default fold and gate), plus one sshd log. Attempts
 * alternate: a failure (sshd's "Unable to negotiate", sshd.kex.no-common-algorithm) appended to
 * the log, and a plink capture that stops at the host-key question (plink.hostkey.prompt-hang),
 * each from another address. `paceMs` apart, so that the notifications stay below the burst limit
 * (notices.ts: 5 in 10 s; past it they fold into one summary, which is not what is measured here).
 * `hangWindow` replaces the rules' window (quick runs); undefined keeps the built-in 20 s.
 */
export async function latency(cli: string, attempts: number, paceMs: number, log: (m: string) => void, hangWindow?: string): Promise<LatencyResult> {
  const server = await startBenchNotifyServer();
  const work = mkdtempSync(join(tmpdir(), 'connwatch-bench-live-'));
  let agent: Agent | undefined;
  try {
    const file = join(work, 'auth.log');
    writeFileSync(file, '');
    agent = await startAgent(cli, ['--watch', file, ...(hangWindow ? ['--hang-window', hangWindow] : [])], { ...process.env, DBUS_SESSION_BUS_ADDRESS: server.address }, true);
    const captures = join(agent.dir, 'state', 'connwatch', 'captures');
    mkdirSync(captures, { recursive: true });
    const windowMs = hangWindow ? (parseDurationMs(hangWindow) ?? BUILTIN_HANG_MS) : BUILTIN_HANG_MS;
    const failedAt = new Map<string, number>();
    const hangEnds = new Map<string, number>();
    for (let i = 0; i < 2 * attempts; i++) {
      const n = i >> 1;
      const t = Date.now(); // wall clock, as the bus's time stamps
      if (i % 2 === 0) {
        const host = `100.64.${n >> 8}.${n & 255}`;
        failedAt.set(host, t);
        appendFileSync(file, `${new Date(t).toISOString()} vm sshd[${20_000 + n}]: Unable to negotiate with ${host} port ${30_000 + n}: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]\n`);
      } else {
        const host = `100.65.${n >> 8}.${n & 255}`;
        const pid = 40_000 + n;
        const rec = (o: Record<string, unknown>) => JSON.stringify({ v: 1, t, pid, program: 'plink', ...o }) + '\n';
        let text = rec({ event: 'start', argv: ['plink', '-v', '-P', '2201', host] });
        for (const l of HANG_LINES) text += rec({ stream: 'stderr', text: l.replaceAll('HOST', host) });
        text += rec({ stream: 'stderr', text: HANG_PROMPT, partial: true });
        hangEnds.set(host, t + windowMs);
        writeFileSync(join(captures, `bench-${pid}.jsonl`), text);
      }
      await sleep(paceMs);
    }
    // the last hang's window, then the calls settle
    const deadline = Date.now() + windowMs + 10_000;
    let calls = await server.calls();
    while (Date.now() < deadline) {
      await sleep(1000);
      calls = await server.calls();
      if (calls.length >= 2 * attempts && Date.now() > Math.max(...hangEnds.values()) + 2000) break;
    }
    const fail: number[] = [];
    const hang: number[] = [];
    const seen = new Set<string>();
    let extraCalls = 0;
    for (const c of calls) {
      const host = summaryHost(c.summary);
      if (!host || seen.has(host)) {
        extraCalls++;
        continue;
      }
      seen.add(host);
      const f = failedAt.get(host);
      const h = hangEnds.get(host);
      if (f !== undefined) fail.push(c.at - f);
      else if (h !== undefined) hang.push(c.at - h);
      else extraCalls++;
    }
    log(`  failures: ${fail.length}/${attempts} notified; hangs: ${hang.length}/${attempts}; other calls: ${extraCalls}`);
    return { failure: series(fail, attempts), hang: series(hang, attempts), paceMs, hangWindowMs: windowMs, extraCalls };
  } finally {
    await agent?.stop();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function parseDurationMs(s: string): number | undefined {
  const m = /^(\d+)(ms|s)$/.exec(s);
  return m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : undefined;
}

export interface IdleResult {
  /** What the agent watched: one quiet file (--no-defaults), or its default sources. */
  config: 'one-file' | 'defaults';
  seconds: number;
  /** Start-up left out of the quiet minute: module loading, first scans, V8's memory reducer (~8 s after start). */
  settleSeconds: number;
  settleTicks: number;
  settleMaxRssMb: number;
  rssMb: number;
  maxRssMb: number;
  cpuTicks: number;
  ticksPerSecond: number;
  cpuPercent: number;
}

/**
 * An agent left alone: resident memory and CPU ticks over `seconds`, after `settleSeconds` of
 * start-up (which ends with V8's memory reducer, about 8 s after start; reported on its own).
 */
export async function idle(cli: string, seconds: number, settleSeconds: number, config: IdleResult['config'] = 'one-file'): Promise<IdleResult> {
  const work = mkdtempSync(join(tmpdir(), 'connwatch-bench-idle-'));
  let agent: Agent | undefined;
  try {
    const file = join(work, 'auth.log');
    appendFileSync(file, `${new Date().toISOString()} vm sshd[1]: Server listening on 0.0.0.0 port 22.\n`);
    agent = await startAgent(cli, ['--watch', file, '--no-notify'], process.env, config === 'defaults');
    const pid = agent.child.pid!;
    const watchRss = async (untilMs: number): Promise<number> => {
      let maxKb = 0;
      while (Date.now() < untilMs) {
        maxKb = Math.max(maxKb, procStatusKb(pid, 'VmRSS') ?? 0);
        await sleep(Math.min(1000, Math.max(0, untilMs - Date.now())));
      }
      return Math.max(maxKb, procStatusKb(pid, 'VmRSS') ?? 0);
    };
    const settleMaxKb = await watchRss(Date.now() + settleSeconds * 1000);
    const t0 = procCpuTicks(pid);
    const settleTicks = t0; // ticks since the process started
    const maxKb = await watchRss(Date.now() + seconds * 1000);
    const ticks = procCpuTicks(pid) - t0;
    const rssKb = procStatusKb(pid, 'VmRSS') ?? 0;
    const hz = clockTicks();
    return {
      config,
      seconds,
      settleSeconds,
      settleTicks,
      settleMaxRssMb: settleMaxKb / 1024,
      rssMb: rssKb / 1024,
      maxRssMb: Math.max(maxKb, rssKb) / 1024,
      cpuTicks: ticks,
      ticksPerSecond: hz,
      cpuPercent: (100 * ticks) / hz / seconds,
    };
  } finally {
    await agent?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** USER_HZ, the unit of /proc/PID/stat times (100 on every Linux Node runs on; getconf says). */
function clockTicks(): number {
  try {
    const n = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }), 10);
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}
