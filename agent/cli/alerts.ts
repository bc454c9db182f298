/**
 * `connwatch alerts [--json] [--since WHEN] [--until WHEN] [-n N] [-f]`: the alert history, newest
 * first; with -f (as `journalctl -f`), the last N oldest first and then each new alert as the
 * agent records it, until Ctrl-C.
 */
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { paths } from '../config/paths.js';
import { readHistory, type HistoryEntry } from '../sinks/history.js';
import { inert } from '../sinks/printer.js';
import { severityLabel, useColour } from './common.js';
import { parseWhen } from './when.js';

interface AlertsFlags {
  json?: boolean;
  since?: string;
  until?: string;
  limit: string;
  follow?: boolean;
}

export function alertJson(e: HistoryEntry): Record<string, unknown> {
  return { ...e, firstSeen: new Date(e.firstSeen).toISOString(), lastSeen: new Date(e.lastSeen).toISOString(), time: new Date(e.time).toISOString() };
}

function alertText(e: HistoryEntry, colour: boolean): string {
  return (
    `${new Date(e.lastSeen).toISOString()} ${severityLabel(e.severity, colour)} [${e.rule}] ${e.title}${e.host ? ` — ${e.host}` : ''}` +
    `${e.count > 1 ? ` (×${e.count}, first ${new Date(e.firstSeen).toISOString()})` : ''}\n  ${e.message}\n  What to do: ${e.remedy}\n\n`
  );
}

export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description('show the recent alerts, newest first, with their remedy')
    .option('--json', 'one JSON object per alert per line')
    .option('--since <when>', 'only alerts seen at or after this time: "1h" (ago), "-2h", "today", "yesterday", "14:00", "2026-12-05 14:00"')
    .option('--until <when>', 'only alerts seen at or before this time (same forms as --since)')
    .option('-n, --limit <n>', 'at most this many', '50')
    .option('-f, --follow', 'keep running and print each new alert as it is recorded (Ctrl-C ends)')
    .action(async (flags: AlertsFlags) => {
      const file = paths().historyFile;
      const now = Date.now();
      const from = flags.since !== undefined ? parseWhen(flags.since, now)! : -Infinity;
      const to = flags.until !== undefined ? parseWhen(flags.until, now)! : Infinity;
      const limit = Number(flags.limit);
      const colour = useColour();
      const print = (e: HistoryEntry) => process.stdout.write(inert(flags.json ? JSON.stringify(alertJson(e)) + '\n' : alertText(e, colour)));
      const entries = readHistory(file).filter((e) => e.lastSeen >= from && e.lastSeen <= to).slice(0, limit);
      if (!flags.follow) {
        if (!entries.length && !flags.json) process.stdout.write('No alerts recorded.\n');
        for (const e of entries) print(e);
        return;
      }
      // follow: oldest first, as a log grows; an alert is printed again when its count grows
      const seen = new Map<string, number>();
      for (const e of entries.reverse()) {
        print(e);
        seen.set(e.id, e.lastSeen);
      }
      for (const e of readHistory(file)) if (!seen.has(e.id)) seen.set(e.id, e.lastSeen);
      await follow(file, () => {
        for (const e of readHistory(file).reverse()) {
          if ((seen.get(e.id) ?? -Infinity) >= e.lastSeen || e.lastSeen > to) continue;
          seen.set(e.id, e.lastSeen);
          print(e);
        }
      });
    });
}

/** Calls `changed` whenever the file's size or time changes, until SIGINT/SIGTERM. */
function follow(file: string, changed: () => void): Promise<void> {
  const stamp = () => {
    try {
      const s = statSync(file);
      return `${s.size} ${s.mtimeMs} ${s.ino}`;
    } catch {
      return '';
    }
  };
  let last = stamp();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = stamp();
      if (now === last) return;
      last = now;
      changed();
    }, 250);
    const stop = () => {
      clearInterval(timer);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
