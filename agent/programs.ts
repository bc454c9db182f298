/**
 * The program registry: everything connwatch knows about each program it watches, in one entry.
 * The lists other modules used to keep on their own derive from it:
 *
 *   CLIENT_PROGRAMS   correlate/sessions.ts    which programs open connections (client side)
 *   NOT_CONNECTIONS   correlate/sessions.ts    whose lines belong to no connection
 *   DEFAULT_PORTS     correlate/sessions.ts    a client's port when none is given
 *   ONE_ATTEMPT_PER_RUN correlate/keys.ts      clients whose run is one attempt (a count of "(×N)")
 *   SERVER_PROGRAMS   sinks/ecs.ts             whose alerts name the client as the far end
 *   BINARIES          sources/stale-event.ts   process names, how people call them, restart hints
 *   SHIMS             install/service.ts       the wrappers `install --shims` writes
 *   programOfBinary   sources/wrap-argv.ts     the program of a wrapped command line
 *   programSources    config/config.ts         the default sources, per platform
 *
 * and so do the program names themselves (PROGRAMS here, the `Program` type of event.ts) and the
 * parsers the router knows (parsers/registry.ts). An entry names its parser; the parser's
 * syslog/journal identifiers are its `idents`, and the default journal sources follow exactly
 * those. Adding a program: docs/adding-a-program.md; test/programs.test.ts checks that every entry
 * has a parser of its own name, a samples file and rule files that name it, and that the derived
 * lists agree with the entries.
 */
import type { ResolvedSource } from './config/config.js';
import type { Paths } from './config/paths.js';
import type { Program } from './event.js';
import { apt } from './parsers/apt.js';
import { dpkg } from './parsers/dpkg.js';
import { freerdp } from './parsers/freerdp.js';
import { plink } from './parsers/plink.js';
import { rdesktop } from './parsers/rdesktop.js';
import { remmina } from './parsers/remmina.js';
import { ssh } from './parsers/ssh.js';
import { sshd } from './parsers/sshd.js';
import type { ParserSpec } from './parsers/types.js';
import type { PlatformId } from './platform/types.js';
import { plinkWindowsSources } from './platform/windows.js';

/** A program opens connections (client), accepts them (server), or changes installed files (packages). */
export type ProgramRole = 'client' | 'server' | 'packages';

/** One executable of a program, as the process scan names it in a stale-library notice. */
export interface Binary {
  /** comm or exe basename: `xfreerdp`, `putty`. */
  name: string;
  /** How people call it in a message: `PuTTY`, `Remmina`. */
  label: string;
  /** Short restart instruction (detail.restartHint). */
  restartHint: string;
  /** The whole remedy sentence (detail.remedy). */
  remedy: string;
}

/** A wrapper `connwatch install --shims` puts in ~/.local/bin under `name`. */
export interface Shim {
  name: string;
  /** The wrapper asks the client for verbose output (`wrap --verbose-capture`: plink -v, WLOG_LEVEL=DEBUG). */
  verbose: boolean;
}

export interface ProgramEntry {
  program: Program;
  label: string;
  role: ProgramRole;
  /** The port a client connects to when none is given (not repeated in a connection's `where`). */
  defaultPort?: number;
  /** The parser (agent/parsers/NAME.ts), whose `program` is this entry's; its `idents` are the syslog/journal identifiers. */
  parser: ParserSpec;
  /** Executables that are this program (process scan, wrap); the first is the usual one. */
  binaries: readonly Binary[];
  /** Other executables that are this program when their name starts so (`xfreerdp3-beta`). */
  binaryPrefixes?: readonly string[];
  shim?: Shim;
  /** Sources watched by default, per platform (besides captures and the process scan, which every program shares). */
  sources: Partial<Record<PlatformId, (p: Paths) => ResolvedSource[]>>;
  /** Built-in rule files (rules/) about this program's events. */
  rules: readonly string[];
  /**
   * A client whose one run (one pid) is one attempt, however many connections it makes
   * (xfreerdp 2 tries NLA, then TLS on a second connection): its repeats count per run in "(×N)".
   * Remmina's one process makes many attempts, counted per connection.
   */
  oneAttemptPerRun?: boolean;
}

const freerdpBinary = (name: string): Binary => ({
  name,
  label: name,
  restartHint: `close every ${name} window`,
  remedy: `close every ${name} window and connect again`,
});
const file = (path: string, program?: Program): ResolvedSource => ({ type: 'file', path, ...(program ? { program } : {}), isDefault: true });
/** The journal entries of a program: by its parser's identifiers (the same ones the router recognises). */
const journal = (scope: 'system' | 'user', parser: ParserSpec): ResolvedSource => ({ type: 'journal', scope, identifiers: [...parser.idents], isDefault: true });

/** Rule files about every client: prompts nobody answers, a client running a replaced library. */
const CLIENT_RULES = ['client-prompts.json', 'client-stale.json'] as const;

/** An entry as written in the table: its program is its key. */
type Written = Omit<ProgramEntry, 'program'>;

/**
 * A client's entry: its first binary's label, the rule files of every client after its own, no
 * default sources unless given, counted per run unless said.
 */
function client(e: Omit<Written, 'role' | 'sources' | 'label'> & Partial<Pick<Written, 'sources' | 'label'>>): Written {
  return { role: 'client', label: e.binaries[0]!.label, oneAttemptPerRun: true, sources: {}, ...e, rules: [...e.rules, ...CLIENT_RULES] };
}

/**
 * The registry. Its keys are the programs (`KnownProgram`, and with it event.ts's `Program`), so
 * it is written without naming that type; each entry's parser must be of the key's program
 * (checked below, when this module loads, and in test/programs.test.ts).
 */
const WRITTEN = {
  plink: client({
    parser: plink,
    defaultPort: 22,
    binaries: [
      {
        name: 'plink',
        label: 'plink',
        restartHint: 'end the plink session',
        remedy: 'end the plink session (and the program that started it, such as Xming) and start it again',
      },
      { name: 'putty', label: 'PuTTY', restartHint: 'close the PuTTY window', remedy: 'close the PuTTY window and open the session again' },
    ],
    shim: { name: 'plink', verbose: true },
    sources: { windows: (p): ResolvedSource[] => plinkWindowsSources(p) },
    rules: ['plink-auth.json', 'plink-hostkey.json', 'plink-kex.json', 'plink-network.json', 'plink-sshlog.json'],
  }),
  sshd: {
    label: 'sshd',
    role: 'server',
    parser: sshd,
    binaries: [],
    sources: {
      // the journal by the parser's identifiers: sshd, and OpenSSH 9.8+'s sshd-session and sshd-auth
      linux: (): ResolvedSource[] => [file('/var/log/auth.log'), journal('system', sshd)],
      // Remote Login's sshd and sshd-session through `log stream` (sources/oslog.ts)
      macos: (): ResolvedSource[] => [{ type: 'oslog', isDefault: true }],
    },
    rules: ['sshd-families.json', 'sshd-kex.json', 'sshd-server.json'],
  },
  ssh: client({
    parser: ssh,
    defaultPort: 22,
    binaries: [{ name: 'ssh', label: 'ssh', restartHint: 'exit the ssh session', remedy: 'exit the ssh session (type ~. if it hangs) and connect again' }],
    rules: ['ssh-client.json'],
  }),
  rdesktop: client({
    parser: rdesktop,
    defaultPort: 3389,
    binaries: [{ name: 'rdesktop', label: 'rdesktop', restartHint: 'close the rdesktop window', remedy: 'close the rdesktop window and connect again' }],
    shim: { name: 'rdesktop', verbose: false },
    rules: ['rdesktop.json'],
  }),
  freerdp: client({
    parser: freerdp,
    defaultPort: 3389,
    label: 'FreeRDP',
    binaries: ['xfreerdp', 'xfreerdp3', 'wlfreerdp', 'sdl-freerdp', 'sdl-freerdp3'].map(freerdpBinary),
    binaryPrefixes: ['xfreerdp', 'freerdp'],
    shim: { name: 'xfreerdp', verbose: true },
    rules: ['freerdp.json'],
  }),
  remmina: client({
    parser: remmina,
    defaultPort: 3389,
    binaries: [{ name: 'remmina', label: 'Remmina', restartHint: 'remmina -q', remedy: 'quit all Remmina windows (remmina -q) and start it again' }],
    shim: { name: 'remmina', verbose: false },
    sources: {
      linux: (): ResolvedSource[] => [
        journal('user', remmina),
        file('/tmp/remmina_log_file.log', 'remmina'),
      ],
    },
    rules: ['freerdp.json'],
    oneAttemptPerRun: false,
  }),
  dpkg: {
    label: 'dpkg',
    role: 'packages',
    parser: dpkg,
    binaries: [],
    sources: { linux: (): ResolvedSource[] => [file('/var/log/dpkg.log', 'dpkg')] },
    rules: ['client-stale.json'],
  },
  apt: {
    label: 'APT',
    role: 'packages',
    parser: apt,
    binaries: [],
    sources: { linux: (): ResolvedSource[] => [file('/var/log/apt/history.log', 'apt')] },
    rules: ['client-stale.json'],
  },
} satisfies Record<string, Written>;

/** Every program connwatch parses, except `other` (a program sharing a log) and `connwatch` (the agent itself). */
export type KnownProgram = keyof typeof WRITTEN;

export const PROGRAM_ENTRIES: readonly ProgramEntry[] = Object.entries(WRITTEN).map(([program, e]: [string, Written]) => {
  if (e.parser.program !== program) throw new Error(`programs.ts: the entry ${program} names the parser of ${e.parser.program}`);
  return { program: program as KnownProgram, ...e };
});

export const PROGRAM_TABLE: Readonly<Record<KnownProgram, ProgramEntry>> = Object.fromEntries(PROGRAM_ENTRIES.map((e) => [e.program, e])) as Record<KnownProgram, ProgramEntry>;

/** Every program an event can name: the registry's, then `other` and `connwatch` (the agent itself). */
export const PROGRAMS: readonly Program[] = [...PROGRAM_ENTRIES.map((e) => e.program), 'other', 'connwatch'];

/** Programs on the client side of a connection (sessions: a client connection; the process scan). */
export const CLIENT_PROGRAMS: readonly Program[] = PROGRAM_ENTRIES.filter((e) => e.role === 'client').map((e) => e.program);

/** Programs on the server side (sessions' server view, the far end of an alert in ECS records). */
export const SERVER_PROGRAMS: readonly Program[] = PROGRAM_ENTRIES.filter((e) => e.role === 'server').map((e) => e.program);

/** Programs whose lines never belong to a connection: package managers, `other`, the agent itself. */
export const NOT_CONNECTIONS: readonly Program[] = ['other', 'connwatch', ...PROGRAM_ENTRIES.filter((e) => e.role === 'packages').map((e) => e.program)];

/** Clients whose one run is one attempt (AlertGate's "(×N)" counts their runs, by pid). */
export const ONE_ATTEMPT_PER_RUN: ReadonlySet<Program> = new Set(PROGRAM_ENTRIES.filter((e) => e.role === 'client' && e.oneAttemptPerRun).map((e) => e.program));

/** A client's default port, by program. */
export const DEFAULT_PORTS: Readonly<Partial<Record<Program, number>>> = Object.fromEntries(
  PROGRAM_ENTRIES.flatMap((e) => (e.defaultPort !== undefined ? [[e.program, e.defaultPort]] : [])),
);

/** Every client executable by name, with its program (what the process scan watches by default). */
export const BINARIES: ReadonlyMap<string, Binary & { program: Program }> = new Map(
  PROGRAM_ENTRIES.filter((e) => e.role === 'client').flatMap((e) => e.binaries.map((b) => [b.name, { ...b, program: e.program }] as const)),
);

/** The shims `install --shims` writes, by shim name. */
export const SHIMS: ReadonlyMap<string, Shim & { program: Program }> = new Map(
  PROGRAM_ENTRIES.flatMap((e) => (e.shim ? [[e.shim.name, { ...e.shim, program: e.program }] as const] : [])),
);

/**
 * The program an executable name (argv[0]'s basename, `.exe` and case taken off) belongs to:
 * a listed binary, a parser identifier, a program's own name, or a binary prefix.
 */
export function programOfBinary(name: string): Program | undefined {
  const n = name.replace(/\.exe$/i, '').toLowerCase();
  const known = BINARIES.get(n);
  if (known) return known.program;
  for (const e of PROGRAM_ENTRIES) {
    if (e.program === n || e.parser.idents.some((id) => id.toLowerCase() === n)) return e.program;
  }
  return PROGRAM_ENTRIES.find((e) => e.binaryPrefixes?.some((p) => n.startsWith(p)))?.program;
}

/** The default sources of every program on this platform, in registry order. */
export function programSources(platformId: PlatformId, p: Paths): ResolvedSource[] {
  return PROGRAM_ENTRIES.flatMap((e) => e.sources[platformId]?.(p) ?? []);
}
