/**
 * The status and logs window: the container, both services with uptime, restarts, last exit and
 * detail, the login agent, keep-awake, the env files, and the last log lines with follow.
 */
import type { StatusView } from '../../ipc/contract.js';
import {
  applicableActions,
  OVERALL_TONES,
  SERVICE_TONES,
  type Tone,
} from '../../ipc/status-rules.js';
import { messageOf, unwrap, workbench } from '../lib/api.js';
import { button, byId, fact, h, replaceChildren, showMessage } from '../lib/dom.js';
import { formatBytes, formatDuration, formatExit, formatTime } from '../lib/format.js';

const FOLLOW_INTERVAL_MS = 2_000;
const LOG_LINES = 200;

const message = byId('message');
const content = byId('content');
let current: StatusView | null = null;
let busy = false;

const summary = h('section', { className: 'panel', id: 'summary' });
const services = h('section', { className: 'panel', id: 'services' });
const details = h('section', { className: 'panel', id: 'details' });
const logsPanel = h('section', { className: 'panel', id: 'logs-panel' });
content.append(summary, services, details, logsPanel);

function badge(text: string, tone: Tone, id?: string): HTMLElement {
  return h('span', { className: 'badge', text, id, attrs: { 'data-tone': tone } });
}

async function runAction(
  label: string,
  action: () => Promise<{ message: string; status: StatusView }>,
) {
  busy = true;
  if (current) renderSummary(current);
  showMessage(message, `${label}…`);
  try {
    const outcome = await action();
    showMessage(message, outcome.message, 'success');
    render(outcome.status);
  } catch (error) {
    showMessage(message, messageOf(error), 'error');
  } finally {
    busy = false;
    if (current) renderSummary(current);
  }
}

function actionButtons(status: StatusView): HTMLElement {
  const applies = applicableActions(status);
  const blocked = busy || status.action !== null;
  const api = workbench();
  const start = button('Start', () => runAction('Starting', () => unwrap(api.start())), {
    id: 'start',
    className: 'primary',
  });
  const stop = button('Stop', () => runAction('Stopping', () => unwrap(api.stop())), {
    id: 'stop',
  });
  const restart = button('Restart', () => runAction('Restarting', () => unwrap(api.restart())), {
    id: 'restart',
  });
  start.disabled = blocked || !applies.start;
  stop.disabled = blocked || !applies.stop;
  restart.disabled = blocked || !applies.restart;

  return h('div', { className: 'toolbar' }, start, stop, restart);
}

function renderSummary(status: StatusView): void {
  const container = status.container;
  const reason = status.reason
    ? h('p', { className: 'detail', id: 'reason', text: status.reason })
    : null;
  replaceChildren(
    summary,
    h('h2', {}, badge(status.summary, OVERALL_TONES[status.overall], 'overall')),
    reason,
    actionButtons(status),
    h(
      'dl',
      { className: 'facts' },
      ...fact('Container', `${container.name} · ${container.state}`),
      ...fact('Image', container.image),
      ...fact(
        'Started',
        container.startedAt
          ? `${formatTime(container.startedAt)} (${formatDuration(container.startedAt, new Date())} ago)`
          : '—',
      ),
      ...fact('Resources', `${container.cpus ?? '—'} CPUs · ${formatBytes(container.memoryBytes)}`),
      ...fact('Container system', systemText(status.containerSystem)),
      ...fact('Checked', formatTime(status.checkedAt)),
    ),
  );
}

function systemText(system: StatusView['containerSystem']): string {
  if (!system.installed) return 'not installed';
  const version = system.version ? ` · ${system.version}` : '';

  return `${system.running ? 'running' : 'not running'}${version}`;
}

function serviceRow(
  name: string,
  service: NonNullable<StatusView['services']>['runtime'] | null,
): HTMLElement {
  if (!service) {
    return h(
      'tr',
      { id: `service-${name.toLowerCase()}` },
      h('td', { text: name }),
      h('td', {}, badge('not running', 'grey')),
      h('td', { text: '—' }),
      h('td', { text: '—' }),
      h('td', { text: '—' }),
      h('td', { text: '—' }),
    );
  }
  const state =
    service.state === 'running' && service.healthy === false
      ? 'running, not healthy'
      : service.state;
  const tone =
    service.state === 'running' && service.healthy === false
      ? 'amber'
      : SERVICE_TONES[service.state];
  const stateCell = h('td', {}, badge(state, tone));
  if (service.detail) stateCell.append(h('div', { className: 'detail', text: service.detail }));

  return h(
    'tr',
    { id: `service-${name.toLowerCase()}` },
    h('td', { text: name }),
    stateCell,
    h('td', { text: service.pid === null ? '—' : String(service.pid) }),
    h('td', {
      text: service.state === 'running' ? formatDuration(service.since, new Date()) : '—',
    }),
    h('td', { text: String(service.restarts) }),
    h('td', { text: formatExit(service.lastExit) }),
  );
}

function renderServices(status: StatusView): void {
  const head = h(
    'tr',
    {},
    ...['Service', 'State', 'PID', 'Uptime', 'Restarts', 'Last exit'].map((text) =>
      h('th', { text }),
    ),
  );
  replaceChildren(
    services,
    h('h2', { text: 'Services' }),
    h(
      'table',
      {},
      h('thead', {}, head),
      h(
        'tbody',
        {},
        serviceRow('Runtime', status.services?.runtime ?? null),
        serviceRow('Bridge', status.services?.bridge ?? null),
      ),
    ),
  );
}

function envText(file: StatusView['envFiles']['runtime']): string {
  if (!file.exists) return 'missing';
  const problems = file.problems.length > 0 ? ` · ${file.problems.join('; ')}` : '';

  return `mode ${file.mode ?? '?'}${problems}`;
}

function renderDetails(status: StatusView): void {
  const agent = status.launchAgent;
  const agentText = !agent.installed
    ? 'off'
    : `${agent.loaded ? 'loaded' : 'not loaded'}${agent.running ? `, running (pid ${agent.pid})` : ', not running'}` +
      (agent.lastExit !== null ? ` · last exit ${agent.lastExit}` : '');
  const awake = status.keepAwake;
  const awakeText = awake.enabled ? (awake.active ? 'on' : 'on, but no assertion is held') : 'off';
  replaceChildren(
    details,
    h('h2', { text: 'Agents and files' }),
    h(
      'dl',
      { className: 'facts' },
      ...fact('Login agent', agentText),
      ...fact('Keep awake', awakeText),
      ...fact(
        'runtime.env',
        envText(status.envFiles.runtime),
        status.envFiles.runtime.ok ? undefined : 'detail',
      ),
      ...fact(
        'telegram-bridge.env',
        envText(status.envFiles.bridge),
        status.envFiles.bridge.ok ? undefined : 'detail',
      ),
    ),
  );
}

function render(status: StatusView): void {
  current = status;
  renderSummary(status);
  renderServices(status);
  renderDetails(status);
}

const logSource = h(
  'select',
  { id: 'log-source' },
  h('option', { text: 'Container output', attrs: { value: 'container' } }),
  h('option', { text: 'Supervisor log', attrs: { value: 'supervisor' } }),
);
const follow = h('input', { id: 'follow', attrs: { type: 'checkbox' } });
const logText = h('pre', { className: 'logs', id: 'log-text' });
let followTimer: number | undefined;

async function readLogs(): Promise<void> {
  try {
    const text = await unwrap(workbench().readLogs(LOG_LINES, logSource.value === 'supervisor'));
    const atBottom = logText.scrollTop + logText.clientHeight >= logText.scrollHeight - 4;
    logText.textContent = text.length > 0 ? text : '(no log lines yet)';
    if (follow.checked || atBottom) logText.scrollTop = logText.scrollHeight;
  } catch (error) {
    logText.textContent = messageOf(error);
  }
}

function setFollow(on: boolean): void {
  window.clearInterval(followTimer);
  followTimer = on ? window.setInterval(() => void readLogs(), FOLLOW_INTERVAL_MS) : undefined;
}

function renderLogsPanel(): void {
  logSource.addEventListener('change', () => void readLogs());
  follow.addEventListener('change', () => {
    setFollow(follow.checked);
    void readLogs();
  });
  replaceChildren(
    logsPanel,
    h('h2', { text: 'Logs' }),
    h(
      'div',
      { className: 'toolbar' },
      logSource,
      button('Reload', readLogs, { id: 'reload-logs' }),
      h('label', {}, follow, 'Follow'),
    ),
    logText,
  );
}

async function load(): Promise<void> {
  renderLogsPanel();
  workbench().onStatus(render);
  try {
    render(await unwrap(workbench().status()));
  } catch (error) {
    showMessage(message, messageOf(error), 'error');
  }
  await readLogs();
}

void load();
