/**
 * The core facade: one object that knows the paths, the settings and the command paths, and
 * offers every action of the product. The `workbench` command and the app's IPC handlers both
 * call it; nothing here imports Electron.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';

import { ContainerClient } from './container-client.js';
import {
  checkEnvFiles,
  fileNameOf,
  maskedEntries,
  readEnvStatus,
  revealEnvValue,
  saveEnvChanges,
  type EnvProblem,
} from './env/index.js';
import { runHostDoctor } from './doctor/host-doctor.js';
import { findPackageRoot, runSetup } from './setup.js';
import { WorkbenchController } from './controller.js';
import { WorkbenchError } from './errors.js';
import { KeepAwake } from './keep-awake.js';
import { LaunchAgentManager } from './launch-agent.js';
import { fileSink, Logger, stderrSink, type LogSink } from './logger.js';
import {
  AGENT_LABEL,
  currentUid,
  resolveCommandPaths,
  resolveHome,
  workbenchPaths,
  type CommandPaths,
  type WorkbenchPaths,
} from './platform.js';
import { SettingsStore, type Settings } from './settings.js';
import type { EnvFileView as EnvStatusView, WorkbenchStatus } from './status-model.js';
import { StatusReader } from './status-reader.js';
import { runAgentProgram, workbenchAgentDefinition } from './workbench-agent.js';
import type {
  ActionOutcome,
  DoctorReport,
  EnvFileName,
  EnvFileView,
  EnvProblemView,
  WorkbenchApi,
} from './workbench-api.js';

export interface WorkbenchOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * How launchd runs `workbench agent run`: `'cli'` for this process's own node and CLI script,
   * or an explicit argv prefix (the app passes a Node binary and its bundled CLI).
   */
  agentProgram: 'cli' | readonly string[];
  logger?: Logger;
  clock?: () => Date;
  /** Keep status caches between processes (the CLI); the app keeps them in memory. */
  persistCache?: boolean;
}

export interface AgentStatus {
  label: string;
  plistPath: string;
  installed: boolean;
  loaded: boolean;
  state: string | null;
  pid: number | null;
  runs: number | null;
  lastExit: string | null;
}

const SUPERVISOR_LOG_LIMIT = 2 * 1024 * 1024;

export class Workbench implements WorkbenchApi {
  readonly paths: WorkbenchPaths;
  readonly settingsStore: SettingsStore;
  readonly logger: Logger;
  readonly #env: NodeJS.ProcessEnv;
  readonly #options: WorkbenchOptions;
  #statusReader: StatusReader | undefined;
  #statusReaderKey = '';

  constructor(options: WorkbenchOptions) {
    this.#options = options;
    this.#env = options.env ?? process.env;
    this.paths = workbenchPaths(resolveHome(this.#env), this.#env);
    this.settingsStore = new SettingsStore(this.paths.home);
    this.logger = options.logger ?? defaultLogger(this.paths, this.#env);
  }

  /** Settings as stored now (every read re-validates the file). */
  settings(): Settings {
    return this.settingsStore.read();
  }

  /** Absolute paths of the external commands, from the settings, the environment or defaults. */
  commands(): CommandPaths {
    return resolveCommandPaths(this.settings().commands, this.#env);
  }

  container(): ContainerClient {
    return new ContainerClient({
      path: this.commands().container,
      logger: this.logger.child('container'),
      env: this.#env,
    });
  }

  launchd(): LaunchAgentManager {
    return new LaunchAgentManager({
      launchctlPath: this.commands().launchctl,
      uid: currentUid(),
      logger: this.logger.child('launchd'),
      env: this.#env,
    });
  }

  keepAwake(): KeepAwake {
    return new KeepAwake({
      paths: this.paths,
      commands: this.commands(),
      uid: currentUid(),
      logger: this.logger.child('keep-awake'),
      env: this.#env,
    });
  }

  controller(): WorkbenchController {
    return new WorkbenchController({
      paths: this.paths,
      settings: () => this.settings(),
      container: this.container(),
      launchd: this.launchd(),
      agentDefinition: () => this.agentDefinition(),
      readStatus: () => this.status(),
      logger: this.logger.child('controller'),
    });
  }

  /** The workbench agent's definition for the current settings and command paths. */
  agentDefinition() {
    return workbenchAgentDefinition({
      programPrefix: this.#agentProgramPrefix(),
      paths: this.paths,
      commands: this.commands(),
      exitTimeOut: this.settings().stopTimeoutSeconds + 15,
    });
  }

  async status(): Promise<WorkbenchStatus> {
    // The reader keeps caches for one set of command paths; changed settings get a new one.
    const commands = this.commands();
    const key = JSON.stringify(commands);
    if (this.#statusReaderKey !== key) this.#statusReader = undefined;
    this.#statusReaderKey = key;
    this.#statusReader ??= new StatusReader({
      paths: this.paths,
      settings: () => this.settings(),
      container: this.container(),
      containerPath: commands.container,
      launchd: this.launchd(),
      readEnvViews: () => this.envStatusViews(),
      clock: this.#options.clock,
      persistCache: this.#options.persistCache ?? true,
    });

    return this.#statusReader.read();
  }

  async start(options: { wait?: boolean } = {}): Promise<ActionOutcome> {
    const result = await this.controller().start(options);

    return { message: result.message, status: await this.status() };
  }

  async stop(): Promise<ActionOutcome> {
    const result = await this.controller().stop();

    return { message: result.message, status: await this.status() };
  }

  async restart(options: { wait?: boolean } = {}): Promise<ActionOutcome> {
    const result = await this.controller().restart(options);

    return { message: result.message, status: await this.status() };
  }

  /** Installs and loads the workbench agent (which starts the workbench), or removes it. */
  async setAgentEnabled(enabled: boolean): Promise<ActionOutcome> {
    const launchd = this.launchd();
    const loaded = (await launchd.print(AGENT_LABEL)) !== null;
    if (enabled) {
      if (loaded) return { message: 'Login agent already enabled.', status: await this.status() };
      const controller = this.controller();
      // A workbench started by hand is stopped first, so the agent can own the container.
      if (!controller.agentInstalled()) await controller.stop();
      await launchd.install(this.agentDefinition(), this.paths.agentPlist);
      return {
        message: 'Login agent enabled: the workbench now starts at login and is kept alive.',
        status: await this.status(),
      };
    }
    const installed = existsSync(this.paths.agentPlist);
    await launchd.uninstall(AGENT_LABEL, this.paths.agentPlist);
    const message = loaded
      ? 'Login agent disabled and removed; the workbench stopped with it.'
      : installed
        ? 'Login agent removed.'
        : 'Login agent was not enabled.';

    return { message, status: await this.status() };
  }

  async setKeepAwake(enabled: boolean): Promise<ActionOutcome> {
    const keepAwake = this.keepAwake();
    if (enabled) await keepAwake.enable();
    else await keepAwake.disable();
    const message = enabled
      ? 'Keep awake on: this Mac will not sleep while idle, also after the app quits or the Mac restarts.'
      : 'Keep awake off: this Mac sleeps as its Energy settings say.';

    return { message, status: await this.status() };
  }

  /** The workbench agent as launchd sees it, read from `launchctl print`. */
  async agentStatus(): Promise<AgentStatus> {
    const installed = existsSync(this.paths.agentPlist);
    const state = await this.launchd().print(AGENT_LABEL);

    return {
      label: AGENT_LABEL,
      plistPath: this.paths.agentPlist,
      installed,
      loaded: state !== null,
      state: state?.state ?? null,
      pid: state?.pid ?? null,
      runs: state?.runs ?? null,
      lastExit: state?.lastExitCode ?? state?.lastSignal ?? null,
    };
  }

  /** `workbench agent run`: the launchd agent's foreground program. */
  async runAgent(): Promise<number> {
    const settings = this.settings();

    return runAgentProgram({
      container: this.container(),
      containerPath: this.commands().container,
      settings,
      paths: this.paths,
      logger: this.logger.child('agent'),
    });
  }

  /** The container's output, or the supervisor's own log, last `lines` lines. */
  async readLogs(options: { lines: number; supervisor: boolean }): Promise<string> {
    if (options.supervisor) return tailFile(this.paths.supervisorLog, options.lines);
    const name = this.settings().containerName;

    return this.container().logs(name, { lines: options.lines });
  }

  /** First-run setup (env files, token, volumes, image) as `workbench setup` does it. */
  async setup(options: { image?: string } = {}): Promise<ActionOutcome> {
    const packageRoot = findPackageRoot();
    if (packageRoot === null && options.image === undefined) {
      throw new WorkbenchError('cannot find assets/container/Containerfile next to the workbench', {
        hint: 'reinstall the app, or name an existing image',
      });
    }
    const report = await runSetup(
      {
        paths: this.paths,
        container: this.container(),
        settings: this.settingsStore,
        packageRoot: packageRoot ?? process.cwd(),
        logger: this.logger.child('setup'),
      },
      options.image === undefined ? {} : { image: options.image },
    );
    const left = report.problems.filter((found) => found.severity === 'error').length;
    const message =
      left === 0
        ? 'Setup complete.'
        : `Setup complete; ${left} value${left === 1 ? '' : 's'} still to fill in the env files.`;

    return { message, status: await this.status() };
  }

  /** One env file for the editor: entries with secrets masked, problems of both files, repairs. */
  async readEnvFile(name: EnvFileName): Promise<EnvFileView> {
    const report = checkEnvFiles(this.paths.envDir);
    const state = report.files[name];
    if (state.refused) throw state.refused;

    return {
      name,
      path: state.path,
      exists: state.exists,
      entries: maskedEntries(state.document),
      problems: report.problems.map(toProblemView),
      repairs: report.repairs,
    };
  }

  /** The real value of one key, for the editor's reveal button. */
  async revealEnvValue(name: EnvFileName, key: string): Promise<string> {
    const value = revealEnvValue(this.paths.envDir, name, key);
    if (value === null) throw new WorkbenchError(`${key} is not set in ${fileNameOf(name)}`);

    return value;
  }

  /** Applies the changes and saves the file atomically with mode 0600. */
  async saveEnvFile(
    name: EnvFileName,
    changes: Record<string, string | null>,
  ): Promise<EnvFileView> {
    const saved = saveEnvChanges(this.paths.envDir, name, changes);
    this.logger.info('env file saved', {
      file: fileNameOf(name),
      keys: Object.keys(changes).join(','),
    });

    return {
      name,
      path: saved.state.path,
      exists: saved.state.exists,
      entries: maskedEntries(saved.state.document),
      problems: saved.problems.map(toProblemView),
      repairs: saved.repairs,
    };
  }

  /** Host checks and the in-container doctor, merged into one report. */
  async runDoctor(): Promise<DoctorReport> {
    return runHostDoctor({
      paths: this.paths,
      commands: this.commands(),
      settings: this.settings(),
      uid: currentUid(),
      env: this.#env,
      launchd: this.launchd(),
      keepAwake: this.keepAwake(),
    });
  }

  readSettings(): Settings {
    return this.settings();
  }

  saveSettings(change: Partial<Settings>): Settings {
    return this.settingsStore.update(change);
  }

  /** Both env files as the status model shows them, read and validated without changing anything. */
  envStatusViews(): { runtime: EnvStatusView; bridge: EnvStatusView } {
    return readEnvStatus(this.paths.envDir);
  }

  #agentProgramPrefix(): readonly string[] {
    const program = this.#options.agentProgram;
    if (program !== 'cli') return program;
    const script = process.argv[1];
    if (!script) throw new WorkbenchError('cannot tell where the workbench command is installed');

    return [process.execPath, realpathSync(script)];
  }
}

function toProblemView(found: EnvProblem): EnvProblemView {
  return {
    code: found.code,
    severity: found.severity,
    file: found.file,
    line: found.line,
    key: found.key,
    message: found.message,
  };
}

function defaultLogger(paths: WorkbenchPaths, env: NodeJS.ProcessEnv): Logger {
  const sinks: LogSink[] = [];
  try {
    sinks.push(fileSink(`${paths.logsDir}/workbench.log`));
  } catch {
    // An unwritable home is reported by the command that needs it, not by the logger.
  }
  if (env.WORKBENCH_DEBUG) sinks.push(stderrSink);

  return new Logger('workbench', { sinks, level: env.WORKBENCH_DEBUG ? 'debug' : 'info' });
}

function tailFile(path: string, lines: number): string {
  if (!existsSync(path)) return '';
  const stat = statSync(path);
  const text = readFileSync(path, 'utf8').slice(-Math.min(stat.size, SUPERVISOR_LOG_LIMIT));
  const all = text.split('\n').filter((line) => line.length > 0);

  return all.slice(-lines).join('\n') + (all.length > 0 ? '\n' : '');
}
