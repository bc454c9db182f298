/**
 * The model-based stress test against the live agent (issue 19), one fixed seed per rotation
 * mode: random appends, lines written in two pieces, rotations and kill -9 + restart, then the
 * alerts recorded compared with the lines written. 0 lost and 0 duplicated in every mode; lines
 * that no file holds any more (truncated or deleted before they were read) are counted and named,
 * not failed (copytruncate: only the lines written between the copy and the truncation, which no
 * file holds). The longer soak is `npm run bench` (BENCH_CASES=soak). See bench/stress-model.ts.
 */
import { describe, expect, it } from 'vitest';
import { BIN, assertBuilt } from '../helpers/cli.js';
import { ROTATION_MODES, runStress } from '../../bench/stress-model.js';

const SEED = Number(process.env.CONNWATCH_STRESS_SEED ?? 20261205);

describe('the live agent under random appends, rotations and kill -9', () => {
  for (const mode of ROTATION_MODES) {
    it(`${mode}: nothing lost, nothing recorded twice`, async () => {
      assertBuilt();
      const r = await runStress({ cli: BIN, mode, seed: SEED, steps: 120, killRate: 0.04, rotateRate: 0.06, log: (m) => console.log(m) });
      const where = `seed ${SEED}; agent log tail:\n${r.agentLog.slice(-3000)}`;
      expect(r.written).toBeGreaterThan(500);
      expect(r.kills).toBeGreaterThan(0);
      expect(r.rotations).toBeGreaterThan(0);
      expect(r.lost, `lost (still on disk): ${where}`).toEqual([]);
      expect(r.duplicated, `recorded twice: ${where}`).toEqual([]);
      if (mode === 'rename' || mode === 'symlink') expect(r.gone).toEqual([]);
      // copytruncate: only lines written between the copy and the truncation can be gone (in neither file)
      if (mode === 'copytruncate') expect(r.gone.length).toBeLessThanOrEqual(r.windowLines);
    }, 60_000);
  }
});
