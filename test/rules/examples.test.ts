/**
 * The worked examples of docs/rules.md (docs/examples/<name>/): each rule file validates, a replay
 * of its input logs (real lines; see each README) gives exactly the expected alerts, and a real
 * `connwatch run` fed the same lines live, line by line, agrees with the replay (same rule ids,
 * same counts). The three live agents run side by side; the RDP one follows the lines' own timing
 * (its absence needs 20 s of silence), so this file takes about 35 s.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, jsonLines, runCli, startCli, waitFor } from '../helpers/cli.js';

const EX = join(ROOT, 'docs', 'examples');
const home = mkdtempSync(join(tmpdir(), 'connwatch-examples-'));
const envFor = (name: string) => {
  const h = join(home, name);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: h, XDG_CONFIG_HOME: join(h, '.config'), XDG_STATE_HOME: join(h, '.local', 'state'), XDG_RUNTIME_DIR: join(h, 'run') };
  delete env.JOURNAL_STREAM;
  return env;
};
const agents: Array<ReturnType<typeof startCli>> = [];
afterAll(async () => {
  for (const a of agents) await a.stop();
  rmSync(home, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Example {
  name: string;
  logs: string[];
  flags: string[];
  /** Rule ids compared between replay and live (others, from built-in rules, are left out). */
  rules: string[];
  expected: Record<string, number>;
  /** Rewrites a line for live writing (new timestamps) and says when to write it, in ms after the first. */
  live?: () => (line: string) => { text: string; at: number };
}

const count = (ids: string[], only: string[]) => {
  const out: Record<string, number> = {};
  for (const id of ids) if (only.includes(id)) out[id] = (out[id] ?? 0) + 1;
  return out;
};

/** FreeRDP's "[HH:MM:SS:mmm]" prefix, moved to now (local time, as FreeRDP writes it), keeping each line's offset. */
function retimeFreerdp(): (line: string) => { text: string; at: number } {
  let first: number | undefined;
  let base = 0;
  return (line) => {
    const m = /^\[(\d\d):(\d\d):(\d\d):(\d\d\d)\]/.exec(line);
    if (!m) return { text: line, at: 0 };
    const t = ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]);
    if (first === undefined) {
      first = t;
      base = Date.now();
    }
    const at = t - first;
    const d = new Date(base + at);
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return { text: `[${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}]${line.slice(m[0].length)}`, at };
  };
}

const EXAMPLES: Example[] = [
  {
    name: 'rdp-not-established',
    logs: ['rdp-established.log', 'rdp-stuck.log'],
    flags: ['--no-builtin'],
    rules: ['local.rdp.not-established'],
    expected: { 'local.rdp.not-established': 1 },
    live: retimeFreerdp,
  },
  {
    name: 'ssh-failed-logins',
    logs: ['auth.log'],
    flags: ['--no-builtin'],
    rules: ['local.sshd.failed-logins'],
    expected: { 'local.sshd.failed-logins': 1 },
  },
  {
    name: 'silence-host',
    // One log: with two, the live agent logs an "alert" line for the repeat that replay folds into
    // one (same rule and host), so the counts would differ for a reason that is not the rule's.
    logs: ['plink-127.0.0.1-hang.log'],
    // a short hang window so the live run can show, within seconds, that the hang stays silent
    flags: ['--hang-window', '3s'],
    rules: ['plink.hostkey.prompt-hang', 'plink.hostkey.new'],
    expected: { 'plink.hostkey.new': 1 },
  },
];

describe.each(EXAMPLES)('docs/examples/$name', (x) => {
  const dir = join(EX, x.name);
  const logs = x.logs.map((l) => join(dir, l));
  let replayed: Record<string, number> = {};

  it('validates', async () => {
    const r = await runCli(['rules', 'validate', dir], { env: envFor(`${x.name}-v`) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('replay of its real input logs gives exactly the expected alerts', async () => {
    const r = await runCli(['replay', '--json', '--rules', dir, ...x.flags, ...logs], { env: envFor(`${x.name}-r`) });
    expect(r.code, r.stderr).toBe(0);
    replayed = count(jsonLines(r.stdout).map((a) => String(a.rule)), x.rules);
    expect(replayed).toEqual(x.expected);
  });

  it('a live connwatch run fed the same lines agrees with the replay', async () => {
    const env = envFor(`${x.name}-l`);
    const live = logs.map((_, i) => join(home, `${x.name}-live-${i}.log`));
    for (const f of live) writeFileSync(f, '');
    const agent = startCli(['run', '--no-defaults', '--no-notify', '--rules', dir, ...x.flags, ...live.flatMap((f) => ['--watch', f])], env);
    agents.push(agent);
    await waitFor(() => agent.output().includes('connwatch running'), 30_000, 'the agent to start');
    const start = Date.now();
    await Promise.all(
      logs.map(async (src, i) => {
        const retime = x.live ? x.live() : (l: string) => ({ text: l, at: 0 });
        for (const part of readFileSync(src, 'utf8').split(/(?<=\n)/)) {
          const { text, at } = retime(part);
          const wait = start + at - Date.now();
          if (wait > 0) await sleep(wait);
          appendFileSync(live[i]!, text);
          await sleep(20);
        }
      }),
    );
    const liveAlerts = () =>
      count(
        agent
          .output()
          .split('\n')
          .map((l) => /\balert ([a-z0-9.-]+) \(/.exec(l)?.[1])
          .filter((id): id is string => id !== undefined),
        x.rules,
      );
    await waitFor(() => JSON.stringify(liveAlerts()) === JSON.stringify(replayed), 40_000, `live alerts ${JSON.stringify(replayed)}`).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; the agent said:\n${agent.output()}`);
    });
    // and nothing more comes once every window had time to run out (hang window 3 s, RDP 20 s from its last opener)
    await sleep(5000);
    expect(liveAlerts()).toEqual(replayed);
  }, 90_000);
});

describe('docs/examples/silence-host: the host is the address connected to', () => {
  // Each log on its own: a burst of alerts for one host is folded into one (the most severe), so
  // replaying both together would show a single alert for the two connections.
  it.each(['plink-127.0.0.1-hang.log', 'plink-localhost-hang.log'])('%s: the built-in hang alert, silenced by the user rule (plink started as "localhost" connects to 127.0.0.1)', async (log) => {
    const dir = join(EX, 'silence-host');
    const builtin = await runCli(['replay', '--json', join(dir, log)], { env: envFor('silence-none') });
    const hangs = jsonLines(builtin.stdout).filter((a) => a.rule === 'plink.hostkey.prompt-hang');
    expect(hangs.map((a) => a.host)).toEqual(['127.0.0.1']);
    const silenced = await runCli(['replay', '--json', '--rules', dir, join(dir, log)], { env: envFor('silence-both') });
    expect(jsonLines(silenced.stdout).map((a) => a.rule)).toEqual(['plink.hostkey.new']);
  });
});
