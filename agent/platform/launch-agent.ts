/**
 * The launchd LaunchAgent of connwatch: ~/Library/LaunchAgents/connwatch.agent.plist, loaded
 * into the user's GUI domain with `launchctl bootstrap gui/UID PLIST` (a LaunchAgent, not a
 * LaunchDaemon: launchd(8) says daemons must not display UI, and only an agent in the Aqua
 * session can post notifications).
 *
 * Keys: Label; ProgramArguments (node, its options, the agent, "run"); RunAtLoad; KeepAlive
 * { SuccessfulExit: false } (restarted after a crash, not after a clean stop); ThrottleInterval
 * 30 s; ProcessType Interactive; LimitLoadToSessionType Aqua; StandardOutPath and
 * StandardErrorPath in ~/Library/Logs/connwatch; WorkingDirectory the state directory;
 * EnvironmentVariables PATH (launchd starts agents with a bare PATH; `wrap` and doctor look
 * programs up on it).
 */
import { MARKER } from '../install/service.js';
import { xmlEscape } from './task-xml.js';

export const LABEL = 'connwatch.agent';

export interface AgentInputs {
  node: string;
  nodeOptions: readonly string[];
  agent: string;
  workDir: string;
  logDir: string;
  path: string;
}

export function renderLaunchAgent(a: AgentInputs): string {
  const s = (v: string) => `<string>${xmlEscape(v)}</string>`;
  const log = (name: string) => `${a.logDir}/${name}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    `<!-- ${MARKER}: written by \`connwatch install\`; \`connwatch uninstall\` unloads and removes it. -->`,
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  ${s(LABEL)}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...[a.node, ...a.nodeOptions, a.agent, 'run'].map((v) => `    ${s(v)}`),
    '  </array>',
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ThrottleInterval</key>',
    '  <integer>30</integer>',
    '  <key>ProcessType</key>',
    `  ${s('Interactive')}`,
    '  <key>LimitLoadToSessionType</key>',
    `  ${s('Aqua')}`,
    '  <key>WorkingDirectory</key>',
    `  ${s(a.workDir)}`,
    '  <key>StandardOutPath</key>',
    `  ${s(log('agent.log'))}`,
    '  <key>StandardErrorPath</key>',
    `  ${s(log('agent.err.log'))}`,
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    '    <key>PATH</key>',
    `    ${s(a.path)}`,
    '  </dict>',
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
