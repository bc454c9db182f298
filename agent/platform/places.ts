/** The files inside a platform's config and state directories: the same names everywhere. */
import type { Paths } from '../config/paths.js';

export function pathsIn(configDir: string, stateDir: string, logDir: string, runtimeDir: string | undefined, join: (...p: string[]) => string): Paths {
  return {
    configDir,
    configFile: join(configDir, 'config.json'),
    rulesDir: join(configDir, 'rules.d'),
    stateDir,
    historyFile: join(stateDir, 'alerts.jsonl'),
    deliveredFile: join(stateDir, 'delivered.json'),
    checkpointFile: join(stateDir, 'checkpoints.json'),
    captureDir: join(stateDir, 'captures'),
    statusFile: join(stateDir, 'status.json'),
    logDir,
    runtimeDir,
  };
}

