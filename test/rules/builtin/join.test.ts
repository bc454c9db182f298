/**
 * Client ↔ server join: when plink's failure and sshd's line for the same attempt are both seen,
 * ONE alert names both sides. Replay (gate foldMs 0, held on event time) and live (foldMs > 0:
 * recorded and shown at once, the merge recorded and shown as an update of the same id) give the
 * same alert.
 * The sshd lines are the real wording quoted from test/parsers/sshd.samples.log and the real
 * `sshd -e` capture of scenario 02 (no timestamps, like the plink transcript: both are read at the
 * replay's start time, so they fall in one join window).
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../agent/alert.js';
import { VirtualClock } from '../../../agent/correlate/clock.js';
import { Pipeline } from '../../../agent/pipeline.js';
import { replayFiles } from '../../../agent/replay.js';
import { RuleRunner } from '../../../agent/rules/runner.js';
import { hostsCompatible } from '../../../agent/correlate/join.js';
import { AlertGate } from '../../../agent/sinks/gate.js';
import { NoticeBoard } from '../../../agent/sinks/notices.js';
import { FIXTURES, waitFor } from '../../helpers/cli.js';
import type { Event } from '../../../agent/event.js';
import { builtinRules, Collect, replayBuiltin, sampleLog } from './run.js';
import { join } from 'node:path';

const GEX_FAIL = 'incidents/plink-0.60-gex-fail-openssh-7.2.txt';

describe('join: plink and sshd report one failed attempt as one alert', () => {
  it('plink "expected key exchange group packet" + sshd "kex protocol error: type 30" → one plink.kex.gex-old-client alert naming both', async () => {
    const sshd = sampleLog('sshd', ['error: kex protocol error: type 30 seq 1 [preauth]']);
    const { alerts } = await replayBuiltin([GEX_FAIL, sshd]);
    expect(alerts.map((a) => a.rule)).toEqual(['plink.kex.gex-old-client']);
    const [a] = alerts as [Alert];
    expect(a.message).toContain('The server logged the same attempt (sshd');
    expect(a.message).toContain('kex protocol error: type 30 seq 1');
    expect(a.remedy).toContain('Server side (sshd.kex.protocol-error)');
    expect(a.evidence.map((e) => e.text)).toEqual(['expected key exchange group packet from server', 'error: kex protocol error: type 30 seq 1 [preauth]']);
  });

  it('the same with the files in the other order: the server line first, still the client\'s alert', async () => {
    const sshd = sampleLog('sshd', ['error: kex protocol error: type 30 seq 1 [preauth]']);
    const { alerts } = await replayBuiltin([sshd, GEX_FAIL]);
    expect(alerts.map((a) => a.rule)).toEqual(['plink.kex.gex-old-client']);
    expect(alerts[0]!.message).toContain('kex protocol error: type 30');
  });

  it('plink "does not correspond to any supported algorithm" + sshd "Unable to negotiate ... Their offer" → one alert with the offer', async () => {
    // Real lines of both programs on 127.0.0.1 (sshd's from its bare -e output); both untimed, so one window.
    const sshd = sampleLog('sshd', [
      'Unable to negotiate with 127.0.0.1 port 52836: no matching key exchange method found. Their offer: diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com [preauth]',
    ]);
    const { alerts } = await replayBuiltin(['plink/02-plink-kex-mismatch__a-server-only-sntrup761x25519-sha512-batch/client.stderr', sshd]);
    expect(alerts.map((a) => a.rule)).toEqual(['plink.kex.no-common-algorithm']);
    expect(alerts[0]!.message).toContain('Their offer: diffie-hellman-group14-sha256');
    expect(alerts[0]!.message).toContain('client 127.0.0.1');
  });

  it('alerts too far apart on event time stay two alerts', async () => {
    // The syslog line carries its own time (a July night), far from the transcript's replay time.
    const sshd = sampleLog('sshd', ['Jul 13 21:35:51 ksenon sshd[14255]: error: Hm, kex protocol error: type 30 seq 1 [preauth]']);
    const { alerts } = await replayBuiltin([GEX_FAIL, sshd]);
    expect(alerts.map((a) => a.rule).sort()).toEqual(['plink.kex.gex-old-client', 'sshd.kex.protocol-error']);
  });

  it('hosts: same address, both loopback, the server\'s own address, or unknown are compatible; two other addresses are not', () => {
    const ev = (host: string | undefined, detail: Record<string, string> = {}): Event =>
      ({ time: 0, timeFrom: 'line', program: 'plink', kind: 'kex.failed', detail, raw: { text: '', source: 't' }, ...(host ? { host } : {}) }) as Event;
    expect(hostsCompatible(ev('127.0.0.1'), ev('::1'))).toBe(true);
    expect(hostsCompatible(ev('192.168.56.10'), ev('192.168.56.10'))).toBe(true);
    expect(hostsCompatible(ev('192.168.56.10'), ev('192.168.56.1', { local: '192.168.56.10' }))).toBe(true);
    expect(hostsCompatible(ev(undefined), ev('203.0.113.5'))).toBe(true);
    expect(hostsCompatible(ev('192.168.56.10'), ev('203.0.113.5'))).toBe(false);
  });
});

describe('join: live gate (foldMs > 0)', () => {
  it('records and notifies the first alert at once, then records and notifies the merge under the same id', async () => {
    const record = new Collect();
    const notify = new Collect();
    const gate = new AlertGate({ record: [record], board: new NoticeBoard({ sinks: [notify], updateMs: 50 }), foldMs: 50 });
    const pipeline = new Pipeline({ runner: new RuleRunner(builtinRules().rules, new VirtualClock(0)), gate });
    const sshd = sampleLog('sshd', ['error: kex protocol error: type 30 seq 1 [preauth]']);
    const start = Date.UTC(2026, 10, 21, 12);
    // the client's failure first, notified on its own; the server's line comes after it was shown
    await replayFiles([join(FIXTURES, GEX_FAIL)], pipeline, { startTime: start });
    await waitFor(() => notify.deliveries.length > 0, 20_000, 'the first notification');
    await replayFiles([sshd], pipeline, { startTime: start });
    await pipeline.flush();
    // one notification: shown with plink's line, then replaced (same id) once the server's line merged in
    expect(notify.deliveries.map((a) => a.rule)).toEqual(['plink.kex.gex-old-client', 'plink.kex.gex-old-client']);
    expect(new Set(notify.deliveries.map((a) => a.id)).size).toBe(1);
    expect(notify.deliveries[0]!.message).not.toContain('kex protocol error: type 30');
    expect(notify.deliveries[1]!.message).toContain('kex protocol error: type 30');
    // history: the plink alert, then the same id again with the server's line merged in
    expect(record.deliveries.map((a) => [a.rule, a.evidence.length])).toEqual([
      ['plink.kex.gex-old-client', 1],
      ['plink.kex.gex-old-client', 2],
    ]);
    expect(new Set(record.deliveries.map((a) => a.id)).size).toBe(1);
    expect(gate.counts.joined).toBe(1);
  });
});
