/**
 * connwatch: one binary, one subcommand per pipeline use. Errors that reach the user are printed
 * as "connwatch: message" plus a hint, with exit code 2 (usage) or 1 (anything else).
 */
import { Command, CommanderError } from 'commander';
import { ConnwatchError, messageOf } from '../errors.js';
import { registerParse } from './parse.js';
import { registerReplay } from './replay.js';
import { registerRun } from './run.js';
import { registerRules } from './rules.js';
import { registerAlerts } from './alerts.js';
import { registerInstall } from './install.js';
import { registerUninstall } from './uninstall.js';
import { registerStatus } from './status.js';
import { registerDoctor } from './doctor.js';
import { registerWrap } from './wrap.js';

export function buildProgram(): Command {
  const program = new Command('connwatch')
    .description('Watches plink/PuTTY, OpenSSH, rdesktop and Remmina/FreeRDP logs and tells you, in a desktop notification, what went wrong with a connection and what to do.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .exitOverride();
  registerRun(program);
  registerReplay(program);
  registerParse(program);
  registerRules(program);
  registerAlerts(program);
  registerInstall(program);
  registerUninstall(program);
  registerStatus(program);
  registerDoctor(program);
  registerWrap(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
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

