/**
 * A `WorkbenchApi` for the page tests. The env files are real: read, checked and saved by the
 * core's env module in a temp home (mode 0600 and all). The container is simulated in memory, but
 * its status goes through the core's real status model, and the bridge fails the way the
 * supervisor reports it when the bot token is still the template's placeholder.
 */
import { WorkbenchError } from '../../src/core/errors.js';
import { isPlaceholder } from '../../src/core/env/keys.js';
import {
  checkEnvFiles,
  maskedEntries,
  readEnvFile,
  readEnvStatus,
  revealEnvValue,
  saveEnvChanges,
  type EnvFileState,
} from '../../src/core/env/store.js';
import { createEnvFile, renderTemplates } from '../../src/core/env/index.js';
import { workbenchPaths, type WorkbenchPaths } from '../../src/core/platform.js';
import { SettingsStore, type Settings } from '../../src/core/settings.js';
import { buildStatus, type WorkbenchStatus } from '../../src/core/status-model.js';
import type { ServiceStatus } from '../../src/core/supervisor-status.js';
import type {
  ActionOutcome,
  DoctorReport,
  EnvFileName,
  EnvFileView,
  WorkbenchApi,
} from '../../src/core/workbench-api.js';

/** The detail the supervisor writes when Telegram refuses the bridge's token. */
export const BAD_TOKEN_DETAIL = 'Telegram refused the bot token (401 Unauthorized); set TELEGRAM_BOT_TOKEN in telegram-bridge.env';

interface Simulated {
  running: boolean;
  startedAt: string | null;
  runtime: ServiceStatus | null;
  bridge: ServiceStatus | null;
  agentInstalled: boolean;
  awake: boolean;
}

function runningService(pid: number, startedAt: string): ServiceStatus {
  return { state: 'running', pid, restarts: 0, startedAt, healthy: pid === 42 ? true : null, lastExit: null, detail: null };
}

export class HarnessWorkbench implements WorkbenchApi {
  readonly paths: WorkbenchPaths;
  readonly calls: string[] = [];
  readonly #settings: SettingsStore;
  readonly #clock: () => Date;
  #state: Simulated = { running: false, startedAt: null, runtime: null, bridge: null, agentInstalled: false, awake: false };

  constructor(home: string, env: NodeJS.ProcessEnv, clock: () => Date = () => new Date()) {
    this.paths = workbenchPaths(home, env);
    this.#settings = new SettingsStore(home);
    this.#clock = clock;
  }

  /** Writes both env files from the core's templates, as `workbench setup` does. */
  createEnvFiles(): void {
    const texts = renderTemplates();
    createEnvFile(this.paths.envDir, 'runtime', texts.runtime);
    createEnvFile(this.paths.envDir, 'bridge', texts.bridge);
  }

  async status(): Promise<WorkbenchStatus> {
    const settings = this.#settings.read();
    const state = this.#state;
    const now = this.#clock();
    const envFiles = readEnvStatus(this.paths.envDir, { repair: false });
    const services = state.runtime && state.bridge ? { runtime: state.runtime, bridge: state.bridge } : null;

    return buildStatus({
      now,
      containerName: settings.containerName,
      image: settings.image,
      system: { installed: true, running: true, version: '1.2.2' },
      systemError: null,
      container: state.running
        ? { state: 'running', image: settings.image, startedAt: state.startedAt, cpus: settings.cpus, memoryBytes: 16 * 1024 ** 3 }
        : null,
      imagePresent: true,
      supervisor: state.running && services
        ? {
          read: {
            ok: true,
            status: {
              schemaVersion: 1,
              supervisor: { pid: 1, startedAt: state.startedAt!, heartbeat: 3, updatedAt: now.toISOString().replace(/\.\d+Z$/, 'Z') },
              services,
            },
          },
          stale: false,
        }
        : null,
      launchAgent: { label: 'com.codewhale.workbench', installed: state.agentInstalled, loaded: state.agentInstalled, pid: state.agentInstalled && state.running ? 311 : null, lastExit: null },
      keepAwake: { enabled: state.awake, active: state.awake },
      envFiles: {
        runtime: { path: envFiles.runtime.path, exists: envFiles.runtime.exists, mode: envFiles.runtime.mode, ok: envFiles.runtime.ok, problems: envFiles.runtime.problems },
        bridge: { path: envFiles.bridge.path, exists: envFiles.bridge.exists, mode: envFiles.bridge.mode, ok: envFiles.bridge.ok, problems: envFiles.bridge.problems },
      },
      action: null,
    });
  }

  async start(): Promise<ActionOutcome> {
    this.calls.push('start');
    const bridgeEnv = readEnvFile(this.paths.envDir, 'bridge');
    if (!bridgeEnv.document) {
      throw new WorkbenchError('the env files do not exist yet', { hint: 'run `workbench setup` first' });
    }
    const startedAt = this.#clock().toISOString().replace(/\.\d+Z$/, 'Z');
    const token = bridgeEnv.document.get('TELEGRAM_BOT_TOKEN') ?? '';
    const bridge: ServiceStatus = isPlaceholder(token) || token === ''
      ? { state: 'failed', pid: null, restarts: 5, startedAt: null, healthy: null, detail: BAD_TOKEN_DETAIL, lastExit: { code: 1, signal: null, at: startedAt } }
      : runningService(57, startedAt);
    this.#state = { ...this.#state, running: true, startedAt, runtime: runningService(42, startedAt), bridge };

    return { message: 'Workbench started.', status: await this.status() };
  }

  async stop(): Promise<ActionOutcome> {
    this.calls.push('stop');
    this.#state = { ...this.#state, running: false, startedAt: null, runtime: null, bridge: null };

    return { message: 'Workbench stopped.', status: await this.status() };
  }

  async restart(): Promise<ActionOutcome> {
    this.calls.push('restart');
    await this.stop();
    const started = await this.start();

    return { message: 'Workbench restarted.', status: started.status };
  }

  async setAgentEnabled(enabled: boolean): Promise<ActionOutcome> {
    this.calls.push(`agent:${enabled}`);
    this.#state = { ...this.#state, agentInstalled: enabled };

    return { message: enabled ? 'Login agent enabled.' : 'Login agent disabled.', status: await this.status() };
  }

  async setKeepAwake(enabled: boolean): Promise<ActionOutcome> {
    this.calls.push(`awake:${enabled}`);
    this.#state = { ...this.#state, awake: enabled };

    return { message: enabled ? 'Keep awake on.' : 'Keep awake off.', status: await this.status() };
  }

  async readEnvFile(name: EnvFileName): Promise<EnvFileView> {
    return this.#view(readEnvFile(this.paths.envDir, name));
  }

  async revealEnvValue(name: EnvFileName, key: string): Promise<string> {
    const value = revealEnvValue(this.paths.envDir, name, key);
    if (value === null) throw new WorkbenchError(`${key} is not set in ${name}`);

    return value;
  }

  async saveEnvFile(name: EnvFileName, changes: Record<string, string | null>): Promise<EnvFileView> {
    this.calls.push(`save:${name}`);
    const saved = saveEnvChanges(this.paths.envDir, name, changes);

    return this.#view(saved.state);
  }

  async runDoctor(): Promise<DoctorReport> {
    const report = checkEnvFiles(this.paths.envDir, { repair: false });
    const status = await this.status();
    const checks: DoctorReport['checks'] = [
      { id: 'host.macos', level: 'ok', message: 'macOS 15.1 on Apple silicon' },
      { id: 'host.container', level: 'ok', message: 'container 1.2.2 is installed and its system service runs' },
      status.container.state === 'running'
        ? { id: 'container.running', level: 'ok', message: 'the workbench container runs' }
        : { id: 'container.running', level: 'warn', message: 'the workbench container is not running', fix: 'choose Start Workbench in the menu' },
      ...report.problems.map((found) => ({
        id: `env.${found.code}`,
        level: found.severity === 'error' ? ('fail' as const) : ('warn' as const),
        message: found.message,
        fix: found.fix,
      })),
    ];

    return {
      checks,
      failures: checks.filter((check) => check.level === 'fail').length,
      warnings: checks.filter((check) => check.level === 'warn').length,
    };
  }

  async readLogs(options: { lines: number; supervisor: boolean }): Promise<string> {
    if (!this.#state.running) return '';
    const lines = options.supervisor
      ? ['2026-12-03T08:00:00Z INFO supervisor: runtime started pid=42', '2026-12-03T08:00:02Z INFO supervisor: runtime healthy']
      : ['Runtime API listening on http://127.0.0.1:7878', '<script>alert("not html")</script>'];

    return `${lines.slice(-options.lines).join('\n')}\n`;
  }

  readSettings(): Settings {
    return this.#settings.read();
  }

  saveSettings(change: Partial<Settings>): Settings {
    return this.#settings.update(change);
  }

  #view(state: EnvFileState): EnvFileView {
    const problems = checkEnvFiles(this.paths.envDir, { repair: false }).problems.filter((found) => found.file === state.name);

    return {
      name: state.name,
      path: state.path,
      exists: state.exists,
      entries: maskedEntries(state.document),
      problems: problems.map(({ code, severity, file, line, key, message }) => ({ code, severity, file, line, key, message })),
      repairs: state.repairs,
    };
  }
}
