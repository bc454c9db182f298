/**
 * `connwatch uninstall [--purge] [--dry-run]`: the options; what it removes and runs is
 * install/uninstall.ts.
 */
import type { Command } from 'commander';
import { uninstall } from '../install/uninstall.js';

export function registerUninstall(program: Command): void {
  program
    .command('uninstall')
    .description('stop and disable the user service and remove what `connwatch install` wrote (configuration and history stay unless --purge)')
    .option('--purge', 'also remove the configuration install wrote and the state directory (alert history, positions, captures)')
    .option('--dry-run', 'print what would be removed, kept and run; change nothing')
    .action(async (flags: { purge?: boolean; dryRun?: boolean }) => {
      process.exitCode = await uninstall({ ...(flags.purge ? { purge: true } : {}), ...(flags.dryRun ? { dryRun: true } : {}) });
    });
}
