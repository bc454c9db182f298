/**
 * Builds the pieces every command shares from the options: rules (built-in + user layers),
 * the rule runner on a clock, and the alert gate with its sinks.
 */
import { ConnwatchError } from '../errors.js';
import type { Clock } from '../correlate/clock.js';
import { builtinRulesDir, describeProblems, loadRules, type LoadedRules, type RuleLayer } from '../rules/load.js';
import { RuleRunner } from '../rules/runner.js';
import { parseDuration } from '../rules/duration.js';
import { closest } from './validate.js';

export interface RuleOptions {
  rules?: string[];
  builtin?: boolean;
  hangWindow?: string;
  disabled?: string[];
  /** `--disable ID` as commander stores it; merged with `disabled`. */
  disable?: string[];
  userRulesDir?: string;
}

export function ruleLayers(o: RuleOptions): RuleLayer[] {
  const layers: RuleLayer[] = [];
  if (o.builtin !== false) layers.push({ dir: builtinRulesDir(), builtin: true });
  if (o.userRulesDir) layers.push({ dir: o.userRulesDir, builtin: false });
  for (const dir of o.rules ?? []) layers.push({ dir, builtin: false });
  return layers;
}

export function hangWindowMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new ConnwatchError('USAGE', `--hang-window must be a duration like "30s" or "2m", got "${text}"`, { hint: 'Units: ms, s, m, h, d.' });
  }
  return ms;
}

export function loadRuleSet(o: RuleOptions, previous?: LoadedRules): LoadedRules {
  const hw = hangWindowMs(o.hangWindow);
  const loaded = loadRules(ruleLayers(o), {
    ...(hw !== undefined ? { hangWindowMs: hw } : {}),
    ...(o.disabled || o.disable ? { disabled: [...(o.disabled ?? []), ...(o.disable ?? [])] } : {}),
    ...(previous ? { previous } : {}),
  });
  // `--disable` with an id no rule has would silently disable nothing (a typo): an error at the
  // start; on a reload the ids were checked already (a rule file may have gone since).
  if (!previous) {
    const ids = new Set(loaded.rules.map((r) => r.id));
    for (const id of o.disable ?? []) {
      if (ids.has(id)) continue;
      const near = closest(id, ids);
      throw new ConnwatchError('USAGE', `--disable: no rule has the id "${id}"${near ? ` (did you mean "${near}"?)` : ''}`, { hint: 'List the ids with: connwatch rules list' });
    }
  }
  return loaded;
}

export function makeRunner(loaded: LoadedRules, clock: Clock): RuleRunner {
  return new RuleRunner(loaded.rules, clock);
}

export function problemsText(loaded: LoadedRules): string | undefined {
  return loaded.problems.length ? describeProblems(loaded.problems) : undefined;
}
