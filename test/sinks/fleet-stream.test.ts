/**
 * The NDJSON alert stream: every record of every fixture replay validates against the published
 * schema (docs/alert-stream.schema.json); updates keep the alert's id with a higher sequence and
 * event.action alert.updated; the file rotates by rename; the heartbeat is a valid state record.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../agent/alert.js';
import { CATEGORIES, SEVERITIES } from '../../agent/event.js';
import { PROGRAMS } from '../../agent/programs.js';
import { ROOT } from '../helpers/cli.js';
import type { FleetRecord } from '../../agent/sinks/ecs.js';
import { FleetSink, newEmitter } from '../../agent/sinks/fleet.js';
import { Heartbeat } from '../../agent/sinks/heartbeat.js';
import { StreamFile } from '../../agent/sinks/stream.js';
import { fixtureReplays, replayInto, streamValidator } from './fleet-helpers.js';

const validate = streamValidator();
const readStream = (path: string): FleetRecord[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as FleetRecord);

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'a1',
    rule: 'plink.kex.no-common-algorithm',
    severity: 'error',
    category: 'negotiation',
    title: 'No common key exchange',
    message: 'plink and the server share no key exchange algorithm.',
    remedy: 'Upgrade PuTTY.',
    program: 'plink',
    host: '10.0.0.5',
    port: 22,
    user: 'ann',
    time: Date.UTC(2026, 0, 2, 3, 4, 5),
    key: 'plink:10.0.0.5',
    count: 1,
    evidence: [{ text: 'Couldn\'t agree a key exchange algorithm', source: '/tmp/x.log', line: 3 }],
    ...over,
  };
}

describe('alert stream', () => {
  it('validates every record of every fixture replay against the published schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-stream-'));
    const path = join(dir, 'alerts.ndjson');
    const stream = new StreamFile({ path });
    const fleet = new FleetSink([stream]);
    const replays = fixtureReplays();
    let alerts = 0;
    for (const files of replays) {
      // the alerts the gate raised: its hits less the repeats it counted into one (or not at all:
      // a second hit of the same attempt changes nothing, so no update is written for it)
      const { counts } = await replayInto(files, [fleet]);
      alerts += counts.alerts - counts.suppressed;
    }
    fleet.writeBuffered();
    const records = readStream(path);
    expect(replays.length).toBeGreaterThan(20);
    expect(alerts).toBeGreaterThan(20);
    // every alert is one line, and every update one more
    expect(records.length).toBeGreaterThanOrEqual(alerts);
    const failures = records.flatMap((r) => (validate(r) ? [] : [`${r.rule?.id}: ${JSON.stringify(validate.errors)}`]));
    expect(failures).toEqual([]);
    expect(records.map((r) => r.event.sequence)).toEqual(records.map((_, i) => i + 1));
    expect(new Set(records.filter((r) => r.event.action === 'alert.raised').map((r) => r.event.id)).size).toBe(records.filter((r) => r.event.action === 'alert.raised').length);
    // the replays have updates (repeats counted into a shown alert, client and server lines joined)
    expect(records.filter((r) => r.event.action === 'alert.updated').length).toBeGreaterThan(0);
    // the incident replays raise the rules they are about
    const rules = new Set(records.map((r) => r.rule?.id));
    expect([...rules].some((r) => r?.startsWith('plink.'))).toBe(true);
    expect([...rules].some((r) => r?.startsWith('sshd.'))).toBe(true);
  });

  it('marks an update of an alert with the same id, a higher sequence and alert.updated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-stream-'));
    const stream = new StreamFile({ path: join(dir, 's.ndjson') });
    const fleet = new FleetSink([stream]);
    fleet.deliver(alert());
    fleet.deliver(alert({ count: 3, severity: 'critical' }));
    fleet.deliver(alert({ id: 'a2', host: '192.0.2.9', program: 'sshd', rule: 'sshd.kex.protocol-error' }));
    // synchronous: nothing written until the event loop turns or flush()
    expect(readdirSync(dir)).toEqual([]);
    fleet.writeBuffered();
    const [a, b, c] = readStream(join(dir, 's.ndjson'));
    expect([a!.event.action, b!.event.action, c!.event.action]).toEqual(['alert.raised', 'alert.updated', 'alert.raised']);
    expect([a!.event.id, b!.event.id]).toEqual(['a1', 'a1']);
    expect(b!.event.sequence).toBe(a!.event.sequence + 1);
    expect(b!.connwatch.count).toBe(3);
    expect([b!.log.level, b!.event.severity]).toEqual(['critical', 2]);
    expect(a!.destination).toEqual({ address: '10.0.0.5', port: 22 });
    // sshd's far end is the client: ECS source
    expect(c!.source).toEqual({ address: '192.0.2.9', port: 22 });
    expect(c!.destination).toBeUndefined();
    for (const r of [a, b, c]) expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rotates by rename past maxBytes, keeping the newest files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-stream-'));
    const path = join(dir, 'alerts.ndjson');
    const stream = new StreamFile({ path, maxBytes: 4000, keep: 2 });
    const fleet = new FleetSink([stream]);
    for (let i = 0; i < 40; i++) {
      fleet.deliver(alert({ id: `x${i}` }));
      fleet.writeBuffered();
    }
    expect(readdirSync(dir).sort()).toEqual(['alerts.ndjson', 'alerts.ndjson.1', 'alerts.ndjson.2']);
    const all = [...readStream(`${path}.2`), ...readStream(`${path}.1`), ...readStream(path)].map((r) => r.event.sequence);
    // nothing lost between the kept files, the newest last
    expect(all.at(-1)).toBe(40);
    expect(all).toEqual(all.map((_, i) => all[0]! + i));
  });

  it('lists in the schema exactly the programs, categories and severities the code has', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'docs', 'alert-stream.schema.json'), 'utf8')) as {
      properties: { process: { properties: { name: { enum: string[] } } }; rule: { properties: { category: { enum: string[] } } } };
      $defs: { severity: { enum: string[] } };
    };
    expect(schema.properties.process.properties.name.enum).toEqual([...PROGRAMS]);
    expect(schema.properties.rule.properties.category.enum).toEqual(Object.keys(CATEGORIES));
    expect(schema.$defs.severity.enum).toEqual([...SEVERITIES]);
  });

  it('writes a heartbeat state record that validates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-stream-'));
    const stream = new StreamFile({ path: join(dir, 'h.ndjson') });
    const fleet = new FleetSink([stream], newEmitter('9.9.9'));
    let t = 1_000_000;
    const hb = new Heartbeat(fleet, () => ({ sources: [{ id: 'file:/var/log/auth.log', state: 'watching' }], counts: { lines: 10, alerts: 2 } }), 900_000, () => t);
    hb.beat();
    t += 61_000;
    const rec = hb.beat();
    fleet.writeBuffered();
    expect(validate(rec), JSON.stringify(validate.errors)).toBe(true);
    expect(rec.event.kind).toBe('state');
    expect(rec.connwatch.heartbeat).toMatchObject({ interval_s: 900, uptime_s: 61, counts: { alerts: 2 } });
    expect(rec.agent.version).toBe('9.9.9');
    expect(readStream(join(dir, 'h.ndjson'))).toHaveLength(2);
  });
});
