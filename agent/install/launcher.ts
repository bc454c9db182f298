/**
 * The `connwatch` command on the PATH after `connwatch install`: a small sh launcher in
 * ~/.local/bin that runs this installation (the node that installed it and this package's
 * dist/agent/cli/main.js), so the README's commands work from any directory and nothing resolves
 * the name through the npm registry. install writes it like a shim (header line, manifest entry),
 * so `connwatch uninstall` removes it, and a `connwatch` there that install did not write (an
 * `npm link`) is left alone.
 */
import { delimiter, join, resolve } from 'node:path';
import { CLI_NODE_OPTIONS, MARKER, shQuote } from './service.js';

export const LAUNCHER_NAME = 'connwatch';

export function launcherPath(binDir: string): string {
  return join(binDir, LAUNCHER_NAME);
}

export function renderLauncher(node: string, agent: string): string {
  return [
    '#!/bin/sh',
    `# ${MARKER}: the \`connwatch\` command, written by \`connwatch install\`; \`connwatch uninstall\` removes it.`,
    '# Runs the connwatch installed here, from any directory.',
    `node=${shQuote(node)}`,
    `agent=${shQuote(agent)}`,
    'if [ ! -x "$node" ] || [ ! -f "$agent" ]; then',
    '  echo "connwatch: this launcher points at $agent (run by $node), which is gone; reinstall connwatch or remove $0" >&2',
    '  exit 127',
    'fi',
    `exec "$node" ${CLI_NODE_OPTIONS.join(' ')} "$agent" "$@"`,
    '',
  ].join('\n');
}

/** A note when `binDir` is not on PATH: the launcher is written but `connwatch` will not be found. */
export function launcherNotes(binDir: string, pathVar: string | undefined): string[] {
  const dirs = (pathVar ?? '').split(delimiter).filter(Boolean).map((d) => resolve(d));
  if (dirs.includes(resolve(binDir))) return [];
  return [`note: ${binDir} is not on PATH, so the command \`connwatch\` is not found yet; add it (e.g. in ~/.profile: PATH="$HOME/.local/bin:$PATH") or run ${launcherPath(binDir)}.`];
}
