/**
 * Rules the tray menu and the status window share, so both offer the same actions and colour
 * the same states alike: which of Start, Stop and Restart apply, and the colour of each state.
 */

/** The colour of a state's dot or badge. */
export type Tone = 'green' | 'amber' | 'red' | 'grey';

export type OverallState =
  'running' | 'degraded' | 'starting' | 'stopping' | 'stopped' | 'not-set-up' | 'error';
export type ServiceStateName = 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';

export const OVERALL_TONES: Record<OverallState, Tone> = {
  running: 'green',
  degraded: 'amber',
  starting: 'amber',
  stopping: 'amber',
  stopped: 'grey',
  'not-set-up': 'grey',
  error: 'red',
};

export const SERVICE_TONES: Record<ServiceStateName, Tone> = {
  starting: 'amber',
  running: 'green',
  restarting: 'amber',
  stopped: 'grey',
  failed: 'red',
};

/** The part of a status the rule looks at. */
export interface ActionableStatus {
  overall: string;
  container: { state: string };
  launchAgent: { running: boolean };
}

/** Start, Stop and Restart, each true when it applies (before any action in flight is counted). */
export function applicableActions(status: ActionableStatus): {
  start: boolean;
  stop: boolean;
  restart: boolean;
} {
  const up = status.container.state === 'running';
  const settled = status.overall !== 'starting' && status.overall !== 'stopping';
  const setUp = status.overall !== 'not-set-up';

  return {
    start: !up && settled && setUp,
    stop:
      (up || status.overall === 'starting' || status.launchAgent.running) &&
      status.overall !== 'stopping',
    restart: up && settled,
  };
}
