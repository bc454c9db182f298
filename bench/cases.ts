/**
 * The benchmark cases. Each runs the real binary (dist/agent/cli/main.js) as a child process, as
 * a person or a service would, and returns numbers for bench/report.ts:
 *
 *   throughput  `connwatch replay FILE` (all built-in rules) vs. the references on the same file,
 *               each run `reps` times: lines/s from wall time, medians, peak RSS;
 *   memory      `connwatch replay` on a big generated log: peak RSS, lines/s;
 *   latency     `connwatch run --watch FILE` with a real notification server: from the append of
 *               a line to the arrival of its Notify call at the server, p50/p99;
 *   idle        `connwatch run` watching a quiet file: resident memory and CPU ticks over a period.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, procCpuTicks, procStatusKb, run, type RunResult } from './measure.js';
import { startBenchNotifyServer } from './notify-server.js';
import { AGENT_NODE_OPTIONS } from '../agent/cli/service.js';

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

export interface LatencyResult {
  alerts: number;
  received: number;
  p50: number;
  p99: number;
  max: number;
  intervalMs: number;
}

/** A rule that fires on every failed password, notifies at once and throttles for 1 ms only. */
const LATENCY_RULE = {
  rules: [
    {
      id: 'bench.latency.failed-password',
      title: 'bench {host}',
      description: 'Benchmark rule: one notification per failed password line.',
      severity: 'error',
      category: 'auth',
      conditions: { all: [{ fact: 'program', operator: 'equal', value: 'sshd' }, { fact: 'kind', operator: 'equal', value: 'auth.failed' }] },
      message: 'failed password for {user} from {host}',
      remedy: 'none (benchmark)',
      key: ['host'],
      throttle: '1ms',
    },
  ],
};

export async function latency(cli: string, alerts: number, intervalMs: number, log: (m: string) => void): Promise<LatencyResult> {
  const server = await startBenchNotifyServer();
  const work = mkdtempSync(join(tmpdir(), 'connwatch-bench-live-'));
  let agent: Agent | undefined;
  try {
    const rulesDir = join(work, 'rules');
    mkdirSync(rulesDir);
    writeFileSync(join(rulesDir, 'bench.json'), JSON.stringify(LATENCY_RULE));
    const file = join(work, 'auth.log');
    writeFileSync(file, '');
    agent = await startAgent(cli, ['--watch', file, '--rules', rulesDir, '--no-builtin', '--fold', '1ms', '--min-severity', 'info'], {
      ...process.env,
      DBUS_SESSION_BUS_ADDRESS: server.address,
    });
    const sent = new Map<string, number>();
    for (let i = 0; i < alerts; i++) {
      const host = `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
      const line = `${new Date().toISOString()} vm sshd[${10_000 + i}]: Failed password for invalid user bench${i} from ${host} port ${20_000 + (i % 40_000)} ssh2\n`;
      sent.set(host, Date.now()); // wall clock, as dbusmock's time.time(); performance.timeOrigin drifts from it
      appendFileSync(file, line);
      await sleep(intervalMs);
    }
    const deadline = Date.now() + 60_000;
    let calls = await server.calls();
    while (calls.length < alerts && Date.now() < deadline) {
      await sleep(1000);
      calls = await server.calls();
    }
    const lat: number[] = [];
    for (const c of calls) {
      const host = /bench (\S+)/.exec(c.summary)?.[1];
      const at = host ? sent.get(host) : undefined;
      if (at !== undefined) lat.push(c.at - at);
    }
    log(`  ${lat.length}/${alerts} notifications arrived`);
    if (!lat.length) throw new Error('no notification arrived');
    return { alerts, received: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), max: Math.max(...lat), intervalMs };
  } finally {
    await agent?.stop();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
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
