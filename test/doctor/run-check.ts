/**
 * Runs one doctor check and prints its results as JSON: used by as-user.ts to run a check as an
 * unprivileged user (root reads every file, so "permission denied" needs a real other user).
 * argv[2]: the check's export name in agent/doctor/*.ts; argv[3]: JSON overrides of the context.
 */
import { doctorContext, type DoctorContext, type SyncCheck } from '../../agent/doctor/check.js';
import * as logs from '../../agent/doctor/logs.js';
import { realSystem } from '../../agent/doctor/system.js';

const checks: Record<string, SyncCheck> = { checkAuthLog: logs.checkAuthLog, checkLogFiles: logs.checkLogFiles, checkJournal: logs.checkJournal };
const check = checks[process.argv[2] ?? ''];
if (!check) throw new Error(`no check ${process.argv[2]}`);
const overrides = JSON.parse(process.argv[3] ?? '{}') as Partial<DoctorContext>;
const ctx = doctorContext(realSystem(process.env), overrides);
process.stdout.write(JSON.stringify(await check(ctx)));
