/**
 * Status objects for the app's tests, one per overall state, built by the core's `buildStatus`
 * from observations, so the menu and the notifications are tested against real statuses.
 */
import {
  buildStatus,
  type Overall,
  type StatusObservation,
  type WorkbenchStatus,
} from '../../src/core/status-model.js';
import type { ServiceStatus } from '../../src/core/supervisor-status.js';

export const NOW = new Date('2026-12-03T11:00:00Z');
const STARTED = '2026-12-03T08:00:00Z';

/** A service as the supervisor writes it, running since 08:00. */
export function service(overrides: Partial<ServiceStatus> = {}): ServiceStatus {
  return {
    state: 'running',
    pid: 42,
    restarts: 0,
    startedAt: STARTED,
    healthy: true,
    lastExit: null,
    detail: null,
    ...overrides,
  };
}

const envFile = (name: string) => ({
  path: `/home/wb/env/${name}`,
  exists: true,
  mode: '0600',
  ok: true,
  problems: [],
});

/** An observation of a running workbench with both services up; override any part. */
export function observation(
  overrides: Partial<StatusObservation> = {},
  services?: { runtime?: Partial<ServiceStatus>; bridge?: Partial<ServiceStatus> },
): StatusObservation {
  return {
    now: NOW,
    containerName: 'codewhale-workbench',
    image: 'codewhale-workbench:latest',
    system: { installed: true, running: true, version: '1.2.2' },
    systemError: null,
    container: {
      state: 'running',
      image: 'codewhale-workbench:latest',
      startedAt: STARTED,
      cpus: 4,
      memoryBytes: 17179869184,
    },
    imagePresent: true,
    supervisor: {
      read: {
        ok: true,
        status: {
          schemaVersion: 1,
          supervisor: {
            pid: 1,
            startedAt: STARTED,
            heartbeat: 17,
            updatedAt: '2026-12-03T10:59:58Z',
          },
          services: {
            runtime: service(services?.runtime),
            bridge: service({ pid: 57, healthy: null, ...services?.bridge }),
          },
        },
      },
      stale: false,
    },
    launchAgent: {
      label: 'com.codewhale.workbench',
      installed: false,
      loaded: false,
      pid: null,
      lastExit: null,
    },
    keepAwake: { enabled: false, active: false },
    envFiles: { runtime: envFile('runtime.env'), bridge: envFile('telegram-bridge.env') },
    action: null,
    ...overrides,
  };
}

const stoppedContainer = { container: null, supervisor: null } as const;

/** One status per overall state, each reached the way the core reaches it. */
export const STATUS_BY_OVERALL: Record<Overall, () => WorkbenchStatus> = {
  running: () => buildStatus(observation()),
  degraded: () =>
    buildStatus(
      observation(
        {},
        {
          bridge: {
            state: 'failed',
            restarts: 5,
            detail: 'another poller uses this bot token (409 Conflict)',
          },
        },
      ),
    ),
  starting: () => buildStatus(observation({ action: 'start', ...stoppedContainer })),
  stopping: () => buildStatus(observation({ action: 'stop' })),
  stopped: () => buildStatus(observation(stoppedContainer)),
  'not-set-up': () => buildStatus(observation({ ...stoppedContainer, imagePresent: false })),
  error: () =>
    buildStatus(
      observation({ ...stoppedContainer, systemError: 'container ls timed out after 10 s' }),
    ),
};

/** The status for one overall state, checked to really be in that state. */
export function statusFor(overall: Overall): WorkbenchStatus {
  const status = STATUS_BY_OVERALL[overall]();
  if (status.overall !== overall)
    throw new Error(`fixture for ${overall} came out as ${status.overall}`);

  return status;
}
