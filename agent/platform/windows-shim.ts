/**
 * `connwatch install --shims` on Windows: %LOCALAPPDATA%\connwatch\bin\plink.cmd, a batch file
 * that runs the real plink.exe through `connwatch wrap --program plink --verbose-capture` (verbose
 * as the program registry's plink shim says: programs.ts SHIMS), so a
 * plink started without a console and without -sshlog (XLaunch, scripts, shortcuts) is captured
 * for the agent. Arguments reach plink as they were given (%*), its exit code comes back, and when
 * node or connwatch is gone the real plink runs on its own.
 *
 * Why a .cmd and not plink.exe: XLaunch's "Run Remote → Using PuTTY" builds the command line
 * "<folder>plink -ssh -X …" and starts it with CreateProcess, which completes a bare name with
 * ".exe" only, so that route always runs a plink.exe (Xming's own unless you pick another folder);
 * XLaunch's "Run Local" (and anything else that starts a full path) runs the .cmd. docs/install.md
 * has both routes step by step.
 *
 * The real plink: the first plink.exe on PATH outside the shim's folder, else Xming's or PuTTY's
 * in Program Files.
 */
import { existsSync } from 'node:fs';
import { win32 } from 'node:path';
import { MARKER } from '../install/service.js';
import type { Paths } from '../config/paths.js';
import { SHIMS, type Shim } from '../programs.js';

export function shimDir(p: Paths): string {
  return win32.join(p.stateDir, 'bin');
}

export function plinkShimPath(p: Paths): string {
  return win32.join(shimDir(p), 'plink.cmd');
}

/** Where plink.exe may be, in the order it is looked for. */
export function plinkCandidates(env: NodeJS.ProcessEnv, exclude: string): string[] {
  const norm = (d: string) => win32.normalize(d).replace(/\\+$/, '').toLowerCase();
  const path = (env.PATH ?? env.Path ?? '')
    .split(';')
    .map((d) => d.trim().replace(/^"(.*)"$/, '$1'))
    .filter((d) => d !== '' && norm(d) !== norm(exclude));
  const programs = [env['ProgramFiles(x86)'], env.ProgramFiles, env.ProgramW6432].filter((d): d is string => !!d);
  return [...path.map((d) => win32.join(d, 'plink.exe')), ...programs.flatMap((d) => [win32.join(d, 'Xming', 'plink.exe'), win32.join(d, 'PuTTY', 'plink.exe')])];
}

export function findRealPlink(env: NodeJS.ProcessEnv, exclude: string, exists: (p: string) => boolean = existsSync): string | undefined {
  return plinkCandidates(env, exclude).find((p) => exists(p));
}

/**
 * The batch file. Paths go into `set "NAME=value"` lines (quotes keep spaces, &, ( and ) inert);
 * a path holding % cannot be written safely and is refused.
 */
export function renderPlinkCmd(real: string, node: string, agent: string, shim: Pick<Shim, 'verbose'> | undefined = SHIMS.get('plink')): string {
  for (const v of [real, node, agent]) if (v.includes('%') || v.includes('"') || /[\r\n]/.test(v)) throw new Error(`cannot put ${JSON.stringify(v)} into a batch file`);
  return [
    '@echo off',
    `rem ${MARKER}: written by \`connwatch install --shims\`; \`connwatch uninstall\` removes it.`,
    'setlocal',
    `set "CONNWATCH_NODE=${node}"`,
    `set "CONNWATCH_AGENT=${agent}"`,
    `set "CONNWATCH_REAL=${real}"`,
    'if not exist "%CONNWATCH_NODE%" goto real',
    'if not exist "%CONNWATCH_AGENT%" goto real',
    `"%CONNWATCH_NODE%" "%CONNWATCH_AGENT%" wrap --program plink${shim?.verbose ? ' --verbose-capture' : ''} -- "%CONNWATCH_REAL%" %*`,
    'exit /b %ERRORLEVEL%',
    ':real',
    '"%CONNWATCH_REAL%" %*',
    'exit /b %ERRORLEVEL%',
    '',
  ].join('\r\n');
}
