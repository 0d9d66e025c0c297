/**
 * The status model of SPEC §3: the one object `workbench status --json` prints and the app's menu
 * and windows are drawn from. `buildStatus` is a pure function from what was observed to that
 * object, so every combination of states can be tested without processes.
 */
import type { LastExit, ServiceState, StatusFileRead } from './supervisor-status.js';

export type Overall =
  'running' | 'degraded' | 'starting' | 'stopping' | 'stopped' | 'not-set-up' | 'error';
export type ContainerState = 'running' | 'stopped' | 'stopping' | 'missing' | 'unknown';

export interface ServiceView {
  state: ServiceState;
  pid: number | null;
  restarts: number;
  healthy: boolean | null;
  since: string | null;
  lastExit: LastExit | null;
  detail: string | null;
}

export interface EnvFileView {
  path: string;
  exists: boolean;
  mode: string | null;
  ok: boolean;
  problems: string[];
}

export interface WorkbenchStatus {
  schemaVersion: 1;
  overall: Overall;
  summary: string;
  /** Why the state is not plainly running or stopped, when there is such a reason. */
  reason: string | null;
  /** The action under way in some process (`start`, `stop`, …), from the action lock. */
  action: string | null;
  containerSystem: { installed: boolean; running: boolean; version: string | null };
  container: {
    name: string;
    state: ContainerState;
    image: string;
    startedAt: string | null;
    cpus: number | null;
    memoryBytes: number | null;
  };
  services: { runtime: ServiceView; bridge: ServiceView } | null;
  launchAgent: {
    label: string;
    installed: boolean;
    loaded: boolean;
    running: boolean;
    pid: number | null;
    lastExit: number | null;
  };
  keepAwake: { enabled: boolean; active: boolean };
  envFiles: { runtime: EnvFileView; bridge: EnvFileView };
  checkedAt: string;
}

/** What a refresh observed, before any interpretation. */
export interface StatusObservation {
  now: Date;
  containerName: string;
  image: string;
  /** null when the container system could not be asked at all (see `systemError`). */
  system: { installed: boolean; running: boolean; version: string | null };
  /** A failure of a command that prevented reading the state (timeout, unreadable output). */
  systemError: string | null;
  container: {
    state: Exclude<ContainerState, 'missing'>;
    image: string;
    startedAt: string | null;
    cpus: number | null;
    memoryBytes: number | null;
  } | null;
  /** false when the image is known to be absent; null when it was not checked. */
  imagePresent: boolean | null;
  supervisor: { read: StatusFileRead; stale: boolean } | null;
  launchAgent: {
    label: string;
    installed: boolean;
    loaded: boolean;
    pid: number | null;
    lastExit: number | null;
  };
  keepAwake: { enabled: boolean; active: boolean };
  envFiles: { runtime: EnvFileView; bridge: EnvFileView };
  action: string | null;
}

const STATE_WORDS: Record<ServiceState, string> = {
  starting: 'starting',
  running: 'up',
  restarting: 'restarting',
  stopped: 'stopped',
  failed: 'failed',
};

/** `3h`, `12m`, `40s`, `2d`: the coarse age a status line needs. */
export function formatUptime(sinceIso: string | null, now: Date): string {
  if (!sinceIso) return '';
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(sinceIso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;

  return `${Math.floor(seconds / 86_400)}d`;
}

function describeService(name: string, service: ServiceView, now: Date): string {
  const word = STATE_WORDS[service.state];
  if (service.state === 'running') return `${name} up ${formatUptime(service.since, now)}`.trim();

  return `${name} ${word}`;
}

function toServiceView(service: {
  state: ServiceState;
  pid: number | null;
  restarts: number;
  startedAt: string | null;
  healthy: boolean | null;
  lastExit: LastExit | null;
  detail: string | null;
}): ServiceView {
  return {
    state: service.state,
    pid: service.pid,
    restarts: service.restarts,
    healthy: service.healthy,
    since: service.startedAt,
    lastExit: service.lastExit,
    detail: service.detail,
  };
}

interface Verdict {
  overall: Overall;
  summary: string;
  reason: string | null;
}

function judgeRunningContainer(
  observation: StatusObservation,
  services: WorkbenchStatus['services'],
): Verdict {
  const supervisor = observation.supervisor;
  const startedAt = observation.container?.startedAt
    ? Date.parse(observation.container.startedAt)
    : Number.NaN;
  const young = Number.isFinite(startedAt) && observation.now.getTime() - startedAt < 60_000;
  if (!supervisor || !supervisor.read.ok) {
    const detail =
      supervisor && !supervisor.read.ok ? supervisor.read.detail : 'status.json was not read';
    if (young && supervisor && !supervisor.read.ok && supervisor.read.reason === 'missing') {
      return {
        overall: 'starting',
        summary: 'Workbench starting · waiting for the supervisor',
        reason: detail,
      };
    }
    return { overall: 'degraded', summary: `Workbench degraded · ${detail}`, reason: detail };
  }
  if (supervisor.stale) {
    const reason = 'the supervisor stopped updating status.json (heartbeat unchanged)';
    return { overall: 'degraded', summary: `Workbench degraded · ${reason}`, reason };
  }
  const { runtime, bridge } = services!;
  const parts = `${describeService('runtime', runtime, observation.now)} · ${describeService('bridge', bridge, observation.now)}`;
  const healthy = (service: ServiceView) =>
    service.state === 'running' && service.healthy !== false;
  if (healthy(runtime) && healthy(bridge))
    return { overall: 'running', summary: `Workbench running · ${parts}`, reason: null };
  const firstStart =
    [runtime, bridge].every((service) => service.restarts === 0 && service.state !== 'failed') &&
    [runtime, bridge].some((service) => service.state === 'starting');
  if (firstStart)
    return { overall: 'starting', summary: `Workbench starting · ${parts}`, reason: null };
  const failing = [runtime, bridge].find((service) => service.detail)?.detail ?? null;

  return { overall: 'degraded', summary: `Workbench degraded · ${parts}`, reason: failing };
}

function judgeIdle(observation: StatusObservation): Verdict {
  const envMissing = !observation.envFiles.runtime.exists || !observation.envFiles.bridge.exists;
  if (envMissing) {
    const reason = 'the env files do not exist yet';
    return {
      overall: 'not-set-up',
      summary: 'Workbench not set up · run `workbench setup`',
      reason,
    };
  }
  if (observation.imagePresent === false) {
    const reason = `the image ${observation.image} does not exist`;
    return {
      overall: 'not-set-up',
      summary: 'Workbench not set up · the image is missing, run `workbench setup`',
      reason,
    };
  }
  if (observation.launchAgent.loaded && observation.launchAgent.pid !== null) {
    return {
      overall: 'starting',
      summary: 'Workbench starting · the login agent is bringing it up',
      reason: null,
    };
  }
  if (!observation.system.running) {
    const reason = 'the container system service is not running';
    return {
      overall: 'stopped',
      summary: 'Workbench stopped · container system service not running',
      reason,
    };
  }

  return { overall: 'stopped', summary: 'Workbench stopped', reason: null };
}

function judge(observation: StatusObservation, services: WorkbenchStatus['services']): Verdict {
  if (!observation.system.installed) {
    const reason = 'the container command is not installed';
    return { overall: 'error', summary: 'Error · container is not installed', reason };
  }
  if (observation.systemError) {
    return {
      overall: 'error',
      summary: `Error · ${observation.systemError}`,
      reason: observation.systemError,
    };
  }
  if (observation.action === 'start' || observation.action === 'restart') {
    return { overall: 'starting', summary: 'Workbench starting', reason: null };
  }
  if (observation.action === 'stop' || observation.container?.state === 'stopping') {
    return { overall: 'stopping', summary: 'Workbench stopping', reason: null };
  }
  if (observation.container?.state === 'running')
    return judgeRunningContainer(observation, services);
  if (observation.container?.state === 'unknown') {
    const reason = 'the container system reports the container state as unknown';
    return { overall: 'degraded', summary: 'Workbench degraded · container state unknown', reason };
  }

  return judgeIdle(observation);
}

/** Interprets one observation as the status of SPEC §3. */
export function buildStatus(observation: StatusObservation): WorkbenchStatus {
  const running = observation.container?.state === 'running';
  const read = observation.supervisor?.read;
  const services =
    running && read?.ok
      ? {
          runtime: toServiceView(read.status.services.runtime),
          bridge: toServiceView(read.status.services.bridge),
        }
      : null;
  const verdict = judge(observation, services);

  return {
    schemaVersion: 1,
    overall: verdict.overall,
    summary: verdict.summary,
    reason: verdict.reason,
    action: observation.action,
    containerSystem: observation.system,
    container: {
      name: observation.containerName,
      state:
        observation.container?.state ??
        (observation.systemError || !observation.system.running ? 'unknown' : 'missing'),
      image: observation.container?.image ?? observation.image,
      startedAt: observation.container?.startedAt ?? null,
      cpus: observation.container?.cpus ?? null,
      memoryBytes: observation.container?.memoryBytes ?? null,
    },
    services,
    launchAgent: { ...observation.launchAgent, running: observation.launchAgent.pid !== null },
    keepAwake: observation.keepAwake,
    envFiles: observation.envFiles,
    checkedAt: observation.now.toISOString(),
  };
}
