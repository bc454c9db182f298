/** Options and checks several commands share. */
import { Command, Option } from 'commander';
import { PROGRAMS } from '../event.js';
import { checkInputFiles, readableStdin } from './validate.js';

export interface CommonRuleFlags {
  rules?: string[];
  builtin?: boolean;
  hangWindow?: string;
  disabled?: string[];
  /** `--disable ID` (commander names the attribute after the option). */
  disable?: string[];
}

export function programOption(): Option {
  return new Option('--program <name>', 'the program that wrote the files (default: recognised from the content)').choices(
    PROGRAMS.filter((p) => p !== 'connwatch' && p !== 'other'),
  );
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function rulesOptions(cmd: Command): Command {
  return cmd
    .option('--rules <dir>', 'also load rule files from this directory (repeatable)', collect)
    .option('--no-builtin', 'do not load the built-in rules')
    .option('--disable <id>', 'disable a rule by id (repeatable; an id no rule has is an error)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--hang-window <duration>', 'replace the waiting time of every hang rule, e.g. "10s"');
}

/** The files to read, checked up front (validate.ts); `-` becomes standard input. */
export async function checkFiles(files: string[]): Promise<string[]> {
  return readableStdin(checkInputFiles(files));
}

/** Colour only on a terminal and never with NO_COLOR set (https://no-color.org), as journalctl. */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && process.env.TERM !== 'dumb';
}

const SEVERITY_COLOUR: Record<string, string> = { critical: '1;31', error: '31', warning: '33', info: '36' };

/** The severity in upper case, coloured when `colour`. */
export function severityLabel(severity: string, colour: boolean): string {
  const label = severity.toUpperCase();
  return colour && SEVERITY_COLOUR[severity] ? `\x1b[${SEVERITY_COLOUR[severity]}m${label}\x1b[0m` : label;
}
