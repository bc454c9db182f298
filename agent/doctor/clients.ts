/**
 * Are launches of the installed clients captured? plink, rdesktop, xfreerdp and remmina log
 * nowhere by themselves; connwatch sees them through a shim in ~/.local/bin (which must come
 * before the real program on PATH) or a log file configured as a source for that program.
 */
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { isOurs, realProgram, SHIM_PROGRAMS, type ShimName } from '../install/service.js';
import type { SyncCheck, CheckResult } from './check.js';

export const checkClients: SyncCheck = (ctx) => {
  const out: CheckResult[] = [];
  const pathDirs = (ctx.sys.env.PATH ?? '').split(delimiter).map((d) => (d ? resolve(d) : d));
  for (const name of Object.keys(SHIM_PROGRAMS) as ShimName[]) {
    const real = realProgram(name, ctx.sys.env.PATH, ctx.binDir);
    if (!real) continue;
    const program = SHIM_PROGRAMS[name];
    const shim = join(ctx.binDir, name);
    if (existsSync(shim) && isOurs(shim)) {
      const bin = pathDirs.indexOf(resolve(ctx.binDir));
      const realAt = pathDirs.indexOf(resolve(dirname(real)));
      if (bin >= 0 && (realAt < 0 || bin < realAt)) out.push({ check: 'clients', status: 'ok', finding: `${name} launches are captured by the shim ${shim}` });
      else {
        out.push({
          check: 'clients',
          status: 'warn',
          finding: `${name}: the shim ${shim} exists but ${ctx.binDir} ${bin < 0 ? 'is not on PATH' : `comes after ${dirname(real)} on PATH`}, so "${name}" runs ${real} uncaptured`,
          fix: `Put ${ctx.binDir} first in PATH (in ~/.profile: PATH="$HOME/.local/bin:$PATH"), then log in again.`,
        });
      }
      continue;
    }
    const logFile = (ctx.config?.sources ?? []).find((s) => s.type === 'file' && s.program === program && s.path && existsSync(s.path));
    if (logFile) {
      out.push({ check: 'clients', status: 'ok', finding: `${name} is read from its log file ${logFile.path}` });
      continue;
    }
    out.push({
      check: 'clients',
      status: 'warn',
      finding: `${name} is installed (${real}) but not captured: no shim in ${ctx.binDir} and no log file configured for it, so its failures are invisible`,
      fix: `connwatch install --shims (or start it as: connwatch wrap -- ${name} …, or add {"type":"file","path":"…","program":"${program}"} to the config's sources)`,
    });
  }
  return out;
};
