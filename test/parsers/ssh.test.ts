/**
 * The ssh client parser on its samples (real OpenSSH 9.2p1 output plus the catalogued wording of
 * 7.x–10.x): every sample gives exactly its expected events, every pattern has a sample, and every
 * line of every copied 09-openssh-client capture (client stderr and stdout, sshd's log, the syslog)
 * is understood: 0 unknown.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Event, Program } from '../../agent/event.js';
import { ssh } from '../../agent/parsers/ssh.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { FIXTURES } from '../helpers/cli.js';
import { readSamples } from '../helpers/samples.js';
import { checkSamples } from './coverage.js';

const SAMPLES = join(FIXTURES, '..', 'parsers', 'ssh.samples.log');
const CAPTURES = join(FIXTURES, 'ssh');

/**
 * Written by the capture script, not by sshd (commands.sh: `echo "(no sshd for this scenario)" >
 * sshd.log` when no server ran); kept byte for byte, excluded from the count by its exact text.
 */
const NOT_PROGRAM_OUTPUT = new Set(['(no sshd for this scenario)']);

/** Every line of a file through one router, as `connwatch replay` reads it (a last line without newline is partial). */
function routeFile(file: string, options: { program?: Program; stream?: 'stdout' } = {}): Array<{ line: string; events: Event[] }> {
  const router = new LineRouter(options.program ? { program: options.program } : {});
  const parts = readFileSync(file, 'utf8').split('\n');
  const last = parts.pop()!;
  const all = parts.map((t) => ({ t: t.replace(/\r$/, ''), partial: false }));
  if (last) all.push({ t: last, partial: true });
  const out = all.map((l, i) => ({
    line: l.t,
    events: router.route({ sourceId: file, text: l.t, receivedAt: 0, position: { source: file, line: i + 1 }, partial: l.partial, ...(options.stream ? { stream: options.stream } : {}) }),
  }));
  const end = router.end();
  if (end.length) out.push({ line: '(end of input)', events: end });
  return out;
}

describe('ssh client parser', () => {
  checkSamples(ssh, readSamples(SAMPLES), 301);

  it('understands every line of every 09-openssh-client capture: 0 unknown', () => {
    const unknown: string[] = [];
    let lines = 0;
    const kinds = new Map<string, number>();
    for (const scenario of readdirSync(CAPTURES)) {
      const dir = join(CAPTURES, scenario);
      const files: Array<[string, { program?: Program; stream?: 'stdout' }]> = [
        ['client.stderr', { program: 'ssh' }],
        ['client.stdout', { program: 'ssh', stream: 'stdout' }],
        ['sshd.log', { program: 'sshd' }],
        ['auth.log.syslog', {}],
      ];
      for (const [name, options] of files) {
        for (const { line, events } of routeFile(join(dir, name), options)) {
          if (NOT_PROGRAM_OUTPUT.has(line)) continue;
          lines++;
          if (events.length === 0) unknown.push(`${scenario}/${name}: no event: ${line}`);
          for (const e of events) {
            kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
            if (e.kind === 'unknown') unknown.push(`${scenario}/${name}: ${line}`);
          }
        }
      }
    }
    expect(unknown).toEqual([]);
    expect(lines).toBeGreaterThan(180);
    // The diagnostic kinds the five scenarios are about.
    for (const k of ['connect.start', 'connect.failed', 'kex.failed', 'hostkey.changed', 'connect.aborted', 'auth.failed', 'auth.no-methods', 'auth.success', 'session.ended']) {
      expect(kinds.get(k), k).toBeGreaterThan(0);
    }
  });

  it('recognises an ssh stderr file from its first line, and leaves the server its own lines', () => {
    expect(ssh.sniff('OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026\r')).toBe(1);
    expect(ssh.sniff('ssh: connect to host 127.0.0.1 port 2290: Connection refused')).toBe(1);
    expect(ssh.sniff('Unable to negotiate with 127.0.0.1 port 2201: no matching key exchange method found. Their offer: curve25519-sha256')).toBe(1);
    expect(ssh.sniff('Unable to negotiate with 127.0.0.1 port 52462: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]')).toBe(0);
    const router = new LineRouter();
    const [first] = router.route({ sourceId: 's', text: 'ssh: Could not resolve hostname vm: Name or service not known', receivedAt: 0, position: { source: 's' } });
    expect(first!.program).toBe('ssh');
    expect(first!.kind).toBe('connect.failed');
  });

  it('emits a held changed-host-key event at the end of input when the block was cut off', () => {
    const router = new LineRouter({ program: 'ssh' });
    const feed = (text: string): Event[] => router.route({ sourceId: 's', text, receivedAt: 0, position: { source: 's' } });
    feed('@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @');
    feed('The fingerprint for the ED25519 key sent by the remote host is');
    feed('SHA256:i/C+k2qihoMDbCs+OLmbESulExSwIFiUoHy4SafmRBA.');
    const end = router.end();
    expect(end.map((e) => e.kind)).toEqual(['hostkey.changed']);
    expect(end[0]!.detail).toMatchObject({ keyType: 'ED25519', fingerprint: 'SHA256:i/C+k2qihoMDbCs+OLmbESulExSwIFiUoHy4SafmRBA' });
  });
});

describe('ssh client parser: partial lines', () => {
  it('joins a partial line with its continuation', () => {
    const router = new LineRouter({ program: 'ssh' });
    const first = router.route({ sourceId: 's', text: 'Transferred: sent 3480, rec', receivedAt: 0, position: { source: 's' }, partial: true });
    expect(first).toEqual([]);
    const rest = router.route({ sourceId: 's', text: 'eived 3892 bytes, in 0.1 seconds', receivedAt: 0, position: { source: 's' }, continuation: true });
    expect(rest.map((e) => [e.kind, e.pattern, e.detail.received])).toEqual([['info', 'ssh.session.transferred', 3892]]);
  });

  it('reports a host-key prompt at once, and the answer typed after it', () => {
    const router = new LineRouter({ program: 'ssh' });
    const q = 'Are you sure you want to continue connecting (yes/no/[fingerprint])? ';
    const [p] = router.route({ sourceId: 's', text: q, receivedAt: 0, position: { source: 's' }, partial: true });
    expect(p).toMatchObject({ kind: 'prompt.hostkey', detail: { keyState: 'new' } });
    const a = router.route({ sourceId: 's', text: 'no', receivedAt: 0, position: { source: 's' }, continuation: true });
    expect(a.map((e) => [e.kind, e.detail.answer])).toEqual([['prompt.answered', 'no']]);
    const [f] = router.route({ sourceId: 's', text: 'Host key verification failed.', receivedAt: 0, position: { source: 's' } });
    expect(f).toMatchObject({ kind: 'connect.aborted', detail: { reason: 'hostkey', keyState: 'new' } });
  });
});
