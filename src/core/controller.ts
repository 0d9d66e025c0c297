/**
 * Start, stop and restart, as SPEC §3 and §5 describe. Each action holds the action lock, makes
 * sure the container system service runs, and goes through launchd when the workbench agent is
 * in use, so KeepAlive neither fights a stop nor doubles a start.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { withActionLock } from './action-lock.js';
import type { ContainerClient } from './container-client.js';
import { WorkbenchError } from './errors.js';
import type { AgentDefinition, LaunchAgentManager } from './launch-agent.js';
import type { Logger } from './logger.js';
import { AGENT_LABEL, type WorkbenchPaths } from './platform.js';
import type { Settings } from './settings.js';
import type { WorkbenchStatus } from './status-model.js';
import { ensureVolumes, workbenchRunSpec } from './workbench-agent.js';

export interface ControllerDeps {
  paths: WorkbenchPaths;
  settings: () => Settings;
  container: ContainerClient;
  launchd: LaunchAgentManager;
  agentDefinition: () => AgentDefinition;
  /** A fresh status, for `--wait`. */
  readStatus: () => Promise<WorkbenchStatus>;
  logger: Logger;
  timeouts?: Partial<ControllerTimeouts>;
}

export interface ControllerTimeouts {
  /** Waiting for another action to release the lock. */
  lockWaitMs: number;
  /** Waiting for the container to come up after a start (a first start may install a kernel). */
  containerUpMs: number;
  /** Waiting for both services to be healthy with `--wait`. */
  servicesHealthyMs: number;
  pollMs: number;
}

const DEFAULT_TIMEOUTS: ControllerTimeouts = {
  lockWaitMs: 300_000,
  containerUpMs: 180_000,
  servicesHealthyMs: 180_000,
  pollMs: 250,
};

export type Route = 'agent' | 'direct';

export interface ActionResult {
  message: string;
  route: Route;
}

export class WorkbenchController {
  readonly #deps: ControllerDeps;
  readonly #timeouts: ControllerTimeouts;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  }

  /** Starts the workbench (idempotent); with `wait`, also waits for both services to be healthy. */
  async start(options: { wait?: boolean } = {}): Promise<ActionResult> {
    const result = await this.#locked('start', () => this.#start());
    if (options.wait) await this.#waitForServices();

    return result;
  }

  /** Stops the workbench; the agent, when enabled, stays enabled for the next login. */
  async stop(): Promise<ActionResult> {
    return this.#locked('stop', () => this.#stop());
  }

  /** Stop, then start, by the same route. */
  async restart(options: { wait?: boolean } = {}): Promise<ActionResult> {
    const result = await this.#locked('restart', async () => {
      const stopped = await this.#stop();
      const started = await this.#start(stopped.route);
      return {
        message:
          started.route === 'agent'
            ? 'Workbench restarted through the login agent.'
            : 'Workbench restarted.',
        route: started.route,
      };
    });
    if (options.wait) await this.#waitForServices();

    return result;
  }

  /** True when the agent's plist is installed: starts then go through launchd. */
  agentInstalled(): boolean {
    return existsSync(this.#deps.paths.agentPlist);
  }

  #locked(action: string, work: () => Promise<ActionResult>): Promise<ActionResult> {
    return withActionLock(
      this.#deps.paths.lockFile,
      action,
      { waitMs: this.#timeouts.lockWaitMs },
      work,
    );
  }

  async #start(route: Route = this.agentInstalled() ? 'agent' : 'direct'): Promise<ActionResult> {
    const { container, logger } = this.#deps;
    const settings = this.#deps.settings();
    this.#ensureSetUp();
    await this.#ensureSystemRunning();

    const current = await this.#settleStopping(settings.containerName);
    if (current?.state === 'running') {
      return { message: 'Workbench is already running.', route };
    }
    if (!(await container.imageExists(settings.image))) {
      throw new WorkbenchError(`the image ${settings.image} does not exist`, {
        hint: 'run `workbench setup` to build it, or `workbench setup --image REF` to use another',
      });
    }
    if (current) await container.delete(settings.containerName, { force: true });
    await ensureVolumes(container);

    if (route === 'agent') {
      logger.info('starting the workbench through its launchd agent');
      await this.#startThroughAgent();
    } else {
      logger.info('starting the workbench container');
      await this.#runDetached(settings);
    }
    await this.#waitForContainer(settings.containerName, 'running');
    const message =
      route === 'agent' ? 'Workbench started through the login agent.' : 'Workbench started.';

    return { message, route };
  }

  async #stop(): Promise<ActionResult> {
    const { container, launchd, logger } = this.#deps;
    const settings = this.#deps.settings();
    const loaded = this.agentInstalled() && (await launchd.print(AGENT_LABEL)) !== null;
    if (loaded) {
      // bootout sends SIGTERM to the agent's program, which hands it to `container run`.
      logger.info('stopping the workbench through its launchd agent');
      await launchd.bootout(AGENT_LABEL);
    }
    const before = await container.inspect(settings.containerName).catch((error: unknown) => {
      if (isServiceDown(error)) return null;
      throw error;
    });
    if (before && before.state !== 'stopped') {
      await this.#stopContainer(settings);
    }
    if (before) await this.#waitForContainerGone(settings.containerName);
    const route: Route = loaded ? 'agent' : 'direct';
    if (!loaded && !before) return { message: 'Workbench was not running.', route };
    const message = loaded
      ? 'Workbench stopped; the login agent stays enabled for the next login.'
      : 'Workbench stopped.';

    return { message, route };
  }

  async #stopContainer(settings: Settings): Promise<void> {
    try {
      await this.#deps.container.stop(settings.containerName, {
        timeoutSeconds: settings.stopTimeoutSeconds,
      });
    } catch (error) {
      const state = (await this.#deps.container.inspect(settings.containerName).catch(() => null))
        ?.state;
      if (state !== 'stopping') throw error;
      throw stuckStopping(settings.containerName, error);
    }
  }

  #ensureSetUp(): void {
    const { paths } = this.#deps;
    if (existsSync(paths.runtimeEnv) && existsSync(paths.bridgeEnv)) return;

    throw new WorkbenchError(`the env files are missing in ${paths.envDir}`, {
      hint: 'run `workbench setup` first',
    });
  }

  async #ensureSystemRunning(): Promise<void> {
    const { container, logger } = this.#deps;
    const status = await container.systemStatus();
    if (status.state === 'running') return;
    logger.info('starting the container system service', { state: status.state });
    await container.systemStart();
  }

  /** A container in `stopping` gets time to finish; one that never does is reported. */
  async #settleStopping(name: string) {
    const deadline = Date.now() + 30_000;
    let current = await this.#deps.container.inspect(name);
    while (current?.state === 'stopping') {
      if (Date.now() > deadline) throw stuckStopping(name);
      await sleep(this.#timeouts.pollMs);
      current = await this.#deps.container.inspect(name);
    }

    return current;
  }

  async #startThroughAgent(): Promise<void> {
    const { launchd, paths } = this.#deps;
    const state = await launchd.print(AGENT_LABEL);
    if (state === null) {
      // Rewriting the plist picks up changed settings and command paths.
      await launchd.install(this.#deps.agentDefinition(), paths.agentPlist);
      return;
    }
    if (state.pid === null) await launchd.kickstart(AGENT_LABEL, { kill: false });
  }

  async #runDetached(settings: Settings): Promise<void> {
    const { container } = this.#deps;
    try {
      await container.run(workbenchRunSpec(settings, this.#deps.paths), { detach: true });
    } catch (error) {
      // Another process may have started it between our check and our run.
      if ((await container.inspect(settings.containerName))?.state === 'running') return;
      throw error;
    }
  }

  async #waitForContainer(name: string, state: 'running'): Promise<void> {
    const deadline = Date.now() + this.#timeouts.containerUpMs;
    while (Date.now() < deadline) {
      const current = await this.#deps.container.inspect(name);
      if (current?.state === state) return;
      await sleep(this.#timeouts.pollMs);
    }
    const seconds = Math.round(this.#timeouts.containerUpMs / 1000);

    throw new WorkbenchError(`the workbench container did not start within ${seconds} s`, {
      hint: 'see `workbench logs` and the agent log in the app home’s logs folder',
    });
  }

  async #waitForContainerGone(name: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const current = await this.#deps.container.inspect(name).catch(() => null);
      if (current === null || current.state === 'stopped') return;
      await sleep(this.#timeouts.pollMs);
    }

    throw stuckStopping(name);
  }

  async #waitForServices(): Promise<void> {
    const deadline = Date.now() + this.#timeouts.servicesHealthyMs;
    let last: WorkbenchStatus | undefined;
    while (Date.now() < deadline) {
      last = await this.#deps.readStatus();
      if (last.overall === 'running') return;
      const failed =
        last.services &&
        Object.entries(last.services).find(([, service]) => service.state === 'failed');
      if (failed) {
        throw new WorkbenchError(`the ${failed[0]} failed: ${failed[1].detail ?? 'no detail'}`, {
          hint: 'fix the cause, then run `workbench restart`; `workbench doctor` checks the setup',
        });
      }
      await sleep(Math.max(this.#timeouts.pollMs, 500));
    }

    throw new WorkbenchError(
      `the services were not healthy within ${Math.round(this.#timeouts.servicesHealthyMs / 1000)} s: ${last?.summary ?? ''}`,
      {
        hint: 'see `workbench status` and `workbench logs --supervisor`',
      },
    );
  }
}

function stuckStopping(name: string, cause?: unknown): WorkbenchError {
  return new WorkbenchError(`the container ${name} is stuck in \`stopping\``, {
    hint: `run \`container stop -t 0 ${name}\`, or \`container system stop\` if that does not help`,
    cause,
  });
}

function isServiceDown(error: unknown): boolean {
  return error instanceof WorkbenchError && /service is not running/.test(error.message);
}
