/** `connwatch alerts [--json] [--since DURATION]`: the alert history, newest first. */
import type { Command } from 'commander';
import { paths } from '../config/paths.js';
import { ConnwatchError } from '../errors.js';
import { parseDuration } from '../rules/duration.js';
import { readHistory } from '../sinks/history.js';
import { inert } from '../sinks/printer.js';

export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description('show the recent alerts, newest first, with their remedy')
    .option('--json', 'one JSON object per alert per line')
    .option('--since <duration>', 'only alerts seen within this time, e.g. "1h" or "2d"')
    .option('-n, --limit <n>', 'at most this many', '50')
    .action((flags: { json?: boolean; since?: string; limit: string }) => {
      let entries = readHistory(paths().historyFile);
      if (flags.since !== undefined) {
        const ms = parseDuration(flags.since);
        if (ms === undefined) throw new ConnwatchError('USAGE', `--since must be a duration like "1h" or "2d", got "${flags.since}"`);
        const from = Date.now() - ms;
        entries = entries.filter((e) => e.lastSeen >= from);
      }
      entries = entries.slice(0, Math.max(1, Number(flags.limit) || 50));
      if (!entries.length && !flags.json) {
        process.stdout.write('No alerts recorded.\n');
        return;
      }
      for (const e of entries) {
        if (flags.json) {
          process.stdout.write(inert(JSON.stringify({ ...e, firstSeen: new Date(e.firstSeen).toISOString(), lastSeen: new Date(e.lastSeen).toISOString(), time: new Date(e.time).toISOString() }) + '\n'));
          continue;
        }
        process.stdout.write(inert(
          `${new Date(e.lastSeen).toISOString()} ${e.severity.toUpperCase()} [${e.rule}] ${e.title}${e.host ? ` — ${e.host}` : ''}` +
            `${e.count > 1 ? ` (×${e.count}, first ${new Date(e.firstSeen).toISOString()})` : ''}\n  ${e.message}\n  What to do: ${e.remedy}\n\n`,
        ));
      }
    });
}
