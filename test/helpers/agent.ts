/**
 * A real `connwatch run` for end-to-end tests, told what to watch, with a HOME of its own and a
 * real notification server on a private bus (notify-server.ts): what a person would be shown is
 * what the server received.
 *
 *   const notes = await startNotifyServer();
 *   const agent = await startAgent({ notes, watch: [join(captures, '*.jsonl')], hangWindow: '3s' });
 *   // … run clients …
 *   agent.history();                        // alerts.jsonl, each id once (its latest record)
 *   const mark = await agent.mark();        // the server's calls so far
 *   const r = await agent.since(mark);      // the calls after the mark, and dbusmock's id of the first new one
 *   notificationsFor(r, '127.0.0.1', 2222); // the new notifications naming 127.0.0.1:2222, each updated only in place
 *   await agent.stop();                     // SIGTERM; removes its HOME unless keepHome
 *
 * `home` may be given (install tests put shims and captures under the same HOME); otherwise a
 * temporary directory is made and removed by stop(). JOURNAL_STREAM is removed from the
 * environment (the agent would log in journald format under a test runner started from a unit).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, waitFor } from './cli.js';
import type { NotifyCall, NotifyServer } from './notify-server.js';

/** One alert of the history, as the agent writes it. */
export interface HistoryAlert {
  id: string;
  rule: string;
  severity: string;
  program: string;
  host?: string;
  port?: number;
  count: number;
  message: string;
  remedy: string;
  firstSeen: number;
}

export interface TestAgent {
  home: string;
  env: NodeJS.ProcessEnv;
  historyFile: string;
  cli: ReturnType<typeof startCli>;
  /** Each alert id once, its latest record. */
  history(): HistoryAlert[];
  /** How many Notify calls the server recorded so far (and how many of them were new notifications). */
  mark(): Promise<Mark>;
  /** The calls after `mark`, and the id dbusmock gives the first new notification after it. */
  since(mark: Mark): Promise<Calls>;
  stop(): Promise<void>;
}

export interface Mark {
  calls: number;
  fresh: number;
}

export interface Calls {
  calls: NotifyCall[];
  /** dbusmock numbers new notifications 1, 2, … from its start: the first new one after the mark has this id. */
  firstId: number;
}

export async function startAgent(options: {
  notes: NotifyServer;
  /** --watch arguments (globs allowed). */
  watch: string[];
  hangWindow?: string;
  /** More arguments for `connwatch run` (e.g. ['--program', 'plink']). */
  args?: string[];
  home?: string;
  /** Extra environment for the agent. */
  env?: NodeJS.ProcessEnv;
}): Promise<TestAgent> {
  const own = options.home === undefined;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'connwatch-agent-'));
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.notes.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    ...options.env,
  };
  delete env.JOURNAL_STREAM;
  const historyFile = join(env.XDG_STATE_HOME!, 'connwatch', 'alerts.jsonl');
  const args = ['run', '--no-defaults', ...options.watch.flatMap((w) => ['--watch', w]), ...(options.hangWindow ? ['--hang-window', options.hangWindow] : []), ...(options.args ?? [])];
  const cli = startCli(args, env);
  try {
    await waitFor(() => cli.output().includes('connwatch running') || cli.child.exitCode !== null, 30_000, 'the agent to start');
    if (cli.child.exitCode !== null) throw new Error(`connwatch run exited ${cli.child.exitCode}: ${cli.output()}`);
  } catch (err) {
    await cli.stop();
    if (own) rmSync(home, { recursive: true, force: true });
    throw err;
  }
  const notes = options.notes;
  return {
    home,
    env,
    historyFile,
    cli,
    history() {
      if (!existsSync(historyFile)) return [];
      const byId = new Map<string, HistoryAlert>();
      for (const l of readFileSync(historyFile, 'utf8').split('\n')) {
        if (!l.trim()) continue;
        const a = JSON.parse(l) as HistoryAlert;
        byId.set(a.id, a);
      }
      return [...byId.values()];
    },
    async mark() {
      const calls = await notes.calls();
      return { calls: calls.length, fresh: calls.filter((c) => c.replacesId === 0).length };
    },
    async since(mark) {
      return { calls: (await notes.calls()).slice(mark.calls), firstId: mark.fresh + 1 };
    },
    async stop() {
      await cli.stop();
      if (own) rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * The notifications for HOST:PORT among `r.calls`: exactly which were new (replaces_id 0) and
 * whether every later call for them replaced one of those on screen (dbusmock's ids). Returns
 * the new ones and the latest call for each (what the person sees now), and the calls that
 * named the address but replaced nothing shown after the mark.
 */
/**
 * When the first Notify call naming HOST:PORT at or after `since` (ms) reached the bus, timed by
 * dbus-monitor (notify-server.ts arrivals()); undefined when none did (or no dbus-monitor).
 */
export function arrivalFor(notes: NotifyServer, host: string, port: number, since: number): number | undefined {
  return notes.arrivals().find((a) => a.at >= since && a.summary.includes(`${host}:${port}`))?.at;
}

export function notificationsFor(r: Calls, host: string, port: number): { fresh: NotifyCall[]; latest: NotifyCall[]; strays: NotifyCall[] } {
  const where = `${host}:${port}`;
  const ids = new Map<number, NotifyCall>();
  r.calls.forEach((c, i) => {
    if (c.replacesId === 0) ids.set(r.firstId + r.calls.slice(0, i).filter((x) => x.replacesId === 0).length, c);
  });
  const mine = r.calls.filter((c) => c.summary.includes(where) || c.body.includes(where));
  const fresh = mine.filter((c) => c.replacesId === 0);
  const freshIds = [...ids.entries()].filter(([, c]) => fresh.includes(c)).map(([id]) => id);
  const latest = new Map<number, NotifyCall>(freshIds.map((id) => [id, ids.get(id)!]));
  const strays: NotifyCall[] = [];
  for (const c of mine) {
    if (c.replacesId === 0) continue;
    if (latest.has(c.replacesId)) latest.set(c.replacesId, c);
    else strays.push(c);
  }
  return { fresh, latest: [...latest.values()], strays };
}
