/**
 * Writes `status.json` (SPEC §4): atomically, so a reader never sees half a file, and with a
 * heartbeat counter that grows on every write, so readers judge freshness by its change.
 */
import { join } from 'node:path';

import { removeStaleTempFiles, writeFileAtomic } from '../core/atomic-file.js';
import type { ServiceStatus, SupervisorStatus } from '../core/supervisor-status.js';

export const STATUS_FILE = 'status.json';

export type ServiceStatuses = SupervisorStatus['services'];

/** The supervisor's side of status.json; `write` replaces the file with the given services. */
export class StatusWriter {
  readonly path: string;
  readonly #supervisor: SupervisorStatus['supervisor'];

  constructor(
    statusDir: string,
    options: { pid: number; startedAt: Date; heartbeatIntervalMs: number },
  ) {
    this.path = join(statusDir, STATUS_FILE);
    this.#supervisor = {
      pid: options.pid,
      startedAt: isoSeconds(options.startedAt),
      heartbeat: 0,
      updatedAt: isoSeconds(options.startedAt),
      heartbeatIntervalMs: options.heartbeatIntervalMs,
    };
    removeStaleTempFiles(this.path);
  }

  /** The number of writes so far. */
  get heartbeat(): number {
    return this.#supervisor.heartbeat;
  }

  /** Writes the file with the next heartbeat. Loss on power failure is harmless, so no fsync. */
  write(services: ServiceStatuses, now = new Date()): void {
    this.#supervisor.heartbeat += 1;
    this.#supervisor.updatedAt = isoSeconds(now);
    const status: SupervisorStatus = {
      schemaVersion: 1,
      supervisor: { ...this.#supervisor },
      services,
    };
    writeFileAtomic(this.path, `${JSON.stringify(status, null, 2)}\n`, {
      mode: 0o644,
      durable: false,
    });
  }
}

/** `2026-12-03T08:00:00Z`: ISO 8601 in UTC, whole seconds. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A service that has not been started. */
export function idleService(state: ServiceStatus['state'], detail: string | null): ServiceStatus {
  return { state, pid: null, restarts: 0, startedAt: null, healthy: null, lastExit: null, detail };
}
