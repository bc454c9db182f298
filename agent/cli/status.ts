/**
 * `connwatch status`: is the service installed and running, and what does the running agent see.
 *
 * The service state comes from `systemctl --user is-active/is-enabled` ("unknown: no user
 * manager" when there is none to ask). The rest comes from the status file the running agent
 * keeps (~/.local/state/connwatch/status.json, agent/status.ts): sources with their state, lines
 * and last line time, counts of lines, events and alerts, the last alert, rules loaded. A status
 * file whose pid is not alive (or is now another program) is stale: the agent is not running.
 *
 * Exit code 0 when the agent runs, 3 when it does not (as `systemctl status` does).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { paths } from '../config/paths.js';
import { readStatus, type AgentStatus } from '../status.js';
import { realSystem, type System } from '../doctor/system.js';
import { unitState } from '../doctor/systemctl.js';

export interface StatusOptions {
  sys?: System;
  out?: (line: string) => void;
  now?: number;
}

/** Alive and still connwatch (a reused pid is another program). */
export function agentAlive(sys: System, pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(join(sys.procRoot, String(pid), 'cmdline'), 'latin1');
  } catch {
    return false;
  }
  return /connwatch|cli[/\\]main\.[jt]s/.test(cmdline);
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

const time = (t: number) => new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

interface SourceView {
  sourceId?: string;
  pattern?: string;
  running?: boolean;
  linesDelivered?: number;
  lastLineAt?: number;
  files?: Array<{ path?: string; offset?: number; size?: number }>;
  problems?: Array<{ path?: string; code?: string; message?: string }>;
}

function describeSource(raw: unknown, now: number): string[] {
  if (typeof raw !== 'object' || raw === null) return [`  ${JSON.stringify(raw)}`];
  const s = raw as SourceView;
  const name = s.pattern ?? s.sourceId ?? '(unnamed source)';
  const files = Array.isArray(s.files) ? s.files : [];
  const problems = Array.isArray(s.problems) ? s.problems : [];
  const state = s.running === false ? 'stopped' : problems.length && files.length === 0 ? 'waiting' : 'watching';
  const parts = [`${files.length} file${files.length === 1 ? '' : 's'}`, `${s.linesDelivered ?? 0} lines`];
  if (typeof s.lastLineAt === 'number') parts.push(`last line ${time(s.lastLineAt)} (${ago(now - s.lastLineAt)})`);
  else if ((s.linesDelivered ?? 0) === 0) parts.push('no line yet');
  const lines = [`  ${name}: ${state}, ${parts.join(', ')}`];
  for (const pr of problems) lines.push(`    ${pr.code ?? 'problem'}: ${pr.message ?? pr.path ?? ''}`);
  return lines;
}

export async function status(o: StatusOptions = {}): Promise<number> {
  const sys = o.sys ?? realSystem();
  const out = o.out ?? ((l: string) => void process.stdout.write(`${l}\n`));
  const now = o.now ?? Date.now();
  const p = paths(sys.env);

  const [active, enabled] = await Promise.all([unitState(sys, 'is-active'), unitState(sys, 'is-enabled')]);
  if ('unknown' in active) out(`service: unknown: ${active.unknown}`);
  else out(`service: ${active.state}, ${'state' in enabled ? enabled.state : `enabled unknown: ${enabled.unknown}`}`);

  const st: AgentStatus | undefined = readStatus(p.statusFile);
  if (!st) {
    out(`agent: not running (no status file at ${p.statusFile}; the agent writes it while it runs)`);
    return 3;
  }
  const alive = agentAlive(sys, st.pid);
  if (!alive) {
    out(`agent: not running (the status file ${p.statusFile} is stale: pid ${st.pid} is gone; last updated ${time(st.updatedAt)}, ${ago(now - st.updatedAt)})`);
    out('What it last reported:');
  } else {
    out(`agent: running, pid ${st.pid}, since ${time(st.startedAt)} (status updated ${ago(now - st.updatedAt)})`);
  }
  out(`sources (${st.sources.length}):`);
  for (const s of st.sources) for (const l of describeSource(s, now)) out(l);
  const g = st.gate;
  out(`counts: ${st.stats.lines} lines, ${st.stats.events} events (${st.stats.unknown} not recognised), ${st.stats.alerts} alerts` +
    (g ? ` (${g.notified} notified, ${g.suppressed} suppressed, ${g.duplicates} duplicates)` : ''));
  out(st.lastAlert ? `last alert: ${st.lastAlert.rule} — ${st.lastAlert.title} at ${time(st.lastAlert.time)}` : 'last alert: none since the agent started');
  out(`rules: ${st.rules.loaded} loaded${st.rules.problems ? `, ${st.rules.problems} problem(s): run \`connwatch rules validate\` or \`connwatch doctor\`` : ''}`);
  if (st.notifications) out(`notifications: ${st.notifications}`);
  return alive ? 0 : 3;
}

/** `status --json`: one object with the service state, whether the agent runs, and its status file as written. */
export async function statusJson(o: StatusOptions = {}): Promise<number> {
  const sys = o.sys ?? realSystem();
  const out = o.out ?? ((l: string) => void process.stdout.write(`${l}\n`));
  const p = paths(sys.env);
  const [active, enabled] = await Promise.all([unitState(sys, 'is-active'), unitState(sys, 'is-enabled')]);
  const st = readStatus(p.statusFile);
  const running = st ? agentAlive(sys, st.pid) : false;
  out(
    JSON.stringify({
      service: { active: 'state' in active ? active.state : null, enabled: 'state' in enabled ? enabled.state : null, ...('unknown' in active ? { unknown: active.unknown } : {}) },
      agent: { running, statusFile: p.statusFile, stale: st ? !running : null },
      ...(st ? { status: { ...st, startedAt: new Date(st.startedAt).toISOString(), updatedAt: new Date(st.updatedAt).toISOString() } } : {}),
    }),
  );
  return running ? 0 : 3;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show whether the service and agent run, what they watch, and the counts so far (exit 3 when the agent is not running)')
    .option('--json', 'one JSON object: {service, agent, status} (status: what the agent last wrote)')
    .action(async (flags: { json?: boolean }) => {
      process.exitCode = flags.json ? await statusJson() : await status();
    });
}
