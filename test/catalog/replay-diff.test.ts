/**
 * Differential replay: every real capture under test/fixtures/, replayed alone through the
 * built-in rules, gives exactly the alerts recorded in replay-baseline.json (recorded with
 * `npx tsx tools/catalog-replay.ts --write-baseline` on main before the catalog work), except the
 * alerts listed in ADDED: new rules that fire on purpose.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/cli.js';
import { captureFiles, replayCapture } from './captures.js';

const BASELINE = JSON.parse(readFileSync(new URL('replay-baseline.json', import.meta.url), 'utf8')) as Record<string, string[]>;

/** file → alerts a new rule adds on purpose (same form as the baseline's). */
const ADDED: Record<string, string[]> = {};

describe('replay of every real capture', () => {
  const files = captureFiles(FIXTURES);
  it('covers the files of the baseline', () => {
    expect(files.length).toBeGreaterThan(100);
  });
  it('gives the alerts it gave before, plus the ones added on purpose', async () => {
    const diffs: string[] = [];
    for (const f of files) {
      const r = await replayCapture(FIXTURES, f);
      const want = [...(BASELINE[r.file] ?? []), ...(ADDED[r.file] ?? [])].sort();
      if (JSON.stringify(r.alerts) !== JSON.stringify(want)) diffs.push(`${r.file}\n  got  ${JSON.stringify(r.alerts)}\n  want ${JSON.stringify(want)}`);
    }
    expect(diffs).toEqual([]);
  });
});
