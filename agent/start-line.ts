/**
 * What the agent says when it starts: which sources it watches (not just how many), and at once
 * when no notification can be shown (no session bus), instead of at the first alert.
 */
import type { ResolvedSource } from './config/config.js';
import { findSessionBus } from './sinks/session-bus.js';

export function describeSource(s: ResolvedSource): string {
  switch (s.type) {
    case 'file':
      return `${s.path}${s.program ? ` (${s.program})` : ''}`;
    case 'captures':
      return `captures ${s.path}`;
    case 'journal':
      return `journal ${s.scope ?? 'system'}${s.identifiers?.length ? ` (${s.identifiers.join(', ')})` : ''}${s.units?.length ? ` units ${s.units.join(', ')}` : ''}`;
    case 'process-scan':
      return `process scan every ${Math.round((s.intervalMs ?? 60_000) / 1000)}s`;
    case 'wevtutil':
      return `event log ${(s.channels ?? ['OpenSSH/Operational', 'OpenSSH/Admin']).join(', ')} (wevtutil)`;
    case 'oslog':
      return 'unified log, sshd (log stream)';
  }
}

export function sourcesLine(sources: readonly ResolvedSource[]): string {
  return `${sources.length} sources: ${sources.map(describeSource).join('; ')}`;
}

/** Why no notification can be shown, or undefined when a session bus is there (or notify is off). */
export function notifyProblem(notify: boolean, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!notify) return undefined;
  const bus = findSessionBus(env);
  return bus.found ? undefined : `${bus.error.message} Alerts go to the history only (connwatch alerts) until one appears; ${bus.error.hint ?? ''}`;
}
