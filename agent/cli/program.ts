/**
 * connwatch: one binary, one subcommand per pipeline use. Errors that reach the user are printed
 * as one line "connwatch: message" (plus a hint line for some), never a stack trace unless
 * `--debug`. Exit codes (docs/cli.md): 0 success, 1 findings or failure of the work, 2 usage
 * (a bad option or argument, caught before any work), 3 `status`: the agent is not running.
 */
import { Command, CommanderError } from 'commander';
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';
import { attachValidators } from './validate.js';

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
  ['report', async () => (await import('./report.js')).registerReport],
  // registers `completion` and `man`
  ['completion', async () => (await import('./completion.js')).registerCompletion],
];

/** The program with every subcommand, or only `only` when it names one (the one about to run). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('connwatch')
    .description('Watches plink/PuTTY, OpenSSH, rdesktop and Remmina/FreeRDP logs and tells you, in a desktop notification, what went wrong with a connection and what to do.')
    .version('0.1.0')
    .option('--debug', 'on an error, also print its stack trace and cause (any position before --)')
    .showHelpAfterError('(run with --help for usage)')
    // one line: "connwatch: unknown option '--purg' (did you mean --purge?)", then the help hint
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'connwatch: ').replace(/\n\(Did you mean (.*)\)\n$/, ' (did you mean $1)\n')) })
    .enablePositionalOptions()
    .exitOverride();
  const known = COMMANDS.some(([name]) => name === only);
  for (const [name, load] of COMMANDS) if (!known || name === only) (await load())(program);
  attachValidators(program);
  return program;
}

/**
 * `--debug` anywhere before `--` (and before the command `wrap` runs), removed from the arguments
 * so every command accepts it; CONNWATCH_DEBUG=1 does the same.
 */
export function takeDebug(argv: string[]): { argv: string[]; debug: boolean } {
  const end = argv.indexOf('--', 2);
  const wrap = argv.indexOf('wrap', 2);
  const limit = Math.min(end < 0 ? argv.length : end, wrap < 0 ? argv.length : wrap + 1);
  const keep = argv.filter((a, i) => !(a === '--debug' && i >= 2 && i < limit));
  return { argv: keep, debug: keep.length !== argv.length || process.env.CONNWATCH_DEBUG === '1' };
}

export async function main(rawArgv: string[]): Promise<number> {
  const { argv, debug } = takeDebug(rawArgv);
  const program = await buildProgram(argv[2]);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`connwatch: ${describe(err)}\n`);
    if (debug) process.stderr.write(`${stackOf(err)}\n`);
    return err instanceof ConnwatchError && err.code === 'USAGE' ? 2 : 1;
  }
}

/** One line (and a hint) for a person; a system error names its path and what failed. */
function describe(err: unknown): string {
  if (err instanceof ConnwatchError) return err.describe();
  const code = errnoCode(err);
  const path = typeof err === 'object' && err !== null && 'path' in err ? String((err as { path: unknown }).path) : undefined;
  if (code && path) return `${path}: ${code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no such file or directory' : code === 'EISDIR' ? 'is a directory' : messageOf(err)}`;
  return `internal error: ${messageOf(err)} (a bug: run again with --debug for the stack trace, and report it)`;
}

function stackOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}

