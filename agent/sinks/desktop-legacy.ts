/**
 * The desktop sink's backend for a notify-send older than 0.8 (0.7 has no --print-id, no
 * --replace-id, no actions): node-notifier 10's NotifySend. An update of a notification is shown
 * as a new one, and no actions are offered.
 *
 * suppressOsdCheck: without it node-notifier looks notify-send up once and, if it is missing,
 * refuses for the life of the process. Loaded only when needed (about 1.5 MB resident).
 */
import type NotifySend from 'node-notifier/notifiers/notifysend.js';
import type { DesktopNotification } from './desktop-format.js';
import { asError, classify, type Attempt } from './desktop-failure.js';
import { notifySendBodyArg, notifySendSummaryArg } from './escape.js';
import { APP_NAME } from './notify-send.js';

type NotifySendOptions = ConstructorParameters<typeof NotifySend>[0];

/**
 * node-notifier spawns notify-send with process.env and offers no env option; spawn copies the
 * environment synchronously, so setting the variables around the synchronous notify() call and
 * restoring them right after gives that one child its environment without leaking to others.
 */
function withProcessEnv(overlay: Record<string, string | undefined>, fn: () => void): void {
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(overlay)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    fn();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

export class LegacyNotifySend {
  private notifier: Promise<NotifySend> | undefined;

  /** Shows `n` on the session bus at `address`, notify-send looked up in `path`. */
  show(n: DesktopNotification, address: string, path: string | undefined): Promise<Attempt<never>> {
    const options = {
      title: notifySendSummaryArg(n.summary),
      message: notifySendBodyArg(n.body),
      urgency: n.urgency,
      // node-notifier takes seconds and passes milliseconds to notify-send.
      timeout: n.expireSeconds,
      category: n.category,
      icon: n.icon,
      'app-name': APP_NAME,
    };
    this.notifier ??= import('node-notifier/notifiers/notifysend.js').then(({ default: Notifier }) => new Notifier({ suppressOsdCheck: true } as NotifySendOptions));
    return this.notifier.then(
      (notifier) =>
        new Promise<Attempt<never>>((resolve) => {
          try {
            withProcessEnv({ DBUS_SESSION_BUS_ADDRESS: address, PATH: path }, () => {
              notifier.notify(options, (err: unknown) => resolve(classify(err, address, path)));
            });
          } catch (err) {
            resolve(classify(asError(err), address, path));
          }
        }),
      (err: unknown) => classify(asError(err), address, path),
    );
  }
}
