/**
 * ssh's questions on /dev/tty, from the person's side (issue 17): `connwatch wrap -- ssh …`
 * typed in a terminal (a pty from util-linux script, standing for a terminal nobody watches),
 * against a real sshd on 127.0.0.1, the agent tailing the captures and the sshd log, and a real
 * notification server on a private bus:
 *
 *   - the unknown host key question, unanswered: exactly one notification naming
 *     127.0.0.1:PORT, within the hang window + 1 s of the question on the screen;
 *   - answered `yes`, then a key login and a command that stays quiet longer than the window:
 *     nothing;
 *   - the password question (host key known), unanswered: exactly one notification;
 *   - the password typed, then a quiet command: nothing;
 *   - ssh's banner-exchange timeout (`-o ConnectTimeout=2`) at a listener that accepts and never
 *     speaks: one notification within 1 s of ssh giving up; the same option against the real
 *     sshd that answers gives nothing (the key-login case above runs with it).
 *
 * ssh takes ~ from the passwd entry, not $HOME: known_hosts and the key are files of the test,
 * and -F /dev/null keeps any ~/.ssh/config out.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrivalFor, notificationsFor, startAgent, type TestAgent } from '../helpers/agent.js';
import { BIN, waitFor } from '../helpers/cli.js';
import { silentListener } from '../helpers/listener.js';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';
import { ensureTestUser, sshdUnavailable, startSshd, which, type SshdServer } from '../helpers/sshd-server.js';
import { wrapOnTerminal } from '../helpers/terminal.js';

const skip = sshdUnavailable() ?? (which('ssh') ? undefined : 'ssh (openssh-client) is not installed') ?? (which('script') ? undefined : 'script (util-linux) is missing');
const HANG_MS = 3000;
/** Reading the capture, the window's timer, the notify-send call: the margin the issue allows. */
const MARGIN_MS = 1000;
/** The test's own polling of the notification server (a python3 D-Bus call every ~100 ms). */
const POLL_MS = 500;
/** A user of this test only (other tests reset cwtest's password), with a password we know. */
const USER = 'cwsshnote';
const PASSWORD = 'ssh-note-e2e-Secret-7';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip)('ssh through connwatch wrap on a terminal nobody watches: one notification per unanswered question, none once answered', () => {
  let notes: NotifyServer;
  let sshd: SshdServer;
  let agent: TestAgent;
  let dir: string;
  let captures: string;
  let key: string;
  let runs = 0;

  beforeAll(async () => {
    notes = await startNotifyServer();
    ensureTestUser(USER);
    const r = spawnSync('chpasswd', [], { input: `${USER}:${PASSWORD}\n`, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`chpasswd: ${r.stderr}`);
    dir = mkdtempSync(join(tmpdir(), 'connwatch-notify-ssh-'));
    key = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    sshd = await startSshd({ authorizedKeys: execFileSync('ssh-keygen', ['-y', '-f', key], { encoding: 'utf8' }) });
    captures = join(dir, 'captures');
    mkdirSync(captures);
    agent = await startAgent({ notes, watch: [join(captures, '*.jsonl'), sshd.logFile], hangWindow: `${HANG_MS / 1000}s` });
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await sshd?.dispose();
    await notes?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** ssh's options for one run: its own known_hosts (empty, or knowing the server's key). */
  function sshArgs(opts: { knowsKey: boolean; login: 'key' | 'password' }): string[] {
    const known = join(dir, `known_hosts.${++runs}`);
    writeFileSync(known, opts.knowsKey ? `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}\n` : '');
    return [
      '-F', '/dev/null',
      '-p', String(sshd.port),
      '-o', `UserKnownHostsFile=${known}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'ConnectTimeout=2',
      ...(opts.login === 'key' ? ['-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'PasswordAuthentication=no'] : ['-o', 'PubkeyAuthentication=no']),
      `${USER}@127.0.0.1`,
    ];
  }

  /** A question nobody answers: one notification for 127.0.0.1:PORT within the window + 1 s of it on the screen. */
  async function unanswered(args: string[], question: RegExp, rule: string) {
    const mark = await agent.mark();
    const t = wrapOnTerminal({ captureDir: captures, argv: ['ssh', ...args, 'true'] });
    try {
      await waitFor(() => question.test(t.screen()), 20_000, `${String(question)} on the screen`);
      const asked = Date.now();
      const call = (await waitFor(async () => notificationsFor(await agent.since(mark), '127.0.0.1', sshd.port).fresh[0], HANG_MS + 10_000, `a notification naming 127.0.0.1:${sshd.port}`))!;
      // when the Notify call reached the bus (dbus-monitor), else when the test saw it
      const after = (arrivalFor(notes, '127.0.0.1', sshd.port, asked - 1000) ?? Date.now() - POLL_MS) - asked;
      console.log(`ssh ${rule}: Notify on the bus ${Math.round(after)} ms after the question was on the screen`);
      expect(after).toBeGreaterThanOrEqual(HANG_MS - 200);
      expect(after).toBeLessThanOrEqual(HANG_MS + MARGIN_MS);
      // nobody answers for another window: still the one notification
      await sleep(HANG_MS + MARGIN_MS);
      const r = notificationsFor(await agent.since(mark), '127.0.0.1', sshd.port);
      expect(r.fresh.map((c) => c.summary)).toHaveLength(1);
      expect(r.strays).toEqual([]);
      expect(call.summary).not.toMatch(/×/);
      expect(call.body).not.toContain('{"v":1');
      const alerts = agent.history().filter((a) => a.port === sshd.port && a.severity !== 'info' && a.firstSeen >= asked - 1000);
      expect(alerts.map((a) => a.rule)).toEqual([rule]);
      expect(alerts[0]).toMatchObject({ host: '127.0.0.1', count: 1 });
      return call;
    } finally {
      await t.stop();
    }
  }

  /** Answered, then a command quiet for twice the window: ssh exits 0 and nothing was shown. */
  async function answered(args: string[], answers: Array<[RegExp, string]>) {
    const mark = await agent.mark();
    const t = wrapOnTerminal({ captureDir: captures, argv: ['ssh', ...args, `sleep ${(2 * HANG_MS) / 1000}`] });
    try {
      for (const [question, answer] of answers) {
        await waitFor(() => question.test(t.screen()), 20_000, `${String(question)} on the screen`);
        await sleep(300); // a person reads first
        t.type(answer);
      }
      expect(await t.exited, t.screen()).toBe(0);
      await sleep(MARGIN_MS + POLL_MS);
      expect((await agent.since(mark)).calls).toEqual([]);
    } finally {
      await t.stop();
    }
  }

  it('the unknown host key question, unanswered: one notification naming 127.0.0.1:PORT', async () => {
    const call = await unanswered(sshArgs({ knowsKey: false, login: 'key' }), /Are you sure you want to continue connecting \(yes\/no\/\[fingerprint\]\)\? $/, 'ssh.hostkey.prompt-hang');
    expect(call.summary).toContain(`127.0.0.1:${sshd.port}`);
  }, 60_000);

  it('the host key question answered yes, a key login and a quiet command: nothing', async () => {
    await answered(sshArgs({ knowsKey: false, login: 'key' }), [[/\(yes\/no\/\[fingerprint\]\)\? $/, 'yes\n']]);
  }, 60_000);

  it('the password question (host key known), unanswered: one notification naming 127.0.0.1:PORT', async () => {
    await unanswered(sshArgs({ knowsKey: true, login: 'password' }), /password: $/, 'ssh.auth.prompt-hang');
  }, 60_000);

  it('the password typed, then a quiet command: nothing', async () => {
    await answered(sshArgs({ knowsKey: true, login: 'password' }), [[/password: $/, `${PASSWORD}\n`]]);
  }, 60_000);

  it('ConnectTimeout at a listener that never speaks: one notification within 1 s of ssh giving up', async () => {
    const listener = await silentListener();
    const mark = await agent.mark();
    try {
      // no terminal needed: ssh gives up by itself
      const child = spawn(process.execPath, [BIN, 'wrap', '--capture-dir', captures, '--', 'ssh', '-F', '/dev/null', '-o', 'ConnectTimeout=2', '-o', 'BatchMode=yes', '-p', String(listener.port), `${USER}@127.0.0.1`, 'true'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      const exited = Date.now();
      expect(code).toBe(255);
      expect(err).toMatch(/timed out during banner exchange/);
      const call = (await waitFor(async () => notificationsFor(await agent.since(mark), '127.0.0.1', listener.port).fresh[0], 10_000, `a notification naming 127.0.0.1:${listener.port}`))!;
      const after = (arrivalFor(notes, '127.0.0.1', listener.port, exited - 2000) ?? Date.now() - POLL_MS) - exited;
      console.log(`ssh banner-exchange timeout: Notify on the bus ${Math.round(after)} ms after ssh exited`);
      expect(after).toBeLessThanOrEqual(MARGIN_MS);
      expect(call.summary).toMatch(/accepted ssh's connection and never answered/);
      await sleep(MARGIN_MS);
      const r = notificationsFor(await agent.since(mark), '127.0.0.1', listener.port);
      expect(r.fresh).toHaveLength(1);
      expect(r.strays).toEqual([]);
      expect(agent.history().filter((a) => a.port === listener.port && a.severity !== 'info').map((a) => a.rule)).toEqual(['ssh.network.silent-server']);
    } finally {
      await listener.close();
    }
  }, 60_000);
});
