/**
 * All parsers, one per program. Adding a parser: write agent/parsers/NAME.ts exporting a
 * ParserSpec, add it here, and give every pattern a sample in test/parsers/NAME.samples.log.
 */
import type { Program } from '../event.js';
import type { ParserSpec } from './types.js';
import { plink } from './plink.js';
import { sshd } from './sshd.js';
import { ssh } from './ssh.js';
import { dpkg } from './dpkg.js';
import { apt } from './apt.js';
import { rdesktop } from './rdesktop.js';
import { freerdp } from './freerdp.js';
import { remmina } from './remmina.js';

export const PARSERS: readonly ParserSpec[] = [plink, sshd, ssh, dpkg, apt, rdesktop, freerdp, remmina];

const byProgram = new Map<Program, ParserSpec>(PARSERS.map((p) => [p.program, p]));
const byIdent = new Map<string, ParserSpec>();
for (const p of PARSERS) for (const id of p.idents) byIdent.set(id, p);

export function parserFor(program: Program): ParserSpec | undefined {
  return byProgram.get(program);
}

export function parserForIdent(ident: string): ParserSpec | undefined {
  return byIdent.get(ident);
}
