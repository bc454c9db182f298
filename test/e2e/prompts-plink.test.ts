/**
 * Every question plink waits at is a hang, and an answered one is not (issue 17), end to end:
 * real plink 0.78 run through `connwatch wrap` (as the shims run it) with stdin a pipe, against
 * real sshds on 127.0.0.1 set up for each case, and a running agent
 * (`connwatch run --no-defaults --watch CAPTURES/*.jsonl --watch SSHD_LOG --hang-window 3s`).
 *
 *   - nobody answers (the pipe never writes): exactly one plink alert of the right rule for the
 *     attempt, with its host and port, within the hang window and a margin;
 *   - -batch failures: exactly one alert, at once;
 *   - the same attempts answered (or -hostkey passed), then a command that stays quiet for longer
 *     than the hang window: no plink alert. Without -v plink prints nothing after the answer; what
 *     shows the attempt went on is sshd's `Accepted password` for that address and port (and,
 *     with a wrap that records them, the `input`/`waiting` records).
 *
 * Alerts are read from the agent's history (alerts.jsonl; a later record of an id updates it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type HistoryAlert, type TestAgent } from '../helpers/agent.js';
import { BIN, waitFor } from '../helpers/cli.js';
import { startNotifyServer, type NotifyCall, type NotifyServer } from '../helpers/notify-server.js';
import { plinkEnv } from '../helpers/putty.js';
import { ensureTestUser, sshdUnavailable, startSshd, which, type SshdServer } from '../helpers/sshd-server.js';

const skip = sshdUnavailable() ?? (which('plink') ? undefined : 'plink (putty-tools) is not installed');
const HANG_WINDOW_MS = 3000;
/** Reading the capture, the hang window's timer, writing the history: the margin the issue allows. */
const MARGIN_MS = 1000;
/** A user of this test only (other tests reset cwtest's password), with a password we know. */
const USER = 'cwprompt';
const PASSWORD = 'prompt-e2e-Secret-1';

describe.skipIf(skip)('plink prompts through connwatch wrap: one alert per unanswered attempt, none for an answered one', () => {
  let plain: SshdServer;
  let weak: SshdServer;
  let sntrup: SshdServer;
  let root: string;
  let captures: string;
  let agent: TestAgent;
  /** A real notification server: what a person is shown is what counts. */
  let notes: NotifyServer;

  beforeAll(async () => {
    notes = await startNotifyServer();
    ensureTestUser(USER);
    const r = spawnSync('chpasswd', [], { input: `${USER}:${PASSWORD}\n`, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`chpasswd: ${r.stderr}`);
    [plain, weak, sntrup] = await Promise.all([
      startSshd(),
      startSshd({ config: ['KexAlgorithms diffie-hellman-group1-sha1'] }),
      startSshd({ config: ['KexAlgorithms sntrup761x25519-sha512'] }), // a name plink 0.78 does not know
    ]);
    root = mkdtempSync(join(tmpdir(), 'connwatch-prompts-e2e-'));
    captures = join(root, 'captures');
    mkdirSync(captures);
    agent = await startAgent({ notes, home: join(root, 'agent'), watch: [join(captures, '*.jsonl'), plain.logFile, weak.logFile], hangWindow: `${HANG_WINDOW_MS / 1000}s` });
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await Promise.all([plain?.dispose(), weak?.dispose(), sntrup?.dispose(), notes?.stop()]);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** The alerts in the history, each id once (its latest record). */
  const history = (): HistoryAlert[] => agent.history();

  interface Attempt {
    server: SshdServer;
    args: string[];
    /** Sets up plink's HOME (stored keys, an existing log file). */
    setup?: (home: string) => void;
    /** Text on plink's stderr/stdout after which the answer is written, and the answer. */
    answers?: Array<[string, string]>;
  }

  /** Runs one wrapped plink; returns when it exited or `until` holds (then kills it), and what its capture and the agent saw. */
  async function run(
    a: Attempt,
    until: (exited: Promise<number | null>, out: () => string) => Promise<unknown>,
  ): Promise<{ alerts: HistoryAlert[]; out: string; code: number | null; calls: NotifyCall[]; firstId: number; home: string }> {
    const before = new Set(history().map((h) => h.id));
    const callsBefore = await notes.calls();
    const home = mkdtempSync(join(root, 'home-'));
    a.setup?.(home);
    const argv = ['plink', '-ssh', '-P', String(a.server.port), '-l', USER, ...a.args.map((x) => x.replace('HOME', home))];
    const child = spawn(process.execPath, [BIN, 'wrap', '--capture-dir', captures, '--', ...argv], { env: { ...process.env, ...plinkEnv(home) }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let done = false;
    void exited.then(() => (done = true));
    try {
      for (const [after, answer] of a.answers ?? []) {
        await waitFor(() => out.includes(after) || done, 20_000, `"${after}" from plink`);
        child.stdin!.write(answer);
      }
      await until(exited, () => out);
    } finally {
      if (!done) child.kill('SIGTERM');
    }
    const code = await exited;
    // the alert of a failure must be there within the margin of plink's exit
    await new Promise((r) => setTimeout(r, MARGIN_MS));
    const calls = (await notes.calls()).slice(callsBefore.length);
    // dbusmock numbers new notifications 1, 2, … : the next new one gets this id
    const firstId = callsBefore.filter((c) => c.replacesId === 0).length + 1;
    return { alerts: history().filter((h) => !before.has(h.id) && h.program === 'plink'), out, code, calls, firstId, home };
  }

  /**
   * On the notification server: exactly one new notification for this attempt, naming
   * 127.0.0.1:PORT (a client's alert names the port it used); any later call for it replaces
   * that one, none adds a second.
   */
  function expectOneNotification(r: { calls: NotifyCall[]; firstId: number }, port: number): NotifyCall {
    const mine = r.calls.filter((c) => c.summary.endsWith(`127.0.0.1:${port}`));
    const fresh = mine.filter((c) => c.replacesId === 0);
    expect(fresh.map((c) => c.summary), JSON.stringify(r.calls, null, 1)).toHaveLength(1);
    const id = r.firstId + r.calls.filter((c) => c.replacesId === 0).indexOf(fresh[0]!);
    for (const c of mine.slice(mine.indexOf(fresh[0]!) + 1)) expect(c.replacesId).toBe(id);
    expect(fresh[0]!.summary).not.toMatch(/×/);
    return mine.at(-1)!;
  }

  /** Waits for the prompt on plink's terminal, then for the alert: within the hang window + the margin (+ one poll). */
  const hangAlert = (prompt: string, rule: string) => async (_exited: Promise<number | null>, out: () => string) => {
    await waitFor(() => out().includes(prompt), 20_000, `"${prompt}" from plink`);
    const shown = Date.now();
    // an alert of the attempt already shown (the changed key) is updated to the hang under its id
    const known = new Set(history().map((h) => `${h.id} ${h.rule}`));
    await waitFor(() => history().some((h) => h.rule === rule && !known.has(`${h.id} ${h.rule}`)), 20_000, `alert ${rule}`);
    expect(Date.now() - shown).toBeLessThanOrEqual(HANG_WINDOW_MS + MARGIN_MS + 150);
  };
  const quietFor = (ms: number) => () => new Promise((r) => setTimeout(r, ms));

  function expectOne(alerts: HistoryAlert[], rule: string, port: number): HistoryAlert {
    const warn = alerts.filter((h) => h.severity !== 'info');
    expect(warn.map((h) => h.rule), JSON.stringify(alerts, null, 1)).toEqual([rule]);
    const a = warn[0]!;
    expect(a.host).toBe('127.0.0.1');
    expect(a.port).toBe(port);
    expect(a.count).toBe(1);
    return a;
  }

  const storeWrongKey = (port: number) => (home: string) => {
    mkdirSync(join(home, '.putty'), { recursive: true });
    // a key plink never saw from this server: the server's key "changed"
    writeFileSync(join(home, '.putty', 'sshhostkeys'), `ssh-ed25519@${port}:127.0.0.1 0x1d3f1e6c8a9b2f70c1e5d4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3,0x2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a0c1e3f5a7b9d1f3e5a7c9b1d\n`);
  };
  const existingLog = (home: string) => writeFileSync(join(home, 'session.log'), 'an older session\n');

  describe('nobody answers: one hang alert per attempt, with host and port, within the hang window + 1 s of the prompt', () => {
    it('new host key ("Store key in cache?")', async () => {
      const r = await run({ server: plain, args: ['-pw', PASSWORD, '127.0.0.1', 'true'] }, hangAlert('Store key in cache?', 'plink.hostkey.prompt-hang'));
      const a = expectOne(r.alerts, 'plink.hostkey.prompt-hang', plain.port);
      expect(a.remedy).toContain(`-hostkey ${plain.hostKeyFingerprint}`);
      expect(expectOneNotification(r, plain.port).body).toContain('Store key in cache?');
    }, 60_000);

    it('changed host key ("Update cached key?")', async () => {
      const r = await run({ server: plain, args: ['-pw', PASSWORD, '127.0.0.1', 'true'], setup: storeWrongKey(plain.port) }, hangAlert('Update cached key?', 'plink.hostkey.prompt-hang'));
      expect(expectOne(r.alerts, 'plink.hostkey.prompt-hang', plain.port).message).toContain('changed host key');
      expectOneNotification(r, plain.port);
    }, 60_000);

    it('weak key exchange (the server offers only diffie-hellman-group1-sha1)', async () => {
      const r = await run({ server: weak, args: ['-pw', PASSWORD, '127.0.0.1', 'true'] }, hangAlert('Continue with connection? (y/n)', 'plink.crypto.prompt-hang'));
      expectOne(r.alerts, 'plink.crypto.prompt-hang', weak.port);
      expectOneNotification(r, weak.port);
    }, 60_000);

    it('log file clash ("Wipe the log file?")', async () => {
      const r = await run({ server: plain, args: ['-sshlog', 'HOME/session.log', '-hostkey', plain.hostKeyFingerprint, '-pw', PASSWORD, '127.0.0.1', 'true'], setup: existingLog }, hangAlert('Wipe the log file?', 'plink.logfile.prompt-hang'));
      expect(expectOne(r.alerts, 'plink.logfile.prompt-hang', plain.port).remedy).toMatch(/-logoverwrite or -logappend/);
      expectOneNotification(r, plain.port);
    }, 60_000);

    it('a password nobody types', async () => {
      const r = await run({ server: plain, args: ['-hostkey', plain.hostKeyFingerprint, '127.0.0.1', 'true'] }, hangAlert(`${USER}@127.0.0.1's password:`, 'plink.auth.prompt-hang'));
      expectOne(r.alerts, 'plink.auth.prompt-hang', plain.port);
      expectOneNotification(r, plain.port);
    }, 60_000);
  });

  describe('-batch failures: one alert within 1 s of the failure', () => {
    it('host key not confirmed', async () => {
      const r = await run({ server: plain, args: ['-batch', '-pw', PASSWORD, '127.0.0.1', 'true'] }, (exited) => exited);
      expect(r.code).toBe(1);
      expectOne(r.alerts, 'plink.hostkey.not-confirmed', plain.port);
      expectOneNotification(r, plain.port);
    }, 60_000);

    it('no common key exchange (the server offers only sntrup761x25519-sha512)', async () => {
      const r = await run({ server: sntrup, args: ['-batch', '-hostkey', sntrup.hostKeyFingerprint, '-pw', PASSWORD, '127.0.0.1', 'true'] }, (exited) => exited);
      expect(r.code).toBe(1);
      expectOne(r.alerts, 'plink.kex.no-common-algorithm', sntrup.port);
      expectOneNotification(r, sntrup.port);
    }, 60_000);

    it('a weak key exchange nobody can confirm', async () => {
      const r = await run({ server: weak, args: ['-batch', '-pw', PASSWORD, '127.0.0.1', 'true'] }, (exited) => exited);
      expect(r.code).toBe(1);
      expectOne(r.alerts, 'plink.kex.weak-crypto-batch', weak.port);
      expectOneNotification(r, weak.port);
    }, 60_000);
  });

  describe('answered (or -hostkey given), then a command quiet for longer than the hang window: no alert', () => {
    const quiet = `sleep ${(HANG_WINDOW_MS * 2) / 1000}`;
    const settle = HANG_WINDOW_MS * 2 + MARGIN_MS;

    it.each<[string, () => Attempt]>([
      ['new host key answered y', () => ({ server: plain, args: ['-pw', PASSWORD, '127.0.0.1', quiet], answers: [['Store key in cache?', 'y\n']] })],
      ['changed host key answered y', () => ({ server: plain, args: ['-pw', PASSWORD, '127.0.0.1', quiet], setup: storeWrongKey(plain.port), answers: [['Update cached key?', 'y\n']] })],
      ['weak key exchange answered y', () => ({ server: weak, args: ['-hostkey', weak.hostKeyFingerprint, '-pw', PASSWORD, '127.0.0.1', quiet], answers: [['Continue with connection?', 'y\n']] })],
      ['log file clash answered y', () => ({ server: plain, args: ['-sshlog', 'HOME/session.log', '-hostkey', plain.hostKeyFingerprint, '-pw', PASSWORD, '127.0.0.1', quiet], setup: existingLog, answers: [['Wipe the log file?', 'y\n']] })],
      ['password typed', () => ({ server: plain, args: ['-hostkey', plain.hostKeyFingerprint, '127.0.0.1', quiet], answers: [["password:", `${PASSWORD}\n`]] })],
      ['-hostkey passed with -batch', () => ({ server: plain, args: ['-batch', '-hostkey', plain.hostKeyFingerprint, '-pw', PASSWORD, '127.0.0.1', quiet] })],
    ])('%s', async (_name, attempt) => {
      const r = await run(attempt(), quietFor(settle));
      expect(r.alerts.filter((h) => h.severity !== 'info'), JSON.stringify(r.alerts, null, 1)).toEqual([]);
      expect(r.calls, 'nothing shown for an answered attempt').toEqual([]);
    }, 60_000);

    it('a key answered y is stored in the attempt\'s own PUTTYDIR, where no other test reads it', async () => {
      const r = await run({ server: plain, args: ['-pw', PASSWORD, '127.0.0.1', 'true'], answers: [['Store key in cache?', 'y\n']] }, (exited) => exited);
      expect(r.code).toBe(0);
      const stored = readFileSync(join(r.home, '.putty', 'sshhostkeys'), 'utf8');
      expect(stored).toMatch(new RegExp(`^ssh-ed25519@${plain.port}:127\\.0\\.0\\.1 0x`, 'm'));
    }, 60_000);
  });
});
