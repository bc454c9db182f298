/**
 * The agent's own log, through winston, to stderr. Under systemd (JOURNAL_STREAM is set) every
 * record starts with a "<N>" syslog priority so journald files it at the right level; in a
 * terminal it is a plain "time level message" line (the time in ISO 8601, UTC). Control
 * characters and bidi overrides from log text are shown as \uXXXX (see inert in sinks/printer.ts).
 *
 * The rest of the agent sees only `Logger` below (the five calls it makes), not winston's types.
 */
import { Writable } from 'node:stream';
import winston from 'winston';
import { inert } from './sinks/printer.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  log(level: LogLevel, message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

const PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** `write`: where the lines go instead of stderr (tests). */
export function createLogger(options: { level?: LogLevel; journald?: boolean; write?: (line: string) => void } = {}): Logger {
  const journald = options.journald ?? Boolean(process.env.JOURNAL_STREAM);
  const line = winston.format.printf((info) => {
    const { level, message, timestamp, stack, ...meta } = info as winston.Logform.TransformableInfo & { timestamp?: string; stack?: string };
    const rest = Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
    const text = `${String(message)}${rest}${stack ? `\n${stack}` : ''}`;
    // log text quotes log lines and file names: made inert before it reaches a terminal or the journal
    return journald ? `<${PRIORITY[level] ?? 6}>${inert(text)}` : `${timestamp} ${level} ${inert(text)}`;
  });
  const write = options.write;
  const transport = write
    ? new winston.transports.Stream({
        eol: '\n',
        stream: new Writable({
          write(chunk: Buffer | string, _enc, done) {
            write(String(chunk));
            done();
          },
        }),
      })
    : new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] });
  return winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), line),
    transports: [transport],
  });
}
