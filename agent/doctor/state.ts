/**
 * The state directory (~/.local/state/connwatch: history, delivered ids, checkpoints, status):
 * can the agent write there, is its disk full, what did the running agent record as not
 * writable (agent/sources/state-file.ts StateProblems, kept in the runtime directory because
 * the state directory may be the problem), and was a corrupt checkpoint file set aside.
 */
import { constants, existsSync, openSync, closeSync, statSync, statfsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, messageOf } from '../errors.js';
import { readStateProblems, stateError, stateProblemsFile } from '../sources/state-file.js';
import type { CheckResult, SyncCheck } from './check.js';

/** Below this much free space the next history line or checkpoint may not fit. */
const LOW_SPACE_BYTES = 1 << 20;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
};

const when = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

export const checkState: SyncCheck = (ctx) => {
  const dir = ctx.paths.stateDir;
  const out: CheckResult[] = [];
  // 1. can a file be created there (what every state write does first)?
  if (existsSync(dir)) {
    const probe = join(dir, `.doctor-probe-${process.pid}`);
    try {
      closeSync(openSync(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
      unlinkSync(probe);
    } catch (err) {
      const e = stateError(dir, err);
      out.push({ check: 'state', status: 'fail', finding: `the state directory ${dir} is not writable (${messageOf(err)}): history, delivered ids and read positions are kept in memory only`, fix: e.hint ?? '' });
    }
    // 2. space left
    try {
      const fs = statfsSync(dir);
      const free = fs.bavail * fs.bsize;
      if (free < LOW_SPACE_BYTES) {
        out.push({ check: 'state', status: 'fail', finding: `the disk holding ${dir} is full (${free} bytes free)`, fix: 'Free some space there; connwatch keeps watching and writes its state again by itself.' });
      }
    } catch {
      // statfs not available here
    }
  }
  // 3. what the running agent could not write
  const recorded = readStateProblems(stateProblemsFile(ctx.paths.runtimeDir));
  if (recorded && alive(recorded.pid)) {
    for (const p of recorded.problems) {
      out.push({ check: 'state', status: 'warn', finding: `the running agent (pid ${recorded.pid}) cannot write ${p.file} since ${when(p.since)}: ${p.message}`, fix: p.hint });
    }
  }
  // 4. a corrupt checkpoint file the agent set aside
  const corrupt = `${ctx.paths.checkpointFile}.corrupt`;
  try {
    const st = statSync(corrupt);
    out.push({
      check: 'state',
      status: 'warn',
      finding: `a corrupt checkpoint file was set aside as ${corrupt} (${when(st.mtimeMs)}): the watched files were read again from their start then (lines already alerted were not alerted again)`,
      fix: `Nothing to repair; look at it if you like, then remove it: rm ${corrupt}`,
    });
  } catch {
    // none
  }
  if (out.length === 0) out.push({ check: 'state', status: 'ok', finding: `${dir} is writable${existsSync(dir) ? '' : ' (created at the first start)'}; no state problems recorded` });
  return out;
};
