/**
 * The status file the running agent keeps current (~/.local/state/connwatch/status.json), read by
 * `connwatch status` and `connwatch doctor`: sources with their state and last line time,
 * counts, rules loaded. Written atomically (0600), at most once a second, and only when it changed.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writePrivateFile } from './sources/state-file.js';

export interface AgentStatus {
  pid: number;
  startedAt: number;
  updatedAt: number;
  sources: unknown[];
  stats: { lines: number; events: number; unknown: number; alerts: number };
  rules: { loaded: number; problems: number; files: unknown[] };
  gate: { alerts: number; notified: number; suppressed: number; duplicates: number };
  lastAlert?: { rule: string; title: string; time: number };
  notifications?: string;
}

export class StatusWriter {
  readonly startedAt = Date.now();
  private last = 0;
  private lastContent = '';

  constructor(private readonly file: string) {
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    } catch {
      // a read-only state directory: the status is a convenience, the agent goes on without it
    }
  }

  /** 'later' when the last write was under a second ago: nothing written, ask again. */
  write(status: AgentStatus, force = false): 'written' | 'unchanged' | 'later' {
    const now = Date.now();
    if (!force && now - this.last < 1000) return 'later';
    // an idle agent does not rewrite an unchanged file every second; updatedAt = last change
    const content = JSON.stringify({ ...status, updatedAt: 0 });
    if (!force && content === this.lastContent) return 'unchanged';
    this.lastContent = content;
    this.last = now;
    try {
      writePrivateFile(this.file, JSON.stringify(status, null, 2)); // 0600, never through a symlink
    } catch {
      // the status file is a convenience; the agent goes on without it
    }
    return 'written';
  }
}

export function readStatus(file: string): AgentStatus | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AgentStatus;
  } catch {
    return undefined;
  }
}
