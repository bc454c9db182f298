/**
 * What differs between the platforms connwatch runs on, in one value chosen once at start
 * (index.ts): where configuration, state and logs live, how the per-user agent is started with
 * the session, which notifier shows alerts, which shared sources are watched by default. (Which
 * doctor checks apply is the doctor's decision, doctor/index.ts.) Nothing else in the pipeline
 * asks which platform it is on.
 */
import type { ResolvedSource } from '../config/config.js';
import type { Paths } from '../config/paths.js';

export type PlatformId = 'linux' | 'windows' | 'macos';

/**
 * Which desktop sink shows alerts: notify-send (D-Bus, sinks/desktop.ts), node-notifier's
 * WindowsToaster (SnoreToast, sinks/toast.ts) or its NotificationCenter (terminal-notifier,
 * sinks/toast.ts).
 */
export type NotifierKind = 'notify-send' | 'windows-toaster' | 'notification-center';

export interface Platform {
  id: PlatformId;
  /** For people: "Linux", "Windows", "macOS". */
  label: string;
  /** Where connwatch keeps its files for the user of `env`. */
  paths(env: NodeJS.ProcessEnv): Paths;
  notifier: NotifierKind;
  /**
   * The sources every program shares here (captures, the process scan), watched by default after
   * the programs' own (programs.ts).
   */
  defaultSources(p: Paths, env: NodeJS.ProcessEnv): ResolvedSource[];
  /** What starts the agent with the user's session, for messages ("a logon task", …). */
  autostart: string;
}
