/**
 * Per-user places. Which places is the platform's decision (agent/platform/): XDG base
 * directories on Linux, %APPDATA% / %LOCALAPPDATA% on Windows, ~/Library/Application Support
 * and ~/Library/Logs on macOS. `paths()` asks the platform chosen at start.
 */
import { platform } from '../platform/index.js';

export interface Paths {
  configDir: string;
  configFile: string;
  rulesDir: string;
  stateDir: string;
  historyFile: string;
  deliveredFile: string;
  checkpointFile: string;
  captureDir: string;
  statusFile: string;
  /** Where the agent's own output goes when nothing else keeps it (launchd, Task Scheduler). */
  logDir: string;
  runtimeDir: string | undefined;
}

export function paths(env: NodeJS.ProcessEnv = process.env): Paths {
  return platform().paths(env);
}
