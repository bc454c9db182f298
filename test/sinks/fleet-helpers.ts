/**
 * Shared by the fleet tests: the fixture replays (the whole pipeline, in-process, as `connwatch
 * replay` runs it) with a FleetSink among the record sinks, and the alert-stream schema validator.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Sink } from '../../agent/alert.js';
import { VirtualClock } from '../../agent/correlate/clock.js';
import { Pipeline } from '../../agent/pipeline.js';
import { replayFiles } from '../../agent/replay.js';
import { builtinRulesDir, loadRules } from '../../agent/rules/load.js';
import { RuleRunner } from '../../agent/rules/runner.js';
import { AlertGate } from '../../agent/sinks/gate.js';
import { FIXTURES, ROOT } from '../helpers/cli.js';

export const INCIDENTS = join(FIXTURES, 'incidents');
const LOG_FILE = /\.(log|syslog|stderr|stdout|txt|sshlog)$/;

/** Every fixture replay: each incident transcript alone, each capture directory as one replay. */
export function fixtureReplays(): string[][] {
  const out: string[][] = readdirSync(INCIDENTS).sort().map((f) => [join(INCIDENTS, f)]);
  const walk = (dir: string): void => {
    const names = readdirSync(dir).sort();
    const files = names.map((n) => join(dir, n)).filter((p) => statSync(p).isFile() && LOG_FILE.test(p));
    if (files.length) out.push(files);
    for (const n of names) {
      const p = join(dir, n);
      if (statSync(p).isDirectory() && p !== INCIDENTS) walk(p);
    }
  };
  for (const d of ['plink', 'ssh', 'rdp', 'sshd', 'upgrade']) walk(join(FIXTURES, d));
  return out;
}

const rules = loadRules([{ dir: builtinRulesDir(), builtin: true }]);

/** Replays files through the built-in rules; every record the gate makes reaches `sinks`. */
export async function replayInto(files: string[], sinks: Sink[]): Promise<AlertGate> {
  const gate = new AlertGate({ record: sinks });
  const pipeline = new Pipeline({ runner: new RuleRunner(rules.rules, new VirtualClock(0)), gate });
  await replayFiles(files, pipeline, { startTime: Date.UTC(2026, 10, 21, 12) });
  await gate.flush();
  return gate;
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function streamValidator() {
  const schema = JSON.parse(readFileSync(join(ROOT, 'docs', 'alert-stream.schema.json'), 'utf8')) as object;
  // strictRequired off: the if/then branches require properties declared at the top level
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, formats: { 'date-time': RFC3339, uuid: UUID } });
  const v = ajv.compile(schema);
  // a plain boolean, not a type guard: a record that fails keeps its type for the message
  const validate = (x: unknown): boolean => v(x);
  return Object.assign(validate, { get errors() { return v.errors; } });
}
