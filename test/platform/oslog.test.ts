/**
 * macOS unified log entries (`log stream --style ndjson`, envelopes/oslog.ts). The fixture
 * oslog-sshd.ndjson has the shape `log` prints: the "Filtering the log data using …" line first,
 * then one object per line with every field a real entry carries (timezoneName … backtrace.frames
 * … parentActivityIdentifier, slashes escaped as \/, the local timestamp with microseconds and
 * offset), holding OpenSSH's own sshd and sshd-session texts.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isJournalEntry } from '../../agent/envelopes/journal.js';
import { isOsLogEntry, osLogTime, parseOsLog } from '../../agent/envelopes/oslog.js';
import { OSLOG_COMMAND } from '../../agent/platform/macos.js';
import { jsonLines, runCli } from '../helpers/cli.js';

const FIXTURE = join(fileURLToPath(new URL('.', import.meta.url)), 'oslog-sshd.ndjson');

describe('oslog envelope', () => {
  it('reads the time with its offset (microseconds cut to ms), the process name, pid and text', () => {
    expect(osLogTime('2026-05-07 19:48:34.701580-0500')).toBe(Date.UTC(2026, 4, 8, 0, 48, 34, 701));
    expect(osLogTime('2026-01-02 03:04:05+0100')).toBe(Date.UTC(2026, 0, 2, 2, 4, 5));
    expect(osLogTime('yesterday')).toBeUndefined();
    const o = JSON.parse('{"eventType":"logEvent","messageType":"Error","processImagePath":"\\/usr\\/libexec\\/sshd-session","processID":4301,"timestamp":"2026-05-07 19:49:01.000100-0500","eventMessage":"error: kex_exchange_identification: Connection closed by remote host","traceID":1}') as Record<string, unknown>;
    expect(isOsLogEntry(o)).toBe(true);
    expect(parseOsLog(o)).toEqual({ text: 'error: kex_exchange_identification: Connection closed by remote host', eventType: 'logEvent', ident: 'sshd-session', pid: 4301, messageType: 'Error', time: Date.UTC(2026, 4, 8, 0, 49, 1, 0) });
  });

  it('is told apart from journal entries and connwatch captures', () => {
    expect(isOsLogEntry({ MESSAGE: 'x', _PID: '1', __REALTIME_TIMESTAMP: '1' })).toBe(false);
    expect(isOsLogEntry({ t: 1, program: 'plink', text: 'x' })).toBe(false);
    expect(isJournalEntry({ eventType: 'logEvent', eventMessage: 'x', processImagePath: '/usr/sbin/sshd' })).toBe(false);
  });

  it('the source command asks for sshd and OpenSSH 9.8\'s sshd-session as NDJSON', () => {
    expect(OSLOG_COMMAND).toEqual(['log', 'stream', '--style', 'ndjson', '--level', 'info', '--predicate', 'process == "sshd" OR process == "sshd-session"']);
  });
});

describe('sshd through the unified log, end to end (connwatch replay)', () => {
  it('every entry becomes an sshd event at its own time and pid; a client offering only group1-sha1 is an alert', async () => {
    const parsed = await runCli(['parse', '--json', FIXTURE]);
    const events = jsonLines(parsed.stdout).filter((e) => e.program === 'sshd');
    expect(events.map((e) => [e.kind, e.pid, new Date(e.time as number).toISOString()])).toEqual([
      ['auth.invalid-user', 4242, '2026-05-08T00:48:34.701Z'],
      ['session.disconnected', 4242, '2026-05-08T00:48:35.101Z'],
      ['kex.failed', 4301, '2026-05-08T00:49:01.000Z'],
      ['auth.success', 4410, '2026-05-08T00:50:12.223Z'],
    ]);
    const r = await runCli(['replay', '--json', FIXTURE]);
    expect(jsonLines(r.stdout).map((a) => [a.rule, a.host])).toEqual([['sshd.kex.no-common-algorithm', '198.51.100.7']]);
  });
});
