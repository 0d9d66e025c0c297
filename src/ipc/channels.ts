/**
 * The names of the IPC channels between the windows and the main process. Kept apart from the
 * schemas so the preload can use them without bundling zod.
 */

/** Every request channel, each answered by one `Result`. */
export const CHANNELS = {
  status: 'workbench/status',
  start: 'workbench/start',
  stop: 'workbench/stop',
  restart: 'workbench/restart',
  setAgent: 'agent/set',
  setAwake: 'awake/set',
  readEnv: 'env/read',
  revealEnv: 'env/reveal',
  saveEnv: 'env/save',
  checkEnv: 'env/check',
  runDoctor: 'doctor/run',
  readLogs: 'logs/read',
  readSettings: 'settings/read',
  saveSettings: 'settings/save',
  readLoginItem: 'login-item/read',
  setLoginItem: 'login-item/set',
  runSetup: 'setup/run',
  openWindow: 'window/open',
} as const;

export type ChannelKey = keyof typeof CHANNELS;
export type Channel = (typeof CHANNELS)[ChannelKey];

/** The push event main sends to every window when the status changes. */
export const STATUS_EVENT = 'workbench/status-changed';

/** The pages the app can show, each `<name>.html` in the renderer folder. */
export const WINDOW_NAMES = ['status', 'env', 'doctor', 'settings', 'setup'] as const;
export type WindowName = (typeof WINDOW_NAMES)[number];

/** The scheme and host the pages are served from; no page is ever loaded from file://. */
export const APP_SCHEME = 'workbench';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** One answer over IPC: the value, or a sentence that says what went wrong. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };
