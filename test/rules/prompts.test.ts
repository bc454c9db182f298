/**
 * Prompts and hangs (issue 17), through the built-in rules exactly as `connwatch replay` runs them:
 *   - what the wrap's `waiting` and `input` records (the capture contract) do to a hang window:
 *     blocked on the terminal confirms it, input or the socket closes it;
 *   - sshd's `Accepted …` for the same server address and port closes the client's hang;
 *   - one alert per attempt, texts from the person's view (host, port when not 22, the command
 *     line; no unfilled placeholder), on the real plink 0.78 captures in test/rules/captures.
 * The capture lines written here follow the record format of agent/envelopes/wrap-capture.ts and
 * the contract; plink's own lines in them are real plink 0.78 output (see captures/).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayBuiltin } from './builtin/run.js';

const T0 = Date.UTC(2026, 11, 5, 18, 0, 0);
const PID = 4242;

function rec(dt: number, fields: Record<string, unknown>, pid = PID): string {
  return JSON.stringify({ v: 1, t: T0 + dt, pid, program: 'plink', ...fields });
}
const start = (port: number, pid = PID) => rec(0, { event: 'start', argv: ['plink', '-ssh', '-P', String(port), '-l', 'cwtest', '127.0.0.1', 'true'] }, pid);
const passwordPrompt = rec(300, { stream: 'stderr', text: "cwtest@127.0.0.1's password: ", partial: true });
/** Another plink started 30 s later: moves event time past the 20 s hang window. */
const later = start(2201, 5151).replace(`"t":${T0}`, `"t":${T0 + 30_000}`);

function write(name: string, lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'connwatch-prompts-'));
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** sshd's syslog lines (RFC 3339 time) for one connection to 127.0.0.1:port. */
function sshdLog(port: number, acceptedAt: number): string {
  const ts = (dt: number) => new Date(T0 + dt).toISOString().replace('Z', '+00:00');
  return write('auth.log', [
    `${ts(200)} vm sshd[777]: Connection from 127.0.0.1 port 50022 on 127.0.0.1 port ${port} rdomain ""`,
    `${ts(acceptedAt)} vm sshd[777]: Accepted password for cwtest from 127.0.0.1 port 50022 ssh2`,
  ]);
}

describe('hang windows and the wrap contract', () => {
  it('a prompt followed by the client blocked reading its terminal is a hang, and says so', async () => {
    const file = write('c.jsonl', [start(2201), passwordPrompt, rec(900, { event: 'waiting', on: 'tty', fd: 0 }), later]);
    const { alerts } = await replayBuiltin([file]);
    const hang = alerts.filter((a) => a.rule === 'plink.auth.prompt-hang');
    expect(hang).toHaveLength(1);
    expect(hang[0]!.message).toContain('blocked reading its terminal');
    expect(hang[0]!.message).toContain('127.0.0.1 port 2201');
    expect(hang[0]!.remedy).toContain('plink -ssh -P 2201 -l cwtest 127.0.0.1 true');
  });

  it.each([
    ['input passed to the client', rec(2000, { event: 'input', bytes: 9, to: 'stdin' })],
    ['the client reading its socket', rec(2500, { event: 'waiting', on: 'socket', fd: 3 })],
  ])('a prompt followed by %s, then a quiet session, is no hang', async (_what, line) => {
    const file = write('c.jsonl', [start(2201), passwordPrompt, rec(900, { event: 'waiting', on: 'tty', fd: 0 }), line, later]);
    const { alerts } = await replayBuiltin([file]);
    expect(alerts.map((a) => a.rule)).toEqual([]);
  });

  it('no prompt: a plink -v that connected and reads its socket waits for a silent server, which the socket confirms', async () => {
    const file = write('c.jsonl', [
      start(2201),
      rec(100, { stream: 'stderr', text: 'Connected to 127.0.0.1' }),
      rec(101, { stream: 'stderr', text: 'We claim version: SSH-2.0-PuTTY_Release_0.78' }),
      rec(900, { event: 'waiting', on: 'socket', fd: 5 }),
      later,
    ]);
    const { alerts } = await replayBuiltin([file]);
    const hang = alerts.filter((a) => a.rule === 'plink.network.silent-server');
    expect(hang).toHaveLength(1);
    expect(hang[0]!.message).toContain('blocked reading its connection');
  });

  it("sshd's Accepted for the same address and port closes the client's hang; for another port it does not", async () => {
    const capture = write('c.jsonl', [start(2201), passwordPrompt, later]);
    const same = await replayBuiltin([capture, sshdLog(2201, 2000)]);
    expect(same.alerts.filter((a) => a.program === 'plink').map((a) => a.rule)).toEqual([]);
    const other = await replayBuiltin([capture, sshdLog(2202, 2000)]);
    expect(other.alerts.filter((a) => a.program === 'plink').map((a) => a.rule)).toEqual(['plink.auth.prompt-hang']);
  });

  it('a password prompt then exit 0 is "gave up at end of input" only when nothing was passed to plink', async () => {
    const exit = rec(400, { event: 'exit', code: 0, signal: null });
    const eof = await replayBuiltin([write('c.jsonl', [start(2201), passwordPrompt, exit])]);
    expect(eof.alerts.map((a) => a.rule)).toEqual(['plink.auth.prompt-eof']);
    const typed = await replayBuiltin([write('c.jsonl', [start(2201), passwordPrompt, rec(350, { event: 'input', bytes: 12, to: 'stdin' }), exit])]);
    expect(typed.alerts.map((a) => a.rule)).toEqual([]);
    const output = await replayBuiltin([write('c.jsonl', [start(2201), passwordPrompt, rec(380, { stream: 'stdout', text: 'Linux vm 6.1.0-13-amd64' }), exit])]);
    expect(output.alerts.map((a) => a.rule)).toEqual([]);
  });

  it('the host, port and user come from the start record when the wrap names them, else from the argv', async () => {
    const file = write('c.jsonl', [
      rec(0, { event: 'start', argv: ['plink', '-batch', 'alice@vm1', 'true'], host: 'vm1.example.org', port: 2222 }),
      rec(100, { stream: 'stderr', text: 'FATAL ERROR: Network error: Connection refused' }),
    ]);
    const { alerts, events } = await replayBuiltin([file]);
    expect(events[0]).toMatchObject({ kind: 'process.start', host: 'vm1.example.org', port: 2222, user: 'alice' });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message).toContain('vm1.example.org port 2222');
  });
});

describe('real plink 0.78 captures: one alert per attempt, in the person\'s words', () => {
  const CAP = join(import.meta.dirname, 'captures');
  it.each([
    ['new-hostkey-silent', 'plink.hostkey.prompt-hang', 'Store key in cache?'],
    ['changed-hostkey-silent', 'plink.hostkey.prompt-hang', 'Update cached key?'],
    ['weak-kex-silent', 'plink.crypto.prompt-hang', 'Continue with connection?'],
    ['logfile-silent', 'plink.logfile.prompt-hang', 'Wipe the log file?'],
    ['password-silent', 'plink.auth.prompt-hang', "password:"],
    ['weak-kex-eof', 'plink.kex.weak-crypto-batch', 'Connection abandoned.'],
    ['password-eof', 'plink.auth.prompt-eof', undefined],
    ['weak-kex-batch', 'plink.kex.weak-crypto-batch', 'Connection abandoned.'],
    ['hostkey-batch', 'plink.hostkey.not-confirmed', 'Connection abandoned.'],
  ])('%s: exactly one %s, naming the port, quoting the command line', async (name, rule, line) => {
    const { alerts, events } = await replayBuiltin([join(CAP, `plink-0.78-${name}.jsonl`)]);
    const warn = alerts.filter((a) => a.severity !== 'info');
    expect(warn.map((a) => a.rule)).toEqual([rule]);
    const a = warn[0]!;
    expect(a.count).toBe(1);
    const port = Number(/"-P","(\d+)"/.exec(JSON.stringify(events.find((e) => e.kind === 'process.start')?.detail))?.[1] ?? /-P (\d+)/.exec(String(events[0]!.detail.command))![1]);
    if (name !== 'logfile-silent') expect(a.message).toContain(`127.0.0.1 port ${port}`);
    // no unfilled placeholder, no port glued to the address (the joined partner's quoted line is the gate's)
    expect(`${a.title} ${a.message} ${a.remedy}`).not.toMatch(/\bHOST\b|127\.0\.0\.1\d|\{(?:host|port|connection\.|detail\.)[^}]*\}/);
    expect(a.remedy).toContain(`-P ${port}`);
    // the program's own line is on the event, for the notification to quote (never the capture record)
    if (line) expect(events.some((e) => e.raw.message?.includes(line) && !e.raw.message.startsWith('{'))).toBe(true);
  });

  it('the host-key hang names the fingerprint to pass with -hostkey', async () => {
    const { alerts } = await replayBuiltin([join(CAP, 'plink-0.78-new-hostkey-silent.jsonl')]);
    expect(alerts.find((a) => a.rule === 'plink.hostkey.prompt-hang')!.remedy).toMatch(/-hostkey SHA256:[A-Za-z0-9+/]{43}/);
  });
});
