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
import type { Event } from '../event.js';
import type { CheckpointStore } from './checkpoint.js';
import { FileTail, type SourceLog } from './file-tail.js';
import { JournalSource } from './journal.js';
import { ProcessScan } from './process-scan.js';
import type { RawLine } from './raw-line.js';
import { SourceRouters, type CoreEntry, type Source, type SourceStatus } from './source.js';

/** Hands each line's events to the core; a line whose events are handled at once costs no promise. */
function lineSink(routers: SourceRouters, core: () => CoreEntry): (line: RawLine) => Promise<void> {
  return async (line) => {
    await core()(routers.route(line));
  };
}

const notStarted: CoreEntry = () => {
  throw new Error('a source delivered before it was started');
};

/** A file, a glob of files, or the captures directory (one router for all capture files). */
export class FileSource implements Source {
  readonly name: string;
  private readonly tail: FileTail;
  private readonly routers: SourceRouters;
  private core: CoreEntry = notStarted;

  constructor(options: ConstructorParameters<typeof FileTail>[0], captures = false) {
    this.tail = new FileTail(options);
    this.name = this.tail.sourceId;
    this.routers = new SourceRouters(options.program, captures);
  }

  async start(core: CoreEntry): Promise<void> {
    this.core = core;
    await this.tail.start(lineSink(this.routers, () => this.core));
  }

  stop(): Promise<void> {
    return this.tail.stop();
  }

  end(): Event[] {
    return this.routers.end();
  }

  status(): SourceStatus {
    return this.tail.status() as unknown as SourceStatus;
  }
}

/** The systemd journal through journalctl (one router: entries carry their identifier). */
export class JournalLines implements Source {
  readonly name: string;
  private readonly journal: JournalSource;
  private readonly routers: SourceRouters;
  private core: CoreEntry = notStarted;

  constructor(options: ConstructorParameters<typeof JournalSource>[0]) {
    this.journal = new JournalSource(options);
    this.name = this.journal.sourceId;
    this.routers = new SourceRouters(options.program, true);
  }

  async start(core: CoreEntry): Promise<void> {
    this.core = core;
    await this.journal.start(lineSink(this.routers, () => this.core));
  }

  stop(): Promise<void> {
    return this.journal.stop();
  }

  end(): Event[] {
    return this.routers.end();
  }

  status(): SourceStatus {
    return this.journal.status() as unknown as SourceStatus;
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
        await core([e], false);
      },
      log: { debug: (m) => o.log('debug', m), warn: (m) => o.log('warn', m) },
    });
    this.scan.start();
    return Promise.resolve();
  }

  stop(): Promise<void> {
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
    case 'captures':
      return new FileSource(
        {
          path: s.path!,
          ...(s.program ? { program: s.program } : {}),
          checkpoints: ctx.checkpoints,
          ...(ctx.fromStart ? { fromStart: true } : {}),
          partialFlushMs: ctx.partialFlushMs,
          log: ctx.log,
        },
        s.type === 'captures',
      );
    case 'journal':
      return new JournalLines({
        scope: s.scope ?? 'system',
        ...(s.identifiers ? { identifiers: s.identifiers } : {}),
        ...(s.units ? { units: s.units } : {}),
        ...(s.program ? { program: s.program } : {}),
        checkpoints: ctx.checkpoints,
        log: ctx.log,
      });
    case 'process-scan':
      return new ScanSource({
        ...(s.programs ? { programs: s.programs } : {}),
        ...(s.intervalMs ? { intervalMs: s.intervalMs } : {}),
        ...(s.dpkgInfoDir ? { dpkgInfoDir: s.dpkgInfoDir } : {}),
        log: ctx.log,
      });
  }
}
