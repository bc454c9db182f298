/**
 * All parsers, one per program: the parsers of the program registry's entries (agent/programs.ts),
 * in its order. Adding a parser: write agent/parsers/NAME.ts exporting a ParserSpec, name it in
 * the program's registry entry, and give every pattern a sample in test/parsers/NAME.samples.log
 * (docs/adding-a-program.md).
 */
import type { Program } from '../event.js';
import { PROGRAM_ENTRIES } from '../programs.js';
import type { ParserSpec } from './types.js';

export const PARSERS: readonly ParserSpec[] = PROGRAM_ENTRIES.map((e) => e.parser);

const byProgram = new Map<Program, ParserSpec>(PARSERS.map((p) => [p.program, p]));
const byIdent = new Map<string, ParserSpec>();
for (const p of PARSERS) for (const id of p.idents) byIdent.set(id, p);

export function parserFor(program: Program): ParserSpec | undefined {
  return byProgram.get(program);
}

export function parserForIdent(ident: string): ParserSpec | undefined {
  return byIdent.get(ident);
}
