/**
 * Runs the built-in rule pack over real lines, in-process, exactly as `connwatch replay` does
 * (VirtualClock, RuleRunner, AlertGate with foldMs 0, replayFiles merging by event time), and
 * returns the alerts as they were finally recorded (a joined alert is recorded again under its id).
 *
 * Lines may come from test/fixtures/** files, or be quoted from test/parsers/*.samples.log: the
 * quote is checked against the samples file, so no case can use an invented line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert, Sink } from '../../../agent/alert.js';
import { VirtualClock } from '../../../agent/correlate/clock.js';
import type { Event, Program } from '../../../agent/event.js';
import { Pipeline } from '../../../agent/pipeline.js';
import { replayFiles } from '../../../agent/replay.js';
import { builtinRulesDir, loadRules, type LoadedRules } from '../../../agent/rules/load.js';
import { RuleRunner } from '../../../agent/rules/runner.js';
import { AlertGate } from '../../../agent/sinks/gate.js';
import { FIXTURES } from '../../helpers/cli.js';

export const PARSER_SAMPLES = join(FIXTURES, '..', 'parsers');

let cached: LoadedRules | undefined;
export function builtinRules(): LoadedRules {
  cached ??= loadRules([{ dir: builtinRulesDir(), builtin: true }]);
  return cached;
}

export class Collect implements Sink {
  readonly name = 'collect';
  readonly byId = new Map<string, Alert>();
  readonly deliveries: Alert[] = [];
  async deliver(alert: Alert): Promise<void> {
    this.deliveries.push(structuredClone(alert));
    this.byId.set(alert.id, structuredClone(alert));
  }
  get alerts(): Alert[] {
    return [...this.byId.values()];
  }
}

export interface Replayed {
  alerts: Alert[];
  events: Event[];
}

/** Replays files (paths relative to test/fixtures, or absolute) through the built-in rules. */
export async function replayBuiltin(files: readonly string[], o: { program?: Program } = {}): Promise<Replayed> {
  const loaded = builtinRules();
  if (loaded.problems.length) throw new Error(`built-in rules have problems: ${JSON.stringify(loaded.problems)}`);
  const sink = new Collect();
  const events: Event[] = [];
  const gate = new AlertGate({ record: [sink] });
  const pipeline = new Pipeline({ runner: new RuleRunner(loaded.rules, new VirtualClock(0)), gate, onEvent: (e) => void events.push(e) });
  const paths = files.map((f) => (f.startsWith('/') ? f : join(FIXTURES, f)));
  await replayFiles(paths, pipeline, { ...(o.program ? { program: o.program } : {}), startTime: Date.UTC(2026, 10, 21, 12) });
  return { alerts: sink.alerts, events };
}

/**
 * Writes lines quoted from a parser's samples file to a temporary log (the last one without a
 * newline when `partial`: a prompt still waiting). Throws when a line is not in the samples file.
 */
export function sampleLog(samples: string, lines: readonly string[], partial = false): string {
  const known = new Set(readFileSync(join(PARSER_SAMPLES, `${samples}.samples.log`), 'utf8').split('\n'));
  for (const l of lines) if (!known.has(l)) throw new Error(`not a line of test/parsers/${samples}.samples.log: ${JSON.stringify(l)}`);
  const dir = mkdtempSync(join(tmpdir(), 'connwatch-builtin-'));
  const file = join(dir, `${samples}.log`);
  writeFileSync(file, lines.join('\n') + (partial ? '' : '\n'));
  return file;
}

export const ruleIds = (alerts: readonly Alert[]): string[] => [...new Set(alerts.map((a) => a.rule))].sort();
