import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../agent/log.js';

function capture(options: { level?: LogLevel; journald?: boolean }): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger({ ...options, write: (l) => lines.push(l) }) };
}

describe('the agent log', () => {
  it('writes "time level message" lines in a terminal, with meta as JSON', () => {
    const { lines, log } = capture({ journald: false });
    log.info('connwatch running');
    log.log('warn', 'a source', { source: 'auth.log' });
    log.log('info', 'no meta', {});
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info connwatch running\n$/);
    expect(lines[1]).toMatch(/ warn a source \{"source":"auth\.log"\}\n$/);
    expect(lines[2]).toMatch(/ info no meta\n$/);
  });

  it('starts every record with its syslog priority under journald', () => {
    const { lines, log } = capture({ journald: true, level: 'debug' });
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    expect(lines).toEqual(['<3>e\n', '<4>w\n', '<6>i\n', '<7>d\n']);
  });

  it('leaves out records below its level', () => {
    const { lines, log } = capture({ journald: true, level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines).toEqual(['<4>w\n', '<3>e\n']);
    const info = capture({ journald: true });
    info.log.debug('d');
    info.log.info('i');
    expect(info.lines).toEqual(['<6>i\n']);
  });

  it('makes control characters and bidi overrides from log text inert', () => {
    const { lines, log } = capture({ journald: true });
    log.warn('evil \u001b[31m \u202e', { file: 'a\rb' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.slice(0, -1)).not.toMatch(/[\r\u001b\u202e]/);
    expect(lines[0]).toBe('<4>evil \\u001b[31m \\u202e {"file":"a\\rb"}\n');
  });
});
