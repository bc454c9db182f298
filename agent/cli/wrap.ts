/**
 * `connwatch wrap [--program NAME] [--pty auto|always|never] -- CMD ARGS...`: runs a client with
 * the terminal passed through (prompts still work for a person) and its output captured, with
 * times and the pid, into ~/.local/state/connwatch/captures/, which the agent tails: stdout,
 * stderr, what it writes to its own terminal (a pty, when wrap runs on a terminal or with
 * `--pty always`), the bytes the person passes to it (counted, never recorded) and what it
 * waits on (from /proc). The client's exit code is passed back; 127 when the command is not
 * found, 126 when it cannot be executed, as a shell does. This is how clients that log nowhere
 * (plink -v, ssh, rdesktop, xfreerdp, Remmina started from a launcher) become visible.
 */
import { Option, type Command } from 'commander';
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
    .option('--verbose-capture', 'when the client shows no console (no terminal on stdin, stdout, stderr): make plink (-v) and xfreerdp (WLOG_LEVEL=DEBUG) verbose for the capture only; the added lines are not passed on')
    .addOption(new Option('--pty <when>', 'give the client a terminal of its own: auto = when wrap runs on one').choices(['auto', 'always', 'never']).default('auto'))
    .argument('<command...>', 'the client and its arguments, after --')
    .usage('[options] -- CMD [ARGS...]')
    .passThroughOptions()
    .action(async (argv: string[], flags: { program?: Program; captureDir?: string; pty?: 'auto' | 'always' | 'never'; verboseCapture?: boolean }) => {
      if (argv.length === 0) throw new ConnwatchError('USAGE', 'wrap needs a command after --', { hint: 'Example: connwatch wrap -- plink -v user@host' });
      process.exitCode = await runWrapped({
        argv,
        captureDir: flags.captureDir ?? paths().captureDir,
        ...(flags.program ? { program: flags.program } : {}),
        ...(flags.pty ? { pty: flags.pty } : {}),
        ...(flags.verboseCapture ? { verboseCapture: true } : {}),
        warn: (err) => process.stderr.write(`connwatch: warning: ${err.describe()}\n`),
      });
    });
}
