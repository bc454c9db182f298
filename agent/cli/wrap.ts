/**
 * `connwatch wrap [--program NAME] -- CMD ARGS...`: runs a client with the terminal passed
 * through (prompts still work for a person) and both output streams captured, with times and
 * the pid, into ~/.local/state/connwatch/captures/, which the agent tails. The client's exit
 * code is passed back. This is how clients that log nowhere (plink -v, rdesktop, xfreerdp,
 * Remmina started from a launcher) become visible.
 */
import type { Command } from 'commander';
import type { Program } from '../event.js';
import { paths } from '../config/paths.js';
import { ConnwatchError } from '../errors.js';
import { runWrapped } from '../sources/wrap.js';
import { programOption } from './common.js';

export function registerWrap(program: Command): void {
  program
    .command('wrap')
    .description('run a client with its output captured for the agent; the terminal is passed through and the exit code kept')
    .addOption(programOption())
    .option('--capture-dir <dir>', 'where capture files go (default ~/.local/state/connwatch/captures)')
    .argument('<command...>', 'the client and its arguments, after --')
    .usage('[options] -- CMD [ARGS...]')
    .passThroughOptions()
    .action(async (argv: string[], flags: { program?: Program; captureDir?: string }) => {
      if (argv.length === 0) throw new ConnwatchError('USAGE', 'wrap needs a command after --', { hint: 'Example: connwatch wrap -- plink -v user@host' });
      process.exitCode = await runWrapped({
        argv,
        captureDir: flags.captureDir ?? paths().captureDir,
        ...(flags.program ? { program: flags.program } : {}),
        warn: (err) => process.stderr.write(`connwatch: warning: ${err.describe()}\n`),
      });
    });
}
