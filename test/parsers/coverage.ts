/**
 * Pattern coverage for parser sample files (fail2ban's "Regex has no samples" check): every
 * pattern id a parser declares in `spec.patterns` must have been produced by at least one sample,
 * and every pattern id the samples produced must be declared. Reusable by every parser's test:
 *
 *   const { results, patterns } = runSamples(readSamples(file));
 *   assertEveryPatternHasSample(sshd, patterns);
 */
import { expect } from 'vitest';
import type { ParserSpec } from '../../agent/parsers/types.js';

/** Pattern ids declared by the parser but hit by no sample. */
export function patternsWithoutSample(spec: ParserSpec, patternsHit: Iterable<string>): string[] {
  const hit = new Set(patternsHit);
  return spec.patterns.filter((id) => !hit.has(id));
}

/** Fails (through vitest's expect) when a declared pattern has no sample or a sample hit an undeclared pattern. */
export function assertEveryPatternHasSample(spec: ParserSpec, patternsHit: Iterable<string>): void {
  const hit = new Set(patternsHit);
  const declared = new Set(spec.patterns);
  const ownPrefix = `${spec.program}.`;
  const undeclared = [...hit].filter((id) => id.startsWith(ownPrefix) && !declared.has(id)).sort();
  expect(patternsWithoutSample(spec, hit), `${spec.program}: patterns without a sample (add one to test/parsers/${spec.program}.samples.log)`).toEqual([]);
  expect(undeclared, `${spec.program}: samples hit pattern ids missing from spec.patterns`).toEqual([]);
}
