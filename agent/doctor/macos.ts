/**
 * macOS doctor checks: is the LaunchAgent loaded (`launchctl print gui/UID/connwatch.agent`),
 * and can terminal-notifier show a notification. macOS asks the person once whether
 * "terminal-notifier" may post notifications; answered "Don't Allow" (or never answered while
 * nobody looked) it silently shows nothing, and no command-line tool reads that setting, so the
 * check says where to look.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AsyncCheck, Check, SyncCheck } from './check.js';
import { LABEL } from '../platform/launch-agent.js';
import { launchAgentPath } from '../platform/macos.js';

export const checkLaunchAgent: AsyncCheck = async (ctx) => {
  const plist = launchAgentPath(ctx.sys.env);
  if (!existsSync(plist)) return [{ check: 'launch-agent', status: 'warn', finding: `no LaunchAgent ${plist}: connwatch does not start when you log in`, fix: 'connwatch install' }];
  const r = await ctx.sys.run('launchctl', ['print', `gui/${ctx.sys.uid}/${LABEL}`], { timeoutMs: 10_000 });
  if (r.code === 0) return [{ check: 'launch-agent', status: 'ok', finding: `${LABEL} is loaded in gui/${ctx.sys.uid}` }];
  return [{
    check: 'launch-agent',
    status: 'warn',
    finding: `${plist} exists but ${LABEL} is not loaded in gui/${ctx.sys.uid} (${r.error ?? `launchctl exit ${r.code}`})`,
    fix: `launchctl bootstrap gui/${ctx.sys.uid} "${plist}"   (or log out and in again)`,
  }];
};

export const checkNotificationCenter: SyncCheck = () => {
  const root = dirname(createRequire(import.meta.url).resolve('node-notifier/package.json'));
  const app = join(root, 'vendor', 'mac.noindex', 'terminal-notifier.app');
  if (!existsSync(app)) {
    return [{ check: 'notification-center', status: 'fail', finding: `terminal-notifier is missing (${app}): no notification can be shown`, fix: 'Reinstall connwatch (npm install -g connwatch); keep node-notifier\'s vendor folder.' }];
  }
  return [{
    check: 'notification-center',
    status: 'ok',
    finding: `terminal-notifier is ${app}`,
    fix: 'The first notification makes macOS ask whether "terminal-notifier" may show notifications. If none appear: System Settings → Notifications → terminal-notifier → Allow Notifications (and a "Focus" mode may be holding them).',
  }];
};

export const MACOS_CHECKS: ReadonlyArray<readonly [string, Check]> = [
  ['launch-agent', checkLaunchAgent],
  ['notification-center', checkNotificationCenter],
];
