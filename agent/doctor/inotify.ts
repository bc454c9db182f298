/**
 * The inotify watch limit (/proc/sys/fs/inotify/max_user_watches) and how much of it the user's
 * processes use (the "inotify wd:" lines in /proc/PID/fdinfo/* of processes with the user's
 * uid). chokidar falls back to slow polling, or misses changes, when the limit is reached.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SyncCheck } from './check.js';

export const MIN_WATCHES = 8192;
const FIX = 'echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/60-inotify-watches.conf && sudo sysctl --system';

/** Watches held by processes of `uid`, counted under a /proc root. */
export function inotifyWatchesInUse(procRoot: string, uid: number): number {
  let n = 0;
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const uidLine = /^Uid:\s+(\d+)/m.exec(readFileSync(join(procRoot, pid, 'status'), 'utf8'));
      if (!uidLine || Number(uidLine[1]) !== uid) continue;
      const fdinfo = join(procRoot, pid, 'fdinfo');
      for (const fd of readdirSync(fdinfo)) {
        try {
          const text = readFileSync(join(fdinfo, fd), 'utf8');
          if (text.includes('inotify wd:')) n += text.split('\n').filter((l) => l.startsWith('inotify wd:')).length;
        } catch {
          // the fd closed meanwhile
        }
      }
    } catch {
      // the process ended, or is not ours to look at
    }
  }
  return n;
}

export const checkInotify: SyncCheck = (ctx) => {
  const file = join(ctx.sys.procRoot, 'sys', 'fs', 'inotify', 'max_user_watches');
  let max: number;
  try {
    max = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return [{ check: 'inotify', status: 'warn', finding: `cannot read ${file}: cannot tell whether file changes are noticed at once`, fix: 'Nothing to do unless alerts arrive late; then check that /proc is mounted.' }];
  }
  if (!Number.isFinite(max)) return [{ check: 'inotify', status: 'warn', finding: `${file} does not hold a number` }];
  if (max < MIN_WATCHES) {
    return [{ check: 'inotify', status: 'warn', finding: `the inotify watch limit is low: ${file} is ${max} (below ${MIN_WATCHES}); log changes may be noticed late or missed`, fix: FIX }];
  }
  const used = inotifyWatchesInUse(ctx.sys.procRoot, ctx.sys.uid);
  if (used >= max * 0.9) {
    return [{ check: 'inotify', status: 'warn', finding: `inotify watches nearly used up: your processes hold ${used} of ${max} (${file})`, fix: `${FIX} (or close programs that watch many files, such as editors and file indexers)` }];
  }
  return [{ check: 'inotify', status: 'ok', finding: `inotify: ${used} of ${max} watches in use` }];
};
