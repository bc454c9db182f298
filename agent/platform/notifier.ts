/**
 * The notification sink the platform calls for: notify-send's DesktopSink on Linux, the
 * ToastSink (node-notifier's WindowsToaster or NotificationCenter) on Windows and macOS. Both
 * have deliver, retryPending, close and status.state, which is what `connwatch run` uses.
 */
import { DesktopSink, type DesktopSinkOptions, type SinkLogger } from '../sinks/desktop.js';
import { ToastSink } from '../sinks/toast.js';
import type { Platform } from './types.js';

export type PlatformNotifier = DesktopSink | ToastSink;

/** The platform's notifier; on Linux with the desktop sink's options (actions, the pending file). */
export function notifierFor(plat: Platform, logger: SinkLogger, linux: Omit<DesktopSinkOptions, 'logger'> = {}): PlatformNotifier {
  return plat.notifier === 'notify-send' ? new DesktopSink({ ...linux, logger }) : new ToastSink({ kind: plat.notifier, logger });
}
