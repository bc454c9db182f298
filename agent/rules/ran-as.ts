/**
 * The name a rule text gives the program (`{program}`): the executable the person ran, where the
 * event knows it, so a notification says "xfreerdp cannot reach …" to someone who typed xfreerdp
 * (or "remmina", "xfreerdp3", "putty"), not the parser's family name "freerdp". Known from the
 * wrapped command line (captures: connection.command, or a start record's detail.command) and
 * from the executable the process scan read (detail.exe). Only an executable of the event's own
 * program counts (`sudo xfreerdp …` or a script name stays "freerdp"); otherwise the program's
 * name, as before.
 */
import type { Event } from '../event.js';
import { programOfBinary } from '../programs.js';

/** argv[0]'s file name: the first word of a command line or an executable path (either slash). */
function executableName(commandOrPath: unknown, wholePath: boolean): string | undefined {
  if (typeof commandOrPath !== 'string' || commandOrPath === '') return undefined;
  const first = wholePath ? commandOrPath : commandOrPath.split(' ', 1)[0]!;
  const name = first.slice(Math.max(first.lastIndexOf('/'), first.lastIndexOf('\\')) + 1).replace(/\.exe$/i, '');
  return name || undefined;
}

export function ranAs(e: Pick<Event, 'program' | 'detail' | 'connection'>): string {
  const candidates = [executableName(e.connection?.command ?? e.detail.command, false), executableName(e.detail.exe, true)];
  for (const name of candidates) if (name && programOfBinary(name) === e.program) return name;
  return e.program;
}
