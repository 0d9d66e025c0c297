/**
 * The supervisor: keeps the runtime and the Telegram bridge running inside the container.
 *
 * - The runtime starts first; the bridge only once the runtime answers `/health` with 200.
 * - A service that exits on its own is restarted after a delay that doubles with each failure;
 *   after too many failures, or on a configuration error a restart cannot cure, it is marked
 *   failed with a detail that says why.
 * - While the runtime runs but fails its health checks, the bridge is paused (stopped), so it
 *   does not spin against a dead runtime; it is started again once the runtime recovers.
 * - When both services are down at the same time, `run()` resolves 1 so the container ends and
 *   the layer above can start it afresh.
 * - `shutdown()` stops the bridge, then the runtime, each TERM then KILL, and resolves 0.
 *
 * Every change is written to status.json at once and logged with the service's name and pid.
 */
import type { Logger } from '../core/logger.js';
import type { ServiceStatus } from '../core/supervisor-status.js';
import { ManagedChild, type ChildExit, type OutputStream, type SpawnSpec } from './child.js';
import {
  classifyExit,
  classifyRunningLine,
  clipDetail,
  describeExit,
  type ServiceName,
} from './classify.js';
import { BRIDGE_ENV_FILE, RUNTIME_ENV_FILE, type SupervisorConfig } from './config.js';
import { isHealthy } from './http-probe.js';
import { OutputForwarder, type LineWriter } from './output.js';
import { RestartPolicy } from './restart-policy.js';
import {
  childEnvironment,
  loadEnvFile,
  redactSecrets,
  runtimeLaunch,
  secretValuesOf,
  type ChildIdentity,
  type EnvValues,
} from './service-env.js';
import { idleService, isoSeconds, type StatusWriter } from './status-writer.js';

const READY_POLL_MS = 50;
const PROBE_TIMEOUT_MS = 3000;
/** Failed health checks in a row after which the runtime counts as unhealthy. */
const UNHEALTHY_AFTER_PROBES = 2;
/** Failed health checks in a row after which a running runtime is restarted. */
const RESTART_AFTER_PROBES = 12;
/** A bridge still alive after this long counts as running even without its start-up line. */
const BRIDGE_SETTLE_MS = 3000;
const BRIDGE_STARTED_LINE = 'Starting CodeWhale Telegram bridge';
const FORWARDED_LINES_PER_SECOND = 100;

export const PAUSED_DETAIL = 'paused: runtime unhealthy';

/** Why the supervisor itself stopped a child. */
type StopReason = 'pause' | 'shutdown' | 'unhealthy' | 'ready-timeout' | 'fatal';

interface Service {
  readonly name: ServiceName;
  status: ServiceStatus;
  child: ManagedChild | null;
  stopReason: StopReason | null;
  /** The detail to record when the stop the supervisor asked for completes. */
  stopDetail: string | null;
  restartTimer: NodeJS.Timeout | null;
  /** True while the next start is a restart after a failure (it counts in `restarts`). */
  restartPending: boolean;
  readonly policy: RestartPolicy;
  readonly output: OutputForwarder;
}

export interface SupervisorDeps {
  config: SupervisorConfig;
  logger: Logger;
  writer: StatusWriter;
  identity: ChildIdentity;
  /** Where the services' own output goes; the supervisor's stdout by default. */
  output?: LineWriter;
}

/** Runs both services until shut down, or until both are down at once. */
export class Supervisor {
  readonly #config: SupervisorConfig;
  readonly #logger: Logger;
  readonly #writer: StatusWriter;
  readonly #identity: ChildIdentity;
  readonly #runtime: Service;
  readonly #bridge: Service;
  #secrets: string[] = [];
  #runtimePort = 0;
  #failedProbes = 0;
  #probing = false;
  #healthTimer: NodeJS.Timeout | null = null;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #bridgeSettleTimer: NodeJS.Timeout | null = null;
  #stopping = false;
  #stopped: Promise<void> | null = null;
  #finish: (code: number) => void = () => {};
  readonly #done: Promise<number>;

  constructor(deps: SupervisorDeps) {
    this.#config = deps.config;
    this.#logger = deps.logger;
    this.#writer = deps.writer;
    this.#identity = deps.identity;
    const out = deps.output ?? process.stdout;
    this.#runtime = this.#newService('runtime', out, 'not started yet');
    this.#bridge = this.#newService('bridge', out, 'waiting for the runtime to answer /health');
    this.#done = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  /** Starts everything; resolves with the exit status the supervisor should end with. */
  run(): Promise<number> {
    this.#writeStatus();
    this.#heartbeatTimer = setInterval(() => this.#writeStatus(), this.#config.heartbeatMs);
    this.#startRuntime();

    return this.#done;
  }

  /** Stops the bridge, then the runtime, and resolves `run()` with `code`. Idempotent. */
  shutdown(reason: string, code = 0): Promise<void> {
    if (this.#stopped) return this.#stopped;
    this.#stopping = true;
    this.#logger.info('shutting down', { reason });
    this.#stopped = this.#stopServices(reason).then(() => {
      if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
      this.#writeStatus();
      this.#logger.info('supervisor stopped', { exitCode: code });
      this.#finish(code);
    });

    return this.#stopped;
  }

  /** KILLs every child's group at once: for a second signal, or an exit that cannot wait. */
  killNow(): void {
    for (const service of [this.#bridge, this.#runtime]) service.child?.kill();
  }

  /** A copy of both services' status, as written to status.json. */
  snapshot(): { runtime: ServiceStatus; bridge: ServiceStatus } {
    return { runtime: { ...this.#runtime.status }, bridge: { ...this.#bridge.status } };
  }

  #newService(name: ServiceName, out: LineWriter, detail: string): Service {
    const { restartDelayMs, restartMaxDelayMs, failureLimit, failureWindowMs } = this.#config;

    return {
      name,
      status: idleService('starting', detail),
      child: null,
      stopReason: null,
      stopDetail: null,
      restartTimer: null,
      restartPending: false,
      policy: new RestartPolicy({
        baseDelayMs: restartDelayMs,
        maxDelayMs: restartMaxDelayMs,
        limit: failureLimit,
        windowMs: failureWindowMs,
      }),
      output: new OutputForwarder(name, { perSecond: FORWARDED_LINES_PER_SECOND, out }),
    };
  }

  // ---- runtime ------------------------------------------------------------------------------

  #startRuntime(): void {
    const service = this.#runtime;
    if (this.#stopping) return;
    const runtimeEnv = loadEnvFile(this.#config.envDir, RUNTIME_ENV_FILE);
    if (!runtimeEnv.ok) return this.#markFailed(service, runtimeEnv.detail);
    this.#logWarnings(service, runtimeEnv.warnings);
    const launch = runtimeLaunch(runtimeEnv.values);
    if (!launch.ok) return this.#markFailed(service, launch.detail);
    this.#rememberSecrets(runtimeEnv.values);
    this.#runtimePort = launch.port;
    this.#failedProbes = 0;

    const child = this.#spawn(service, {
      command: this.#config.codewhaleBin,
      args: launch.args,
      env: childEnvironment(runtimeEnv.values, this.#identity),
      cwd: this.#config.workspace,
      runAs: this.#config.runAs,
    });
    this.#setState(service, {
      state: 'starting',
      healthy: null,
      detail: `waiting for /health on port ${launch.port}`,
    });
    void this.#awaitReadiness(child, Date.now() + this.#config.readyTimeoutMs);
  }

  async #awaitReadiness(child: ManagedChild, deadline: number): Promise<void> {
    const service = this.#runtime;
    while (
      service.child === child &&
      child.alive &&
      !this.#stopping &&
      service.stopReason === null
    ) {
      if (
        await isHealthy(this.#runtimePort, Math.min(PROBE_TIMEOUT_MS, this.#config.readyTimeoutMs))
      ) {
        if (service.child !== child || !child.alive || service.stopReason !== null) return;
        this.#runtimeReady(child);
        return;
      }
      if (Date.now() >= deadline) {
        const limit = seconds(this.#config.readyTimeoutMs);
        this.#requestStop(
          service,
          'ready-timeout',
          `the runtime did not answer /health within ${limit}`,
        );
        return;
      }
      await delay(READY_POLL_MS);
    }
  }

  #runtimeReady(child: ManagedChild): void {
    const service = this.#runtime;
    const readyAfterSeconds = Number(((Date.now() - child.startedAt.getTime()) / 1000).toFixed(1));
    this.#logger.info('runtime running', {
      pid: child.pid,
      port: this.#runtimePort,
      readyAfterSeconds,
    });
    this.#setState(service, { state: 'running', healthy: true, detail: null });
    this.#healthTimer = setInterval(
      () => void this.#checkHealth(child),
      this.#config.healthIntervalMs,
    );
    this.#reconcileBridge();
  }

  async #checkHealth(child: ManagedChild): Promise<void> {
    const service = this.#runtime;
    if (this.#probing || service.child !== child || this.#stopping) return;
    this.#probing = true;
    const healthy = await isHealthy(
      this.#runtimePort,
      Math.min(PROBE_TIMEOUT_MS, this.#config.healthIntervalMs),
    );
    this.#probing = false;
    if (service.child !== child || service.status.state !== 'running' || this.#stopping) return;

    if (healthy) {
      this.#failedProbes = 0;
      if (service.status.healthy === true) return;
      this.#logger.info('runtime healthy again', { pid: child.pid });
      this.#setState(service, { healthy: true, detail: null });
      this.#reconcileBridge();
      return;
    }
    this.#failedProbes += 1;
    if (this.#failedProbes === UNHEALTHY_AFTER_PROBES) {
      this.#logger.warn('runtime unhealthy: /health does not answer 200', {
        pid: child.pid,
        failedChecks: this.#failedProbes,
      });
      this.#setState(service, { healthy: false, detail: 'the runtime does not answer /health' });
      this.#reconcileBridge();
    }
    if (this.#failedProbes >= RESTART_AFTER_PROBES && service.stopReason === null) {
      const detail = `the runtime stopped answering /health (${this.#failedProbes} checks in a row)`;
      this.#requestStop(service, 'unhealthy', detail);
    }
  }

  // ---- bridge -------------------------------------------------------------------------------

  /** Starts, pauses or holds the bridge according to the runtime's state. */
  #reconcileBridge(): void {
    const bridge = this.#bridge;
    if (this.#stopping || bridge.status.state === 'failed') return;
    const runtime = this.#runtime.status;
    const ready = runtime.state === 'running' && runtime.healthy === true;
    const sick =
      (runtime.state === 'running' && runtime.healthy === false) || runtime.state === 'failed';

    if (bridge.child) {
      if (!sick || bridge.stopReason !== null) return;
      const failed = runtime.state === 'failed';
      this.#setState(bridge, {
        detail: failed ? 'stopping: the runtime failed' : 'pausing: runtime unhealthy',
      });
      this.#requestStop(bridge, 'pause', failed ? 'stopped: the runtime failed' : PAUSED_DETAIL);
      return;
    }
    if (bridge.restartTimer) return;
    if (ready) return this.#startBridge();
    if (sick) {
      if (bridge.status.state === 'stopped') return;
      const failed = runtime.state === 'failed';
      const detail = failed ? 'not started: the runtime failed' : PAUSED_DETAIL;
      return this.#setState(bridge, { state: 'stopped', detail });
    }
    if (bridge.status.state !== 'starting' && bridge.status.state !== 'restarting') {
      this.#setState(bridge, {
        state: 'starting',
        detail: 'waiting for the runtime to answer /health',
      });
    }
  }

  #startBridge(): void {
    const service = this.#bridge;
    const bridgeEnv = loadEnvFile(this.#config.envDir, BRIDGE_ENV_FILE);
    if (!bridgeEnv.ok) return this.#markFailed(service, bridgeEnv.detail);
    this.#logWarnings(service, bridgeEnv.warnings);
    this.#rememberSecrets(bridgeEnv.values);

    const child = this.#spawn(service, {
      command: this.#config.nodeBin,
      args: [this.#config.bridgeEntry],
      env: childEnvironment(bridgeEnv.values, this.#identity),
      cwd: this.#config.workspace,
      runAs: this.#config.runAs,
    });
    this.#setState(service, { state: 'starting', detail: null });
    this.#bridgeSettleTimer = setTimeout(() => this.#bridgeRunning(child), BRIDGE_SETTLE_MS);
  }

  #bridgeRunning(child: ManagedChild): void {
    const service = this.#bridge;
    if (service.child !== child || service.status.state !== 'starting') return;
    if (this.#bridgeSettleTimer) clearTimeout(this.#bridgeSettleTimer);
    this.#logger.info('bridge running', { pid: child.pid });
    this.#setState(service, { state: 'running' });
  }

  // ---- both services ------------------------------------------------------------------------

  #spawn(service: Service, spec: SpawnSpec): ManagedChild {
    if (service.restartPending) {
      service.restartPending = false;
      service.status.restarts += 1;
    }
    service.stopReason = null;
    service.stopDetail = null;
    const child = new ManagedChild(spec, {
      onLine: (stream, line) => this.#onLine(service, child, stream, line),
      onExit: (exit) => this.#onExit(service, child, exit),
    });
    service.child = child;
    service.status.pid = child.pid ?? null;
    service.status.startedAt = isoSeconds(child.startedAt);
    this.#logger.info(`${service.name} started`, {
      pid: child.pid,
      restarts: service.status.restarts,
    });

    return child;
  }

  #onLine(service: Service, child: ManagedChild, _stream: OutputStream, raw: string): void {
    const line = redactSecrets(raw, this.#secrets);
    service.output.forward(line);
    if (service.child !== child) return;
    if (service.name === 'bridge' && line.includes(BRIDGE_STARTED_LINE)) this.#bridgeRunning(child);
    const finding = classifyRunningLine(service.name, line);
    if (!finding || service.stopReason !== null) return;
    if (finding.fatal) {
      this.#logger.error(`${service.name} misconfigured, stopping it`, {
        pid: child.pid,
        detail: finding.detail,
      });
      this.#requestStop(service, 'fatal', finding.detail);
      return;
    }
    if (finding.detail !== service.status.detail)
      this.#setState(service, { detail: finding.detail });
  }

  #requestStop(service: Service, reason: StopReason, detail: string): void {
    const child = service.child;
    if (!child || service.stopReason !== null) return;
    service.stopReason = reason;
    service.stopDetail = detail;
    this.#logger.info(`stopping ${service.name}`, { pid: child.pid, reason: detail });
    void child.stop(
      service.name === 'bridge' ? this.#config.bridgeStopGraceMs : this.#config.runtimeStopGraceMs,
    );
  }

  #onExit(service: Service, child: ManagedChild, exit: ChildExit): void {
    if (service.child !== child) return;
    service.child = null;
    if (service.name === 'runtime' && this.#healthTimer) {
      clearInterval(this.#healthTimer);
      this.#healthTimer = null;
    }
    const lastExit = { code: exit.code, signal: exit.signal, at: isoSeconds(exit.at) };
    Object.assign(service.status, { pid: null, startedAt: null, healthy: null, lastExit });
    const reason = service.stopReason;
    this.#logExit(service, child, exit, reason);

    if (this.#stopping || reason === 'shutdown') {
      this.#setState(service, { state: 'stopped', detail: service.stopDetail ?? 'stopped' });
      return;
    }
    if (reason === 'pause') {
      this.#setState(service, { state: 'stopped', detail: service.stopDetail });
      this.#reconcileBridge();
      return;
    }
    const requestedDetail = service.stopDetail ?? describeExit(exit.code, exit.signal);
    if (reason === 'fatal') return this.#markFailed(service, requestedDetail);
    if (reason !== null) return this.#failed(service, requestedDetail);
    if (exit.spawnError !== null) {
      const command = service.name === 'runtime' ? this.#config.codewhaleBin : this.#config.nodeBin;
      return this.#markFailed(service, clipDetail(`cannot start ${command}: ${exit.spawnError}`));
    }
    const lines = exit.lines.map((line) => redactSecrets(line, this.#secrets));
    const finding = classifyExit(service.name, lines, exit.code, exit.signal);
    if (finding.fatal) return this.#markFailed(service, finding.detail);
    this.#failed(service, finding.detail);
  }

  #logExit(
    service: Service,
    child: ManagedChild,
    exit: ChildExit,
    reason: StopReason | null,
  ): void {
    const fields = { pid: child.pid, code: exit.code, signal: exit.signal };
    if (exit.spawnError !== null) {
      this.#logger.error(`${service.name} could not be started`, { error: exit.spawnError });
    } else if (reason !== null && exit.forced) {
      this.#logger.warn(`${service.name} killed after its grace period`, fields);
    } else if (reason !== null) {
      this.#logger.info(`${service.name} stopped cleanly`, fields);
    } else {
      const uptimeSeconds = Math.round((exit.at.getTime() - child.startedAt.getTime()) / 1000);
      this.#logger.error(`${service.name} crashed`, { ...fields, uptimeSeconds });
    }
  }

  /** One more failure: restart after the policy's delay, or give up. */
  #failed(service: Service, detail: string): void {
    const decision = service.policy.recordFailure();
    const { limit, windowMs } = service.policy.options;
    if (decision.giveUp) {
      const reason = `gave up after ${decision.failures} failures within ${seconds(windowMs)}; last: ${detail}`;
      return this.#markFailed(service, clipDetail(reason));
    }
    this.#logger.warn(`restarting ${service.name} in ${decision.delayMs} ms`, {
      failure: `${decision.failures} of ${limit}`,
      detail,
    });
    service.restartPending = true;
    this.#setState(service, { state: 'restarting', detail });
    service.restartTimer = setTimeout(() => {
      service.restartTimer = null;
      if (service.name === 'runtime') this.#startRuntime();
      else this.#reconcileBridge();
    }, decision.delayMs);
    if (service.name === 'bridge') return;
    this.#reconcileBridge();
  }

  #markFailed(service: Service, detail: string): void {
    this.#logger.error(`${service.name} failed`, { detail });
    if (service.restartTimer) clearTimeout(service.restartTimer);
    service.restartTimer = null;
    this.#setState(service, {
      state: 'failed',
      pid: null,
      healthy: null,
      detail: clipDetail(detail),
    });
    if (service.name === 'runtime') this.#reconcileBridge();
  }

  #setState(service: Service, change: Partial<ServiceStatus>): void {
    const before = service.status.state;
    Object.assign(service.status, change);
    if (change.state && change.state !== before) {
      this.#logger.info(`${service.name} ${before} -> ${change.state}`, {
        pid: service.status.pid ?? undefined,
        detail: service.status.detail ?? undefined,
      });
    }
    this.#writeStatus();
    this.#exitWhenBothDown();
  }

  #exitWhenBothDown(): void {
    if (this.#stopping) return;
    const up = (status: ServiceStatus) => status.state === 'running' || status.state === 'starting';
    if (up(this.#runtime.status) || up(this.#bridge.status)) return;
    this.#logger.error(
      'both services are down; ending the supervisor so the container can be started afresh',
      {
        runtime: this.#runtime.status.state,
        bridge: this.#bridge.status.state,
      },
    );
    void this.shutdown('both services are down', 1);
  }

  async #stopServices(reason: string): Promise<void> {
    for (const timer of [this.#healthTimer, this.#bridgeSettleTimer])
      if (timer) clearTimeout(timer);
    for (const service of [this.#bridge, this.#runtime]) {
      if (service.restartTimer) clearTimeout(service.restartTimer);
      service.restartTimer = null;
    }
    // The bridge first: it talks to the runtime, never the other way round.
    for (const service of [this.#bridge, this.#runtime]) {
      const child = service.child;
      if (!child) {
        const down = service.status.state === 'failed' || service.status.state === 'stopped';
        if (!down) this.#setState(service, { state: 'stopped', detail: `stopped: ${reason}` });
        continue;
      }
      service.stopReason = 'shutdown';
      service.stopDetail = `stopped: ${reason}`;
      this.#logger.info(`stopping ${service.name}`, { pid: child.pid, reason });
      await child.stop(
        service.name === 'bridge'
          ? this.#config.bridgeStopGraceMs
          : this.#config.runtimeStopGraceMs,
      );
    }
  }

  #rememberSecrets(values: EnvValues): void {
    this.#secrets = [...new Set([...this.#secrets, ...secretValuesOf(values)])].sort(
      (a, b) => b.length - a.length,
    );
  }

  #logWarnings(service: Service, warnings: readonly string[]): void {
    for (const warning of warnings)
      this.#logger.warn(`${service.name} env file`, { problem: warning });
  }

  #writeStatus(): void {
    try {
      this.#writer.write({
        runtime: { ...this.#runtime.status },
        bridge: { ...this.#bridge.status },
      });
    } catch (error) {
      this.#logger.error('cannot write status.json', { error: (error as Error).message });
    }
  }
}

/** `0.3 s`, `300 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
