/**
 * `connwatch run`: the agent in the foreground (what the systemd user service runs).
 *
 * Watches the configured sources (the defaults, the config file's, and `--watch FILE`), runs every
 * line through the pipeline on a wall clock (absences expire while nothing is written), notifies
 * on the desktop, keeps the alert history, reloads rule files when they change (a broken file
 * keeps its last good rules), and stops cleanly on SIGINT/SIGTERM: sources stopped, pending
 * notifications sent, positions saved.
 */
import { existsSync, readFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve as resolvePath, sep } from 'node:path';
import type { Command } from 'commander';
import { watch } from 'chokidar';
import { loadConfig, resolveConfig, type Config, type ResolvedSource } from '../config/config.js';
import { inQuietHours } from '../config/config.js';
import { paths, type Paths } from '../config/paths.js';
import { WallClock } from '../correlate/clock.js';
import type { Program, Severity } from '../event.js';
import { ConnwatchError, messageOf } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { LineRouter } from '../parsers/router.js';
import { Pipeline } from '../pipeline.js';
import { parseDuration } from '../rules/duration.js';
import { CheckpointStore } from '../sources/checkpoint.js';
import { FileTail, type SourceLog } from '../sources/file-tail.js';
import { DesktopSink, type NoticeAction } from '../sinks/desktop.js';
import { notifierFor, type PlatformNotifier } from '../platform/notifier.js';
import { platform } from '../platform/index.js';
import { runNoticeAction } from '../sinks/notice-actions.js';
import { Silences } from '../sinks/silences.js';
import { AlertGate, newDeliveredSet } from '../sinks/gate.js';
import type { RecentSet } from '../recent.js';
import { HistorySink, recordedIds } from '../sinks/history.js';
import { StateProblems, writePrivateFile } from '../sources/state-file.js';
import { programOption, rulesOptions, type CommonRuleFlags } from './common.js';
import { loadRuleSet, makeRunner } from './setup.js';
import { StatusWriter } from '../status.js';
import { notifyProblem, sourcesLine } from './start-line.js';
import { PackageHistory } from '../correlate/packages.js';
import { ProcessScan } from '../sources/process-scan.js';
import { JournalSource } from '../sources/journal.js';
import { Fleet, heartbeatFacts } from '../sinks/fleet-setup.js';

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
  const agent = new Agent(config, flags, p, log);
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

class Agent {
  private readonly checkpoints: CheckpointStore;
  private readonly clock: WallClock;
  private readonly pipeline: Pipeline;
  private readonly gate: AlertGate;
  private readonly desktop: PlatformNotifier | undefined;
  private readonly tails: FileTail[] = [];
  private readonly journals: JournalSource[] = [];
  private readonly stoppers: Array<() => Promise<void>> = [];
  private readonly delivered: RecentSet<string>;
  private deliveredDirty = false;
  private readonly stateProblems = new StateProblems((level, m) => this.log[level](m));
  /** See saveState. */
  private statusSignature = '';
  private statusLookedAt = 0;
  private loaded: ReturnType<typeof loadRuleSet>;
  private readonly status: StatusWriter;
  private timers: NodeJS.Timeout[] = [];
  private scan: ProcessScan | undefined;
  private lastAlert: { rule: string; title: string; time: number } | undefined;
  private readonly packages: PackageHistory;
  private readonly silences: Silences;
  /** Reloads the rules when the user's rules directory changed unseen (see watchRules). */
  private rulesDirChanged: () => void = () => undefined;
  private readonly fleet: Fleet;

  constructor(
    private readonly config: Config,
    private readonly flags: RunFlags,
    private readonly p: Paths,
    private readonly log: Logger,
  ) {
    mkdirSync(p.stateDir, { recursive: true });
    const infoDir = config.sources.find((s) => s.type === 'process-scan')?.dpkgInfoDir;
    this.packages = new PackageHistory(infoDir ? { infoDir } : {});
    this.checkpoints = new CheckpointStore(p.checkpointFile, { onError: (e) => log.warn(e.describe()) });
    this.delivered = readDelivered(p.deliveredFile);
    for (const id of recordedIds(p.historyFile)) this.delivered.add(id); // recorded before a kill -9: not recorded again
    this.loaded = this.loadRules();
    this.clock = new WallClock({ onTick: () => void this.pipeline.tick() });
    const foldMs = flags.fold !== undefined ? parseDuration(flags.fold) : config.foldMs;
    if (foldMs === undefined) throw new ConnwatchError('USAGE', `--fold must be a duration like "2s", got "${flags.fold}"`);
    this.silences = new Silences(join(p.stateDir, 'silences.json'), (m) => log.warn(m));
    this.desktop =
      flags.notify === false
        ? undefined
        : notifierFor(platform(), { warn: (m) => log.warn(m), info: (m) => log.info(m) }, {
            onAction: (id, action) => this.onNoticeAction(id, action),
            pendingFile: join(p.stateDir, 'pending-notifications.json'),
          });
    const heartbeatMs = parseDuration(flags.heartbeat ?? '15m');
    if (heartbeatMs === undefined) throw new ConnwatchError('USAGE', `--heartbeat must be a duration like "15m" or 0, got "${flags.heartbeat}"`);
    this.fleet = new Fleet({ stateDir: p.stateDir, forward: [...(config.forward ?? []), ...(flags.forward ?? [])], heartbeatMs, log: (level, m) => log[level](m) });
    this.gate = new AlertGate({
      record: [
        new HistorySink(p.historyFile, undefined, undefined, (level, m) => log[level](m)),
        this.fleet.sink,
        {
          name: 'log',
          deliver: async (a) => {
            this.lastAlert = { rule: a.rule, title: a.title, time: a.time };
            log.info(`alert ${a.rule} (${a.severity}): ${a.title}${a.host ? ` — ${a.host}` : ''}`);
          },
        },
      ],
      notify: this.desktop ? [this.desktop] : [],
      minSeverity: flags.minSeverity ?? config.minSeverity,
      foldMs,
      delivered: this.delivered,
      onDelivered: () => (this.deliveredDirty = true),
      quiet: (now) => inQuietHours(config.quietHours, now),
      silenced: (rule, host, now) => this.silences.has(rule, host, now),
      log: (level, m) => log[level](m),
    });
    this.pipeline = new Pipeline({
      runner: makeRunner(this.loaded, this.clock),
      gate: this.gate,
      onEvent: (e) => {
        // package changes: remembered for stale-library findings, and a scan soon after an upgrade
        if (e.kind === 'pkg.change') {
          if (this.scan) this.scan.notePackageEvent(e);
          else this.packages.record(e);
        }
      },
    });
    this.status = new StatusWriter(p.statusFile);
  }

  /** A person chose an action on a notification (desktop.ts, notice-actions.ts). */
  private onNoticeAction(alertId: string, action: NoticeAction): void {
    const alert = this.gate.board?.storyOf(alertId);
    if (!alert) {
      this.log.warn(`notification action "${action}" for alert ${alertId}: that alert is no longer remembered; nothing done`);
      return;
    }
    try {
      this.log.info(`notification action "${action}": ${runNoticeAction(alert, action, { dir: join(this.p.stateDir, 'evidence'), silences: this.silences, log: (l, m) => this.log[l](m) })}`);
    } catch (err) {
      this.log.warn(`notification action "${action}" for alert ${alertId} failed: ${messageOf(err)}`);
    }
  }

  private loadRules(previous?: ReturnType<typeof loadRuleSet>) {
    const loaded = loadRuleSet(
      {
        ...this.flags,
        rules: [...this.config.ruleDirs.slice(1), ...(this.flags.rules ?? [])],
        userRulesDir: this.config.ruleDirs[0]!,
        disabled: [...this.config.disabled, ...(this.flags.disabled ?? [])],
        ...(this.flags.hangWindow === undefined && this.config.hangWindowMs !== undefined ? { hangWindow: `${this.config.hangWindowMs}ms` } : {}),
      },
      previous,
    );
    for (const prob of loaded.problems) {
      this.log.error(`${prob.file}: ${prob.rule ? `rule "${prob.rule}": ` : ''}${prob.field ? `"${prob.field}" ` : ''}${prob.message}${previous ? ' — keeping the last good rules of this file' : ' — its rules are not used'}`);
    }
    return loaded;
  }

  async start(): Promise<void> {
    await this.checkpoints.load();
    const enabled = this.loaded.rules.filter((r) => r.enabled).length;
    this.log.info(`connwatch starting: ${enabled} rules from ${this.loaded.files.length} files, ${sourcesLine(this.config.sources)}`);
    const noNotify = notifyProblem(this.flags.notify !== false);
    if (noNotify) this.log.warn(noNotify);
    // what a previous run could not show (stopped, crashed or killed while notifications were
    // unavailable): never again from a line read twice, so its ids count as delivered first
    const desktop = this.desktop instanceof DesktopSink ? this.desktop : undefined;
    const leftover = desktop?.readPending() ?? [];
    for (const a of leftover) this.delivered.add(a.id);
    if (leftover.length) void desktop?.requeue(leftover);
    for (const s of this.config.sources) await this.startSource(s);
    this.watchRules();
    this.timers.push(
      setInterval(() => void this.saveState(), 1000),
      setInterval(() => void this.desktop?.retryPending(), parseDuration(this.flags.retryNotify ?? '30s') ?? 30_000),
    );
    for (const t of this.timers) t.unref();
    this.writeStatus();
    this.log.info(`alert stream and forwarding: ${this.fleet.describe()}`);
    this.fleet.startHeartbeat(() =>
      heartbeatFacts([...this.tails.map((t) => t.status()), ...this.journals.map((j) => j.status())], { ...this.pipeline.stats, ...this.gate.counts }),
    );
    this.log.info('connwatch running');
  }

  private sourceLog(): SourceLog {
    return (level, msg, meta) => this.log.log(level, msg, meta ?? {});
  }

  private async startSource(s: ResolvedSource): Promise<void> {
    try {
      switch (s.type) {
        case 'file':
        case 'captures': {
          const router = new LineRouter(s.program ? { program: s.program } : {});
          const routers = new Map<string, LineRouter>();
          const tail = new FileTail({
            path: s.path!,
            ...(s.program ? { program: s.program } : {}),
            checkpoints: this.checkpoints,
            ...(this.flags.fromStart ? { fromStart: true } : {}),
            partialFlushMs: parseDuration(this.flags.partialFlush ?? '500ms') ?? 500,
            log: this.sourceLog(),
          });
          this.tails.push(tail);
          await tail.start(async (line) => {
            // one router per file, so each file's program is recognised on its own
            const key = line.position.file ?? '';
            let r = routers.get(key);
            if (!r) {
              r = s.type === 'captures' || !line.position.file ? router : new LineRouter(s.program ? { program: s.program } : {});
              routers.set(key, r);
            }
            await this.pipeline.handleLine(line, r);
          });
          this.stoppers.push(() => tail.stop());
          break;
        }
        case 'process-scan': {
          if (this.scan) break;
          if (s.dpkgInfoDir && !existsSync(s.dpkgInfoDir)) this.log.warn(`process scan: dpkgInfoDir ${s.dpkgInfoDir} does not exist; stale files are reported without their package (point it at the directory holding <package>.list files)`);
          const scan = new ProcessScan({
            ...(s.programs ? { programs: s.programs } : {}),
            ...(s.intervalMs ? { intervalMs: s.intervalMs } : {}),
            packages: this.packages,
            onEvent: (e) => this.pipeline.handleEvent(e),
            log: { debug: (m) => this.log.debug(m), warn: (m) => this.log.warn(m) },
          });
          this.scan = scan;
          scan.start();
          this.stoppers.push(async () => scan.stop());
          break;
        }
        case 'journal': {
          const router = new LineRouter();
          const journal = new JournalSource({
            scope: s.scope ?? 'system',
            ...(s.identifiers ? { identifiers: s.identifiers } : {}),
            ...(s.units ? { units: s.units } : {}),
            checkpoints: this.checkpoints,
            log: this.sourceLog(),
          });
          this.journals.push(journal);
          await journal.start((line) => this.pipeline.handleLine(line, router).then(() => undefined));
          this.stoppers.push(() => journal.stop());
          break;
        }
      }
    } catch (err) {
      this.log.warn(`source ${s.type} ${s.path ?? ''} could not start: ${messageOf(err)}`);
    }
  }

  /**
   * Reloads the rules when a rule file or directory changes. A rules directory may not exist yet
   * (the first own rule is often written after the agent started) or may be deleted and made
   * again: its parent is watched, created when missing, and any change at or below the rules
   * directory reloads. Paths given with --rules are watched as they are.
   */
  private watchRules(): void {
    const userDir = resolvePath(this.config.ruleDirs[0]!);
    const parent = dirname(userDir);
    try {
      mkdirSync(parent, { recursive: true });
    } catch (err) {
      this.log.warn(`cannot create ${parent} to watch your rule files there: ${messageOf(err)}`);
    }
    const direct = [...this.config.ruleDirs.slice(1), ...(this.flags.rules ?? [])].map((d) => resolvePath(d));
    const wanted = (abs: string) => abs === parent || abs === userDir || abs.startsWith(userDir + sep) || direct.some((d) => abs === d || abs.startsWith(d + sep));
    const watcher = watch([parent, ...direct], { ignoreInitial: true, depth: 1, ignored: (path: string) => !wanted(resolvePath(path)) });
    let timer: NodeJS.Timeout | undefined;
    const reload = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.loaded = this.loadRules(this.loaded);
        this.pipeline.runner.replaceRules(this.loaded.rules);
        this.log.info(`rules reloaded: ${this.loaded.rules.filter((r) => r.enabled).length} rules, ${this.loaded.problems.length} problem(s)`);
        this.writeStatus();
      }, 200);
    };
    watcher.on('all', reload);
    // the safety net for a missed event (a rules.d deleted and made again within a moment was
    // seen to lose its add): the state tick compares the directory's inode and mtime
    let seen = dirSignature(userDir);
    this.rulesDirChanged = () => {
      const now = dirSignature(userDir);
      if (now !== seen) {
        seen = now;
        reload();
      }
    };
    watcher.on('error', (err) => this.log.warn(`rule directories: cannot watch for changes (${messageOf(err)}); rules are reloaded on restart`)); // EMFILE at nofile 1024 was a crash
    this.stoppers.push(() => watcher.close());
  }

  private writeStatus(): ReturnType<StatusWriter['write']> {
    return this.status.write({
      pid: process.pid,
      startedAt: this.status.startedAt,
      updatedAt: Date.now(),
      sources: [...this.tails.map((t) => t.status()), ...this.journals.map((j) => j.status())],
      stats: this.pipeline.stats,
      rules: { loaded: this.loaded.rules.filter((r) => r.enabled).length, problems: this.loaded.problems.length, files: this.loaded.files },
      gate: this.gate.counts,
      ...(this.lastAlert ? { lastAlert: this.lastAlert } : {}),
      notifications: this.desktop ? this.desktop.status.state : 'off (--no-notify)',
    });
  }

  /**
   * Every second: the delivered ids when they changed, and the status file when the counts moved.
   * What the counts do not show (a source's file appearing or rotating without a line) is picked
   * up by a full look every 30 s, so an idle agent builds no status every second.
   */
  private async saveState(): Promise<void> {
    this.rulesDirChanged();
    if (this.deliveredDirty) {
      this.deliveredDirty = false;
      try {
        writeDelivered(this.p.deliveredFile, this.delivered);
        this.stateProblems.ok(this.p.deliveredFile);
      } catch (err) {
        this.deliveredDirty = true; // read-only or full state directory: reported once, written when it works again
        this.stateProblems.failed(this.p.deliveredFile, err);
      }
    }
    const s = this.pipeline.stats;
    const g = this.gate.counts;
    const signature = `${s.lines} ${s.events} ${s.alerts} ${g.alerts} ${g.notified} ${g.suppressed} ${g.duplicates} ${this.lastAlert?.time} ${this.desktop?.status.state}`;
    const now = Date.now();
    if (signature === this.statusSignature && now - this.statusLookedAt < 30_000) return;
    // a status written under a second ago is not rewritten yet: keep asking until it is
    if (this.writeStatus() === 'later') return;
    this.statusSignature = signature;
    this.statusLookedAt = now;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const stop of this.stoppers) await stop().catch((err: unknown) => this.log.warn(`stopping a source: ${messageOf(err)}`));
    await this.pipeline.tick();
    await this.gate.flush();
    await this.fleet.close();
    this.clock.stop();
    await this.desktop?.close();
    await this.checkpoints.close();
    await this.saveState();
    this.log.info('connwatch stopped');
  }
}

const MAX_DELIVERED = 5000;

function readDelivered(file: string): RecentSet<string> {
  try {
    const ids = JSON.parse(readFileSync(file, 'utf8')) as { v: number; ids: string[] };
    return newDeliveredSet(Array.isArray(ids.ids) ? ids.ids.slice(-MAX_DELIVERED) : []);
  } catch {
    return newDeliveredSet();
  }
}

/** A directory's inode and mtime ('' when it does not exist): a new or changed directory differs. */
function dirSignature(dir: string): string {
  try {
    const st = statSync(dir);
    return `${st.ino}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

function writeDelivered(file: string, ids: RecentSet<string>): void {
  const list = [...ids].slice(-MAX_DELIVERED);
  writePrivateFile(file, JSON.stringify({ v: 1, ids: list }));
}
