/**
 * Old positions for files that are gone: the checkpoint store (~/.local/state/connwatch/
 * checkpoints.json, agent/sources/checkpoint.ts) keeps, per file source ("file:PATTERN"),
 * {"v":1,"files":[{"path","dev","ino","offset","fp","fpLen","line"?,"rotated"?}]}. A current
 * (not rotated) file that no longer exists is reported, with how to forget it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CHECKPOINT_VERSION } from '../sources/checkpoint.js';
import { errnoCode } from '../errors.js';
import type { SyncCheck, CheckResult } from './check.js';

interface SavedFile {
  path?: unknown;
  offset?: unknown;
  rotated?: unknown;
}

export const checkCheckpoints: SyncCheck = (ctx) => {
  const file = ctx.paths.checkpointFile;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [{ check: 'checkpoints', status: 'ok', finding: `no saved positions yet (${file})` }];
    return [{ check: 'checkpoints', status: 'warn', finding: `cannot read ${file}: ${(err as Error).message}`, fix: 'Check the permissions of the file and of its directory.' }];
  }
  let entries: Record<string, unknown>;
  try {
    const data = JSON.parse(text) as { version?: unknown; entries?: unknown };
    if (data.version !== CHECKPOINT_VERSION || typeof data.entries !== 'object' || data.entries === null) throw new Error(`version ${String(data.version)} is not ${CHECKPOINT_VERSION}`);
    entries = data.entries as Record<string, unknown>;
  } catch (err) {
    return [{ check: 'checkpoints', status: 'warn', finding: `${file} is corrupt (${(err as Error).message}): the agent starts without saved positions`, fix: 'Nothing to do: at its next start the agent sets it aside (.corrupt) and reads the watched files from their start; lines already alerted are not alerted again.' }];
  }
  const out: CheckResult[] = [];
  let files = 0;
  for (const [key, value] of Object.entries(entries)) {
    if (!key.startsWith('file:') || typeof value !== 'object' || value === null) continue;
    const saved = (value as { files?: unknown }).files;
    if (!Array.isArray(saved)) continue;
    for (const f of saved as SavedFile[]) {
      if (typeof f.path !== 'string' || f.rotated === true) continue;
      files++;
      if (existsSync(f.path)) continue;
      out.push({
        check: 'checkpoints',
        status: 'warn',
        finding: `${file} keeps a position (offset ${String(f.offset)}) for ${f.path}, which no longer exists (source "${key}")`,
        fix: `If ${f.path} is gone for good, forget it: systemctl --user stop connwatch, remove the "${key}" entry from ${file}, systemctl --user start connwatch. If it comes back, connwatch checks whether it is the same file before resuming.`,
      });
    }
  }
  if (out.length === 0) out.push({ check: 'checkpoints', status: 'ok', finding: `${files} saved file position(s) in ${file}, all files present` });
  return out;
};
