/**
 * Reloads the rules when a rule file or directory changes. The user's rules directory may not
 * exist yet (the first own rule is often written after the agent started) or may be deleted and
 * made again: its parent is watched, created when missing, and any change at or below the rules
 * directory reloads. Other rule directories are watched as they are.
 *
 * A missed watcher event (a rules.d deleted and made again within a moment was seen to lose its
 * add) is caught by `check()`, which the agent calls on its state tick: it compares the
 * directory's inode and mtime.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { watch } from 'chokidar';
import { messageOf } from './errors.js';
import type { Logger } from './log.js';

export interface RulesWatch {
  /** Reloads when the user's rules directory changed unseen. */
  check(): void;
  close(): Promise<void>;
}

export function watchRules(userRulesDir: string, otherDirs: readonly string[], reload: () => void, log: Logger): RulesWatch {
  const userDir = resolve(userRulesDir);
  const parent = dirname(userDir);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (err) {
    log.warn(`cannot create ${parent} to watch your rule files there: ${messageOf(err)}`);
  }
  const direct = otherDirs.map((d) => resolve(d));
  const wanted = (abs: string) => abs === parent || abs === userDir || abs.startsWith(userDir + sep) || direct.some((d) => abs === d || abs.startsWith(d + sep));
  const watcher = watch([parent, ...direct], { ignoreInitial: true, depth: 1, ignored: (path: string) => !wanted(resolve(path)) });
  let timer: NodeJS.Timeout | undefined;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 200);
  };
  watcher.on('all', soon);
  // EMFILE at nofile 1024 was a crash
  watcher.on('error', (err) => log.warn(`rule directories: cannot watch for changes (${messageOf(err)}); rules are reloaded on restart`));
  let seen = dirSignature(userDir);
  return {
    check() {
      const now = dirSignature(userDir);
      if (now !== seen) {
        seen = now;
        soon();
      }
    },
    close() {
      clearTimeout(timer);
      return watcher.close();
    },
  };
}

/** A directory's inode and mtime ('' when it does not exist): a new or changed directory differs. */
function dirSignature(dir: string): string {
  try {
    const st = statSync(dir);
    return `${st.ino}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}
