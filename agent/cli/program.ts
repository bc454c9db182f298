/**
 * connwatch: one binary, one subcommand per pipeline use. Errors that reach the user are printed
 * as "connwatch: message" plus a hint, with exit code 2 (usage) or 1 (anything else).
 */
import { Command, CommanderError } from 'commander';
import { ConnwatchError, messageOf } from '../errors.js';

type Register = (program: Command) => void;

/**
 * Each subcommand's module, loaded on demand: `connwatch replay` need not load the daemon's file
 * watcher, logger and notifier (a third of its start-up time and memory). Help lists them all.
 */
const COMMANDS: ReadonlyArray<[string, () => Promise<Register>]> = [
  ['run', async () => (await import('./run.js')).registerRun],
  ['replay', async () => (await import('./replay.js')).registerReplay],
  ['parse', async () => (await import('./parse.js')).registerParse],
  ['rules', async () => (await import('./rules.js')).registerRules],
  ['alerts', async () => (await import('./alerts.js')).registerAlerts],
  ['install', async () => (await import('./install.js')).registerInstall],
  ['uninstall', async () => (await import('./uninstall.js')).registerUninstall],
  ['status', async () => (await import('./status.js')).registerStatus],
  ['doctor', async () => (await import('./doctor.js')).registerDoctor],
  ['wrap', async () => (await import('./wrap.js')).registerWrap],
];

/** The program with every subcommand, or only `only` when it names one (the one about to run). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('connwatch')
    .description('Watches plink/PuTTY, OpenSSH, rdesktop and Remmina/FreeRDP logs and tells you, in a desktop notification, what went wrong with a connection and what to do.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .exitOverride();
  const known = COMMANDS.some(([name]) => name === only);
  for (const [name, load] of COMMANDS) if (!known || name === only) (await load())(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv[2]);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ConnwatchError) {
      process.stderr.write(`connwatch: ${err.describe()}\n`);
      return err.code === 'USAGE' ? 2 : 1;
    }
    process.stderr.write(`connwatch: internal error: ${messageOf(err)}\n${err instanceof Error ? err.stack ?? '' : ''}\n`);
    return 1;
  }
}

