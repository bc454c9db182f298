/**
 * rules/ssh-client.json against real lines, through the built binary (`connwatch replay --json`):
 * the real 09-openssh-client captures (test/fixtures/ssh/, copied byte for byte) and lines quoted
 * from test/parsers/ssh.samples.log (catalogued wording, checked to be in that file, so no case can
 * use an invented line). Each case expects EXACTLY the listed rule ids; the successful capture
 * raises nothing of severity warning or above. Needs `npm run build` (npm test does it).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SEVERITIES, type Severity } from '../../agent/event.js';
import { FIXTURES, jsonLines, runCli } from '../helpers/cli.js';

const SAMPLES = join(FIXTURES, '..', 'parsers', 'ssh.samples.log');
const tmp = mkdtempSync(join(tmpdir(), 'connwatch-ssh-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Case {
  name: string;
  /** Files under test/fixtures, replayed together. */
  files?: string[];
  /** Or lines quoted from ssh.samples.log; `partial`: the last one waits without a newline (a prompt). */
  samples?: { lines: string[]; partial?: boolean };
  expect: string[];
}

const F = (scenario: string, file = 'client.stderr'): string => `ssh/${scenario}/${file}`;

/** The case table (the same shape as test/rules/builtin/cases.test.ts uses). */
export const SSH_CLIENT_CASES: Case[] = [
  // ---- real captures (OpenSSH 9.2p1)
  { name: 'ssh -o KexAlgorithms=diffie-hellman-group1-sha1 against a default sshd', files: [F('e-kex-mismatch-client-group1-only')], expect: ['ssh.kex.no-common-algorithm'] },
  {
    name: 'the same, client and server logs together (the server alert joins the client one)',
    files: [F('e-kex-mismatch-client-group1-only'), F('e-kex-mismatch-client-group1-only', 'sshd.log')],
    expect: ['ssh.kex.no-common-algorithm'],
  },
  { name: 'changed host key, BatchMode', files: [F('k-changed-hostkey')], expect: ['ssh.hostkey.changed'] },
  { name: 'nothing listening on the port', files: [F('l-connection-refused')], expect: ['ssh.network.refused'] },
  { name: 'three wrong passwords through SSH_ASKPASS', files: [F('c-wrong-password-askpass')], expect: ['ssh.auth.permission-denied'] },
  // ---- catalogued wording (ssh.samples.log)
  {
    name: 'first connection, ssh waits at the host-key question',
    samples: {
      lines: [
        'debug1: Connecting to vm.example [192.168.56.10] port 22.',
        "The authenticity of host 'vm.example (192.168.56.10)' can't be established.",
        'ED25519 key fingerprint is SHA256:VbV5t/i+GvIIf1PxZa2cS/E/r+O4XVIHd/ULyOg+YLs.',
        'This key is not known by any other names.',
        'Are you sure you want to continue connecting (yes/no/[fingerprint])? ',
      ],
      partial: true,
    },
    expect: ['ssh.hostkey.prompt-hang'],
  },
  {
    name: 'the question answered: no hang',
    samples: {
      lines: [
        "The authenticity of host 'vm.example (192.168.56.10)' can't be established.",
        'Are you sure you want to continue connecting (yes/no/[fingerprint])? yes',
        "Warning: Permanently added 'vm.example' (ED25519) to the list of known hosts.",
      ],
    },
    expect: [],
  },
  {
    name: 'BatchMode and an unknown host key',
    samples: { lines: ['No ED25519 host key is known for [127.0.0.1]:2201 and you have requested strict checking.', 'Host key verification failed.'] },
    expect: ['ssh.hostkey.verification-failed'],
  },
  {
    name: 'a changed key with StrictHostKeyChecking=no (7.x wording): ssh goes on without passwords',
    samples: {
      lines: [
        '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
        'The fingerprint for the ECDSA key sent by the remote host is',
        'SHA256:q3H0pJ8nTf1cY1vXn1xk8h4vYV1l0yXoGmA0aXb2c3d.',
        'Offending ECDSA key in /home/alice/.ssh/known_hosts:3',
        'Password authentication is disabled to avoid man-in-the-middle attacks.',
      ],
    },
    expect: ['ssh.hostkey.changed'],
  },
  { name: 'connect timed out', samples: { lines: ['ssh: connect to host 192.0.2.10 port 22: Connection timed out'] }, expect: ['ssh.network.unreachable'] },
  { name: 'no route to host', samples: { lines: ['ssh: connect to host 10.1.2.3 port 22: No route to host'] }, expect: ['ssh.network.unreachable'] },
  { name: 'unknown host name', samples: { lines: ['ssh: Could not resolve hostname vm: Name or service not known'] }, expect: ['ssh.network.dns'] },
  {
    name: 'the server closes before the version exchange',
    samples: { lines: ['kex_exchange_identification: Connection closed by remote host', 'Connection closed by 192.168.56.10 port 22'] },
    expect: ['ssh.network.closed-early'],
  },
  { name: 'ssh waits at a password prompt', samples: { lines: ["alice@vm.example's password: "], partial: true }, expect: ['ssh.auth.prompt-hang'] },
  {
    name: 'the server only offers ssh-rsa host keys',
    samples: { lines: ['Unable to negotiate with 192.0.2.10 port 22: no matching host key type found. Their offer: ssh-rsa,ssh-dss'] },
    expect: ['ssh.kex.no-common-algorithm'],
  },
  { name: 'old wording of permission denied', samples: { lines: ['Permission denied (publickey).'] }, expect: ['ssh.auth.permission-denied'] },
];

const SUCCESSES: string[][] = [[F('a-success-publickey')], [F('a-success-publickey'), F('a-success-publickey', 'sshd.log')], [F('a-success-publickey', 'auth.log.syslog')]];

let n = 0;
function sampleFile(lines: readonly string[], partial: boolean): string {
  const known = new Set(readFileSync(SAMPLES, 'utf8').split('\n'));
  for (const l of lines) if (!known.has(l)) throw new Error(`not a line of test/parsers/ssh.samples.log: ${JSON.stringify(l)}`);
  const file = join(tmp, `case-${++n}.log`);
  writeFileSync(file, lines.join('\n') + (partial ? '' : '\n'));
  return file;
}

async function replay(files: string[], program?: string): Promise<Array<Record<string, unknown>>> {
  const r = await runCli(['replay', '--json', ...(program ? ['--program', program] : []), ...files]);
  expect(r.code, r.stderr).toBe(0);
  return jsonLines(r.stdout);
}

const ids = (alerts: Array<Record<string, unknown>>): string[] => [...new Set(alerts.map((a) => String(a.rule)))].sort();

describe('rules/ssh-client.json on real lines', () => {
  it('validates', async () => {
    const r = await runCli(['rules', 'validate', join(FIXTURES, '..', '..', 'rules', 'ssh-client.json')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  for (const c of SSH_CLIENT_CASES) {
    it(`${c.name} → ${c.expect.join(', ') || 'nothing'}`, async () => {
      const alerts = c.files
        ? await replay(c.files.map((f) => join(FIXTURES, f)))
        : await replay([sampleFile(c.samples!.lines, c.samples!.partial === true)], 'ssh');
      expect(ids(alerts)).toEqual([...c.expect].sort());
    }, 60_000);
  }

  it('the changed-host-key alert names the new fingerprint and the exact ssh-keygen -R command', async () => {
    const [a] = await replay([join(FIXTURES, F('k-changed-hostkey'))]);
    expect(a!.message).toContain('SHA256:i/C+k2qihoMDbCs+OLmbESulExSwIFiUoHy4SafmRBA');
    expect(a!.remedy).toContain(`ssh-keygen -f './known_hosts' -R '[127.0.0.1]:2209'`);
    expect(a!.severity).toBe('error');
    expect(a!.category).toBe('hostkey');
  }, 60_000);

  it('the no-common-algorithm alert quotes the server offer and the option to change', async () => {
    const [a] = await replay([join(FIXTURES, F('e-kex-mismatch-client-group1-only'))]);
    expect(a!.message).toContain('The server offered: sntrup761x25519-sha512,');
    expect(a!.remedy).toContain('-o KexAlgorithms=+ALGORITHM');
  }, 60_000);

  for (const files of SUCCESSES) {
    it(`a successful connection raises nothing of severity warning or above: ${files.join(' + ')}`, async () => {
      const alerts = await replay(files.map((f) => join(FIXTURES, f)));
      const loud = alerts.filter((a) => SEVERITIES.indexOf(a.severity as Severity) >= SEVERITIES.indexOf('warning'));
      expect(loud.map((a) => `${String(a.rule)}: ${String(a.message)}`)).toEqual([]);
    }, 60_000);
  }
});
