/**
 * When to tell the user something went wrong: a pure function from the previous status, the next
 * one and the action this app just finished. A service that fails and a workbench that stops
 * without being asked each raise one notification; a stop someone asked for raises none.
 */
import type { WorkbenchStatus } from '../core/status-model.js';
import type { ActionName } from './tray-menu.js';

/** One notification to show. */
export interface Notice {
  id: 'runtime-failed' | 'bridge-failed' | 'workbench-stopped' | 'workbench-error';
  title: string;
  body: string;
}

const SERVICE_TITLES = {
  runtime: 'The CodeWhale runtime failed',
  bridge: 'The Telegram bridge failed',
} as const;

/** States in which the workbench counts as up for the "stopped without being asked" rule. */
const UP_STATES = new Set<WorkbenchStatus['overall']>(['running', 'degraded']);
/** Actions that stop the workbench on purpose. */
const STOPPING_ACTIONS = new Set<ActionName>(['stop', 'restart']);

function serviceNotices(previous: WorkbenchStatus, next: WorkbenchStatus): Notice[] {
  const names = ['runtime', 'bridge'] as const;

  return names.flatMap((name): Notice[] => {
    const before = previous.services?.[name];
    const after = next.services?.[name];
    if (!after || after.state !== 'failed' || before?.state === 'failed') return [];
    const body =
      after.detail ?? 'The supervisor gave up restarting it. Open Status & Logs for details.';

    return [{ id: `${name}-failed`, title: SERVICE_TITLES[name], body }];
  });
}

function stoppedUnasked(
  previous: WorkbenchStatus,
  next: WorkbenchStatus,
  lastAction: ActionName | null,
): boolean {
  if (!UP_STATES.has(previous.overall)) return false;
  if (lastAction && STOPPING_ACTIONS.has(lastAction)) return false;
  // Someone else (the CLI, or launchd on logout) asked: the action lock said so.
  if (next.action === 'stop' || next.action === 'restart' || next.overall === 'stopping')
    return false;

  return next.overall === 'stopped' || next.overall === 'error';
}

/**
 * The notifications for one status change. `lastAction` is the action this app finished since
 * `previous` was seen, or null; the first status seen (`previous` null) raises nothing.
 */
export function decideNotifications(
  previous: WorkbenchStatus | null,
  next: WorkbenchStatus,
  lastAction: ActionName | null,
): Notice[] {
  if (!previous) return [];
  const notices = serviceNotices(previous, next);
  if (stoppedUnasked(previous, next, lastAction)) {
    const error = next.overall === 'error';
    notices.push({
      id: error ? 'workbench-error' : 'workbench-stopped',
      title: error ? 'The workbench stopped with an error' : 'The workbench stopped',
      body: error
        ? next.summary
        : 'It stopped without being asked to. Open Status & Logs to see why.',
    });
  }

  return notices;
}
