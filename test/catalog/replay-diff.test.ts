/**
 * Differential replay: every real capture under test/fixtures/, replayed alone through the
 * built-in rules, gives exactly the alerts recorded in replay-baseline.json (recorded with
 * `npx tsx tools/catalog-replay.ts --write-baseline` on main before the catalog work), except the
 * alerts listed in CHANGED: new rules that fire on purpose, with the alerts they take over.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/cli.js';
import { captureFiles, replayCapture } from './captures.js';

const BASELINE = JSON.parse(readFileSync(new URL('replay-baseline.json', import.meta.url), 'utf8')) as Record<string, string[]>;

/** file → alerts a new rule adds on purpose, and the ones it replaces (same form as the baseline's). */
const CHANGED: Record<string, { add: string[]; remove: string[]; why: string }> = {
  'sshd/captured/sshd-E-integration.log': {
    why:
      'a client offering only diffie-hellman-group14-sha256 now gets sshd.kex.ffdh-only-client (issue 18) instead of the generic rule; the generic rule is then no longer throttled for the same address and reports the next connection (c9, a cipher mismatch) on its own',
    add: ['sshd.kex.ffdh-only-client c8 127.0.0.1:52836 -', 'sshd.kex.no-common-algorithm c9 127.0.0.1:52850 -'],
    // and (issue 17) sshd 8.x+ logs two lines for one invalid banner; only the one naming the
    // address alerts now, so that attempt is one alert, not two
    remove: ['sshd.kex.no-common-algorithm c8 127.0.0.1:52836 -', 'sshd.ident.invalid sshd| -:- -'],
  },
  'plink/04-plink-new-hostkey-prompt__a-nobatch-silent-stdin-pipe/client.sshlog': {
    why: 'the -sshlog file of the founding hang stops at the host-key fingerprint: plink.sshlog.hostkey-hang (issue 21) reports it from the log file alone, as on Windows where nothing else is seen',
    add: ['plink.sshlog.hostkey-hang c1 127.0.0.1:2201 -'],
    remove: [],
  },
};

describe('replay of every real capture', () => {
  const files = captureFiles(FIXTURES);
  it('covers the files of the baseline', () => {
    expect(files.length).toBeGreaterThan(100);
  });
  it('gives the alerts it gave before, plus the ones added on purpose', async () => {
    const diffs: string[] = [];
    for (const f of files) {
      const r = await replayCapture(FIXTURES, f);
      const change = CHANGED[r.file];
      const want = [...(BASELINE[r.file] ?? []).filter((a) => !change?.remove.includes(a)), ...(change?.add ?? [])].sort();
      if (JSON.stringify(r.alerts) !== JSON.stringify(want)) diffs.push(`${r.file}\n  got  ${JSON.stringify(r.alerts)}\n  want ${JSON.stringify(want)}`);
    }
    expect(diffs).toEqual([]);
  });
});
