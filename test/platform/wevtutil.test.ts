/**
 * Win32-OpenSSH's server logs (envelopes/winevent.ts, sources/wevtutil.ts).
 *
 * wevtutil-openssh.xml is `wevtutil qe … /f:xml` output as Windows prints it: one <Event> per
 * line, CRLF, single-quoted attributes, the OpenSSH provider's GUID and channels (Info/Warning →
 * OpenSSH/Operational, Error → OpenSSH/Admin, as openssh-portable's Openssh-events.man routes
 * them), the two template strings `process` and `payload`, 7-digit SystemTime; the payloads are
 * OpenSSH's own texts. wevtutil-openssh.txt is the /f:text rendering of two of them.
 *
 * Wine 8 has a wevtutil.exe, but it is a stub that prints nothing and exits 0 (measured), so the
 * source runs here against wevtutil-standin.mjs, which answers the same argv from the XML file
 * (filter by EventRecordID, /rd:true, /c:N, a missing channel's message). The parsing, the
 * bookmarks and everything after them are the real code.
 */
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { isWinEventRecord, parseWevtutilText, parseWevtutilXml, parseWin32SshLogLine, parseWinEventRecord, winEventRecord } from '../../agent/envelopes/winevent.js';
import type { Event } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { CheckpointStore } from '../../agent/sources/checkpoint.js';
import type { RawLine } from '../../agent/sources/raw-line.js';
import { WevtutilSource, wevtutilArgs } from '../../agent/sources/wevtutil.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const XML = readFileSync(join(HERE, 'wevtutil-openssh.xml'), 'utf8');
const TEXT = readFileSync(join(HERE, 'wevtutil-openssh.txt'), 'utf8');
const STANDIN = join(HERE, 'wevtutil-standin.mjs');
const dir = mkdtempSync(join(tmpdir(), 'connwatch-wevtutil-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wevtutil output', () => {
  it('reads every event of /f:xml output: record id, channel, level, UTC time, pid, process and payload', () => {
    const events = parseWevtutilXml(XML);
    expect(events.map((e) => `${e.channel} ${e.recordId}`)).toEqual([
      ...[1187, 1188, 1189, 1190, 1191, 1192, 1193].map((n) => `OpenSSH/Operational ${n}`),
      'OpenSSH/Admin 52',
      'OpenSSH/Admin 53',
    ]);
    expect(events[2]).toEqual({
      recordId: 1189,
      channel: 'OpenSSH/Operational',
      provider: 'OpenSSH',
      eventId: 4,
      level: 4,
      time: Date.UTC(2026, 2, 2, 9, 14, 7, 551),
      pid: 4712,
      computer: 'WS01',
      process: 'sshd-session',
      payload: 'Accepted password for ann from 10.0.0.5 port 50122 ssh2',
    });
    expect(events[8]!.payload).toBe('error: PAM & friends: user "x<y>" not allowed'); // entities undone
    // the same with an /e: root element and double quotes
    const wrapped = `<Events>${XML.replaceAll("'", '"').replaceAll('\r\n', '')}</Events>`;
    expect(parseWevtutilXml(wrapped)).toEqual(events);
    expect(parseWevtutilXml('')).toEqual([]);
  });

  it('reads /f:text blocks: local date, level, and "process: payload" from the description', () => {
    expect(parseWevtutilText(TEXT)).toEqual([
      { channel: 'OpenSSH/Operational', provider: 'OpenSSH', eventId: 4, level: 4, computer: 'WS01', time: new Date(2026, 2, 2, 10, 14, 7, 551).getTime(), process: 'sshd-session', payload: 'Accepted password for ann from 10.0.0.5 port 50122 ssh2' },
      { channel: 'OpenSSH/Admin', provider: 'OpenSSH', eventId: 2, level: 2, computer: 'WS01', time: new Date(2026, 2, 2, 10, 25, 10, 331).getTime(), process: 'sshd-session', payload: 'error: kex_exchange_identification: Connection closed by remote host' },
    ]);
  });

  it('reads the lines of %ProgramData%\\ssh\\logs\\sshd-session.log, with and without the date', () => {
    const now = new Date(2026, 2, 2, 12, 0, 0).getTime();
    expect(parseWin32SshLogLine('4712 2026-03-02 10:14:07.551 Accepted password for ann from 10.0.0.5 port 50122 ssh2\r', now)).toEqual({
      pid: 4712,
      time: new Date(2026, 2, 2, 10, 14, 7, 551).getTime(),
      text: 'Accepted password for ann from 10.0.0.5 port 50122 ssh2',
    });
    expect(parseWin32SshLogLine('3488 11:30:03:638 Accepted password for ann from 10.0.0.5 port 1 ssh2', now)).toMatchObject({ pid: 3488, time: new Date(2026, 2, 2, 11, 30, 3, 638).getTime() });
    expect(parseWin32SshLogLine('5936 13:19:12 620 Accepted password for x from 10.0.0.5 port 2 ssh2', now)).toMatchObject({ time: new Date(2026, 2, 1, 13, 19, 12, 620).getTime() }); // after now: yesterday
    expect(parseWin32SshLogLine('Mar  2 10:14:07 host sshd[1]: x', now)).toBeUndefined();
    expect(parseWin32SshLogLine('2026-03-02 10:14:07 upgrade x 1 2', now)).toBeUndefined();
  });
});

const route = (lines: string[], program?: 'sshd'): Event[] => {
  const router = new LineRouter();
  return lines.flatMap((text, i) => router.route({ sourceId: 't', text, receivedAt: Date.UTC(2026, 2, 2, 12), position: { source: 't', line: i + 1 }, ...(program ? { program } : {}) }));
};

describe('through the router to the sshd parser', () => {
  it('an event record becomes sshd events at the event time, with its pid and the Windows host name', () => {
    const lines = parseWevtutilXml(XML).map((e) => JSON.stringify(winEventRecord(e)));
    const o = JSON.parse(lines[2]!) as Record<string, unknown>;
    expect(isWinEventRecord(o)).toBe(true);
    expect(parseWinEventRecord(o)).toEqual({ text: 'Accepted password for ann from 10.0.0.5 port 50122 ssh2', time: Date.UTC(2026, 2, 2, 9, 14, 7, 551), pid: 4712, ident: 'sshd-session', hostname: 'WS01' });
    const events = route(lines);
    const byKind = (k: string) => events.filter((e) => e.kind === k);
    expect(events.every((e) => e.program === 'sshd')).toBe(true);
    expect(byKind('auth.success')).toEqual([expect.objectContaining({ user: 'ann', host: '10.0.0.5', port: 50122, pid: 4712, time: Date.UTC(2026, 2, 2, 9, 14, 7, 551), timeFrom: 'line' })]);
    expect(byKind('auth.failed')).toEqual([expect.objectContaining({ user: 'admin', host: '203.0.113.9', pid: 5120 })]);
    expect(events.some((e) => e.pattern === 'sshd.auth.accepted')).toBe(true);
    const kex = events.find((e) => e.host === '198.51.100.7');
    expect(kex?.kind).toMatch(/^kex\./);
    expect(JSON.stringify(kex?.detail)).toContain('diffie-hellman-group1-sha1');
    expect(events.filter((e) => e.kind === 'noise' || e.kind === 'unknown').map((e) => e.raw.message)).not.toContain('Accepted password for ann from 10.0.0.5 port 50122 ssh2');
  });

  it('sshd-session.log lines in a file source (program sshd, envelope auto) are read with their pid and time', () => {
    const events = route(['4712 2026-03-02 10:14:07.551 Accepted password for ann from 10.0.0.5 port 50122 ssh2', '5120 2026-03-02 10:20:33.229 Failed password for invalid user admin from 203.0.113.9 port 41822 ssh2'], 'sshd');
    expect(events.map((e) => [e.kind, e.pid, e.time, e.timeFrom])).toEqual([
      ['auth.success', 4712, new Date(2026, 2, 2, 10, 14, 7, 551).getTime(), 'line'],
      ['auth.failed', 5120, new Date(2026, 2, 2, 10, 20, 33, 229).getTime(), 'line'],
    ]);
  });
});

describe('WevtutilSource (wevtutil stand-in)', () => {
  let events: string;
  let calls: string;
  let n = 0;
  beforeEach(() => {
    n++;
    events = join(dir, `events-${n}.xml`);
    calls = join(dir, `calls-${n}.jsonl`);
    copyFileSync(join(HERE, 'wevtutil-openssh.xml'), events);
    process.env.WEVTUTIL_EVENTS = events;
    process.env.WEVTUTIL_CALLS = calls;
  });
  const make = async (extra: Partial<ConstructorParameters<typeof WevtutilSource>[0]> = {}, store?: CheckpointStore) => {
    const checkpoints = store ?? new CheckpointStore(join(dir, `ck-${n}.json`), { flushMs: 20 });
    if (!store) await checkpoints.load();
    const logs: string[] = [];
    const src = new WevtutilSource({ command: [process.execPath, STANDIN], checkpoints, intervalMs: 60_000, log: (level, m) => logs.push(`${level} ${m}`), ...extra });
    const got: RawLine[] = [];
    return { src, got, logs, checkpoints, sink: async (l: RawLine) => void got.push(l) };
  };
  const ids = (lines: RawLine[]) => lines.map((l) => l.position.line);
  const newEvent = (id: number, channel: string, payload: string) =>
    appendFileSync(events, `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='OpenSSH' Guid='{C4B57D35-0636-4BC3-A262-370F249F9802}'/><EventID>4</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x4000000000000000</Keywords><TimeCreated SystemTime='2026-03-02T11:00:00.0000000Z'/><EventRecordID>${id}</EventRecordID><Correlation/><Execution ProcessID='6000' ThreadID='6004'/><Channel>${channel}</Channel><Computer>WS01</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='process'>sshd-session</Data><Data Name='payload'>${payload}</Data></EventData></Event>\r\n`);

  it('starts after the newest event, then hands on each new one once, in order, and keeps its place across a restart', async () => {
    const a = await make();
    await a.src.start(a.sink);
    expect(a.got).toEqual([]);
    expect(a.src.status().after).toEqual({ 'OpenSSH/Operational': 1193, 'OpenSSH/Admin': 53 });
    newEvent(1194, 'OpenSSH/Operational', 'Accepted publickey for ann from 10.0.0.5 port 50200 ssh2: ED25519 SHA256:abc');
    newEvent(1195, 'OpenSSH/Operational', 'Disconnected from user ann 10.0.0.5 port 50200');
    await a.src.pollNow();
    await a.src.pollNow(); // nothing new: nothing twice
    expect(ids(a.got)).toEqual([1194, 1195]);
    expect(a.got[0]).toMatchObject({ sourceId: 'wevtutil:openssh', program: 'sshd', pid: 6000, position: { source: 'wevtutil:openssh', line: 1194 } });
    expect(route(a.got.map((l) => l.text))[0]).toMatchObject({ kind: 'auth.success', user: 'ann', pid: 6000 });
    await a.src.stop();

    newEvent(1196, 'OpenSSH/Operational', 'Accepted password for bob from 10.0.0.6 port 50300 ssh2');
    const store = new CheckpointStore(join(dir, `ck-${n}.json`), { flushMs: 20 });
    await store.load();
    const b = await make({}, store);
    await b.src.start(b.sink);
    expect(ids(b.got)).toEqual([1196]); // written while stopped: read; nothing before it again
    await b.src.stop();
    const argv = readFileSync(calls, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
    expect(argv[0]).toEqual(['qe', 'OpenSSH/Operational', '/rd:true', '/c:1', '/f:xml']);
    expect(argv).toContainEqual(wevtutilArgs('OpenSSH/Operational', 1195, 500));
    expect(wevtutilArgs('OpenSSH/Admin', 53, 500)).toEqual(['qe', 'OpenSSH/Admin', '/q:*[System[(EventRecordID>53)]]', '/c:500', '/f:xml']);
  });

  it('fromStart reads every kept event, in record order per channel, in batches', async () => {
    const a = await make({ fromStart: true, batch: 2 });
    await a.src.start(a.sink);
    await a.src.stop();
    expect(ids(a.got)).toEqual([1187, 1188, 1189, 1190, 1191, 1192, 1193, 52, 53]);
    expect(readFileSync(calls, 'utf8').trim().split('\n').length).toBe(4 + 2); // Operational: 3 full batches + 1 short; Admin: 1 full + 1 empty
  });

  it('a channel that does not exist is told once with the fix; the other channel is read', async () => {
    const problems: string[] = [];
    const a = await make({ fromStart: true, channels: ['OpenSSH/Missing', 'OpenSSH/Admin'], onProblem: (e) => problems.push(`${e.code} ${e.message} ${e.hint ?? ''}`) });
    await a.src.start(a.sink);
    await a.src.pollNow();
    await a.src.stop();
    expect(ids(a.got)).toEqual([52, 53]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SOURCE_FAILED wevtutil cannot read OpenSSH\/Missing \(Failed to read events\. The specified channel could not be found\.\).*Install the OpenSSH Server.*sshd-session\.log/);
    expect(a.logs.filter((l) => l.startsWith('warn'))).toHaveLength(1);
  });

  it('wevtutil missing (not Windows) is one clear problem, not a crash', async () => {
    const problems: string[] = [];
    const a = await make({ command: [join(dir, 'no-wevtutil.exe')], onProblem: (e) => problems.push(`${e.message} ${e.hint ?? ''}`) });
    await a.src.start(a.sink);
    await a.src.stop();
    expect(problems).toEqual([expect.stringMatching(/^wevtutil \(.*no-wevtutil\.exe\) was not found; the OpenSSH event log is not being read\. This source is for Windows/)]);
  });
});
