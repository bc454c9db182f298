/** Options and checks several commands share. */
import { statSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { ReplayProgress } from '../replay.js';
import { PROGRAMS } from '../programs.js';
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

/**
 * Progress of a long replay on stderr, as a line rewritten in place (lines/s, percent, time left):
 * only when stderr is a terminal and the replay has run a second; `done()` clears the line.
 */
export function replayProgress(files: readonly string[], label: string, stream: NodeJS.WriteStream = process.stderr): { progress?: ReplayProgress; done: () => void } {
  if (!stream.isTTY) return { done: () => undefined };
  const sizes = files.map((f) => {
    try {
      const s = statSync(f);
      return s.isFile() ? s.size : 0;
    } catch {
      return 0;
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  const last: number[] = sizes.map(() => 0);
  const started = Date.now();
  // CONNWATCH_PROGRESS_AFTER_MS: how long before the first line (tests set 0)
  const after = Number(process.env.CONNWATCH_PROGRESS_AFTER_MS ?? 1000);
  let shown = false;
  let wrote = 0;
  return {
    progress: (lines, offsets) => {
      const now = Date.now();
      if (now - started < after || now - wrote < 200) return;
      wrote = now;
      const seconds = Math.max((now - started) / 1000, 1e-3);
      offsets.forEach((o, i) => {
        if (o !== undefined) last[i] = o === Infinity ? sizes[i]! : o;
      });
      const done = last.reduce((a, b) => a + b, 0);
      const share = total > 0 ? done / total : 0;
      const left = share > 0 ? (seconds / share) * (1 - share) : undefined;
      stream.write(`\r\x1b[K${label}: ${total > 0 ? `${Math.floor(share * 100)}%, ` : ''}${lines.toLocaleString('en')} lines, ${Math.round(lines / seconds).toLocaleString('en')} lines/s${left !== undefined ? `, ${Math.ceil(left)} s left` : ''}`);
      shown = true;
    },
    done: () => {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
