/**
 * Is the service set to start, and does the session ever start it? `systemctl --user
 * is-enabled connwatch.service` and `systemctl --user is-active graphical-session.target`: the
 * unit is WantedBy graphical-session.target, which some sessions never reach (plain X sessions,
 * X forwarding to Xming, desktops that do not integrate with systemd).
 */
import { unitState } from './systemctl.js';
import type { AsyncCheck } from './check.js';

const ENABLED = new Set(['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'static', 'alias']);

export const checkServiceEnabled: AsyncCheck = async (ctx) => {
  const st = await unitState(ctx.sys, 'is-enabled');
  if ('unknown' in st) {
    return [{ check: 'service', status: 'warn', finding: `service state unknown: ${st.unknown}`, fix: 'Run `connwatch doctor` in your desktop session; `connwatch install` prints the systemctl commands to run there.' }];
  }
  if (ENABLED.has(st.state)) return [{ check: 'service', status: 'ok', finding: `connwatch.service is ${st.state}` }];
  return [{
    check: 'service',
    status: 'warn',
    finding: `connwatch.service is not enabled (${st.state}): the agent does not start with your session`,
    fix: 'connwatch install (or, if the unit is installed: systemctl --user enable --now connwatch.service)',
  }];
};

export const checkGraphicalSession: AsyncCheck = async (ctx) => {
  const st = await unitState(ctx.sys, 'is-active', 'graphical-session.target');
  if ('unknown' in st) {
    return [{ check: 'graphical-session', status: 'warn', finding: `whether graphical-session.target is reached is unknown: ${st.unknown}`, fix: 'Run `connwatch doctor` in your desktop session.' }];
  }
  if (st.state === 'active') return [{ check: 'graphical-session', status: 'ok', finding: 'graphical-session.target is active' }];
  return [{
    check: 'graphical-session',
    status: 'warn',
    finding: `graphical-session.target is ${st.state}: this session never reached it, so the service (WantedBy=graphical-session.target) does not start by itself`,
    fix: 'Start it with your login instead: systemctl --user add-wants default.target connwatch.service; and give it the display: systemctl --user import-environment DISPLAY DBUS_SESSION_BUS_ADDRESS',
  }];
};
