/**
 * `connwatch report [--since WHEN] [--until WHEN] [FILE...] -o report.html`: a picture of what
 * happened, as one self-contained HTML page (agent/report/html.ts) or, with --json, its data.
 * With files, they are replayed as `connwatch replay` does (same rules, same options) and the
 * page shows connection attempts and successes beside the alerts; without files, the alerts the
 * agent recorded (its history) are shown.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Sink } from '../alert.js';
import { paths } from '../config/paths.js';
import { VirtualClock } from '../correlate/clock.js';
import { ConnwatchError, messageOf } from '../errors.js';
import type { Program } from '../event.js';
import { Pipeline } from '../pipeline.js';
import { ReportCollector, type ReportData } from '../report/data.js';
import { renderHtml } from '../report/html.js';
import { replayFiles } from '../replay.js';
import { AlertGate } from '../sinks/gate.js';
import { readHistory } from '../sinks/history.js';
import { checkFiles, programOption, replayProgress, rulesOptions, type CommonRuleFlags } from './common.js';
import { loadRuleSet, makeRunner, problemsText } from './setup.js';
import { parseWhen } from './when.js';

interface ReportFlags extends CommonRuleFlags {
  since?: string;
  until?: string;
  output?: string;
  json?: boolean;
  program?: Program;
  user?: boolean;
}

export async function buildReport(files: string[], flags: ReportFlags): Promise<ReportData> {
  const now = Date.now();
  const from = flags.since !== undefined ? parseWhen(flags.since, now)! : -Infinity;
  const to = flags.until !== undefined ? parseWhen(flags.until, now)! : Infinity;
  const collector = new ReportCollector(from, to);
  if (!files.length) {
    const history = paths().historyFile;
    for (const e of readHistory(history)) collector.alert(e);
    return collector.build({ inputs: [history], lines: 0, events: 0 });
  }
  const loaded = loadRuleSet({ ...flags, ...(flags.user ? { userRulesDir: paths().rulesDir } : {}) });
  const problems = problemsText(loaded);
  if (problems) process.stderr.write(`connwatch: rule files with errors (their rules are not used):\n${problems}\n`);
  const sink: Sink = { name: 'report', deliver: (a) => collector.alert(a) };
  const gate = new AlertGate({ record: [sink] });
  const pipeline = new Pipeline({ runner: makeRunner(loaded, new VirtualClock(0)), gate, onEvent: (e) => collector.event(e) });
  const shown = replayProgress(files, 'connwatch report');
  await replayFiles(files, pipeline, { ...(flags.program ? { program: flags.program } : {}), ...(shown.progress ? { progress: shown.progress } : {}) });
  shown.done();
  return collector.build({ inputs: files, lines: pipeline.stats.lines, events: pipeline.stats.events });
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('write one self-contained HTML page of what happened: a timeline per host of attempts, successes, failures and hangs, and each failure with its rule, evidence and remedy')
    .argument('[files...]', 'log files to replay ("-" is standard input); none: the alerts the agent recorded')
    .option('--since <when>', 'from this time: "yesterday", "-2h", "2026-12-05 14:00", ...')
    .option('--until <when>', 'up to this time (same forms)')
    .option('-o, --output <file>', 'write the page (or the JSON) to this file instead of standard output')
    .option('--json', 'the same data as one JSON object')
    .addOption(programOption())
    .option('--user', 'also use your own rules in ~/.config/connwatch/rules.d (as replay --user)');
  rulesOptions(cmd).action(async (files: string[], flags: ReportFlags) => {
    files = await checkFiles(files);
    if (!flags.output && !flags.json && process.stdout.isTTY) {
      throw new ConnwatchError('USAGE', 'report: name the page with -o FILE (or pipe it, or use --json)', { hint: 'connwatch report -o report.html FILE...' });
    }
    const started = process.hrtime.bigint();
    const data = await buildReport(files, flags);
    const text = flags.json ? `${JSON.stringify(data)}\n` : renderHtml(data);
    if (flags.output) {
      try {
        writeFileSync(flags.output, text);
      } catch (err) {
        throw new ConnwatchError('USAGE', `-o ${flags.output}: cannot write it (${messageOf(err)})`, { cause: err });
      }
    } else process.stdout.write(text);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const t = data.totals;
    process.stderr.write(
      `connwatch report: ${t.lines} lines, ${data.hosts.length + data.otherHosts} hosts, ${t.attempt} attempts, ${t.success} successes, ${t.failure} failures, ${t.hang} hangs; ` +
        `${Buffer.byteLength(text)} bytes${flags.output ? ` to ${flags.output}` : ''} in ${seconds.toFixed(2)} s\n`,
    );
  });
}
