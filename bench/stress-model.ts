/**
 * The model-based stress test of the file source (as Vector's file source has), against the live
 * agent: `connwatch run` with a user rule that alerts on every line, and a writer that appends
 * lines (whole, in two pieces), rotates the log in one mode (rename, copytruncate, delete +
 * recreate, truncate, symlink retarget), and kills the agent with SIGKILL and starts it again, in
 * a random order drawn from a seed. At the end the alerts recorded in the history are compared with
 * the lines written:
 *
 * - lost: written, never recorded, and still held by some file (the rotated ones are all kept);
 * - gone: written, never recorded, and held by no file any more (truncated or deleted before the
 *   agent could read them): counted and named, not a failure;
 * - duplicated: recorded under more than one alert id.
 *
 * Used by test/stress/live-agent.test.ts (a fixed seed per mode, CI) and by `npm run bench`
 * (the soak case, longer). Lines are distinct sshd lines; the rule's throttle key is the text, so
 * every line is one alert.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from './prng.js';

export const ROTATION_MODES = ['rename', 'copytruncate', 'delete', 'truncate', 'symlink'] as const;
export type RotationMode = (typeof ROTATION_MODES)[number];

export interface StressOptions {
  cli: string;
  mode: RotationMode;
  seed: number;
  /** Model steps (each: append, partial write, rotate, or kill + restart). */
  steps: number;
  /** Most lines of one append. */
  maxBatch?: number;
  /** Pause between steps (ms), drawn up to this. */
  maxPauseMs?: number;
  /** Chance of a kill -9 + restart per step. */
  killRate?: number;
  /** Chance of a rotation per step. */
  rotateRate?: number;
  /** Give up waiting for the agent to catch up after this long (ms). */
  settleMs?: number;
  log?: (m: string) => void;
  keep?: boolean;
}

export interface StressResult {
  mode: RotationMode;
  seed: number;
  written: number;
  recorded: number;
  lost: string[];
  gone: string[];
  duplicated: string[];
  kills: number;
  rotations: number;
  /** copytruncate: lines written between the copy and the truncation (in neither file). */
  windowLines: number;
  seconds: number;
  agentLog: string;
}

const RULE = {
  rules: [
    {
      id: 'local.stress.every-line',
      title: 'stress line',
      description: 'Alerts on every line (the stress test of the file source).',
      severity: 'warning',
      category: 'other',
      conditions: { all: [{ fact: 'raw.text', operator: 'matches', value: 'stress-L\\d+' }] },
      message: 'line',
      remedy: 'none',
      throttle: { within: '1ms', key: ['raw.text'] },
    },
  ],
};

const lineText = (n: number): string => `Dec  5 10:00:00 stresshost sshd[4242]: Invalid user stress-L${String(n).padStart(7, '0')} from 127.0.0.1 port ${1024 + (n % 60000)}`;
const LINE_ID = /stress-L(\d{7})/;

/** One run of the model against a live agent. */
export async function runStress(o: StressOptions): Promise<StressResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  const rnd = new Prng(o.seed);
  // its own sequence, so that a seed gives the same steps in every mode
  const windowRnd = new Prng(o.seed + 1);
  const root = mkdtempSync(join(tmpdir(), `cw-stress-${o.mode}-`));
  const home = join(root, 'home');
  const logs = join(root, 'logs');
  mkdirSync(join(home, '.config', 'connwatch', 'rules.d'), { recursive: true });
  mkdirSync(logs);
  writeFileSync(join(home, '.config', 'connwatch', 'rules.d', 'stress.json'), JSON.stringify(RULE));
  const watched = join(logs, 'app.log');
  const agentLog = join(root, 'agent.log');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    CONNWATCH_HISTORY_MAX_BYTES: String(1 << 30),
  };
  delete env.JOURNAL_STREAM;
  const history = join(home, '.local', 'state', 'connwatch', 'alerts.jsonl');

  // what each file on disk holds (line numbers), to tell lost from gone
  const onDisk = new Map<string, number[]>();
  const removed = new Set<number>();
  let written = 0;
  let generation = 0;
  let target = watched; // the file the writer appends to (symlink mode: the link's target)
  let pendingHalf = '';
  let windowLines = 0;

  const newTarget = (): void => {
    if (o.mode === 'symlink') {
      generation += 1;
      target = join(logs, `target-${generation}.log`);
      writeFileSync(target, '');
      onDisk.set(target, []);
      const tmp = join(logs, `.app.log.tmp`);
      symlinkSync(target, tmp);
      renameSync(tmp, watched); // ln -sfn: atomic
    } else {
      writeFileSync(target, '', { flag: 'a' });
      if (!onDisk.has(target)) onDisk.set(target, []);
    }
  };

  const append = (count: number): void => {
    let text = pendingHalf;
    const nums: number[] = [];
    for (let i = 0; i < count; i++) {
      written += 1;
      nums.push(written);
      text += `${lineText(written)}\n`;
    }
    pendingHalf = '';
    appendFileSync(target, text);
    onDisk.get(target)!.push(...nums);
  };

  const rotate = (): void => {
    const held = onDisk.get(target) ?? [];
    switch (o.mode) {
      case 'rename': {
        // logrotate's numbered shift: app.log.N → .N+1, …, app.log → app.log.1, new app.log
        const olds = readdirSync(logs)
          .map((n) => /^app\.log\.(\d+)$/.exec(n))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => Number(m[1]))
          .sort((a, b) => b - a);
        for (const n of olds) {
          renameSync(join(logs, `app.log.${n}`), join(logs, `app.log.${n + 1}`));
          onDisk.set(join(logs, `app.log.${n + 1}`), onDisk.get(join(logs, `app.log.${n}`)) ?? []);
        }
        renameSync(watched, join(logs, 'app.log.1'));
        onDisk.set(join(logs, 'app.log.1'), held);
        onDisk.set(watched, []);
        newTarget();
        break;
      }
      case 'copytruncate': {
        generation += 1;
        const copy = join(logs, `app.log-${String(generation).padStart(4, '0')}`);
        copyFileSync(watched, copy);
        onDisk.set(copy, [...held]);
        // logrotate's window: lines the writer adds between the copy and the truncation are in
        // neither file (unless the agent read them meanwhile): gone, not lost
        if (windowRnd.next() < 0.5) {
          const before = written;
          append(windowRnd.int(1, 3));
          for (let n = before + 1; n <= written; n++) removed.add(n);
          windowLines += written - before;
        }
        truncateSync(watched, 0);
        onDisk.set(watched, []);
        break;
      }
      case 'delete':
        unlinkSync(watched);
        for (const n of held) removed.add(n);
        onDisk.set(watched, []);
        newTarget();
        break;
      case 'truncate':
        truncateSync(watched, 0);
        for (const n of held) removed.add(n);
        onDisk.set(watched, []);
        break;
      case 'symlink':
        newTarget();
        break;
    }
  };

  let agent: ChildProcess | undefined;
  let kills = 0;
  let rotations = 0;
  const start = async (): Promise<void> => {
    const fd = openSync(agentLog, 'a');
    agent = spawn(process.execPath, [...(process.env.CONNWATCH_STRESS_REPORT ? ['--report-on-signal', `--report-directory=${root}`] : []), o.cli, 'run', '--no-defaults', '--watch', watched, '--program', 'sshd', '--no-notify', '--no-builtin', '--from-start', ...(process.env.CONNWATCH_STRESS_VERBOSE ? ['-v'] : [])], { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const until = Date.now() + 20_000;
    const before = readFileSync(agentLog, 'utf8').split('connwatch running').length;
    while (readFileSync(agentLog, 'utf8').split('connwatch running').length === before) {
      if (agent.exitCode !== null) throw new Error(`the agent exited (${agent.exitCode}): ${readFileSync(agentLog, 'utf8').slice(-2000)}`);
      if (Date.now() > until) throw new Error('the agent did not start within 20 s');
      await sleep(20);
    }
  };
  const kill = async (): Promise<void> => {
    const a = agent;
    if (!a || a.exitCode !== null || a.signalCode !== null) return;
    if (process.env.CONNWATCH_STRESS_VERBOSE) {
      for (const f of ['checkpoints.json', 'status.json']) {
        const from = join(home, '.local', 'state', 'connwatch', f);
        if (existsSync(from)) copyFileSync(from, join(root, `${f}.kill${kills}`));
      }
    }
    if (process.env.CONNWATCH_STRESS_REPORT) {
      a.kill('SIGUSR2');
      await sleep(500);
    }
    const exited = new Promise((r) => a.once('exit', r));
    a.kill('SIGKILL');
    await exited;
  };

  const trace = (m: string): void => {
    if (process.env.CONNWATCH_STRESS_VERBOSE) appendFileSync(join(root, 'trace.log'), `${new Date().toISOString()} ${m}\n`);
  };
  try {
    newTarget();
    await start();
    for (let step = 0; step < o.steps; step++) {
      const r = rnd.next();
      if (r < (o.killRate ?? 0.03)) {
        await kill();
        kills += 1;
        trace(`kill (written ${written})`);
        if (rnd.next() < 0.5) append(rnd.int(1, o.maxBatch ?? 40)); // written while it is down
        trace(`start (written ${written})`);
        await start();
      } else if (r < (o.killRate ?? 0.03) + (o.rotateRate ?? 0.06)) {
        if (pendingHalf) append(0);
        rotate();
        rotations += 1;
        trace(`rotate (written ${written})`);
      } else if (r < 0.2) {
        // a line in two pieces: the agent must deliver it once, whole
        written += 1;
        const full = `${lineText(written)}\n`;
        const cut = rnd.int(1, full.length - 1);
        appendFileSync(target, full.slice(0, cut));
        onDisk.get(target)!.push(written);
        await sleep(rnd.int(0, 30));
        appendFileSync(target, full.slice(cut));
      } else {
        append(rnd.int(1, o.maxBatch ?? 40));
      }
      await sleep(rnd.int(0, o.maxPauseMs ?? 20));
    }
    // let it catch up: until every line is recorded or gone, or nothing moved for a while
    const until = Date.now() + (o.settleMs ?? 15_000);
    let last = -1;
    let still = Date.now();
    for (;;) {
      const rec = recordedLines(history);
      const missing = countMissing(written, rec.lines, removed);
      if (missing === 0) break;
      if (rec.records !== last) {
        last = rec.records;
        still = Date.now();
      }
      if (Date.now() > until || Date.now() - still > 5000) break;
      await sleep(200);
    }
    await kill();
    const rec = recordedLines(history);
    const lost: string[] = [];
    const gone: string[] = [];
    const duplicated: string[] = [];
    for (let n = 1; n <= written; n++) {
      const ids = rec.lines.get(n);
      if (!ids) (removed.has(n) ? gone : lost).push(`stress-L${String(n).padStart(7, '0')}`);
      else if (ids.size > 1) duplicated.push(`stress-L${String(n).padStart(7, '0')} (${ids.size} alerts)`);
    }
    const result: StressResult = {
      mode: o.mode,
      seed: o.seed,
      written,
      recorded: rec.lines.size,
      lost,
      gone,
      duplicated,
      kills,
      rotations,
      windowLines,
      seconds: (Date.now() - t0) / 1000,
      agentLog: readFileSync(agentLog, 'utf8'),
    };
    log(`stress ${o.mode} seed ${o.seed}: ${written} lines written, ${result.recorded} recorded, lost ${lost.length}, gone ${gone.length}, duplicated ${duplicated.length}${o.mode === 'copytruncate' ? ` (${windowLines} written between copy and truncation)` : ''}; ${rotations} rotations, ${kills} kill -9, ${result.seconds.toFixed(1)} s`);
    return result;
  } finally {
    await kill().catch(() => undefined);
    if (!o.keep) rmSync(root, { recursive: true, force: true });
    else log(`kept ${root}`);
  }
}

/** Lines recorded in the history (and its rotated file): line number → the alert ids that quote it. */
function recordedLines(history: string): { lines: Map<number, Set<string>>; records: number } {
  const lines = new Map<number, Set<string>>();
  let records = 0;
  for (const f of [`${history}.1`, history]) {
    if (!existsSync(f)) continue;
    for (const l of readFileSync(f, 'utf8').split('\n')) {
      if (!l) continue;
      let e: { id?: string; evidence?: Array<{ text?: string }> };
      try {
        e = JSON.parse(l) as typeof e;
      } catch {
        continue;
      }
      records += 1;
      const m = LINE_ID.exec(e.evidence?.[0]?.text ?? '');
      if (!m || !e.id) continue;
      const n = Number(m[1]);
      let ids = lines.get(n);
      if (!ids) lines.set(n, (ids = new Set()));
      ids.add(e.id);
    }
  }
  return { lines, records };
}

function countMissing(written: number, lines: Map<number, Set<string>>, removed: Set<number>): number {
  let n = 0;
  for (let i = 1; i <= written; i++) if (!lines.has(i) && !removed.has(i)) n++;
  return n;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
