/**
 * --verbose-capture's plan and line gate. The plink lines are plink 0.78's own stderr with -v
 * against a real sshd 9.2 (a key login running `echo err >&2; exit 3`), copied from a run:
 * everything but the remote command's "err" and the FATAL line is Event Log.
 */
import { describe, expect, it } from 'vitest';
import { LineGate, verbosePlan } from '../../agent/sources/wrap-verbose.js';
import { sleep } from './helpers.js';

const PLINK_V = [
  'Looking up host "127.0.0.1" for SSH connection',
  'Connecting to 127.0.0.1 port 38087',
  'Connected to 127.0.0.1',
  'We claim version: SSH-2.0-PuTTY_Release_0.78',
  'Remote version: SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10',
  'Using SSH protocol version 2',
  'Enabling strict key exchange semantics',
  'Doing NTRU Prime / Curve25519 hybrid key exchange, using hash SHA-512 (unaccelerated)',
  'Host key fingerprint is:',
  'ssh-ed25519 255 SHA256:Gvu8WPZk5VpMON4c+b0jfNn1YVwRat1vgqoD87NUz7U',
  'Initialised AES-256 SDCTR (AES-NI accelerated) outbound encryption',
  'Reading key file "k.ppk"',
  'Using username "cwtest".\r',
  'Offered public key',
  'Offer of public key accepted',
  'Authenticating with public key "root@vm"\r',
  'Sent public key signature',
  'Access granted',
  'Opening main session channel',
  'Opened main channel',
  'Started a shell/command',
  'Session sent command exit status 3',
  'Main session channel closed',
  'All channels closed',
];
const KEPT = ['err', 'Access denied\r', 'FATAL ERROR: Configured password was not accepted', 'Connecting to the database failed', 'Unable to open connection:', 'Host does not exist'];

describe('verbosePlan', () => {
  it('plink: adds -v unless given, and hides exactly its Event Log lines', () => {
    const plan = verbosePlan('plink', ['plink', '-P', '22', 'h'], {})!;
    expect(plan.argv).toEqual(['plink', '-v', '-P', '22', 'h']);
    expect(plan.added).toEqual(['-v']);
    for (const l of PLINK_V) expect(plan.hides(l, false), l).toBe(true);
    for (const l of KEPT) expect(plan.hides(l, false), l).toBe(false);
    expect(verbosePlan('plink', ['plink', '-v', 'h'], {})).toBeUndefined();
  });

  it('xfreerdp: WLOG_LEVEL=DEBUG unless a level is given; hides DEBUG/TRACE records and their continuation lines', () => {
    const plan = verbosePlan('freerdp', ['xfreerdp', '/v:h'], { PATH: '/bin' })!;
    // and line-buffered through coreutils' libstdbuf (Debian: /usr/libexec/coreutils), so its DEBUG lines arrive live
    expect(plan.env).toEqual({ PATH: '/bin', WLOG_LEVEL: 'DEBUG', LD_PRELOAD: '/usr/libexec/coreutils/libstdbuf.so', _STDBUF_O: 'L' });
    expect(plan.hides('[18:44:01:736] [31486:31486] [DEBUG][com.freerdp.client.common] - This is Build configuration: X', false)).toBe(true);
    expect(plan.hides('Build type:          RelWithDebInfo', true)).toBe(true);
    expect(plan.hides('[18:44:05:712] [31486:31486] [ERROR][com.freerdp.core] - transport_connect_tls failed', true)).toBe(false);
    expect(plan.hides('[18:44:05:712] [31486:31486] [INFO][com.freerdp.client.x11] - Connecting', false)).toBe(false);
    expect(verbosePlan('freerdp', ['xfreerdp', '/log-level:TRACE'], {})).toBeUndefined();
    expect(verbosePlan('freerdp', ['xfreerdp'], { WLOG_LEVEL: 'WARN' })).toBeUndefined();
    expect(verbosePlan('rdesktop', ['rdesktop', 'h'], {})).toBeUndefined();
  });
});

describe('LineGate', () => {
  it('passes kept lines at once, drops hidden ones, passes a prompt after the hold', async () => {
    const late: string[] = [];
    const gate = new LineGate((l) => l.startsWith('Connected'), (b) => late.push(b.toString()), 50);
    expect(gate.push(Buffer.from('Connected to h\nerr\nConn')).toString()).toBe('err\n');
    expect(gate.push(Buffer.from('ected again\nStore key in cache? (y/n) ')).toString()).toBe('');
    expect(late).toEqual([]);
    await sleep(120);
    expect(late).toEqual(['Store key in cache? (y/n) ']);
  });

  it('holds a cut-off hidden record until its newline, and drops it at the end of the stream', async () => {
    const late: string[] = [];
    const gate = new LineGate((l) => /^\[\S+\] \[\S+\] \[DEBUG\]/.test(l), (b) => late.push(b.toString()), 30);
    expect(gate.push(Buffer.from('[18:49:36:636] [6835:6849] [DEBUG][com.freerdp.channels.c')).toString()).toBe('');
    await sleep(80);
    expect(late).toEqual([]);
    expect(gate.push(Buffer.from('liprdr] - loaded\n[18:49:37:001] [6835:6849] [DEBUG][x')).toString()).toBe('');
    gate.flush(true);
    expect(late).toEqual([]);
  });
});
