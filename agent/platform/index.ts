/**
 * The platform connwatch runs on, chosen once: from process.platform (win32 → Windows, darwin →
 * macOS, anything else → Linux and its XDG/systemd/D-Bus ways). CONNWATCH_PLATFORM (linux,
 * windows, macos) overrides it, read once at the first call: tests use it to run the Windows and
 * macOS decisions (paths, task XML, LaunchAgent plist) on a Linux machine.
 */
import { ConnwatchError } from '../errors.js';
import { linux } from './linux.js';
import { macos } from './macos.js';
import type { Platform, PlatformId } from './types.js';
import { windows } from './windows.js';

export type { NotifierKind, Platform, PlatformId } from './types.js';

export const PLATFORMS: Readonly<Record<PlatformId, Platform>> = { linux, windows, macos };

export function platformFor(nodePlatform: string, override?: string): Platform {
  if (override) {
    const p = PLATFORMS[override as PlatformId];
    if (!p) throw new ConnwatchError('USAGE', `CONNWATCH_PLATFORM=${JSON.stringify(override)} names no platform`, { hint: `Use one of ${Object.keys(PLATFORMS).join(', ')}, or unset it.` });
    return p;
  }
  return nodePlatform === 'win32' ? windows : nodePlatform === 'darwin' ? macos : linux;
}

let chosen: Platform | undefined;

/** The platform of this process, decided at the first call and kept. */
export function platform(): Platform {
  chosen ??= platformFor(process.platform, process.env.CONNWATCH_PLATFORM || undefined);
  return chosen;
}
