/**
 * The gate's replay mode (`uniqueIds`, what `connwatch replay` uses): no set of delivered ids,
 * and ids hashed only for alerts that are recorded; with `localIds` (replay printing texts, where
 * no id is shown) not hashed at all. It must record exactly what the default gate
 * records (same alerts, same ids, same updates in the same order) over every real capture, each
 * replayed alone, all of the sshd ones together and all of them together (many connections,
 * repeats, joins), with the same duplicates dropped.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert, Sink } from '../../agent/alert.js';
import { VirtualClock } from '../../agent/correlate/clock.js';
import { Pipeline } from '../../agent/pipeline.js';
import { replayFiles } from '../../agent/replay.js';
import { RuleRunner } from '../../agent/rules/runner.js';
import { AlertGate } from '../../agent/sinks/gate.js';
import { captureFiles } from '../catalog/captures.js';
import { FIXTURES } from '../helpers/cli.js';
import { builtinRules } from '../rules/builtin/run.js';

async function deliveries(files: string[], uniqueIds: boolean, localIds = false): Promise<{ got: Alert[]; duplicates: number }> {
  const got: Alert[] = [];
  const sink: Sink = { name: 'collect', deliver: (a) => void got.push(structuredClone(a)) };
  const gate = new AlertGate({ record: [sink], uniqueIds, localIds });
  const pipeline = new Pipeline({ runner: new RuleRunner(builtinRules().rules, new VirtualClock(0)), gate });
  await replayFiles(files, pipeline, { startTime: Date.UTC(2026, 10, 21, 12) });
  return { got, duplicates: gate.counts.duplicates };
}

describe('AlertGate uniqueIds (replay)', () => {
  it('records what the default gate records, capture by capture and all sshd logs together', async () => {
    const files = captureFiles(FIXTURES);
    expect(files.length).toBeGreaterThan(100);
    let alerts = 0;
    for (const f of files) {
      const [a, b] = [await deliveries([f], false), await deliveries([f], true)];
      expect(b.got, f).toEqual(a.got);
      expect(b.duplicates, f).toBe(a.duplicates);
      alerts += a.got.length;
    }
    expect(alerts).toBeGreaterThan(40);
    const sshd = files.filter((f) => f.startsWith(join(FIXTURES, 'sshd')));
    for (const set of [sshd, files]) {
      const [a, b, c] = [await deliveries(set, false), await deliveries(set, true), await deliveries(set, true, true)];
      expect(a.got.length).toBeGreaterThan(5);
      expect(b.got).toEqual(a.got);
      // localIds: the same records with other ids, which tell the alerts apart exactly as the hashed ones do
      expect(c.got.map((x) => ({ ...x, id: '' }))).toEqual(a.got.map((x) => ({ ...x, id: '' })));
      const same = (xs: Alert[]) => xs.map((x) => xs.findIndex((y) => y.id === x.id));
      expect(same(c.got)).toEqual(same(a.got));
      expect(c.got.every((x) => !/^[0-9a-f]{20}$/.test(x.id))).toBe(true);
    }
  });
});
