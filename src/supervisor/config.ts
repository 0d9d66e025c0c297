/**
 * The configuration of `workbench-supervisor` and `workbench-doctor`, read once from the
 * environment, with the defaults of the real image (SPEC §4). Every timing has a floor so a typo
 * cannot turn the supervisor into a busy loop; `WORKBENCH_FAST_TIMERS=1` lowers the floors for tests.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';

import { WorkbenchError } from '../core/errors.js';

/** The user and group the services run as, with the identity their environment carries. */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface SupervisorConfig {
  envDir: string;
  statusDir: string;
  workspace: string;
  codewhaleBin: string;
  bridgeEntry: string;
  nodeBin: string;
  /** First restart delay; each further failure within the window doubles it, up to the cap. */
  restartDelayMs: number;
  restartMaxDelayMs: number;
  /** Failures within `failureWindowMs` after which a service is given up and marked failed. */
  failureLimit: number;
  failureWindowMs: number;
  heartbeatMs: number;
  healthIntervalMs: number;
  /** How long a started runtime may take to answer `/health` with 200. */
  readyTimeoutMs: number;
  bridgeStopGraceMs: number;
  runtimeStopGraceMs: number;
  /** null: the services run as the supervisor's own user. */
  runAs: RunAs | null;
  /** Mount points prepared (created, owned by `runAs`) before the services start, as root. */
  volumeDirs: string[];
}

/** A configuration variable with a value the supervisor cannot use. */
export class SupervisorConfigError extends WorkbenchError {
  constructor(message: string, hint: string) {
    super(message, { hint });
    this.name = 'SupervisorConfigError';
  }
}

/** The defaults of the real image. */
export const DEFAULT_PATHS = {
  envDir: '/etc/codewhale',
  statusDir: '/run/workbench',
  workspace: '/opt/whalebro',
  codewhaleBin: '/usr/local/bin/codewhale',
  bridgeEntry: '/opt/codewhale/telegram-bridge/src/index.mjs',
  runtimeState: '/home/codewhale/.codewhale',
  bridgeState: '/var/lib/codewhale-telegram-bridge',
} as const;

export const RUNTIME_ENV_FILE = 'runtime.env';
export const BRIDGE_ENV_FILE = 'telegram-bridge.env';

/** The service user of the release image. */
export const SERVICE_UID = 1000;
export const SERVICE_GID = 1000;

interface Timing {
  variable: string;
  fallback: number;
  floor: number;
  fastFloor: number;
}

const TIMINGS = {
  restartDelayMs: {
    variable: 'WORKBENCH_RESTART_DELAY_MS',
    fallback: 5000,
    floor: 1000,
    fastFloor: 10,
  },
  restartMaxDelayMs: {
    variable: 'WORKBENCH_RESTART_MAX_DELAY_MS',
    fallback: 60_000,
    floor: 1000,
    fastFloor: 10,
  },
  failureWindowMs: {
    variable: 'WORKBENCH_FAILURE_WINDOW_MS',
    fallback: 300_000,
    floor: 10_000,
    fastFloor: 100,
  },
  heartbeatMs: {
    variable: 'WORKBENCH_HEARTBEAT_MS',
    fallback: 10_000,
    floor: 1000,
    fastFloor: 100,
  },
  healthIntervalMs: {
    variable: 'WORKBENCH_HEALTH_INTERVAL_MS',
    fallback: 5000,
    floor: 5000,
    fastFloor: 50,
  },
  readyTimeoutMs: {
    variable: 'WORKBENCH_READY_TIMEOUT_MS',
    fallback: 120_000,
    floor: 5000,
    fastFloor: 200,
  },
  bridgeStopGraceMs: {
    variable: 'WORKBENCH_BRIDGE_STOP_GRACE_MS',
    fallback: 10_000,
    floor: 1000,
    fastFloor: 50,
  },
  runtimeStopGraceMs: {
    variable: 'WORKBENCH_RUNTIME_STOP_GRACE_MS',
    fallback: 5000,
    floor: 1000,
    fastFloor: 50,
  },
} satisfies Record<string, Timing>;

type Env = Readonly<Record<string, string | undefined>>;

/** Facts about the process that the defaults depend on. */
export interface ProcessFacts {
  uid: number;
  nodeBin: string;
}

function currentFacts(): ProcessFacts {
  return {
    uid: typeof process.getuid === 'function' ? process.getuid() : -1,
    nodeBin: process.execPath,
  };
}

function readPath(env: Env, variable: string, fallback: string): string {
  const value = env[variable]?.trim();
  if (!value) return fallback;
  if (!isAbsolute(value)) {
    throw new SupervisorConfigError(
      `${variable} must be an absolute path, got ${JSON.stringify(value)}`,
      `set ${variable} to a full path or unset it to use ${fallback}`,
    );
  }

  return value;
}

function readWholeNumber(env: Env, variable: string, fallback: number): number {
  const value = env[variable]?.trim();
  if (!value) return fallback;
  if (!/^\d+$/.test(value)) {
    throw new SupervisorConfigError(
      `${variable} must be a whole number, got ${JSON.stringify(value)}`,
      `set ${variable} to a number such as ${fallback}, or unset it`,
    );
  }

  return Number(value);
}

function readTiming(env: Env, timing: Timing, fast: boolean): number {
  const value = readWholeNumber(env, timing.variable, timing.fallback);

  return Math.max(value, fast ? timing.fastFloor : timing.floor);
}

/** Parses `WORKBENCH_RUN_AS`: `uid:gid`, `none`, or unset (1000:1000 as root, else none). */
export function parseRunAs(value: string | undefined, uid: number): RunAs | null {
  const text = value?.trim() ?? '';
  if (text === '') return uid === 0 ? { uid: SERVICE_UID, gid: SERVICE_GID } : null;
  if (text === 'none') return null;
  const match = /^(\d+):(\d+)$/.exec(text);
  if (!match) {
    throw new SupervisorConfigError(
      `WORKBENCH_RUN_AS must be uid:gid or none, got ${JSON.stringify(text)}`,
      'set it to 1000:1000, to none, or unset it',
    );
  }
  const runAs = { uid: Number(match[1]), gid: Number(match[2]) };
  if (uid !== 0 && runAs.uid !== uid) {
    throw new SupervisorConfigError(
      `WORKBENCH_RUN_AS is ${text}, but only root can run the services as another user`,
      'start the supervisor as root, or set WORKBENCH_RUN_AS=none',
    );
  }

  return runAs;
}

function readVolumeDirs(env: Env, workspace: string): string[] {
  const value = env.WORKBENCH_VOLUME_DIRS;
  if (value === undefined)
    return [workspace, DEFAULT_PATHS.runtimeState, DEFAULT_PATHS.bridgeState];
  const dirs = value
    .split(':')
    .map((dir) => dir.trim())
    .filter(Boolean);
  const relative = dirs.find((dir) => !isAbsolute(dir));
  if (relative !== undefined) {
    throw new SupervisorConfigError(
      `WORKBENCH_VOLUME_DIRS must list absolute paths, got ${JSON.stringify(relative)}`,
      'separate full paths with ":", or set it empty to prepare no folder',
    );
  }

  return dirs;
}

/** Reads the whole configuration; throws a SupervisorConfigError naming the bad variable. */
export function readSupervisorConfig(
  env: Env = process.env,
  facts: ProcessFacts = currentFacts(),
): SupervisorConfig {
  const fast = env.WORKBENCH_FAST_TIMERS === '1';
  const workspace = readPath(env, 'WORKBENCH_WORKSPACE', DEFAULT_PATHS.workspace);
  const timings = Object.fromEntries(
    Object.entries(TIMINGS).map(([name, timing]) => [name, readTiming(env, timing, fast)]),
  ) as Record<keyof typeof TIMINGS, number>;

  return {
    envDir: readPath(env, 'WORKBENCH_ENV_DIR', DEFAULT_PATHS.envDir),
    statusDir: readPath(env, 'WORKBENCH_STATUS_DIR', DEFAULT_PATHS.statusDir),
    workspace,
    codewhaleBin: readPath(env, 'CODEWHALE_BIN', DEFAULT_PATHS.codewhaleBin),
    bridgeEntry: readPath(env, 'WORKBENCH_BRIDGE_ENTRY', DEFAULT_PATHS.bridgeEntry),
    nodeBin: readPath(env, 'WORKBENCH_NODE_BIN', facts.nodeBin),
    ...timings,
    restartMaxDelayMs: Math.max(timings.restartMaxDelayMs, timings.restartDelayMs),
    failureLimit: Math.max(1, readWholeNumber(env, 'WORKBENCH_FAILURE_LIMIT', 5)),
    runAs: parseRunAs(env.WORKBENCH_RUN_AS, facts.uid),
    volumeDirs: readVolumeDirs(env, workspace),
  };
}

/** The name and home folder of a user id, from /etc/passwd; null when it has no entry. */
export function lookupUser(
  uid: number,
  passwdPath = '/etc/passwd',
): { name: string; home: string } | null {
  let text: string;
  try {
    text = readFileSync(passwdPath, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 7 && Number(fields[2]) === uid && fields[2] !== '') {
      return { name: fields[0]!, home: fields[5]! };
    }
  }

  return null;
}
