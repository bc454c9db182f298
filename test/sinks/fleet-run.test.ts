/**
 * `connwatch run` end to end with the fleet outputs: the built binary watches the incident
 * transcripts (--from-start) with `--forward` to a real rsyslog and to an OTLP receiver and
 * `"forward"` in config.json, writes the NDJSON stream under the state directory, beats
 * (--heartbeat 1s), and refuses a bad forwarding URL with a message naming it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetRecord } from '../../agent/sinks/ecs.js';
import { resolveConfig, type ConfigInput } from '../../agent/config/config.js';
import { paths } from '../../agent/config/paths.js';
import { ROOT, runCli, startCli, waitFor } from '../helpers/cli.js';
import { RSYSLOGD, Rsyslog } from '../helpers/rsyslog.js';
import { INCIDENTS, streamValidator } from './fleet-helpers.js';

const validate = streamValidator();
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function home(): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cw-fleet-run-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'c'), XDG_STATE_HOME: join(dir, 's') };
  delete env.JOURNAL_STREAM;
  return { env, dir };
}

const readStream = (path: string): FleetRecord[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as FleetRecord)
    : [];

describe.skipIf(!RSYSLOGD)('connwatch run --forward', () => {
  it('streams, forwards to rsyslog (--forward) and OTLP (config.json), and beats', async () => {
    const rs = await Rsyslog.start();
    cleanup.push(() => rs.stop());
    const bodies: string[] = [];
    const server: Server = createServer((req, res) => {
      let t = '';
      req.on('data', (c: Buffer) => (t += c.toString()));
      req.on('end', () => {
        bodies.push(t);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as { port: number };
    const { env, dir } = home();
    mkdirSync(join(dir, 'c', 'connwatch'), { recursive: true });
    writeFileSync(join(dir, 'c', 'connwatch', 'config.json'), JSON.stringify({ forward: [`otlp+http://127.0.0.1:${port}/v1/logs`] }));
    const agent = startCli(
      ['run', '--no-defaults', '--no-notify', '--from-start', '--heartbeat', '1s', '--forward', `syslog+tcp://127.0.0.1:${rs.port}`, '--watch', join(INCIDENTS, 'plink-0.67-hostkey-changed-hang.txt'), '--watch', join(INCIDENTS, 'plink-0.60-gex-fail-openssh-7.2.txt')],
      env,
    );
    cleanup.push(() => agent.stop());
    await waitFor(() => agent.output().includes('connwatch running'), 30_000, 'agent start');
    expect(agent.output()).toMatch(/alert stream and forwarding: stream, otlp\+http:\/\/127\.0\.0\.1:\d+\/v1\/logs, syslog\+tcp:/);
    const stream = join(dir, 's', 'connwatch', 'alerts.ndjson');
    await waitFor(() => readStream(stream).filter((r) => r.event.kind === 'alert').length >= 2 && readStream(stream).filter((r) => r.event.kind === 'state').length >= 2, 30_000, 'alerts and two heartbeats in the stream');
    expect(await agent.stop()).toBe(0);
    const recs = readStream(stream);
    for (const r of recs) expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    const alerts = recs.filter((r) => r.event.kind === 'alert');
    expect(alerts.map((r) => r.rule!.id)).toContain('plink.hostkey.changed');
    // every record reached both receivers, in order
    const viaSyslog = (await rs.waitFor(recs.length)).map((m) => Number(m['rfc5424-sd']!['connwatch@32473']!.seq));
    expect(viaSyslog).toEqual(recs.map((r) => r.event.sequence));
    const viaOtlp = bodies.flatMap((b) =>
      (JSON.parse(b) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ attributes: Array<{ key: string; value: { intValue?: string } }> }> }> }> }).resourceLogs.flatMap((rl) =>
        rl.scopeLogs.flatMap((s) => s.logRecords.map((lr) => Number(lr.attributes.find((a) => a.key === 'event.sequence')!.value.intValue))),
      ),
    );
    expect(viaOtlp).toEqual(recs.map((r) => r.event.sequence));
    const beat = recs.find((r) => r.event.kind === 'state')!;
    expect(beat.connwatch.heartbeat!.forward!.map((f) => f.url)).toEqual([`otlp+http://127.0.0.1:${port}/v1/logs`, `syslog+tcp://127.0.0.1:${rs.port}`]);
  });
});

describe('forwarding URLs in the configuration', () => {
  it('accepts the config.json example of docs/fleet.md', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'fleet.md'), 'utf8');
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as ConfigInput);
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) expect(resolveConfig(b, paths({ HOME: '/nonexistent' })).forward).toEqual(b.forward);
  });

  it('refuses a bad URL in config.json, naming the file, the field and the reason', async () => {
    const { env, dir } = home();
    mkdirSync(join(dir, 'c', 'connwatch'), { recursive: true });
    writeFileSync(join(dir, 'c', 'connwatch', 'config.json'), JSON.stringify({ forward: ['syslog+tcp://logs.example'] }));
    const r = await runCli(['run', '--no-defaults', '--no-notify'], { env, timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/config\.json: "forward\[0\]" "syslog\+tcp:\/\/logs\.example": names no port/);
  });

  it('refuses a bad --forward URL', async () => {
    const { env } = home();
    const r = await runCli(['run', '--no-defaults', '--no-notify', '--forward', 'kafka://x:1'], { env, timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('forward URL "kafka://x:1": scheme "kafka" is not supported');
  });
});
