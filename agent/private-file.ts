/**
 * A file of the agent's own state (silences, notifications left to show, evidence for a person),
 * written whole: mode 0600 whatever the umask, never through a symlink planted at its place or at
 * the temporary name, and renamed into place so a reader sees the old or the new content, never
 * half of it.
 */
import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';

export function writePrivateFile(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, content);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
