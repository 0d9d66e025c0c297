/**
 * The tray menu as data: a pure function from the status and the app's own state to a menu
 * template of plain objects with stable ids. The Electron layer turns the template into a Menu
 * and rebuilds it on every status change; nothing here imports Electron.
 */
import {
  formatUptime,
  type Overall,
  type ServiceView,
  type WorkbenchStatus,
} from '../core/status-model.js';
import { applicableActions, OVERALL_TONES, SERVICE_TONES, type Tone } from '../ipc/status-rules.js';

/** The actions the menu and the windows can run; one at a time. */
export type ActionName = 'start' | 'stop' | 'restart' | 'agent' | 'awake' | 'setup';

/** The colour of the dot in front of a status row; colour appears nowhere else. */
export type DotColor = Tone;

/** The template images of the tray icon, one per group of overall states. */
export type TrayIconName = 'stopped' | 'starting' | 'running' | 'degraded' | 'error';

export type MenuItemId =
  | 'status.workbench'
  | 'status.runtime'
  | 'status.bridge'
  | 'status.agent'
  | 'status.awake'
  | 'action.start'
  | 'action.stop'
  | 'action.restart'
  | 'action.setup'
  | 'toggle.agent'
  | 'toggle.awake'
  | 'window.env'
  | 'window.status'
  | 'window.doctor'
  | 'window.settings'
  | 'app.quit'
  | `separator.${number}`;

/** One item of the template; `click` wiring is done by id in the Electron layer. */
export interface MenuItemTemplate {
  id: MenuItemId;
  type: 'normal' | 'checkbox' | 'separator';
  label?: string;
  enabled?: boolean;
  checked?: boolean;
  accelerator?: string;
  dot?: DotColor;
}

/** What the app knows beyond the status: the action it is running, and the time for uptimes. */
export interface MenuUiState {
  action: ActionName | null;
  now: Date;
}

/** The tray icon for each overall state. */
export const TRAY_ICONS: Record<Overall, TrayIconName> = {
  running: 'running',
  degraded: 'degraded',
  starting: 'starting',
  stopping: 'starting',
  stopped: 'stopped',
  'not-set-up': 'stopped',
  error: 'error',
};

const OVERALL_LABELS: Record<Overall, string> = {
  running: 'Workbench Running',
  degraded: 'Workbench Degraded',
  starting: 'Workbench Starting…',
  stopping: 'Workbench Stopping…',
  stopped: 'Workbench Stopped',
  'not-set-up': 'Workbench Not Set Up',
  error: 'Workbench Error',
};

const ACTION_LABELS: Record<ActionName, string> = {
  start: 'Starting Workbench…',
  stop: 'Stopping Workbench…',
  restart: 'Restarting Workbench…',
  agent: 'Changing the Login Agent…',
  awake: 'Changing Keep Awake…',
  setup: 'Setting Up Workbench…',
};

const SERVICE_WORDS: Record<ServiceView['state'], string> = {
  starting: 'starting',
  running: 'up',
  restarting: 'restarting',
  stopped: 'stopped',
  failed: 'failed',
};

const DETAIL_LIMIT = 60;

/** The label of the Quit item: the app is a remote control, the workbench outlives it. */
export const QUIT_LABELS = {
  keepsRunning: 'Quit (Workbench Keeps Running)',
  idle: 'Quit',
} as const;

function shorten(text: string): string {
  return text.length > DETAIL_LIMIT ? `${text.slice(0, DETAIL_LIMIT - 1)}…` : text;
}

function describeService(
  name: string,
  service: ServiceView | null,
  now: Date,
): { label: string; dot: DotColor } {
  if (!service) return { label: `${name}: not running`, dot: 'grey' };
  if (service.state === 'running' && service.healthy === false) {
    return { label: `${name}: up, not healthy${restartsSuffix(service)}`, dot: 'amber' };
  }
  const uptime = service.state === 'running' ? formatUptime(service.since, now) : '';
  const word = [SERVICE_WORDS[service.state], uptime].filter(Boolean).join(' ');
  const detail =
    service.state === 'failed' && service.detail ? ` — ${shorten(service.detail)}` : '';

  return {
    label: `${name}: ${word}${restartsSuffix(service)}${detail}`,
    dot: SERVICE_TONES[service.state],
  };
}

function restartsSuffix(service: ServiceView): string {
  if (service.restarts === 0) return '';

  return service.restarts === 1 ? ' · 1 restart' : ` · ${service.restarts} restarts`;
}

function describeAgent(agent: WorkbenchStatus['launchAgent']): { label: string; dot: DotColor } {
  if (!agent.installed) return { label: 'Login agent: off', dot: 'grey' };
  if (agent.running) return { label: `Login agent: on, running (pid ${agent.pid})`, dot: 'green' };
  if (agent.loaded) return { label: 'Login agent: on, not running', dot: 'amber' };

  return { label: 'Login agent: installed, not loaded', dot: 'amber' };
}

function describeAwake(awake: WorkbenchStatus['keepAwake']): { label: string; dot: DotColor } {
  if (!awake.enabled) return { label: 'Keep awake: off', dot: 'grey' };
  if (awake.active) return { label: 'Keep awake: on', dot: 'green' };

  return { label: 'Keep awake: on, not holding the Mac awake', dot: 'amber' };
}

/** True while this app or another process (the CLI) runs an action. */
export function isBusy(status: WorkbenchStatus, ui: MenuUiState): boolean {
  return ui.action !== null || status.action !== null;
}

function statusRow(id: MenuItemId, row: { label: string; dot: DotColor }): MenuItemTemplate {
  return { id, type: 'normal', label: row.label, enabled: false, dot: row.dot };
}

function statusRows(status: WorkbenchStatus, ui: MenuUiState): MenuItemTemplate[] {
  const workbench = ui.action
    ? { label: ACTION_LABELS[ui.action], dot: 'amber' as const }
    : { label: OVERALL_LABELS[status.overall], dot: OVERALL_TONES[status.overall] };
  const services = status.services;

  return [
    statusRow('status.workbench', workbench),
    statusRow('status.runtime', describeService('Runtime', services?.runtime ?? null, ui.now)),
    statusRow('status.bridge', describeService('Bridge', services?.bridge ?? null, ui.now)),
    statusRow('status.agent', describeAgent(status.launchAgent)),
    statusRow('status.awake', describeAwake(status.keepAwake)),
  ];
}

function actionItems(status: WorkbenchStatus, ui: MenuUiState): MenuItemTemplate[] {
  const busy = isBusy(status, ui);
  const applies = applicableActions(status);
  const items: MenuItemTemplate[] = [
    {
      id: 'action.start',
      type: 'normal',
      label: 'Start Workbench',
      enabled: !busy && applies.start,
    },
    { id: 'action.stop', type: 'normal', label: 'Stop Workbench', enabled: !busy && applies.stop },
    {
      id: 'action.restart',
      type: 'normal',
      label: 'Restart Workbench',
      enabled: !busy && applies.restart,
    },
  ];
  if (status.overall === 'not-set-up') {
    items.push({ id: 'action.setup', type: 'normal', label: 'Set Up Workbench…', enabled: !busy });
  }

  return items;
}

function toggleItems(status: WorkbenchStatus, ui: MenuUiState): MenuItemTemplate[] {
  const busy = isBusy(status, ui);

  return [
    {
      id: 'toggle.agent',
      type: 'checkbox',
      label: 'Keep Workbench Alive at Login',
      checked: status.launchAgent.installed,
      enabled: !busy && (status.overall !== 'not-set-up' || status.launchAgent.installed),
    },
    {
      id: 'toggle.awake',
      type: 'checkbox',
      label: 'Keep Mac Awake',
      checked: status.keepAwake.enabled,
      enabled: !busy,
    },
  ];
}

function quitLabel(status: WorkbenchStatus): string {
  const alive =
    status.container.state === 'running' ||
    status.launchAgent.running ||
    status.overall === 'starting';

  return alive ? QUIT_LABELS.keepsRunning : QUIT_LABELS.idle;
}

/** The whole tray menu, top to bottom, for one status. */
export function buildTrayMenu(status: WorkbenchStatus, ui: MenuUiState): MenuItemTemplate[] {
  const separator = (n: number): MenuItemTemplate => ({ id: `separator.${n}`, type: 'separator' });

  return [
    ...statusRows(status, ui),
    separator(1),
    ...actionItems(status, ui),
    separator(2),
    ...toggleItems(status, ui),
    separator(3),
    { id: 'window.env', type: 'normal', label: 'Edit Env Files…', enabled: true },
    { id: 'window.status', type: 'normal', label: 'Status & Logs…', enabled: true },
    { id: 'window.doctor', type: 'normal', label: 'Run Doctor…', enabled: true },
    separator(4),
    {
      id: 'window.settings',
      type: 'normal',
      label: 'Settings…',
      enabled: true,
      accelerator: 'Command+,',
    },
    separator(5),
    {
      id: 'app.quit',
      type: 'normal',
      label: quitLabel(status),
      enabled: true,
      accelerator: 'Command+Q',
    },
  ];
}

/** The tray icon's template image name for a status. */
export function trayIconName(status: WorkbenchStatus): TrayIconName {
  return TRAY_ICONS[status.overall];
}

/** The tray tooltip: the product name and the one-line summary. */
export function trayTooltip(status: WorkbenchStatus, ui: MenuUiState): string {
  const summary = ui.action ? ACTION_LABELS[ui.action] : status.summary;

  return `CodeWhale Workbench — ${summary}`;
}
