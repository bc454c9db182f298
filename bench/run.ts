/**
 * `npm run bench`: connwatch's reproducible benchmark. Generates its inputs from real line shapes
 * with a seeded PRNG, runs every case against the real binary, prints medians and ratios, and
 * writes them with the machine and versions to bench/results.md (docs/performance.md explains).
 *
 * Environment:
 *   BENCH_QUICK=1          small inputs, one repetition (CI smoke run; writes to a temp file)
 *   BENCH_REPS=5           repetitions per tool in the throughput cases (round by round)
 *   BENCH_LINES=200000     lines of the sshd and client logs
 *   BENCH_2M_LINES=2000000 lines of the long cases (both sshd logs; start-up amortised; 0: skip)
 *   BENCH_2M_REPS=1        repetitions per tool in the long cases
 *   BENCH_BIG_MB=1024      size of the big log for peak memory (0: skip)
 *   BENCH_ATTEMPTS=200     attempts of each kind (failure, hang) in the live latency case (0: skip)
 *   BENCH_PACE_MS=2100     time between two attempts there (below the 5-in-10-s burst limit)
 *   BENCH_IDLE_SECONDS=60  length of the idle case (0: skip)
 *   BENCH_IDLE_SETTLE=15   start-up left out before the idle minute (reported on its own)
 *   BENCH_SEED=20260301    PRNG seed
 *   BENCH_OUT=FILE         where to write the results (default bench/results.md; quick: a temp file)
 *   BENCH_REPORT_LINES=2000000  lines of the log `connwatch report` draws (0: skip)
 *   BENCH_BEFORE=CLI.js    another build's dist/agent/cli/main.js, run beside this one in the replay cases (before/after in one run)
 *   BENCH_CASES=a,b        only these of sshd, hard, sshd-2m, hard-2m, client, big, report, latency, idle, soak
 *   BENCH_SOAK_STEPS=600   model steps per rotation mode in the soak (quick run: off unless named in BENCH_CASES)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_NODE_OPTIONS } from '../agent/install/service.js';
import { loadRules } from '../agent/rules/load.js';
import { builtinRulesDir } from '../agent/rules/load.js';
import { idle, latency, replaySummary, throughput, type Tool } from './cases.js';
import { clientRuns, sshdShapes } from './corpus.js';
import { writeClientLog, writeSshdLog, type Written } from './generate.js';
import { writeHardSshdLog } from './generate-hard.js';
import { FLOORS } from './floors.js';
import { run } from './measure.js';
import { FAIL2BAN, render, type Report } from './report.js';
import { ROTATION_MODES, runStress } from './stress-model.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/agent/cli/main.js');

function num(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number ≥ 0, got "${v}"`);
  return n;
}

const log = (m: string) => process.stderr.write(`${m}\n`);

function replayTool(name: string, env?: NodeJS.ProcessEnv, cli = CLI): Tool {
  return {
    name,
    cmd: process.execPath,
    // the node options of the connwatch command's shebang (test/docs/readme.test.ts keeps the two equal), with this node
    args: (f) => [...CLI_NODE_OPTIONS, cli, 'replay', f],
    ...(env ? { env } : {}),
    check: (r) => replaySummary(r),
  };
}

/** Writes the first `n` lines of `from` to `to`; returns how many it wrote. */
function writeHead(from: string, to: string, n: number): number {
  const buf = readFileSync(from);
  let at = 0;
  let k = 0;
  while (k < n) {
    const nl = buf.indexOf(0x0a, at);
    if (nl === -1) break;
    at = nl + 1;
    k++;
  }
  writeFileSync(to, buf.subarray(0, at));
  return k;
}

/** BENCH_BEFORE: the same replay from another build, in the same rounds (before/after ratios from one run). */
function beforeTools(): Tool[] {
  const cli = process.env.BENCH_BEFORE;
  if (!cli) return [];
  if (!existsSync(cli)) throw new Error(`BENCH_BEFORE=${cli} does not exist`);
  return [replayTool(`connwatch replay, before (${cli})`, undefined, cli)];
}

async function main(): Promise<void> {
  const started = Date.now();
  const quick = process.env.BENCH_QUICK === '1';
  const reps = num('BENCH_REPS', quick ? 1 : 5);
  const lines = num('BENCH_LINES', quick ? 5000 : 200_000);
  const bigMb = num('BENCH_BIG_MB', quick ? 5 : 1024);
  const attempts = num('BENCH_ATTEMPTS', quick ? 3 : 200);
  const pace = num('BENCH_PACE_MS', 2100);
  const idleSeconds = num('BENCH_IDLE_SECONDS', quick ? 3 : 60);
  const idleSettle = num('BENCH_IDLE_SETTLE', quick ? 2 : 15);
  const seed = num('BENCH_SEED', 20260301);
  const only = process.env.BENCH_CASES ? new Set(process.env.BENCH_CASES.split(',')) : undefined;
  const want = (c: string) => !only || only.has(c);
  const outFile = process.env.BENCH_OUT ?? (quick ? join(tmpdir(), 'connwatch-bench-quick.md') : join(ROOT, 'bench/results.md'));
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm run bench does)`);

  const loaded = loadRules([{ dir: builtinRulesDir(), builtin: true }]);
  const report: Report = { quick, reps, seed, rules: loaded.rules.filter((r) => r.enabled).length, seconds: 0 };
  const work = mkdtempSync(join(tmpdir(), 'connwatch-bench-'));
  try {
    if (want('sshd')) {
      const shapes = sshdShapes(ROOT);
      const file = join(work, 'auth.log');
      const w = writeSshdLog(file, shapes, { seed, lines, failureShare: 0.3 });
      log(`sshd log: ${w.lines} lines, ${(w.bytes / 2 ** 20).toFixed(1)} MiB, ${w.failureLines} failure lines`);
      const connwatch = replayTool('connwatch replay');
      const fail2ban: Tool = { name: FAIL2BAN, cmd: 'fail2ban-regex', args: (f) => [f, '/etc/fail2ban/filter.d/sshd.conf'] };
      const tools: Tool[] = [
        connwatch,
        ...beforeTools(),
        fail2ban,
        ...FLOORS,
      ];
      const results = await throughput(file, w.lines, tools, reps, log);
      // Start-up against the rate per line: connwatch and fail2ban-regex again on an empty file and
      // on the log's first quarter (the whole log's runs above give the third point).
      const pair = [connwatch, fail2ban];
      const empty = join(work, 'empty.log');
      writeFileSync(empty, '');
      const quarter = join(work, 'auth-quarter.log');
      const quarterLines = writeHead(file, quarter, Math.floor(w.lines / 4));
      log(`start-up and steady rate: an empty file and the first ${quarterLines} lines`);
      const steady = { quarterLines, empty: await throughput(empty, 0, pair, reps, log), quarter: await throughput(quarter, quarterLines, pair, reps, log) };
      report.sshd = {
        file,
        ...w,
        shapes: { failure: shapes.failure.length, ordinary: shapes.ordinary.length, sources: shapes.sources.length },
        results,
        steady,
        ...(results[0]?.note ? { summary: results[0].note } : {}),
      };
    }
    const f2bTool: Tool = { name: FAIL2BAN, cmd: 'fail2ban-regex', args: (f) => [f, '/etc/fail2ban/filter.d/sshd.conf'] };
    const versus = async (title: string, what: string, file: string, w: Written, n: number): Promise<void> => {
      log(`${title}: ${w.lines} lines, ${(w.bytes / 2 ** 20).toFixed(1)} MiB, ${w.failureLines} failure lines`);
      const results = await throughput(file, w.lines, [replayTool('connwatch replay'), ...beforeTools(), f2bTool, ...FLOORS], n, log);
      (report.logs ??= []).push({ title, what, ...w, results, ...(results[0]?.note ? { summary: results[0].note } : {}) });
      rmSync(file, { force: true });
    };
    const HARD = 'many addresses (200,000; 30% of the connections from 200 scanners) and connections (each pid opens, says 2–12 things, closes), 50% failure lines, every envelope line by line (RFC 3339, RFC 3164, RFC 5424, journal JSON; sshd and sshd-session)';
    if (want('hard')) {
      const file = join(work, 'hard-auth.log');
      await versus('harder sshd log', HARD, file, writeHardSshdLog(file, sshdShapes(ROOT), { seed: seed + 4, lines }), reps);
    }
    const longLines = num('BENCH_2M_LINES', quick ? 20_000 : 2_000_000);
    const longReps = num('BENCH_2M_REPS', 1);
    if (want('sshd-2m') && longLines > 0) {
      const file = join(work, 'auth-2m.log');
      await versus('sshd auth.log, long', 'the benchmark\'s own kind of log (5,000 addresses, 30% failure lines, RFC 3339), start-up amortised', file, writeSshdLog(file, sshdShapes(ROOT), { seed: seed + 5, lines: longLines, failureShare: 0.3 }), longReps);
    }
    if (want('hard-2m') && longLines > 0) {
      const file = join(work, 'hard-2m.log');
      await versus('harder sshd log, long', `${HARD}, start-up amortised`, file, writeHardSshdLog(file, sshdShapes(ROOT), { seed: seed + 6, lines: longLines }), longReps);
    }
    if (want('client')) {
      const runs = clientRuns(ROOT);
      const file = join(work, 'clients.jsonl');
      const w = writeClientLog(file, runs, { seed: seed + 1, lines });
      log(`client log: ${w.lines} records, ${(w.bytes / 2 ** 20).toFixed(1)} MiB from ${runs.length} runs`);
      const results = await throughput(
        file,
        w.lines,
        [replayTool('connwatch replay'), ...FLOORS],
        reps,
        log,
      );
      report.client = { lines: w.lines, bytes: w.bytes, runs: runs.length, results, ...(results[0]?.note ? { summary: results[0].note } : {}) };
    }
    if (want('big') && bigMb > 0) {
      const file = join(work, 'big-auth.log');
      try {
        const w = writeSshdLog(file, sshdShapes(ROOT), { seed: seed + 2, bytes: bigMb * 2 ** 20, failureShare: 0.3, hosts: 50_000 });
        log(`big log: ${w.lines} lines, ${(w.bytes / 2 ** 20).toFixed(0)} MiB`);
        const [result] = await throughput(file, w.lines, [replayTool('connwatch replay')], 1, log);
        report.big = { mb: bigMb, lines: w.lines, result: result!, ...(result?.note ? { summary: result.note } : {}) };
      } finally {
        rmSync(file, { force: true });
      }
    }
    const reportLines = num('BENCH_REPORT_LINES', quick ? 5000 : 2_000_000);
    if (want('report') && reportLines > 0) {
      const file = join(work, 'report-auth.log');
      const page = join(work, 'report.html');
      const json = join(work, 'report.json');
      try {
        const w = writeSshdLog(file, sshdShapes(ROOT), { seed: seed + 3, lines: reportLines, failureShare: 0.3 });
        log(`report: ${w.lines} lines, ${(w.bytes / 2 ** 20).toFixed(0)} MiB`);
        const reportTool: Tool = {
          name: 'connwatch report -o page.html',
          cmd: process.execPath,
          args: (f) => [...CLI_NODE_OPTIONS, CLI, 'report', '-o', page, f],
          check: (r) => /connwatch report: [^\n]*/.exec(r.stderr)?.[0],
        };
        const results = await throughput(file, w.lines, [replayTool('connwatch replay'), reportTool], Math.min(reps, 3), log);
        const j = await run(process.execPath, [...CLI_NODE_OPTIONS, CLI, 'report', '--json', '-o', json, file]);
        if (j.code !== 0) throw new Error(`connwatch report --json exited with ${j.code}: ${j.stderr.slice(-2000)}`);
        report.report = { lines: w.lines, bytes: w.bytes, results, pageBytes: statSync(page).size, jsonBytes: statSync(json).size, ...(results[1]?.note ? { summary: results[1].note } : {}) };
      } finally {
        rmSync(file, { force: true });
      }
    }
    if (want('latency') && attempts > 0) {
      log(`live latency: ${attempts} failures and ${attempts} hangs, one attempt every ${pace} ms (about ${Math.round((2 * attempts * pace) / 60_000)} min)`);
      // quick: a short hang window, so the smoke run does not wait the built-in 20 s
      report.latency = await latency(CLI, attempts, pace, log, quick ? '3s' : undefined);
      const l = report.latency;
      log(`  failure → Notify p50 ${l.failure.p50.toFixed(1)} ms, p99 ${l.failure.p99.toFixed(1)} ms; hang window end → Notify p50 ${l.hang.p50.toFixed(1)} ms, p99 ${l.hang.p99.toFixed(1)} ms`);
    }
    if (want('idle') && idleSeconds > 0) {
      report.idle = [];
      for (const config of ['one-file', 'defaults'] as const) {
        log(`idle agent (${config}): ${idleSettle} s to settle, then ${idleSeconds} s`);
        const r = await idle(CLI, idleSeconds, idleSettle, config);
        report.idle.push(r);
        log(`  RSS ${r.rssMb.toFixed(1)} MB (max ${r.maxRssMb.toFixed(1)}), ${r.cpuTicks} CPU ticks`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (only ? only.has('soak') : !quick) {
    const steps = num('BENCH_SOAK_STEPS', quick ? 150 : 600);
    report.soak = [];
    for (const mode of ROTATION_MODES) {
      log(`soak: ${mode}, ${steps} steps`);
      const r = await runStress({ cli: CLI, mode, seed, steps, killRate: 0.02, rotateRate: 0.04, settleMs: 60_000, log });
      report.soak.push({ mode, seed, steps, written: r.written, recorded: r.recorded, lost: r.lost.length, gone: r.gone.length, duplicated: r.duplicated.length, rotations: r.rotations, kills: r.kills, seconds: r.seconds, firstLost: r.lost.slice(0, 3) });
    }
  }
  report.seconds = (Date.now() - started) / 1000;
  const md = render(ROOT, report);
  writeFileSync(outFile, md);
  process.stdout.write(md);
  log(`written to ${outFile}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
