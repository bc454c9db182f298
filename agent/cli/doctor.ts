/**
 * `connwatch doctor [--json]`: what stops the agent from seeing logs or showing notifications,
 * each finding with its fix (checks in agent/doctor/). Exit code 1 when any check fails.
 *
 *   ok    auth-log           /var/log/auth.log is readable
 *   FAIL  notify-send        notify-send is not installed (…)
 *                            fix: sudo apt install libnotify-bin
 */
import type { Command } from 'commander';
import { doctorContext, type CheckResult } from '../doctor/check.js';
import { runDoctor } from '../doctor/index.js';

export function formatResults(results: readonly CheckResult[]): string {
  const label = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  const width = Math.max(...results.map((r) => r.check.length), 5);
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${label[r.status]}  ${r.check.padEnd(width)}  ${r.finding}`);
    if (r.fix && r.status !== 'ok') lines.push(`${' '.repeat(width + 8)}fix: ${r.fix}`);
  }
  const fails = results.filter((r) => r.status === 'fail').length;
  const warns = results.filter((r) => r.status === 'warn').length;
  lines.push('', fails || warns ? `${fails} failed, ${warns} warning(s), ${results.length - fails - warns} ok` : `all ${results.length} checks ok`);
  return `${lines.join('\n')}\n`;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check what stops connwatch from seeing logs or showing notifications, and say how to fix it (exit 1 when a check fails)')
    .option('--json', 'one JSON object per check: {check, status, finding, fix}')
    .action(async (flags: { json?: boolean }) => {
      const results = await runDoctor(doctorContext());
      process.stdout.write(flags.json ? results.map((r) => JSON.stringify(r)).join('\n') + '\n' : formatResults(results));
      process.exitCode = results.some((r) => r.status === 'fail') ? 1 : 0;
    });
}
