/**
 * The supervisor's `status.json` (SPEC §4): its schema, shared by the writer inside the container
 * and the reader on the host. The host treats the file as untrusted input: it is size-limited,
 * checked strictly, and judged fresh only while its heartbeat counter keeps changing.
 */
import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import { z } from 'zod';

export const STATUS_FILE_LIMIT_BYTES = 64 * 1024;

const isoDate = z
  .string()
  .max(40)
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
const shortText = z.string().max(500);

export const serviceStates = ['starting', 'running', 'restarting', 'stopped', 'failed'] as const;
export type ServiceState = (typeof serviceStates)[number];

export const lastExitSchema = z
  .object({
    code: z.number().int().min(0).max(255).nullable(),
    signal: z
      .string()
      .max(16)
      .regex(/^[A-Z0-9]*$/)
      .nullable(),
    at: isoDate,
  })
  .strict();

export const serviceStatusSchema = z
  .object({
    state: z.enum(serviceStates),
    pid: z
      .number()
      .int()
      .positive()
      .max(2 ** 31)
      .nullable(),
    restarts: z.number().int().min(0).max(1_000_000),
    startedAt: isoDate.nullable(),
    healthy: z.boolean().nullable(),
    lastExit: lastExitSchema.nullable(),
    detail: shortText.nullable(),
  })
  .strict();

export const supervisorStatusSchema = z
  .object({
    schemaVersion: z.literal(1),
    supervisor: z
      .object({
        pid: z
          .number()
          .int()
          .positive()
          .max(2 ** 31),
        startedAt: isoDate,
        heartbeat: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        updatedAt: isoDate,
        heartbeatIntervalMs: z.number().int().min(100).max(600_000).optional(),
      })
      .strict(),
    services: z.object({ runtime: serviceStatusSchema, bridge: serviceStatusSchema }).strict(),
  })
  .strict();

export type ServiceStatus = z.infer<typeof serviceStatusSchema>;
export type SupervisorStatus = z.infer<typeof supervisorStatusSchema>;
export type LastExit = z.infer<typeof lastExitSchema>;

export type StatusFileRead =
  | { ok: true; status: SupervisorStatus }
  | { ok: false; reason: 'missing' | 'too-large' | 'unreadable' | 'invalid'; detail: string };

/** Reads status.json without following a symlink and without reading past the size limit. */
export function readStatusFile(path: string): StatusFileRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return {
        ok: false,
        reason: 'missing',
        detail: 'the supervisor has not written status.json yet',
      };

    return {
      ok: false,
      reason: 'unreadable',
      detail: `status.json cannot be opened (${code ?? 'error'})`,
    };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      return { ok: false, reason: 'unreadable', detail: 'status.json is not a regular file' };
    if (stat.size > STATUS_FILE_LIMIT_BYTES) {
      return {
        ok: false,
        reason: 'too-large',
        detail: `status.json is ${stat.size} bytes, over the ${STATUS_FILE_LIMIT_BYTES}-byte limit`,
      };
    }
    const buffer = Buffer.alloc(STATUS_FILE_LIMIT_BYTES + 1);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    if (length > STATUS_FILE_LIMIT_BYTES) {
      return {
        ok: false,
        reason: 'too-large',
        detail: `status.json grew past the ${STATUS_FILE_LIMIT_BYTES}-byte limit`,
      };
    }

    return parseStatusText(buffer.subarray(0, length).toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/** Parses and checks the text of status.json. */
export function parseStatusText(text: string): StatusFileRead {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid', detail: 'status.json is not valid JSON' };
  }
  const result = supervisorStatusSchema.safeParse(raw);
  if (result.success) return { ok: true, status: result.data };
  const issue = result.error.issues[0]!;

  return {
    ok: false,
    reason: 'invalid',
    detail: `status.json fails its schema at ${issue.path.join('.') || 'the top level'}`,
  };
}

export interface HeartbeatSighting {
  heartbeat: number;
  supervisorPid: number;
  startedAt: string;
  /** Host time (ms) when this counter value was first seen. */
  seenAt: number;
}

/**
 * Judges freshness by the host's own clock: the status is stale when the heartbeat counter has
 * not changed for `staleAfterMs`. The VM's clock can drift after sleep, so `updatedAt` is not used.
 */
export function judgeHeartbeat(
  status: SupervisorStatus,
  previous: HeartbeatSighting | null,
  now: number,
  staleAfterMs: number,
): { sighting: HeartbeatSighting; stale: boolean } {
  const same =
    previous !== null &&
    previous.heartbeat === status.supervisor.heartbeat &&
    previous.supervisorPid === status.supervisor.pid &&
    previous.startedAt === status.supervisor.startedAt;
  if (!same) {
    return {
      sighting: {
        heartbeat: status.supervisor.heartbeat,
        supervisorPid: status.supervisor.pid,
        startedAt: status.supervisor.startedAt,
        seenAt: now,
      },
      stale: false,
    };
  }

  return { sighting: previous, stale: now - previous.seenAt > staleAfterMs };
}

/**
 * How long an unchanged heartbeat is tolerated: three of the intervals the supervisor announces,
 * at least one second (the schema bounds the interval, so a status cannot disable the check).
 */
export function staleAfterMs(status: SupervisorStatus): number {
  const interval = status.supervisor.heartbeatIntervalMs ?? 10_000;

  return Math.max(1000, interval * 3);
}
