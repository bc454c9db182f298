/** Options and checks several commands share. */
import { existsSync, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { PROGRAMS } from '../event.js';
import { ConnwatchError } from '../errors.js';

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
    .option('--disable <id>', 'disable a rule by id (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--hang-window <duration>', 'replace the waiting time of every hang rule, e.g. "10s"');
}

export function checkFiles(files: string[]): void {
  for (const f of files) {
    if (!existsSync(f)) throw new ConnwatchError('SOURCE_MISSING', `${f}: no such file`, { hint: 'Check the path.' });
    if (statSync(f).isDirectory()) throw new ConnwatchError('USAGE', `${f} is a directory`, { hint: 'Name the log files inside it.' });
  }
}
