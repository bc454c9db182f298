/**
 * Pattern coverage for parser sample files (fail2ban's "Regex has no samples" check): every
 * pattern id a parser declares in `spec.patterns` must have been produced by at least one sample,
 * and every pattern id the samples produced must be declared. Every parser's test runs both checks
 * on its sample file with:
 *
 *   checkSamples(sshd, readSamples(file), 151);   // inside its describe()
 */
import { expect, it } from 'vitest';
import type { ParserSpec } from '../../agent/parsers/types.js';
import { runSamples, type SampleFile } from '../helpers/samples.js';

/**
 * The two checks of a parser's sample file, as two tests: every sample line gives exactly the
 * events written above it (and the file has at least `atLeast` sample lines), and every pattern
 * has a sample (assertEveryPatternHasSample).
 */
export function checkSamples(spec: ParserSpec, file: SampleFile, atLeast: number): void {
  const { results, patterns } = runSamples(file);
  it('gives every sample line the events written above it', () => {
    const bad = results.filter((r) => r.problems.length).map((r) => `line ${r.sample.lineNo}: ${r.sample.text}\n  ${r.problems.join('\n  ')}`);
    expect(bad).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(atLeast);
  });
  it('has a sample for every pattern id, and declares every id its samples hit', () => {
    assertEveryPatternHasSample(spec, patterns);
  });
}

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
