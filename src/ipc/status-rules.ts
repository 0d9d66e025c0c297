/**
 * Which of Start, Stop and Restart apply to a status: one rule for the tray menu and the status
 * window, so both offer the same actions.
 */

/** The part of a status the rule looks at. */
export interface ActionableStatus {
  overall: string;
  container: { state: string };
  launchAgent: { running: boolean };
}

/** Start, Stop and Restart, each true when it applies (before any action in flight is counted). */
export function applicableActions(status: ActionableStatus): { start: boolean; stop: boolean; restart: boolean } {
  const up = status.container.state === 'running';
  const settled = status.overall !== 'starting' && status.overall !== 'stopping';
  const setUp = status.overall !== 'not-set-up';

  return {
    start: !up && settled && setUp,
    stop: (up || status.overall === 'starting' || status.launchAgent.running) && status.overall !== 'stopping',
    restart: up && settled,
  };
}
