/**
 * `connwatch wrap -- ssh …` on a terminal (a pty from util-linux script, standing for the
 * person's terminal), against a real sshd on 127.0.0.1 whose host key ssh does not know. ssh
 * asks on /dev/tty, which wrap gives it as a pty of its own (`--pty auto`: wrap has a terminal):
 *   - nobody answers: the capture has the `(yes/no/[fingerprint])?` question as stream "tty"
 *     (partial) and `waiting on:"tty"`; the person's terminal shows the question;
 *   - the person types `yes`: an `input` record of 4 bytes to the tty (no content), then ssh's
 *     password question on the tty and `waiting on:"tty"` again;
 *   - the same with wrap's stdin not a terminal (`… </dev/null` typed in a terminal): the person
 *     still answers on the terminal, which wrap reads from /dev/tty.
 * known_hosts is a file of the test (ssh takes ~ from the passwd entry, not $HOME).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cli.js';
import { wrapOnTerminal } from '../helpers/terminal.js';
import { ensureTestUser, sshdUnavailable, startSshd, which, type SshdServer } from '../helpers/sshd-server.js';

const skip = sshdUnavailable() ?? (which('ssh') ? undefined : 'ssh (openssh-client) is not installed') ?? (which('script') ? undefined : 'script (util-linux) is missing');

describe.skipIf(skip)('connwatch wrap -- ssh on a terminal, against a real sshd', () => {
  let server: SshdServer;
  let user: string;
  let dir: string;

  beforeAll(async () => {
    user = ensureTestUser();
    server = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'connwatch-wrap-ssh-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** wrap under `script`: its stdin, stdout and stderr are a terminal that only the test writes to. */
  function onTerminal(name: string, stdinFromNull = false) {
    const t = wrapOnTerminal({
      captureDir: join(dir, name),
      argv: ['ssh', '-p', String(server.port), '-o', `UserKnownHostsFile=${join(dir, `${name}.known_hosts`)}`, '-o', 'GlobalKnownHostsFile=/dev/null', `${user}@127.0.0.1`, 'true'],
      stdinFromNull,
    });
    return { child: t.child, screen: t.screen, records: t.records, stop: t.stop };
  }

  it('nobody answers: the question is captured as stream tty and ssh waits on its tty', async () => {
    const t = onTerminal('silent');
    try {
      await waitFor(() => t.records().some((r) => r.event === 'waiting' && r.on === 'tty'), 20_000, 'waiting on tty');
      const recs = t.records();
      expect(recs[0]).toMatchObject({ event: 'start', program: 'ssh', host: '127.0.0.1', port: server.port });
      const q = recs.find((r) => r.stream === 'tty' && r.partial === true);
      expect(q?.text).toBe('Are you sure you want to continue connecting (yes/no/[fingerprint])? ');
      expect(recs.some((r) => r.stream === 'tty' && /The authenticity of host .* can't be established\./.test(String(r.text)))).toBe(true);
      expect(recs.indexOf(q!)).toBeLessThan(recs.findIndex((r) => r.event === 'waiting'));
      expect(t.screen()).toContain('Are you sure you want to continue connecting (yes/no/[fingerprint])? ');
    } finally {
      await t.stop();
    }
  });

  it.each([
    ['on stdin', false],
    ['on the terminal while stdin is /dev/null', true],
  ])('the person types yes (%s): an input record of 4 bytes, then the password question, waiting on tty again', async (what, fromNull) => {
    const t = onTerminal(fromNull ? 'answered-null' : 'answered', fromNull);
    try {
      await waitFor(() => t.records().some((r) => r.event === 'waiting' && r.on === 'tty'), 20_000, 'waiting on tty');
      t.child.stdin!.write('yes\n');
      await waitFor(() => t.records().some((r) => r.stream === 'tty' && String(r.text).endsWith("'s password: ")), 20_000, 'the password question');
      await waitFor(() => t.records().filter((r) => r.event === 'waiting' && r.on === 'tty').length >= 2 || t.records().some((r) => r.event === 'waiting' && r.on !== 'tty'), 10_000, 'the next waiting record');
      const recs = t.records();
      const input = recs.findIndex((r) => r.event === 'input');
      expect(recs[input]).toMatchObject({ bytes: 4, to: 'tty' });
      const pw = recs.findIndex((r) => r.stream === 'tty' && String(r.text).endsWith("'s password: "));
      expect(input).toBeLessThan(pw);
      expect(recs.slice(pw).find((r) => r.event === 'waiting')).toMatchObject({ on: 'tty' });
      expect(Object.keys(recs[input]!).sort()).toEqual(['bytes', 'event', 'pid', 'program', 't', 'to', 'v']);
    } finally {
      await t.stop();
    }
  });
});
