/**
 * `connwatch rules validate|list|test`: check rule files, list the rules in force, and show line
 * by line what the pipeline makes of a log — program recognised, event produced, rules matched,
 * and for a line that matched nothing, the closest rule and which of its conditions failed (the
 * way wazuh-logtest shows its phases). `test` runs exactly the pipeline the agent runs.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { VirtualClock } from '../correlate/clock.js';
import type { Event, Program } from '../event.js';
import { Pipeline } from '../pipeline.js';
import { replayFiles } from '../replay.js';
import type { CompiledRule } from '../rules/compile.js';
import { loadRuleFile } from '../rules/load.js';
import { formatProblem, type RuleProblem } from '../rules/spec.js';
import type { RuleHit } from '../rules/runner.js';
import { AlertGate } from '../sinks/gate.js';
import { inert, PrinterSink } from '../sinks/printer.js';
import { paths } from '../config/paths.js';
import { checkFiles, programOption, rulesOptions, type CommonRuleFlags } from './common.js';
import { loadRuleSet, makeRunner } from './setup.js';
import { eventText } from './parse.js';
import { readdirSync } from 'node:fs';
import { Writable } from 'node:stream';

function expandPaths(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // reported by loadRuleFile
    }
    if (isDir) {
      for (const f of readdirSync(p).sort()) if (f.endsWith('.json') && f !== 'schema.json') out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('check, list and try out rule files');

  rules
    .command('validate')
    .description('check rule files against the rule language; exit code 1 when any has an error')
    .argument('<paths...>', 'rule files or directories; each is checked as one layer (ids unique within it, a later path may override an earlier one)')
    .action((inputs: string[]) => {
      const problems: RuleProblem[] = [];
      let count = 0;
      // Each path named is one layer, as each --rules DIR is for the agent: within it an id must
      // be unique; across paths a later rule may replace an earlier one (a user override).
      for (const input of inputs) {
        const ids = new Map<string, string>();
        for (const file of expandPaths([input])) {
          const r = loadRuleFile(file, false);
          problems.push(...r.problems);
          for (const rule of r.rules) {
            const other = ids.get(rule.id);
            if (other) problems.push({ file, rule: rule.id, field: 'id', message: `duplicate id: also defined in ${other}` });
            ids.set(rule.id, file);
          }
          count += r.rules.length;
        }
      }
      for (const p of problems) process.stderr.write(formatProblem(p) + '\n');
      if (problems.length) {
        process.stderr.write(`connwatch rules validate: ${problems.length} error(s)\n`);
        process.exitCode = 1;
      } else process.stdout.write(`connwatch rules validate: ${count} rule(s) OK\n`);
    });

  rulesOptions(
    rules
      .command('list')
      .description('list the rules in force: id, severity, category, source file, enabled')
      .option('--json', 'one JSON object per rule')
      .option('--no-user', 'leave out ~/.config/connwatch/rules.d'),
  ).action((flags: CommonRuleFlags & { json?: boolean; user?: boolean }) => {
    const loaded = loadRuleSet({ ...flags, ...(flags.user !== false ? { userRulesDir: paths().rulesDir } : {}) });
    for (const p of loaded.problems) process.stderr.write(formatProblem(p) + '\n');
    for (const r of loaded.rules.sort((a, b) => a.id.localeCompare(b.id))) {
      if (flags.json) {
        process.stdout.write(JSON.stringify({ id: r.id, severity: r.spec.severity, category: r.spec.category, file: r.file, builtin: r.builtin, enabled: r.enabled, title: r.spec.title }) + '\n');
      } else {
        process.stdout.write(`${r.id.padEnd(40)} ${r.spec.severity.padEnd(8)} ${r.spec.category.padEnd(12)} ${r.enabled ? 'enabled ' : 'disabled'} ${r.builtin ? '(built-in) ' : ''}${r.file}\n`);
      }
    }
  });

  rulesOptions(
    rules
      .command('test')
      .description('show, line by line, the program recognised, the event produced, and which rules matched or why the closest did not')
      .argument('<files...>', 'log files')
      .addOption(programOption())
      .option('--no-user', 'leave out ~/.config/connwatch/rules.d'),
  ).action(async (files: string[], flags: CommonRuleFlags & { program?: Program; user?: boolean }) => {
    files = await checkFiles(files);
    const loaded = loadRuleSet({ ...flags, ...(flags.user !== false ? { userRulesDir: paths().rulesDir } : {}) });
    for (const p of loaded.problems) process.stderr.write(formatProblem(p) + '\n');
    const clock = new VirtualClock(0);
    const out = process.stdout;
    // Alerts are printed after the line-by-line part, so that part stays in line order.
    const alerts: string[] = [];
    const collector = new Writable({
      write(chunk: Buffer | string, _enc, done) {
        alerts.push(chunk.toString()); // already made inert by the printer
        done();
      },
    });
    const gate = new AlertGate({ record: [new PrinterSink(collector, false)] });
    const explainLine = async (e: Event, hits: RuleHit[]): Promise<string> => {
      const lines = [`line ${e.raw.line ?? '?'}: ${e.raw.text}`, `  program: ${e.program}   parser pattern: ${e.pattern ?? '-'}`, `  event:   ${eventText(e)}`];
      if (e.connection) lines.push(`  connection: ${e.connection.id} (phase before: ${e.connection.phase})`);
      if (hits.length) for (const h of hits) lines.push(`  ** rule ${h.rule.id} (${h.rule.spec.severity}) hit`);
      else {
        const closest = await closestRule(loaded.rules, e);
        if (closest) {
          const why = closest.failed.map((f) => `${f.fact} ${f.operator} ${JSON.stringify(f.value)} (event has ${JSON.stringify(f.actual)})`).join('; ');
          const waits = closest.failed.length === 0 ? (closest.rule.expect ? ' (matched: waits for what it expects)' : closest.rule.threshold ? ' (matched: counts towards its threshold)' : ' (matched)') : '';
          lines.push(`  closest rule: ${closest.rule.id}${waits}${why ? ` — failed: ${why}` : ''}`);
        } else lines.push('  no rule applies to this program');
      }
      return lines.join('\n') + '\n';
    };
    // One explanation at a time, in line order: the engines are shared and json-rules-engine runs
    // must not overlap (two runs in flight mixed up their results).
    let chain: Promise<unknown> = Promise.resolve();
    const texts: Array<{ file: string | undefined; line: number | undefined; text: Promise<string> }> = [];
    const pipeline = new Pipeline({
      runner: makeRunner(loaded, clock),
      gate,
      onEvent: (e, hits) => {
        const text =
          e.kind === 'noise'
            ? Promise.resolve(`line ${e.raw.line ?? '?'}: ${e.raw.text}\n  program: ${e.program}   noise: not about a connection (no rule looks at it; parse --all shows it)\n`)
            : chain.then(() => explainLine(e, hits));
        chain = text.catch(() => undefined);
        texts.push({ file: e.raw.file, line: e.raw.line, text });
      },
    });
    await replayFiles(files, pipeline, flags.program ? { program: flags.program } : {});
    for (const t of await withSilentLines(files, texts)) out.write(inert(await t));
    if (alerts.length) out.write(`\nalerts:\n${alerts.join('')}`);
    const s = pipeline.stats;
    process.stderr.write(`connwatch rules test: ${s.lines} lines, ${s.events} events, ${s.alerts} alerts, ${s.unknown} lines not understood\n`);
  });
}

async function closestRule(rules: readonly CompiledRule[], e: Event): Promise<{ rule: CompiledRule; failed: Awaited<ReturnType<CompiledRule['explain']>>['failed'] } | undefined> {
  let best: { rule: CompiledRule; failed: Awaited<ReturnType<CompiledRule['explain']>>['failed'] } | undefined;
  for (const rule of rules) {
    if (!rule.enabled || (rule.programs && !rule.programs.has(e.program))) continue;
    const r = await rule.explain(e);
    // fewest failed conditions; on a tie, a rule written for this program (then this kind) is closer
    // than a generic one, so a plink line is not explained by a rule about any program
    const rank = (x: CompiledRule, failed: number) => failed * 4 + (x.programs?.has(e.program) ? 0 : 2) + (x.kinds?.has(e.kind) ? 0 : 1);
    if (!best || rank(rule, r.failed.length) < rank(best.rule, best.failed.length)) best = { rule, failed: r.failed };
  }
  return best;
}

/**
 * The explanations in file and line order, with a line for every line that produced no event
 * (blank, or held back as part of a multi-line message): a line must never just vanish from the
 * output. Files over 64 MiB, or events without a line number, keep the pipeline's order.
 */
async function withSilentLines(files: readonly string[], texts: ReadonlyArray<{ file: string | undefined; line: number | undefined; text: Promise<string> }>): Promise<Array<Promise<string> | string>> {
  const byLine = new Map<string, Array<Promise<string>>>();
  const rest: Array<Promise<string>> = [];
  for (const t of texts) {
    if (t.file === undefined || t.line === undefined) rest.push(t.text);
    else {
      const k = `${t.line}\0${t.file}`;
      byLine.set(k, [...(byLine.get(k) ?? []), t.text]);
    }
  }
  const out: Array<Promise<string> | string> = [];
  for (const file of files) {
    let lines: string[];
    try {
      if (statSync(file).size > 64 << 20) return texts.map((t) => t.text);
      lines = readFileSync(file, 'utf8').split('\n');
    } catch {
      return texts.map((t) => t.text);
    }
    if (lines.at(-1) === '') lines.pop();
    if (files.length > 1) out.push(`== ${file}\n`);
    lines.forEach((text, i) => {
      const found = byLine.get(`${i + 1}\0${file}`);
      if (found) out.push(...found);
      else out.push(`line ${i + 1}: ${text}\n  ${text.trim() === '' ? 'blank: no event' : 'no event: held back as part of a multi-line message, or cut'}\n`);
      byLine.delete(`${i + 1}\0${file}`);
    });
  }
  for (const left of byLine.values()) out.push(...left);
  return [...out, ...rest];
}
