/** `connwatch replay [--program NAME] [--json] FILE...`: the whole pipeline over finished logs. */
import type { Command } from 'commander';
import { VirtualClock } from '../correlate/clock.js';
import type { Program } from '../event.js';
import { Pipeline } from '../pipeline.js';
import { replayFiles } from '../replay.js';
import { AlertGate } from '../sinks/gate.js';
import { inert, PrinterSink } from '../sinks/printer.js';
import type { Sink } from '../alert.js';
import { paths } from '../config/paths.js';
import { checkFiles, programOption, replayProgress, rulesOptions, type CommonRuleFlags } from './common.js';
import { loadRuleSet, makeRunner, problemsText } from './setup.js';

interface ReplayFlags extends CommonRuleFlags {
  program?: Program;
  json?: boolean;
  user?: boolean;
}

export function registerReplay(program: Command): void {
  const cmd = program
    .command('replay')
    .description('run the whole pipeline over finished log files, on event time, and print the alerts')
    .argument('<files...>', 'log files (plink -v output or -sshlog, auth.log, journal JSON, wrap captures, ...)')
    .addOption(programOption())
    .option('--json', 'one JSON object per alert per line')
    .option('--user', 'also use your own rules in ~/.config/connwatch/rules.d (left out by default, so a replay gives the same result on every machine)')
    .addHelpText(
      'after',
      '\nLines without a timestamp take the time of the last line that had one. At the end, a\n' +
        'program still waiting at a prompt counts as hung; other unfinished connections are listed\n' +
        'in the summary on stderr (lines, events, alerts, lines not understood, lines/s).',
    );
  rulesOptions(cmd).action(async (files: string[], flags: ReplayFlags) => {
    files = await checkFiles(files);
    const loaded = loadRuleSet({ ...flags, ...(flags.user ? { userRulesDir: paths().rulesDir } : {}) });
    const problems = problemsText(loaded);
    // nothing fatal: the broken files are named, their rules left out, the replay goes on
    if (problems) process.stderr.write(`connwatch: rule files with errors (their rules are not used):\n${problems}\n`);
    const clock = new VirtualClock(0);
    // which connections an alert was raised for, so the summary does not call them unexplained
    const alerted = new Map<string, string>();
    const seen: Sink = { name: 'seen', deliver: (a) => void alerted.set(a.key, a.rule) };
    const gate = new AlertGate({ record: [new PrinterSink(process.stdout, Boolean(flags.json)), seen], uniqueIds: true, localIds: !flags.json });
    const pipeline = new Pipeline({ runner: makeRunner(loaded, clock), gate });
    const shown = replayProgress(files, 'connwatch replay');
    const result = await replayFiles(files, pipeline, { ...(flags.program ? { program: flags.program } : {}), ...(shown.progress ? { progress: shown.progress } : {}) });
    shown.done();
    const s = pipeline.stats;
    const share = s.lines ? ((100 * s.unknown) / s.lines).toFixed(1) : '0.0';
    const rate = result.seconds > 0 ? Math.round(s.lines / result.seconds) : s.lines;
    const lines = [
      `connwatch replay: ${s.lines} lines, ${s.events} events, ${s.alerts} alerts (${gate.counts.suppressed} repeats folded), ${s.unknown} lines not understood (${share}%), ${rate} lines/s`,
    ];
    const sets = [flags.builtin !== false && 'built-in', flags.user && paths().rulesDir, ...(flags.rules ?? [])].filter(Boolean);
    lines.push(`  rules: ${loaded.rules.filter((r) => r.enabled).length} from ${sets.length ? sets.join(', ') : 'nowhere'}${flags.user ? '' : ' (your rules.d is left out; --user adds it)'}`);
    for (const c of result.unfinished.slice(0, 20)) {
      const rule = alerted.get(c.id);
      lines.push(
        `  unfinished: connection ${c.id} to ${c.host ?? '?'}${c.port ? `:${c.port}` : ''} stopped in phase "${c.phase}" after ${c.events} events` +
          (rule ? ` (alert ${rule} above)` : ' (no alert: its log ends without proof that it hung)'),
      );
    }
    for (const w of result.open.slice(0, 20)) {
      lines.push(`  open window: rule ${w.rule} for ${w.key} since ${new Date(w.since).toISOString()} (deadline ${new Date(w.deadline).toISOString()} not reached in the log)`);
    }
    process.stderr.write(inert(lines.join('\n') + '\n'));
  });
}
