/**
 * The agent of `connwatch run`: wires the configured sources into the core and the core into the
 * sinks, on a wall clock (absences expire while nothing is written).
 *
 *   sources (sources/adapters.ts) ─core(events)─▶ Pipeline ─▶ AlertGate ─▶ history, log, forwarders
 *                                                                     └─▶ NoticeBoard ─▶ SinkQueue ─▶ desktop
 *
 * It keeps the alert history, the delivered ids (a line read twice is not notified twice), the
 * status file, and reloads the rules when their files change (a broken file keeps its last good
 * rules). stop(): sources stopped with their positions saved, pending notifications sent.
 * cli/run.ts parses the options and signals; this module reads no argv.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inQuietHours, type Config } from './config/config.js';
import type { Paths } from './config/paths.js';
import { WallClock } from './correlate/clock.js';
import type { Severity } from './event.js';
import { messageOf } from './errors.js';
import type { Logger } from './log.js';
import { Pipeline } from './pipeline.js';
import type { notifierFor, PlatformNotifier } from './platform/notifier.js';
import { platform } from './platform/index.js';
import type { RecentSet } from './recent.js';
import type { LoadedRules } from './rules/load.js';
import { RuleRunner } from './rules/runner.js';
import { watchRules, type RulesWatch } from './rules-watch.js';
import type { NoticeAction } from './sinks/desktop.js';
import { Fleet, heartbeatFacts } from './sinks/fleet-setup.js';
import { AlertGate, newDeliveredSet } from './sinks/gate.js';
import { HistorySink, recordedIds } from './sinks/history.js';
import { runNoticeAction } from './sinks/notice-actions.js';
import { NoticeBoard } from './sinks/notices.js';
import { SinkQueue } from './sinks/queue.js';
import { Silences } from './sinks/silences.js';
import { sourceFor } from './sources/adapters.js';
import { CheckpointStore } from './sources/checkpoint.js';
import type { CoreEntry, Source, SourceStatus } from './sources/source.js';
import { StateProblems, writePrivateFile } from './sources/state-file.js';
import { notifyProblem, sourcesLine } from './start-line.js';
import { StatusWriter } from './status.js';

export interface AgentOptions {
  config: Config;
  paths: Paths;
  log: Logger;
  /** Loads the rules (again, keeping the last good rules of a broken file when `previous` is given). */
  loadRules(previous?: LoadedRules): LoadedRules;
  /** Rule directories besides the user's (config.ruleDirs[0]), watched for changes. */
  ruleDirs: readonly string[];
  /** false: no desktop notifications (history only). */
  notify: boolean;
  /**
   * platform/notifier.ts's notifierFor when `notify` is on: the caller imports it then, so an
   * agent without notifications does not load the notifier modules (start-up time and idle memory).
   */
  notifierFor?: typeof notifierFor;
  minSeverity: Severity;
  foldMs: number;
  fromStart: boolean;
  partialFlushMs: number;
  retryNotifyMs: number;
  heartbeatMs: number;
  /** Forwarding URLs besides the config's. */
  forward: readonly string[];
}

const MAX_DELIVERED = 5000;
/** Notifications waiting for the desktop past which the oldest are dropped (the history has them all). */
const MAX_NOTIFY_WAITING = 1000;

export class Agent {
  private readonly checkpoints: CheckpointStore;
  private readonly clock: WallClock;
  private readonly pipeline: Pipeline;
  private readonly gate: AlertGate;
  private readonly board: NoticeBoard | undefined;
  private readonly desktop: PlatformNotifier | undefined;
  private readonly sources: Source[] = [];
  private readonly delivered: RecentSet<string>;
  private deliveredDirty = false;
  private readonly stateProblems: StateProblems;
  /** See saveState. */
  private statusSignature = '';
  private statusLookedAt = 0;
  private loaded: LoadedRules;
  private readonly status: StatusWriter;
  private timers: NodeJS.Timeout[] = [];
  private rulesWatch: RulesWatch | undefined;
  private lastAlert: { rule: string; title: string; time: number } | undefined;
  private readonly silences: Silences;
  private readonly fleet: Fleet;
  private readonly log: Logger;

  constructor(private readonly o: AgentOptions) {
    const { paths: p, log, config } = o;
    this.log = log;
    this.stateProblems = new StateProblems((level, m) => log[level](m));
    mkdirSync(p.stateDir, { recursive: true });
    this.checkpoints = new CheckpointStore(p.checkpointFile, { onError: (e) => log.warn(e.describe()) });
    this.delivered = readDelivered(p.deliveredFile);
    for (const id of recordedIds(p.historyFile)) this.delivered.add(id); // recorded before a kill -9: not recorded again
    this.loaded = this.loadRules();
    this.clock = new WallClock({ onTick: () => this.pipeline.tick() });
    this.silences = new Silences(join(p.stateDir, 'silences.json'), (m) => log.warn(m));
    if (o.notify && !o.notifierFor) throw new Error('Agent: notify is on but no notifierFor was given');
    this.desktop = o.notify && o.notifierFor
      ? o.notifierFor(platform(), { warn: (m) => log.warn(m), info: (m) => log.info(m) }, {
          onAction: (id, action) => this.onNoticeAction(id, action),
          pendingFile: join(p.stateDir, 'pending-notifications.json'),
        })
      : undefined;
    this.fleet = new Fleet({ stateDir: p.stateDir, forward: [...(config.forward ?? []), ...o.forward], heartbeatMs: o.heartbeatMs, log: (level, m) => log[level](m) });
    // what a person is shown: one notification per attempt, folded and updated in place; the
    // desktop finishes later (D-Bus, notify-send), so it sits behind a bounded queue
    this.board = this.desktop
      ? new NoticeBoard({
          sinks: [new SinkQueue(this.desktop, { max: MAX_NOTIFY_WAITING, log: (level, m) => log[level](m) })],
          minSeverity: o.minSeverity,
          updateMs: o.foldMs,
          quiet: (now) => inQuietHours(config.quietHours, now),
          silenced: (rule, host, now) => this.silences.has(rule, host, now),
          log: (level, m) => log[level](m),
        })
      : undefined;
    this.gate = new AlertGate({
      record: [
        new HistorySink(p.historyFile, undefined, undefined, (level, m) => log[level](m)),
        this.fleet.sink,
        {
          name: 'log',
          deliver: (a) => {
            this.lastAlert = { rule: a.rule, title: a.title, time: a.time };
            log.info(`alert ${a.rule} (${a.severity}): ${a.title}${a.host ? ` — ${a.host}` : ''}`);
          },
        },
      ],
      ...(this.board ? { board: this.board } : {}),
      foldMs: o.foldMs,
      delivered: this.delivered,
      onDelivered: () => (this.deliveredDirty = true),
      log: (level, m) => log[level](m),
    });
    this.pipeline = new Pipeline({
      runner: new RuleRunner(this.loaded.rules, this.clock),
      gate: this.gate,
      // every source may watch the core's events (the process scan: package upgrades)
      onEvent: (e) => {
        for (const s of this.sources) s.observe?.(e);
      },
    });
    this.status = new StatusWriter(p.statusFile);
  }

  /** The core's one entry for every source: synchronous, nothing to wait for. */
  private readonly core: CoreEntry = (events, fromLine = true) => {
    if (fromLine) this.pipeline.handleRouted(events);
    else for (const e of events) this.pipeline.handleEvent(e);
  };

  /** A person chose an action on a notification (desktop.ts, notice-actions.ts). */
  private onNoticeAction(alertId: string, action: NoticeAction): void {
    const alert = this.board?.storyOf(alertId);
    if (!alert) {
      this.log.warn(`notification action "${action}" for alert ${alertId}: that alert is no longer remembered; nothing done`);
      return;
    }
    try {
      this.log.info(`notification action "${action}": ${runNoticeAction(alert, action, { dir: join(this.o.paths.stateDir, 'evidence'), silences: this.silences, log: (l, m) => this.log[l](m) })}`);
    } catch (err) {
      this.log.warn(`notification action "${action}" for alert ${alertId} failed: ${messageOf(err)}`);
    }
  }

  private loadRules(previous?: LoadedRules): LoadedRules {
    const loaded = this.o.loadRules(previous);
    for (const prob of loaded.problems) {
      this.log.error(`${prob.file}: ${prob.rule ? `rule "${prob.rule}": ` : ''}${prob.field ? `"${prob.field}" ` : ''}${prob.message}${previous ? ' — keeping the last good rules of this file' : ' — its rules are not used'}`);
    }
    return loaded;
  }

  async start(): Promise<void> {
    await this.checkpoints.load();
    const enabled = this.loaded.rules.filter((r) => r.enabled).length;
    this.log.info(`connwatch starting: ${enabled} rules from ${this.loaded.files.length} files, ${sourcesLine(this.o.config.sources)}`);
    const noNotify = notifyProblem(this.o.notify);
    if (noNotify) this.log.warn(noNotify);
    // what a previous run could not show (stopped, crashed or killed while notifications were
    // unavailable): never again from a line read twice, so its ids count as delivered first
    const desktop = this.desktop && 'readPending' in this.desktop ? this.desktop : undefined; // notify-send's DesktopSink
    const leftover = desktop?.readPending() ?? [];
    for (const a of leftover) this.delivered.add(a.id);
    if (leftover.length) void desktop?.requeue(leftover);
    const ctx = {
      checkpoints: this.checkpoints,
      log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, meta?: Record<string, unknown>) => this.log.log(level, msg, meta ?? {}),
      fromStart: this.o.fromStart,
      partialFlushMs: this.o.partialFlushMs,
    };
    let scans = 0;
    for (const s of this.o.config.sources) {
      if (s.type === 'process-scan' && scans++ > 0) continue; // the agent runs one scan
      try {
        const source = sourceFor(s, ctx);
        this.sources.push(source);
        await source.start(this.core);
      } catch (err) {
        this.log.warn(`source ${s.type} ${s.path ?? ''} could not start: ${messageOf(err)}`);
      }
    }
    this.rulesWatch = watchRules(this.o.config.ruleDirs[0]!, this.o.ruleDirs, () => this.reloadRules(), this.log);
    this.timers.push(
      setInterval(() => void this.saveState(), 1000),
      setInterval(() => void this.desktop?.retryPending(), this.o.retryNotifyMs),
    );
    for (const t of this.timers) t.unref();
    this.writeStatus();
    this.log.info(`alert stream and forwarding: ${this.fleet.describe()}`);
    this.fleet.startHeartbeat(() => heartbeatFacts(this.sourceStatus(), { ...this.pipeline.stats, ...this.gate.counts }));
    this.log.info('connwatch running');
  }

  private reloadRules(): void {
    this.loaded = this.loadRules(this.loaded);
    this.pipeline.runner.replaceRules(this.loaded.rules);
    this.log.info(`rules reloaded: ${this.loaded.rules.filter((r) => r.enabled).length} rules, ${this.loaded.problems.length} problem(s)`);
    this.writeStatus();
  }

  private sourceStatus(): SourceStatus[] {
    return this.sources.map((s) => s.status()).filter((s): s is SourceStatus => s !== undefined);
  }

  private writeStatus(): ReturnType<StatusWriter['write']> {
    return this.status.write({
      pid: process.pid,
      startedAt: this.status.startedAt,
      updatedAt: Date.now(),
      sources: this.sourceStatus(),
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
    this.rulesWatch?.check();
    if (this.deliveredDirty) {
      this.deliveredDirty = false;
      const file = this.o.paths.deliveredFile;
      try {
        writePrivateFile(file, JSON.stringify({ v: 1, ids: [...this.delivered].slice(-MAX_DELIVERED) }));
        this.stateProblems.ok(file);
      } catch (err) {
        this.deliveredDirty = true; // read-only or full state directory: reported once, written when it works again
        this.stateProblems.failed(file, err);
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
    for (const s of this.sources) await s.stop().catch((err: unknown) => this.log.warn(`stopping a source: ${messageOf(err)}`));
    await this.rulesWatch?.close().catch((err: unknown) => this.log.warn(`stopping a source: ${messageOf(err)}`));
    this.pipeline.tick();
    await this.pipeline.flush();
    await this.fleet.close();
    this.clock.stop();
    await this.desktop?.close();
    await this.checkpoints.close();
    await this.saveState();
    this.log.info('connwatch stopped');
  }
}

function readDelivered(file: string): RecentSet<string> {
  try {
    const ids = JSON.parse(readFileSync(file, 'utf8')) as { v: number; ids: string[] };
    return newDeliveredSet(Array.isArray(ids.ids) ? ids.ids.slice(-MAX_DELIVERED) : []);
  } catch {
    return newDeliveredSet();
  }
}

