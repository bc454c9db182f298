/**
 * The agent's own log, to stderr. Under systemd (JOURNAL_STREAM is set) every record starts with
 * a "<N>" syslog priority so journald files it at the right level; in a terminal it is a plain
 * "time level message" line (the time in ISO 8601, UTC). Control characters and bidi overrides
 * from log text are shown as \uXXXX (see inert in sinks/printer.ts).
 *
 * Our own few lines rather than winston, which gave the same lines: importing winston cost
 * ~0.1 s of CPU at start-up and ~12 MB of an idle agent's resident memory (docs/performance.md,
 * "Start-up and idle memory"), for one format and one stream.
 */
import { inert } from './sinks/printer.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  log(level: LogLevel, message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

const PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };
/** Lower is more severe; a record is written when its rank is at most the logger's level's. */
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export function createLogger(options: { level?: LogLevel; journald?: boolean; write?: (line: string) => void } = {}): Logger {
  const journald = options.journald ?? Boolean(process.env.JOURNAL_STREAM);
  const max = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const log = (level: LogLevel, message: string, meta?: Record<string, unknown>): void => {
    if (RANK[level] > max) return;
    const rest = meta && Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
    // log text quotes log lines and file names: made inert before it reaches a terminal or the journal
    const text = inert(`${message}${rest}`);
    write(journald ? `<${PRIORITY[level]}>${text}\n` : `${new Date().toISOString()} ${level} ${text}\n`);
  };
  return {
    log,
    error: (m, meta) => log('error', m, meta),
    warn: (m, meta) => log('warn', m, meta),
    info: (m, meta) => log('info', m, meta),
    debug: (m, meta) => log('debug', m, meta),
  };
}
