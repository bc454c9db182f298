/**
 * `connwatch run`: the agent in the foreground (what the systemd user service runs).
 *
 * Its options: the configured sources (the defaults, the config file's, and `--watch FILE`) and
 * how to notify. What it runs is agent/agent.ts; this module parses the options, and stops the
 * agent cleanly on SIGINT/SIGTERM (sources stopped, pending notifications sent, positions saved),
 * exiting after STOP_GRACE_MS at the latest.
 */
import type { Command } from 'commander';
import { Agent } from '../agent.js';
import { loadConfig, resolveConfig, type Config } from '../config/config.js';
import { paths } from '../config/paths.js';
import type { Program, Severity } from '../event.js';
import { ConnwatchError, messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { parseDuration } from '../rules/duration.js';
import { programOption, rulesOptions, type CommonRuleFlags } from './common.js';
import { loadRuleSet } from './setup.js';

interface RunFlags extends CommonRuleFlags {
  watch?: string[];
  program?: Program;
  defaults?: boolean;
  config?: string;
  fromStart?: boolean;
  notify?: boolean;
  minSeverity?: Severity;
  fold?: string;
  verbose?: boolean;
  partialFlush?: string;
  retryNotify?: string;
  forward?: string[];
  heartbeat?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('run the agent in the foreground: watch logs, notify on the desktop (what the user service runs)')
    .option('--watch <file>', 'also watch this file or glob (repeatable)', collect)
    .addOption(programOption())
    .option('--no-defaults', 'do not watch the default log locations')
    .option('--config <file>', 'configuration file (default ~/.config/connwatch/config.json)')
    .option('--from-start', 'read files that already exist from their start, not their end')
    .option('--no-notify', 'do not show desktop notifications (history only)')
    .option('--min-severity <level>', 'lowest severity that is notified (info, warning, error, critical)')
    .option('--fold <duration>', 'least time between two updates of one notification (the first is shown at once)')
    .option('--partial-flush <duration>', 'show a line that has no newline yet (a prompt) after this long', '500ms')
    .option('--retry-notify <duration>', 'while notifications cannot be shown, try again this often', '30s')
    .option('--forward <url>', 'also send alerts to syslog+tcp://, syslog+tls://, otlp+http(s)://HOST:PORT/v1/logs (repeatable; docs/fleet.md)', collect)
    .option('--heartbeat <duration>', 'write a heartbeat record to the alert stream and forwarders this often (0: none)', '15m')
    .option('-v, --verbose', 'log every alert and source event');
  rulesOptions(cmd).action(async (flags: RunFlags) => {
    await runAgent(flags);
  });
}

export async function runAgent(flags: RunFlags): Promise<void> {
  const log = createLogger({ level: flags.verbose ? 'debug' : 'info' });
  const p = paths();
  let config: Config = flags.config ? loadConfig(p, flags.config) : loadConfig(p);
  if (flags.defaults === false) config = { ...config, sources: config.sources.filter((s) => !s.isDefault) };
  for (const f of flags.watch ?? []) {
    config.sources.push(...resolveConfig({ replaceDefaultSources: true, sources: [{ type: 'file', path: f, ...(flags.program ? { program: flags.program } : {}) }] }, p).sources);
  }
  const agent = new Agent({
    config,
    paths: p,
    log,
    loadRules: (previous) =>
      loadRuleSet(
        {
          ...flags,
          rules: [...config.ruleDirs.slice(1), ...(flags.rules ?? [])],
          userRulesDir: config.ruleDirs[0]!,
          disabled: [...config.disabled, ...(flags.disabled ?? [])],
          ...(flags.hangWindow === undefined && config.hangWindowMs !== undefined ? { hangWindow: `${config.hangWindowMs}ms` } : {}),
        },
        previous,
      ),
    ruleDirs: [...config.ruleDirs.slice(1), ...(flags.rules ?? [])],
    notify: flags.notify !== false,
    // the notifier's modules only when it is used (agent.ts)
    ...(flags.notify !== false ? { notifierFor: (await import('../platform/notifier.js')).notifierFor } : {}),
    minSeverity: flags.minSeverity ?? config.minSeverity,
    foldMs: duration('--fold', flags.fold, config.foldMs, '2s'),
    fromStart: flags.fromStart === true,
    partialFlushMs: parseDuration(flags.partialFlush ?? '500ms') ?? 500,
    retryNotifyMs: parseDuration(flags.retryNotify ?? '30s') ?? 30_000,
    heartbeatMs: duration('--heartbeat', flags.heartbeat, 15 * 60_000, '15m" or 0'),
    forward: flags.forward ?? [],
  });
  await agent.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info(`received ${signal}, stopping`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      // A stop must not hang (a notify-send stuck on a busy bus, a source stuck on a slow disk):
      // after STOP_GRACE_MS the agent exits anyway; positions saved so far stand.
      const grace = setTimeout(() => {
        log.warn(`stopping took longer than ${STOP_GRACE_MS / 1000}s; exiting without waiting further`);
        resolve();
      }, STOP_GRACE_MS);
      grace.unref();
      void agent.stop().then(
        () => {
          clearTimeout(grace);
          resolve();
        },
        (err: unknown) => {
          log.error(`stopping failed: ${messageOf(err)}`);
          resolve();
        },
      );
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  // Child processes (journalctl, notify-send) and timers must not keep a stopped agent alive.
  process.exit(0);
}

const STOP_GRACE_MS = 10_000;

/** A duration option, or its default when not given. */
function duration(option: string, value: string | undefined, fallback: number, example: string): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined) throw new ConnwatchError('USAGE', `${option} must be a duration like "${example}, got "${value}"`);
  return ms;
}
