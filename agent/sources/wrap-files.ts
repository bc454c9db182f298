/**
 * Where `connwatch wrap` keeps its capture files, and their pruning.
 *
 *   defaultCaptureDir()                                   // ~/.local/state/connwatch/captures
 *   await pruneCaptures(dir, 7, 50 * 1024 * 1024)          // → the paths removed
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** ~/.local/state/connwatch/captures, honouring XDG_STATE_HOME. */
export function defaultCaptureDir(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'connwatch', 'captures');
}

/** Remove capture files older than maxAgeDays, then the oldest beyond maxTotalBytes. */
export async function pruneCaptures(dir: string, maxAgeDays: number, maxTotalBytes: number, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const files: Array<{ path: string; mtime: number; size: number }> = [];
  for (const n of names) {
    try {
      const st = await stat(join(dir, n));
      if (st.isFile()) files.push({ path: join(dir, n), mtime: st.mtimeMs, size: st.size });
    } catch {
      // gone meanwhile
    }
  }
  files.sort((a, b) => b.mtime - a.mtime);
  const removed: string[] = [];
  let total = 0;
  for (const f of files) {
    total += f.size;
    if (now - f.mtime > maxAgeDays * 86_400_000 || total > maxTotalBytes) {
      await unlink(f.path).catch(() => undefined);
      removed.push(f.path);
    }
  }
  return removed;
}
