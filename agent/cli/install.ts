/**
 * `connwatch install [--dry-run] [--shims]`: the options; what it writes and runs is
 * install/install.ts.
 */
import type { Command } from 'commander';
import { install } from '../install/install.js';
import { SHIM_PROGRAMS } from '../install/service.js';

export function registerInstall(program: Command): void {
  program
    .command('install')
    .description(`start the agent with your session: a systemd user service (Linux), a logon task (Windows), a LaunchAgent (macOS); with --shims, capture ${Object.keys(SHIM_PROGRAMS).join('/')} launches (Linux; plink.cmd on Windows)`)
    .option('--dry-run', 'print what would be written and run; write nothing')
    .option('--shims', `also put wrappers in ~/.local/bin for ${Object.keys(SHIM_PROGRAMS).join(', ')} that run the real program through \`connwatch wrap\``)
    .action(async (flags: { dryRun?: boolean; shims?: boolean }) => {
      process.exitCode = await install({ ...(flags.dryRun ? { dryRun: true } : {}), ...(flags.shims ? { shims: true } : {}) });
    });
}
