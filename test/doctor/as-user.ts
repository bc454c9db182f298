/**
 * Runs a doctor check as a user without privileges and without supplementary groups: in-process
 * when the tests already run unprivileged, else as `nobody` through setpriv(1), so a file with
 * mode 0640 really is unreadable to the check.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { CheckResult, DoctorContext } from '../../agent/doctor/check.js';
import { doctorContext } from '../../agent/doctor/check.js';
import * as logs from '../../agent/doctor/logs.js';
import { realSystem } from '../../agent/doctor/system.js';
import { ROOT } from '../helpers/cli.js';

export const NOBODY = 65534;
export const runsAsRoot = (process.getuid?.() ?? 0) === 0;
/** The user name the check sees (USER is passed through). */
export const CHECK_USER = runsAsRoot ? 'nobody' : (process.env.USER ?? 'you');

export async function checkUnprivileged(name: 'checkAuthLog' | 'checkLogFiles' | 'checkJournal', overrides: Partial<DoctorContext>): Promise<CheckResult[]> {
  if (!runsAsRoot) {
    const ctx = doctorContext(realSystem({ ...process.env, USER: CHECK_USER }), overrides);
    return logs[name](ctx);
  }
  return new Promise((resolve, reject) => {
    execFile(
      'setpriv',
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '--import', 'tsx', join(ROOT, 'test', 'doctor', 'run-check.ts'), name, JSON.stringify(overrides)],
      { cwd: ROOT, env: { ...process.env, USER: CHECK_USER, HOME: '/nonexistent' }, timeout: 60_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as CheckResult[])),
    );
  });
}
