/**
 * The agent's sources as Sources (source.ts): the file tail (a file, a glob, the captures), the
 * journal and the process scan, each wrapped with its own routers, and `sourceFor`, which makes
 * the Source of one configured source.
 *
 * FileTail and JournalSource keep their own API (start(sink) with a RawLine sink, used by their
 * tests); the adapters route each line and hand its events to the core.
 */
import { existsSync } from 'node:fs';
import type { ResolvedSource } from '../config/config.js';
import { PackageHistory } from '../correlate/packages.js';
import type { Event, Program } from '../event.js';
import type { CheckpointStore } from './checkpoint.js';
import { FileTail, type SourceLog } from './file-tail.js';
import { JournalSource } from './journal.js';
import { ProcessScan } from './process-scan.js';
import { PackageLogs } from '../correlate/package-logs.js';
import { OsLogSource } from './oslog.js';
import { WevtutilSource } from './wevtutil.js';
import type { RawLine } from './raw-line.js';
import { SourceRouters, type CoreEntry, type Source, type SourceStatus } from './source.js';

/** Hands each line's events to the core (synchronous); the readers' contract is a promise per line. */
function lineSink(routers: SourceRouters, core: () => CoreEntry): (line: RawLine) => Promise<void> {
  return async (line) => {
    core()(routers.route(line));
  };
}

const notStarted: CoreEntry = () => {
  throw new Error('a source delivered before it was started');
};

/** What a line reader offers: FileTail, JournalSource, WevtutilSource, OsLogSource. */
interface LineReader {
  readonly sourceId: string;
  start(sink: (line: RawLine) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
  status(): object;
}

/**
 * A line reader with its routers: one per file (a file or glob), or one for all (`shared`: the
 * captures, whose records name their program, the journal, the event log, the unified log).
 */
export class RoutedLines implements Source {
  readonly name: string;
  private readonly routers: SourceRouters;
  private core: CoreEntry = notStarted;

  constructor(
    private readonly reader: LineReader,
    program: Program | undefined,
    shared: boolean,
  ) {
    this.name = reader.sourceId;
    this.routers = new SourceRouters(program, shared);
  }

  async start(core: CoreEntry): Promise<void> {
    this.core = core;
    await this.reader.start(lineSink(this.routers, () => this.core));
  }

  stop(): Promise<void> {
    return this.reader.stop();
  }

  end(): Event[] {
    return this.routers.end();
  }

  status(): SourceStatus {
    return this.reader.status() as unknown as SourceStatus;
  }
}

/**
 * The stale-library scan: its findings go to the core as events; it observes the core's package
 * events (dpkg, apt), which it keeps in its package history and which ask for a scan soon.
 */
export class ScanSource implements Source {
  readonly name = 'process-scan';
  private readonly packages: PackageHistory;
  private scan: ProcessScan | undefined;
  /** dnf, pacman, Flatpak and snap histories (dpkg and apt arrive as events through observe). */
  private pkgLogs: PackageLogs | undefined;

  constructor(private readonly options: { programs?: string[]; intervalMs?: number; dpkgInfoDir?: string; log: SourceLog }) {
    this.packages = new PackageHistory(options.dpkgInfoDir ? { infoDir: options.dpkgInfoDir } : {});
  }

  start(core: CoreEntry): Promise<void> {
    const o = this.options;
    if (o.dpkgInfoDir && !existsSync(o.dpkgInfoDir)) {
      o.log('warn', `process scan: dpkgInfoDir ${o.dpkgInfoDir} does not exist; stale files are reported without their package (point it at the directory holding <package>.list files)`);
    }
    this.scan = new ProcessScan({
      ...(o.programs ? { programs: o.programs } : {}),
      ...(o.intervalMs ? { intervalMs: o.intervalMs } : {}),
      packages: this.packages,
      onEvent: async (e) => {
        core([e], false);
      },
      log: { debug: (m) => o.log('debug', m), warn: (m) => o.log('warn', m) },
    });
    this.scan.start();
    const scan = this.scan;
    this.pkgLogs = new PackageLogs({ history: this.packages, onChange: () => scan.scanSoon(), log: { debug: (m) => o.log('debug', m), warn: (m) => o.log('warn', m) } });
    const histories = this.pkgLogs.start(); // only those this machine has
    o.log('debug', `process scan: package histories read besides dpkg and apt: ${histories.length > 0 ? histories.join(', ') : 'none here'}`);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.pkgLogs?.stop();
    this.scan?.stop();
    return Promise.resolve();
  }

  end(): Event[] {
    return [];
  }

  observe(e: Event): void {
    if (e.kind === 'pkg.change') this.scan?.notePackageEvent(e);
  }

  status(): undefined {
    return undefined;
  }
}

export interface SourceContext {
  checkpoints: CheckpointStore;
  log: SourceLog;
  /** Read files that exist at the first start from their beginning. */
  fromStart?: boolean;
  /** Show a line with no newline yet after this long (ms). */
  partialFlushMs: number;
}

/** The Source of one configured source. */
export function sourceFor(s: ResolvedSource, ctx: SourceContext): Source {
  switch (s.type) {
    case 'file':
    case 'captures': {
      const tail = new FileTail({
        path: s.path!,
        ...(s.program ? { program: s.program } : {}),
        checkpoints: ctx.checkpoints,
        ...(ctx.fromStart ? { fromStart: true } : {}),
        partialFlushMs: ctx.partialFlushMs,
        log: ctx.log,
      });
      return new RoutedLines(tail, s.program, s.type === 'captures');
    }
    case 'journal': {
      const journal = new JournalSource({
        scope: s.scope ?? 'system',
        ...(s.identifiers ? { identifiers: s.identifiers } : {}),
        ...(s.units ? { units: s.units } : {}),
        ...(s.program ? { program: s.program } : {}),
        checkpoints: ctx.checkpoints,
        log: ctx.log,
      });
      return new RoutedLines(journal, s.program, true);
    }
    case 'wevtutil': {
      const events = new WevtutilSource({ ...(s.channels ? { channels: s.channels } : {}), checkpoints: ctx.checkpoints, ...(ctx.fromStart ? { fromStart: true } : {}), log: ctx.log });
      return new RoutedLines(events, 'sshd', true);
    }
    case 'oslog':
      return new RoutedLines(new OsLogSource({ log: ctx.log }), 'sshd', true);
    case 'process-scan':
      return new ScanSource({
        ...(s.programs ? { programs: s.programs } : {}),
        ...(s.intervalMs ? { intervalMs: s.intervalMs } : {}),
        ...(s.dpkgInfoDir ? { dpkgInfoDir: s.dpkgInfoDir } : {}),
        log: ctx.log,
      });
  }
}
