/** `connwatch parse [--program NAME] [--json] FILE...`: the normalised events, one per line. */
import type { Command } from 'commander';
import { VirtualClock } from '../correlate/clock.js';
import type { Event, Program } from '../event.js';
import { Pipeline } from '../pipeline.js';
import { replayFiles } from '../replay.js';
import { AlertGate } from '../sinks/gate.js';
import { inert } from '../sinks/printer.js';
import { RuleRunner } from '../rules/runner.js';
import { checkFiles, programOption } from './common.js';

export function eventJson(e: Event): Record<string, unknown> {
  const { connection, raw, ...rest } = e;
  return { ...rest, time: new Date(e.time).toISOString(), ...(connection ? { connection: connection.id } : {}), raw };
}

export function eventText(e: Event): string {
  const who = [e.host && `host=${e.host}`, e.port !== undefined && `port=${e.port}`, e.user !== undefined && `user=${JSON.stringify(e.user)}`, e.pid !== undefined && `pid=${e.pid}`]
    .filter(Boolean)
    .join(' ');
  const detail = Object.entries(e.detail)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : v}`)
    .join(' ');
  return `${new Date(e.time).toISOString()} ${e.program} ${e.kind}${who ? ' ' + who : ''}${detail ? ' ' + detail : ''}`;
}

export function registerParse(program: Command): void {
  program
    .command('parse')
    .description('print the normalised events of log files, one per line (for writing rules)')
    .argument('<files...>', 'log files')
    .addOption(programOption())
    .option('--json', 'one JSON object per event per line')
    .option('--all', 'also print noise events (packet dumps, other programs sharing the log)')
    .action(async (files: string[], flags: { program?: Program; json?: boolean; all?: boolean }) => {
      files = await checkFiles(files);
      const clock = new VirtualClock(0);
      const gate = new AlertGate({ record: [] });
      const kinds = new Map<string, number>();
      const pipeline = new Pipeline({
        runner: new RuleRunner([], clock),
        gate,
        onEvent: (e) => {
          kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
          if (e.kind === 'noise' && !flags.all) return;
          process.stdout.write(inert((flags.json ? JSON.stringify(eventJson(e)) : eventText(e)) + '\n'));
        },
      });
      const result = await replayFiles(files, pipeline, flags.program ? { program: flags.program } : {});
      const s = pipeline.stats;
      const share = s.lines ? ((100 * s.unknown) / s.lines).toFixed(1) : '0.0';
      process.stderr.write(
        `connwatch parse: ${s.lines} lines, ${s.events} events, ${s.unknown} lines not understood (${share}%), ${Math.round(s.lines / Math.max(result.seconds, 1e-6))} lines/s\n`,
      );
    });
}
