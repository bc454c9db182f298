/**
 * The Windows plink.cmd shim (agent/platform/windows-shim.ts): its text and where it looks for
 * the real plink.exe. The shim itself runs under Wine in the Windows lane (.ci/wine-lane,
 * test/platform/wine/lane.mjs): install --shims writes it, cmd runs it, plink's arguments and exit
 * code come through connwatch wrap, the capture is written, and uninstall removes it.
 */
import { describe, expect, it } from 'vitest';
import { install } from '../../agent/install/install.js';
import { realSystem } from '../../agent/doctor/system.js';
import { PLATFORMS } from '../../agent/platform/index.js';
import { findRealPlink, plinkCandidates, renderPlinkCmd } from '../../agent/platform/windows-shim.js';

describe('plink.cmd', () => {
  it('runs the real plink through connwatch wrap, or alone when node or connwatch is gone; CRLF, marked as ours', () => {
    const text = renderPlinkCmd('C:\\Program Files (x86)\\Xming\\plink.exe', 'C:\\Program Files\\nodejs\\node.exe', 'C:\\Users\\ann\\AppData\\Roaming\\npm\\node_modules\\connwatch\\dist\\agent\\cli\\main.js');
    expect(text.split('\r\n')).toEqual([
      '@echo off',
      'rem connwatch-managed: written by `connwatch install --shims`; `connwatch uninstall` removes it.',
      'setlocal',
      'set "CONNWATCH_NODE=C:\\Program Files\\nodejs\\node.exe"',
      'set "CONNWATCH_AGENT=C:\\Users\\ann\\AppData\\Roaming\\npm\\node_modules\\connwatch\\dist\\agent\\cli\\main.js"',
      'set "CONNWATCH_REAL=C:\\Program Files (x86)\\Xming\\plink.exe"',
      'if not exist "%CONNWATCH_NODE%" goto real',
      'if not exist "%CONNWATCH_AGENT%" goto real',
      '"%CONNWATCH_NODE%" "%CONNWATCH_AGENT%" wrap --program plink --verbose-capture -- "%CONNWATCH_REAL%" %*',
      'exit /b %ERRORLEVEL%',
      ':real',
      '"%CONNWATCH_REAL%" %*',
      'exit /b %ERRORLEVEL%',
      '',
    ]);
    expect(() => renderPlinkCmd('C:\\100%\\plink.exe', 'n', 'a')).toThrow(/batch file/);
    // verbose or not is the registry's plink shim's say (programs.ts), not the shim writer's
    expect(renderPlinkCmd('C:\\plink.exe', 'n', 'a', { verbose: false })).toContain('wrap --program plink -- "%CONNWATCH_REAL%" %*');
  });

  it('finds plink.exe on PATH outside the shim folder first, then Xming and PuTTY in Program Files', () => {
    const env = { PATH: 'C:\\Users\\ann\\AppData\\Local\\connwatch\\bin;"C:\\Tools";C:\\Windows\\system32', 'ProgramFiles(x86)': 'C:\\Program Files (x86)', ProgramFiles: 'C:\\Program Files' };
    const shims = 'C:\\Users\\ann\\AppData\\Local\\connwatch\\bin\\';
    expect(plinkCandidates(env, shims)).toEqual([
      'C:\\Tools\\plink.exe',
      'C:\\Windows\\system32\\plink.exe',
      'C:\\Program Files (x86)\\Xming\\plink.exe',
      'C:\\Program Files (x86)\\PuTTY\\plink.exe',
      'C:\\Program Files\\Xming\\plink.exe',
      'C:\\Program Files\\PuTTY\\plink.exe',
    ]);
    const xming = new Set(['C:\\Program Files (x86)\\Xming\\plink.exe', 'C:\\Users\\ann\\AppData\\Local\\connwatch\\bin\\plink.exe']);
    expect(findRealPlink(env, shims, (p) => xming.has(p))).toBe('C:\\Program Files (x86)\\Xming\\plink.exe');
    expect(findRealPlink({ PATH: '' }, shims, () => false)).toBeUndefined();
  });

  it('install --shims --dry-run on Windows without any plink.exe says so and plans no shim', async () => {
    const lines: string[] = [];
    const sys = realSystem({ APPDATA: 'C:\\R', LOCALAPPDATA: 'C:\\L', USERNAME: 'ann', PATH: 'C:\\nowhere' });
    expect(await install({ sys, platform: PLATFORMS.windows, dryRun: true, shims: true, out: (l) => lines.push(l), node: 'C:\\node\\node.exe', snoreToast: 'C:\\st\\snoretoast-x64.exe' })).toBe(0);
    expect(lines).toContain('shim for plink: no plink.exe found (on PATH, or Xming\\ or PuTTY\\ in Program Files), no shim written');
    expect(lines.join('\n')).not.toContain('plink.cmd');
  });
});
