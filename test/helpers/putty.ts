/**
 * An environment in which plink keeps its host-key cache (and random seed) in a directory of the
 * test's own, never in the real home.
 *
 * Setting HOME is not enough. PuTTY on Unix picks its directory in this order: $PUTTYDIR; else
 * $XDG_CONFIG_HOME/putty (or $HOME/.config/putty) if it exists; else $HOME/.putty if it exists;
 * else the passwd entry's home/.putty (getpwuid) if it exists; else /.putty if it exists; else a
 * new $HOME/.putty (PuTTY's unix/uxstore.c, make_filename). So once /root/.putty exists, every
 * plink with a fresh HOME reads and writes /root/.putty/sshhostkeys (seen with strace on plink
 * 0.78), and a key one test accepted changes what a later test's plink asks when its sshd gets
 * the same random port. $PUTTYDIR is honoured first (plink creates it), so the tests set it.
 *
 *   spawn('plink', args, { env: { ...process.env, ...plinkEnv(home) } });
 *   // host keys in join(home, '.putty', 'sshhostkeys')
 */
import { join } from 'node:path';

/** HOME and PUTTYDIR for a plink whose stored state lives under `home` (in `home/.putty`, as a person's would). */
export function plinkEnv(home: string): { HOME: string; PUTTYDIR: string } {
  return { HOME: home, PUTTYDIR: join(home, '.putty') };
}
