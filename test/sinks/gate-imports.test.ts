/**
 * The gate decides on alerts and nothing else: it imports the alert types and the bounded maps,
 * never the rules (rendering, ids), the correlation (joins, keys) or the program registry. What
 * it needs of those comes on the AlertOffer the join stage hands it (correlate/joins.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ONE_ATTEMPT_PER_RUN, PROGRAM_ENTRIES } from '../../agent/programs.js';

describe('gate boundaries', () => {
  it('agent/sinks/gate.ts imports only alert.ts and recent.ts', () => {
    const src = readFileSync(new URL('../../agent/sinks/gate.ts', import.meta.url), 'utf8');
    const from = [...src.matchAll(/^import\b[^;]*?from '([^']+)';/gms)].map((m) => m[1]).sort();
    expect(from).toEqual(['../alert.js', '../recent.js']);
  });

  it('the clients counted per run come from the program registry: every client but Remmina', () => {
    const clients = PROGRAM_ENTRIES.filter((e) => e.role === 'client').map((e) => e.program);
    expect([...ONE_ATTEMPT_PER_RUN].sort()).toEqual(clients.filter((p) => p !== 'remmina').sort());
    expect(ONE_ATTEMPT_PER_RUN.has('remmina')).toBe(false);
  });
});
