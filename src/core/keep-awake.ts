/**
 * Keep-awake: `caffeinate -i -s` run as its own launchd agent (RunAtLoad, KeepAlive), so sleep
 * prevention survives the app quitting and a reboot, and turning it off leaves no process
 * behind. The state reported is the truth: a live pid from launchd and, where asked for, the
 * assertion `pmset -g assertions` lists for that pid.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { WorkbenchError } from './errors.js';
import {
  buildPlist,
  LaunchAgentManager,
  type AgentDefinition,
  type ListEntry,
} from './launch-agent.js';
import { silentLogger, type Logger } from './logger.js';
import { AWAKE_AGENT_LABEL, type CommandPaths, type WorkbenchPaths } from './platform.js';
import { findCaffeinateAssertions, parseAssertions } from './power.js';
import { ensureSuccess, runCommand } from './run-command.js';
import { LAUNCHD_PATH } from './workbench-agent.js';
import { isProcessAlive } from './process-alive.js';

/** What the keep-awake agent is doing. */
export interface KeepAwakeStatus {
  /** The agent's plist is installed: keep-awake is switched on. */
  enabled: boolean;
  /** launchd reports the job running with a live pid. */
  active: boolean;
  pid: number | null;
  /** pmset lists a caffeinate assertion owned by `pid`; null when not checked or unreadable. */
  assertion: boolean | null;
  /** One sentence for the user when something is off, else null. */
  detail: string | null;
}

export interface KeepAwakeTimeouts {
  /** Each pmset call. */
  commandMs: number;
  /** How long `enable` waits for the first caffeinate and its assertion. */
  activeWaitMs: number;
  /** How long `disable` waits for the old caffeinate to be gone after bootout. */
  goneWaitMs: number;
  pollMs: number;
}

export interface KeepAwakeOptions {
  paths: WorkbenchPaths;
  commands: CommandPaths;
  uid: number;
  logger?: Logger;
  /** The environment of launchctl and pmset; the caller's own by default. */
  env?: NodeJS.ProcessEnv;
  /** A manager to share; one is made from `commands.launchctl` otherwise. */
  launchd?: LaunchAgentManager;
  timeouts?: Partial<KeepAwakeTimeouts>;
}

const DEFAULT_TIMEOUTS: KeepAwakeTimeouts = {
  commandMs: 10_000,
  activeWaitMs: 5000,
  goneWaitMs: 10_000,
  pollMs: 100,
};

/** caffeinate's flags: no idle system sleep (-i), no system sleep on AC power (-s). */
export const CAFFEINATE_ARGS = ['-i', '-s'] as const;

/** The keep-awake agent: caffeinate by absolute path, restarted by launchd whenever it exits. */
export function keepAwakeDefinition(
  paths: WorkbenchPaths,
  caffeinatePath: string,
): AgentDefinition {
  return {
    label: AWAKE_AGENT_LABEL,
    programArguments: [caffeinatePath, ...CAFFEINATE_ARGS],
    environment: { PATH: LAUNCHD_PATH },
    workingDirectory: paths.home,
    stdoutPath: join(paths.logsDir, 'keep-awake.out.log'),
    stderrPath: join(paths.logsDir, 'keep-awake.err.log'),
    runAtLoad: true,
    keepAlive: true,
    throttleInterval: 10,
    exitTimeOut: 5,
  };
}

/** The part of the status a `launchctl list` row can tell. */
export type KeepAwakeListState = Pick<KeepAwakeStatus, 'enabled' | 'active' | 'pid'>;

/** Enabled and active from one `launchctl list` row, without starting any process. */
export function keepAwakeFromList(
  installed: boolean,
  row: ListEntry | undefined,
): KeepAwakeListState {
  const pid = installed ? (row?.pid ?? null) : null;

  return { enabled: installed, active: pid !== null, pid };
}

function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Switches sleep prevention on and off, and reports whether it really holds. */
export class KeepAwake {
  readonly #options: KeepAwakeOptions;
  readonly #launchd: LaunchAgentManager;
  readonly #logger: Logger;
  readonly #timeouts: KeepAwakeTimeouts;

  constructor(options: KeepAwakeOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#launchd =
      options.launchd ??
      new LaunchAgentManager({
        launchctlPath: options.commands.launchctl,
        uid: options.uid,
        logger: this.#logger,
        ...(options.env ? { env: options.env } : {}),
      });
  }

  /** The agent definition for the configured caffeinate. */
  definition(): AgentDefinition {
    return keepAwakeDefinition(this.#options.paths, this.#options.commands.caffeinate);
  }

  /**
   * Installs and loads the agent unless the same agent is already loaded, then waits a little
   * for caffeinate and its assertion. Idempotent.
   */
  async enable(): Promise<KeepAwakeStatus> {
    const { paths } = this.#options;
    this.#checkCaffeinate();
    const definition = this.definition();
    const loaded = await this.#launchd.print(AWAKE_AGENT_LABEL);
    const current = readTextOrNull(paths.awakePlist) === buildPlist(definition);

    if (loaded && current) {
      this.#logger.debug('keep-awake agent already loaded');
    } else {
      // A loaded agent from another plist (an older caffeinate path) is replaced, not doubled.
      if (loaded) await this.#launchd.bootout(AWAKE_AGENT_LABEL);
      mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 });
      await this.#launchd.install(definition, paths.awakePlist);
      this.#logger.info('keep-awake agent installed', {
        caffeinate: this.#options.commands.caffeinate,
      });
    }

    return this.#waitUntilHeld();
  }

  /**
   * Unloads the agent and removes its plist, then makes sure its caffeinate is gone and no
   * assertion of it is left. Idempotent.
   */
  async disable(): Promise<void> {
    const before = await this.#launchd.print(AWAKE_AGENT_LABEL);
    await this.#launchd.uninstall(AWAKE_AGENT_LABEL, this.#options.paths.awakePlist);
    if (before?.pid != null) await this.#ensureGone(before.pid);
    this.#logger.info('keep-awake agent removed', { pid: before?.pid ?? null });
  }

  /** The full state: plist, launchd's pid, and the assertion pmset lists for that pid. */
  async status(): Promise<KeepAwakeStatus> {
    const enabled = existsSync(this.#options.paths.awakePlist);
    const job = await this.#launchd.print(AWAKE_AGENT_LABEL);
    const pid = job?.pid != null && isProcessAlive(job.pid) ? job.pid : null;
    if (pid === null) {
      return {
        enabled,
        active: false,
        pid: null,
        assertion: null,
        detail: describeInactive(enabled, job !== null),
      };
    }

    try {
      const held = await this.#assertionHeld(pid);
      return {
        enabled,
        active: true,
        pid,
        assertion: held,
        detail: describeActive(enabled, held, pid),
      };
    } catch (error) {
      const detail = `cannot read pmset assertions: ${(error as Error).message}`;
      return { enabled, active: true, pid, assertion: null, detail };
    }
  }

  /** The cheap state for a status refresh: the plist on disk and the agent's `launchctl list` row. */
  statusFromList(row: ListEntry | undefined): KeepAwakeListState {
    return keepAwakeFromList(existsSync(this.#options.paths.awakePlist), row);
  }

  #checkCaffeinate(): void {
    const path = this.#options.commands.caffeinate;
    try {
      accessSync(path, constants.X_OK);
    } catch {
      // launchd would load the agent anyway and fail every spawn with EX_CONFIG.
      throw new WorkbenchError(`caffeinate is not installed at ${path}`, {
        hint:
          'set commands.caffeinate or WORKBENCH_CAFFEINATE_PATH to the full path of caffeinate ' +
          '(normally /usr/bin/caffeinate)',
      });
    }
  }

  async #assertionHeld(pid: number): Promise<boolean> {
    const result = await runCommand(this.#options.commands.pmset, ['-g', 'assertions'], {
      timeoutMs: this.#timeouts.commandMs,
      env: this.#options.env,
    });
    ensureSuccess(result, 'reading pmset assertions');

    return findCaffeinateAssertions(parseAssertions(result.stdout), pid).length > 0;
  }

  async #waitUntilHeld(): Promise<KeepAwakeStatus> {
    const deadline = Date.now() + this.#timeouts.activeWaitMs;
    for (;;) {
      const status = await this.status();
      if ((status.active && status.assertion !== false) || Date.now() >= deadline) return status;
      await sleep(this.#timeouts.pollMs);
    }
  }

  // After bootout launchd has sent SIGTERM (SIGKILL after ExitTimeOut); make sure it took.
  async #ensureGone(pid: number): Promise<void> {
    const deadline = Date.now() + this.#timeouts.goneWaitMs;
    while (isProcessAlive(pid) && Date.now() < deadline) await sleep(this.#timeouts.pollMs);
    if (!isProcessAlive(pid)) return;
    // A live pid that holds no caffeinate assertion is another process that got the number.
    if (!(await this.#assertionHeld(pid))) return;

    this.#logger.warn('caffeinate outlived its agent; killing it', { pid });
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
    const killDeadline = Date.now() + this.#timeouts.goneWaitMs;
    while (isProcessAlive(pid) && Date.now() < killDeadline) await sleep(this.#timeouts.pollMs);
    if (!isProcessAlive(pid)) return;

    const message = `caffeinate (pid ${pid}) still prevents sleep after keep-awake was turned off`;
    throw new WorkbenchError(message, {
      hint: `end it with: kill -9 ${pid}`,
    });
  }
}

function describeInactive(enabled: boolean, loaded: boolean): string | null {
  if (!enabled && !loaded) return null;
  if (!enabled)
    return 'the keep-awake agent is loaded but its plist is gone; turn keep-awake off and on again';
  if (!loaded) {
    return 'keep-awake is on but its agent is not loaded; it loads at the next login, or turn it off and on again';
  }

  return 'caffeinate is not running; launchd restarts it within 10 s';
}

function describeActive(enabled: boolean, held: boolean, pid: number): string | null {
  if (!enabled) return 'keep-awake runs without its plist; turn keep-awake off and on again';

  return held ? null : `caffeinate (pid ${pid}) runs, but pmset lists no sleep assertion for it`;
}
