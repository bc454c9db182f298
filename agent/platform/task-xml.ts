/**
 * The Task Scheduler definition of connwatch's logon task, given to `schtasks /create /tn
 * connwatch /xml FILE /f` (no administrator rights: the task runs as the user who creates it).
 *
 * - LogonTrigger for this user only, Principal LogonType InteractiveToken and RunLevel
 *   LeastPrivilege: it runs in the user's desktop session, where toasts can show (a service runs
 *   in session 0 and cannot);
 * - the action starts node through `conhost.exe --headless`, so no console window opens (node is
 *   a console program; a plain Exec would open one at every logon);
 * - no time limit (PT0S), restart up to 3 times a minute apart when it fails, not stopped on
 *   battery, one instance (IgnoreNew), Hidden (not shown in the Task Scheduler's default view).
 *
 * The file is written UTF-16LE with a byte order mark, as Task Scheduler exports its own; the
 * MARKER comment sits on the second line.
 */
import { MARKER } from '../install/service.js';

export interface TaskInputs {
  /** DOMAIN\user (USERDOMAIN\USERNAME). */
  userId: string;
  node: string;
  nodeOptions: readonly string[];
  agent: string;
  /** Working directory: the state directory. */
  workDir: string;
  /** %SystemRoot%\System32\conhost.exe */
  conhost: string;
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * One argument quoted for a Windows command line as CommandLineToArgvW reads it: in double quotes
 * when it has a space, tab or quote; backslashes doubled before a quote and at the end.
 */
export function winQuote(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const c of arg) {
    if (c === '\\') {
      slashes++;
      continue;
    }
    if (c === '"') {
      out += '\\'.repeat(slashes * 2 + 1) + '"';
    } else out += '\\'.repeat(slashes) + c;
    slashes = 0;
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}

export function taskArguments(t: TaskInputs): string {
  return ['--headless', t.node, ...t.nodeOptions, t.agent, 'run'].map(winQuote).join(' ');
}

export function renderTaskXml(t: TaskInputs): string {
  const e = xmlEscape;
  return [
    '<?xml version="1.0" encoding="UTF-16"?>',
    `<!-- ${MARKER}: written by \`connwatch install\`; \`connwatch uninstall\` removes it and the task. -->`,
    '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
    '  <RegistrationInfo>',
    '    <Author>connwatch</Author>',
    '    <Description>connwatch: watches plink/PuTTY and other remote-access clients and shows what went wrong in a notification. Runs at your logon, in your session.</Description>',
    '    <URI>\\connwatch</URI>',
    '  </RegistrationInfo>',
    '  <Triggers>',
    '    <LogonTrigger>',
    '      <Enabled>true</Enabled>',
    `      <UserId>${e(t.userId)}</UserId>`,
    '    </LogonTrigger>',
    '  </Triggers>',
    '  <Principals>',
    '    <Principal id="Author">',
    `      <UserId>${e(t.userId)}</UserId>`,
    '      <LogonType>InteractiveToken</LogonType>',
    '      <RunLevel>LeastPrivilege</RunLevel>',
    '    </Principal>',
    '  </Principals>',
    '  <Settings>',
    '    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>',
    '    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>',
    '    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>',
    '    <AllowHardTerminate>true</AllowHardTerminate>',
    '    <StartWhenAvailable>false</StartWhenAvailable>',
    '    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>',
    '    <IdleSettings>',
    '      <StopOnIdleEnd>false</StopOnIdleEnd>',
    '      <RestartOnIdle>false</RestartOnIdle>',
    '    </IdleSettings>',
    '    <AllowStartOnDemand>true</AllowStartOnDemand>',
    '    <Enabled>true</Enabled>',
    '    <Hidden>true</Hidden>',
    '    <RunOnlyIfIdle>false</RunOnlyIfIdle>',
    '    <WakeToRun>false</WakeToRun>',
    '    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>',
    '    <Priority>7</Priority>',
    '    <RestartOnFailure>',
    '      <Interval>PT1M</Interval>',
    '      <Count>3</Count>',
    '    </RestartOnFailure>',
    '  </Settings>',
    '  <Actions Context="Author">',
    '    <Exec>',
    `      <Command>${e(t.conhost)}</Command>`,
    `      <Arguments>${e(taskArguments(t))}</Arguments>`,
    `      <WorkingDirectory>${e(t.workDir)}</WorkingDirectory>`,
    '    </Exec>',
    '  </Actions>',
    '</Task>',
    '',
  ].join('\r\n');
}

/** The bytes of the file: UTF-16LE with a byte order mark. */
export function taskXmlBytes(xml: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
}
