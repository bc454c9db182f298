/**
 * Every test file and every process it starts make their temporary directories under one root
 * for the run (TMPDIR, which os.tmpdir() and mktemp read), removed when the run ends: tests
 * create hundreds of directories (homes, logs, sockets, keys) and most of them used to stay
 * behind in /tmp. CONNWATCH_KEEP_TEST_TMP=1 keeps the root for a look after a failure.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  // short: unix socket paths (D-Bus, sshd) under it must stay below 108 bytes
  const root = mkdtempSync(join(tmpdir(), 'cwt-'));
  // open like /tmp (sticky): tests run programs as other users (nobody for permission checks,
  // sshd's privilege separation) that must reach their files under it
  chmodSync(root, 0o1777);
  process.env.TMPDIR = root;
  // plink falls back to the real ~/.putty whatever HOME says (test/helpers/putty.ts): a test that
  // runs plink without plinkEnv() still keeps its host keys inside the run, never in the real home
  process.env.PUTTYDIR = join(root, 'putty');
  return () => {
    if (process.env.CONNWATCH_KEEP_TEST_TMP === '1') process.stderr.write(`test files kept in ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
  };
}
