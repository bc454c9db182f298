/**
 * Does the configuration load, and do the rule files (built-in, ~/.config/connwatch/rules.d/,
 * the config's extra directories) load without errors? Uses the agent's own loader
 * (agent/rules/load.ts), so doctor finds exactly what the agent would reject.
 */
import { formatProblem } from '../rules/spec.js';
import { loadRules, type RuleLayer } from '../rules/load.js';
import type { SyncCheck, CheckResult } from './check.js';

export const checkConfig: SyncCheck = (ctx) => {
  if (ctx.configError) return [{ check: 'config', status: 'fail', finding: ctx.configError.message, fix: ctx.configError.hint ?? `Fix ${ctx.paths.configFile}.` }];
  const c = ctx.config;
  return [{ check: 'config', status: 'ok', finding: `${c?.file ? `${c.file} loads` : `no config file (${ctx.paths.configFile}): defaults`}; ${c?.sources.length ?? 0} sources` }];
};

export const checkRules: SyncCheck = (ctx) => {
  const layers: RuleLayer[] = [{ dir: ctx.builtinRulesDir, builtin: true }, ...(ctx.config?.ruleDirs ?? [ctx.paths.rulesDir]).map((dir) => ({ dir, builtin: false }))];
  const loaded = loadRules(layers, { disabled: ctx.config?.disabled ?? [] });
  const out: CheckResult[] = loaded.problems.map((p) => ({
    check: 'rules',
    status: 'fail' as const,
    finding: formatProblem(p),
    fix: `Fix ${p.file}${p.rule ? ` (rule "${p.rule}"${p.field ? `, field "${p.field}"` : ''})` : ''}; until then its rules are not used. \`connwatch rules validate ${p.file}\` checks it.`,
  }));
  if (out.length === 0) out.push({ check: 'rules', status: 'ok', finding: `${loaded.rules.filter((r) => r.enabled).length} rules from ${loaded.files.length} files load without errors` });
  return out;
};
