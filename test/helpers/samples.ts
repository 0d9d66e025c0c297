/** Sample documents shared by tests. */
import type { SupervisorStatus } from '../../src/core/supervisor-status.js';

/** A supervisor status with both services running, as SPEC §4 shows it. */
export function sampleStatus(
  overrides: Partial<SupervisorStatus['supervisor']> = {},
): SupervisorStatus {
  const service = {
    state: 'running' as const,
    pid: 42,
    restarts: 0,
    startedAt: '2026-12-03T08:00:00Z',
    healthy: true,
    lastExit: null,
    detail: null,
  };

  return {
    schemaVersion: 1,
    supervisor: {
      pid: 1,
      startedAt: '2026-12-03T08:00:00Z',
      heartbeat: 17,
      updatedAt: '2026-12-03T08:00:30Z',
      ...overrides,
    },
    services: { runtime: service, bridge: { ...service, pid: 57, healthy: null } },
  };
}
