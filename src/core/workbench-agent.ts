/**
 * The workbench's launchd agent: its definition (SPEC §5) and the program it runs. The program
 * makes sure the container system service runs, then keeps `container run --rm` in the
 * foreground, so launchd's KeepAlive supervises the container and a respawn never meets a
 * leftover container of the same name.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ContainerClient, RunSpec } from './container-client.js';
import type { AgentDefinition } from './launch-agent.js';
import type { Logger } from './logger.js';
import {
  AGENT_LABEL,
  COMMAND_NAMES,
  commandPathVariable,
  type CommandPaths,
  type WorkbenchPaths,
} from './platform.js';
import type { Settings } from './settings.js';

/** launchd's own PATH; the agent never relies on it, every command is named by absolute path. */
export const LAUNCHD_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';

export const VOLUMES = {
  workspace: { name: 'codewhale-workbench-workspace', destination: '/opt/whalebro' },
  home: { name: 'codewhale-workbench-home', destination: '/home/codewhale/.codewhale' },
  bridge: { name: 'codewhale-workbench-bridge', destination: '/var/lib/codewhale-telegram-bridge' },
} as const;

/** The label every workbench container carries, so it can be told from others. */
export const CONTAINER_LABEL = 'com.codewhale.workbench';

/** The `container run` specification of the workbench: mounts, volumes, caps, labels, no ports. */
export function workbenchRunSpec(settings: Settings, paths: WorkbenchPaths): RunSpec {
  return {
    name: settings.containerName,
    image: settings.image,
    cpus: settings.cpus,
    memory: settings.memory,
    remove: true,
    labels: { [CONTAINER_LABEL]: '1' },
    binds: [
      { source: paths.envDir, destination: '/etc/codewhale', readOnly: true },
      { source: paths.statusDir, destination: '/run/workbench', readOnly: false },
    ],
    volumes: Object.values(VOLUMES).map(({ name, destination }) => ({ name, destination })),
  };
}

/** Creates whichever of the three named volumes is missing (they outlive every container). */
export async function ensureVolumes(container: ContainerClient): Promise<void> {
  const existing = new Set((await container.volumeList()).map((volume) => volume.name));
  for (const { name } of Object.values(VOLUMES)) {
    if (!existing.has(name)) await container.volumeCreate(name);
  }
}

export interface AgentProgramOptions {
  /** The argv prefix that runs `workbench agent run`, e.g. `[node, /…/dist/cli.js]`. */
  programPrefix: readonly string[];
  paths: WorkbenchPaths;
  commands: CommandPaths;
  /** Seconds launchd waits between SIGTERM and SIGKILL at bootout. */
  exitTimeOut: number;
}

/** The agent's plist content: absolute paths and the app home, nothing from the caller's shell. */
export function workbenchAgentDefinition(options: AgentProgramOptions): AgentDefinition {
  const environment: Record<string, string> = {
    PATH: LAUNCHD_PATH,
    WORKBENCH_HOME: options.paths.home,
  };
  for (const name of COMMAND_NAMES) environment[commandPathVariable(name)] = options.commands[name];
  environment.WORKBENCH_LAUNCH_AGENTS_DIR = options.paths.launchAgentsDir;

  return {
    label: AGENT_LABEL,
    programArguments: [...options.programPrefix, 'agent', 'run'],
    environment,
    workingDirectory: options.paths.home,
    stdoutPath: join(options.paths.logsDir, 'agent.out.log'),
    stderrPath: join(options.paths.logsDir, 'agent.err.log'),
    runAtLoad: true,
    keepAlive: true,
    throttleInterval: 10,
    exitTimeOut: options.exitTimeOut,
  };
}

export interface RunAgentDeps {
  container: ContainerClient;
  containerPath: string;
  settings: Settings;
  paths: WorkbenchPaths;
  logger: Logger;
  /** How long to wait for a container started outside the agent before taking over. */
  pollMs?: number;
}

/**
 * `workbench agent run`: the agent's foreground program. Resolves to the exit status to hand
 * back to launchd: the container's own, or 1 when the container system cannot be started.
 */
export async function runAgentProgram(deps: RunAgentDeps): Promise<number> {
  const { container, settings, logger } = deps;
  try {
    await container.systemStart();
  } catch (error) {
    logger.error('container system service could not be started', { error });
    return 1;
  }

  const existing = await container.inspect(settings.containerName);
  if (existing?.state === 'running' || existing?.state === 'stopping') {
    // Started by hand while the agent was off: watch it, and take over once it ends.
    logger.info('workbench container already running; watching it', {
      name: settings.containerName,
    });
    while ((await container.inspect(settings.containerName))?.state === 'running')
      await sleep(deps.pollMs ?? 5000);
    return 0;
  }
  if (existing) await container.delete(settings.containerName, { force: true });
  await ensureVolumes(container);

  const args = container.runArgs(workbenchRunSpec(settings, deps.paths), { detach: false });
  logger.info('running the workbench container in the foreground', {
    name: settings.containerName,
  });

  return runForeground(deps.containerPath, args, deps);
}

function runForeground(command: string, args: string[], deps: RunAgentDeps): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], shell: false });
    let stopTimer: NodeJS.Timeout | undefined;
    const forward = (signal: NodeJS.Signals) => {
      deps.logger.info('forwarding signal to the container', { signal });
      child.kill(signal);
      // If the container ignores the signal, stop it explicitly before launchd's SIGKILL.
      stopTimer ??= setTimeout(() => {
        void deps.container
          .stop(deps.settings.containerName, { timeoutSeconds: 5 })
          .catch(() => {});
      }, deps.settings.stopTimeoutSeconds * 1000);
    };
    process.on('SIGTERM', forward);
    process.on('SIGINT', forward);
    child.on('error', (error) => {
      deps.logger.error('container run could not start', { error });
      resolve(1);
    });
    child.on('close', (code, signal) => {
      clearTimeout(stopTimer);
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      deps.logger.info('workbench container exited', { code, signal });
      resolve(code ?? 1);
    });
  });
}
