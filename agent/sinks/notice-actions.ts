/**
 * The actions a notification offers (desktop.ts shows them where the server shows actions), and
 * what the agent does when a person chooses one:
 *
 * - evidence: the alert's title, message, remedy and the log lines it quotes, with where each
 *   was read, are written to a text file in the state directory (0600) and opened with the
 *   desktop's opener (`xdg-open`, or $CONNWATCH_OPEN), through execFile: no shell ever sees them;
 * - silence: the rule is silenced for this host for a day (silences.ts);
 * - stop: the waiting client is sent SIGTERM, only when the process still has the pid AND the
 *   start time connwatch saw it waiting with (evidence.ts): never a signal to a process connwatch
 *   did not see waiting.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '../alert.js';
import { processIdentity } from './evidence.js';
import { writePrivateFile } from '../sources/state-file.js';
import { SILENCE_MS, type Silences } from './silences.js';

/** The actions a notification can offer. */
export type NoticeAction = 'evidence' | 'silence' | 'stop';

/** Their labels on the notification's buttons. */
export const ACTION_LABELS: Record<NoticeAction, string> = {
  evidence: 'Show the log lines',
  silence: 'Silence for a day',
  stop: 'Stop the waiting client',
};

/** The actions an alert's notification offers: a waiting client only when its pid was seen waiting. */
export function actionsFor(alert: Alert): NoticeAction[] {
  if (alert.rule === 'connwatch.summary') return [];
  const out: NoticeAction[] = ['evidence', 'silence'];
  if (alert.category === 'hang' && alert.process) out.push('stop');
  return out;
}

export interface ActionDeps {
  /** Where evidence files are written. */
  dir: string;
  silences: Silences;
  env?: NodeJS.ProcessEnv;
  log: (level: 'info' | 'warn', message: string) => void;
  now?: () => number;
}

export function evidenceDocument(a: Alert): string {
  const lines = [
    `${a.title}${a.host ? ` — ${a.host}${a.port !== undefined ? ` port ${a.port}` : ''}` : ''}`,
    `${new Date(a.time).toISOString()}  ${a.rule} (${a.severity})${a.count > 1 ? `  ×${a.count}` : ''}`,
    '',
    a.message,
    '',
    `What to do: ${a.remedy}`,
    '',
    'The log lines:',
    ...a.evidence.map((e) => `  ${e.source}${e.line !== undefined ? `:${e.line}` : ''}\n    ${e.text}`),
    '',
    `Alert id ${a.id}; \`connwatch alerts\` lists it with the others.`,
    '',
  ];
  return lines.join('\n');
}

/** Carries out one action; returns what was done, in a sentence for the agent's log. */
export function runNoticeAction(alert: Alert, action: NoticeAction, deps: ActionDeps): string {
  const now = deps.now?.() ?? Date.now();
  switch (action) {
    case 'evidence': {
      mkdirSync(deps.dir, { recursive: true, mode: 0o700 });
      const file = join(deps.dir, `alert-${alert.id.replace(/[^0-9A-Za-z_-]/g, '')}.txt`);
      writePrivateFile(file, evidenceDocument(alert));
      const env = deps.env ?? process.env;
      const opener = env.CONNWATCH_OPEN || 'xdg-open';
      execFile(opener, [file], { env, timeout: 30_000 }, (err) => {
        if (err) deps.log('warn', `could not open ${file} with ${opener} (${err.message.split('\n')[0]}); the evidence is in that file`);
      });
      return `evidence of alert ${alert.id} written to ${file} and opened with ${opener}`;
    }
    case 'silence': {
      deps.silences.add(alert.rule, alert.host, now + SILENCE_MS, now);
      return `rule ${alert.rule} silenced${alert.host ? ` for ${alert.host}` : ''} until ${new Date(now + SILENCE_MS).toISOString()}`;
    }
    case 'stop': {
      const p = alert.process;
      if (!p) return `alert ${alert.id} names no waiting client; nothing stopped`;
      const id = processIdentity(p.pid);
      if (!id || id.start !== p.start) return `${p.program} (pid ${p.pid}) has already ended; nothing stopped`;
      try {
        process.kill(p.pid, 'SIGTERM');
      } catch (err) {
        return `could not stop ${p.program} (pid ${p.pid}): ${(err as Error).message}`;
      }
      return `stopped the waiting ${p.program} (pid ${p.pid}) with SIGTERM`;
    }
  }
}
