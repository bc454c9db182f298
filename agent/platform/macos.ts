/**
 * macOS: configuration and state in ~/Library/Application Support/connwatch (state in its
 * "state" folder), the agent's own output in ~/Library/Logs/connwatch (where Console.app looks).
 * Started by a LaunchAgent (launch-agent.ts) in the user's GUI session. Alerts through
 * node-notifier's NotificationCenter (terminal-notifier), which macOS lets show only after the
 * person allows it once. Default sources: `connwatch wrap` captures (ssh and plink write to
 * their terminal only); sshd's lines come from the unified log (`log stream --style ndjson`,
 * envelopes/oslog.ts; OSLOG_COMMAND below).
 */
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { pathsIn } from './places.js';
import type { Platform } from './types.js';

/** sshd in the unified log, as NDJSON; sshd-session is OpenSSH 9.8's per-connection process. */
export const OSLOG_COMMAND: readonly string[] = ['log', 'stream', '--style', 'ndjson', '--level', 'info', '--predicate', 'process == "sshd" OR process == "sshd-session"'];

export function library(env: NodeJS.ProcessEnv): string {
  return posix.join(env.HOME || homedir(), 'Library');
}

export function launchAgentPath(env: NodeJS.ProcessEnv): string {
  return posix.join(library(env), 'LaunchAgents', 'connwatch.agent.plist');
}

export const macos: Platform = {
  id: 'macos',
  label: 'macOS',
  paths(env) {
    const support = posix.join(library(env), 'Application Support', 'connwatch');
    return pathsIn(support, posix.join(support, 'state'), posix.join(library(env), 'Logs', 'connwatch'), undefined, posix.join);
  },
  notifier: 'notification-center',
  defaultSources: (p) => [{ type: 'captures', path: posix.join(p.captureDir, '*.jsonl'), isDefault: true }],
  autostart: 'a LaunchAgent (~/Library/LaunchAgents/connwatch.agent.plist)',
};
