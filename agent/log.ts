/**
 * The agent's own log, through winston, to stderr. Under systemd (JOURNAL_STREAM is set) every
 * record starts with a "<N>" syslog priority so journald files it at the right level; in a
 * terminal it is a plain "time level message" line. Control characters and bidi overrides from
 * log text are shown as \uXXXX (see inert in sinks/printer.ts).
 */
import winston from 'winston';
import { inert } from './sinks/printer.js';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export function createLogger(options: { level?: LogLevel; journald?: boolean } = {}): Logger {
  const journald = options.journald ?? Boolean(process.env.JOURNAL_STREAM);
  const line = winston.format.printf((info) => {
    const { level, message, timestamp, stack, ...meta } = info as winston.Logform.TransformableInfo & { timestamp?: string; stack?: string };
    const rest = Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
    const text = `${String(message)}${rest}${stack ? `\n${stack}` : ''}`;
    // log text quotes log lines and file names: made inert before it reaches a terminal or the journal
    return journald ? `<${PRIORITY[level] ?? 6}>${inert(text)}` : `${timestamp} ${level} ${inert(text)}`;
  });
  return winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), line),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}
