/** Per-user places, following the XDG base directories. */
import { homedir } from 'node:os';
import { join } from 'node:path';

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
  runtimeDir: string | undefined;
}

export function paths(env: NodeJS.ProcessEnv = process.env): Paths {
  const home = env.HOME || homedir();
  const configDir = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'connwatch');
  const stateDir = join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'connwatch');
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
    runtimeDir: env.XDG_RUNTIME_DIR || undefined,
  };
}
