/**
 * One status refresh: observe, then `buildStatus`. A refresh of a running workbench starts at
 * most two processes (`container ls` and one `launchctl list`), one when no agent is installed:
 * the supervisor's status.json is read from the host folder mounted into the container, and facts
 * that change rarely (the CLI's version, whether the image exists) are cached.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { readLockHolder } from './action-lock.js';
import type { ContainerClient, ContainerSummary } from './container-client.js';
import { CommandError, describeError, WorkbenchError } from './errors.js';
import { keepAwakeFromList } from './keep-awake.js';
import type { LaunchAgentManager } from './launch-agent.js';
import { writeFileAtomic } from './atomic-file.js';
import { AGENT_LABEL, AWAKE_AGENT_LABEL, type WorkbenchPaths } from './platform.js';
import type { Settings } from './settings.js';
import {
  buildStatus,
  type EnvFileView,
  type StatusObservation,
  type WorkbenchStatus,
} from './status-model.js';
import {
  judgeHeartbeat,
  readStatusFile,
  staleAfterMs,
  type HeartbeatSighting,
} from './supervisor-status.js';

export interface StatusReaderDeps {
  paths: WorkbenchPaths;
  settings: () => Settings;
  container: ContainerClient;
  containerPath: string;
  launchd: LaunchAgentManager;
  readEnvViews: () => { runtime: EnvFileView; bridge: EnvFileView };
  clock?: () => Date;
  /** Keep the cache in memory only (the app); the CLI persists it between runs. */
  persistCache?: boolean;
}

interface StatusCache {
  version?: { path: string; mtimeMs: number; size: number; value: string };
  image?: { ref: string; present: boolean; checkedAt: number };
  heartbeat?: HeartbeatSighting;
}

const IMAGE_CACHE_MS = 10 * 60_000;

export class StatusReader {
  readonly #deps: StatusReaderDeps;
  readonly #cacheFile: string;
  #cache: StatusCache | undefined;

  constructor(deps: StatusReaderDeps) {
    this.#deps = deps;
    this.#cacheFile = join(deps.paths.cacheDir, 'status-cache.json');
  }

  /** Forgets cached facts, e.g. after setup built the image. */
  invalidate(): void {
    this.#cache = { heartbeat: this.#loadCache().heartbeat };
    this.#saveCache();
  }

  /** Observes everything once and returns the status of SPEC §3. */
  async read(): Promise<WorkbenchStatus> {
    const now = this.#deps.clock?.() ?? new Date();
    const settings = this.#deps.settings();
    const observation: StatusObservation = {
      now,
      containerName: settings.containerName,
      image: settings.image,
      system: { installed: true, running: true, version: null },
      systemError: null,
      container: null,
      imagePresent: null,
      supervisor: null,
      launchAgent: {
        label: AGENT_LABEL,
        installed: false,
        loaded: false,
        pid: null,
        lastExit: null,
      },
      keepAwake: { enabled: false, active: false },
      envFiles: this.#deps.readEnvViews(),
      action: readLockHolder(this.#deps.paths.lockFile)?.action ?? null,
    };

    await this.#observeContainer(observation, settings);
    await this.#observeAgents(observation);
    if (observation.container?.state === 'running')
      this.#observeSupervisor(observation, now.getTime());
    this.#saveCache();

    return buildStatus(observation);
  }

  async #observeContainer(observation: StatusObservation, settings: Settings): Promise<void> {
    let containers: ContainerSummary[];
    try {
      containers = await this.#deps.container.list({ all: true });
    } catch (error) {
      this.#recordContainerFailure(observation, error);
      return;
    }
    const found = containers.find((candidate) => candidate.id === settings.containerName);
    observation.system.version = await this.#cachedVersion();
    if (found) {
      observation.container = {
        state: found.state,
        image: found.image,
        startedAt: found.startedAt,
        cpus: found.cpus,
        memoryBytes: found.memoryBytes,
      };
      return;
    }
    const envReady = observation.envFiles.runtime.exists && observation.envFiles.bridge.exists;
    if (envReady) observation.imagePresent = await this.#cachedImagePresent(settings.image);
  }

  #recordContainerFailure(observation: StatusObservation, error: unknown): void {
    if (error instanceof CommandError && error.failure === 'not-found') {
      observation.system = { installed: false, running: false, version: null };
      return;
    }
    if (error instanceof WorkbenchError && /service is not running/.test(error.message)) {
      observation.system = {
        installed: true,
        running: false,
        version: this.#loadCache().version?.value ?? null,
      };
      return;
    }
    observation.systemError = describeError(error);
  }

  async #observeAgents(observation: StatusObservation): Promise<void> {
    const { paths } = this.#deps;
    const agentInstalled = existsSync(paths.agentPlist);
    const awakeInstalled = existsSync(paths.awakePlist);
    observation.launchAgent.installed = agentInstalled;
    observation.keepAwake.enabled = awakeInstalled;
    if (!agentInstalled && !awakeInstalled) return;
    let rows: Awaited<ReturnType<LaunchAgentManager['list']>>;
    try {
      rows = await this.#deps.launchd.list();
    } catch (error) {
      observation.systemError ??= describeError(error);
      return;
    }
    const agent = rows.get(AGENT_LABEL);
    if (agent) {
      observation.launchAgent.loaded = true;
      observation.launchAgent.pid = agent.pid;
      observation.launchAgent.lastExit = agent.status;
    }
    const { enabled, active } = keepAwakeFromList(awakeInstalled, rows.get(AWAKE_AGENT_LABEL));
    observation.keepAwake = { enabled, active };
  }

  #observeSupervisor(observation: StatusObservation, now: number): void {
    const read = readStatusFile(this.#deps.paths.statusFile);
    if (!read.ok) {
      observation.supervisor = { read, stale: false };
      return;
    }
    const cache = this.#loadCache();
    // Without an earlier sighting (a first run) the status counts as fresh: nothing on the host
    // can tell its age, as the file's times may follow the VM's clock.
    const previous = cache.heartbeat ?? null;
    const verdict = judgeHeartbeat(read.status, previous, now, staleAfterMs(read.status));
    cache.heartbeat = verdict.sighting;
    observation.supervisor = { read, stale: verdict.stale };
  }

  async #cachedVersion(): Promise<string | null> {
    const cache = this.#loadCache();
    const path = this.#deps.containerPath;
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return null;
    }
    const known = cache.version;
    if (known && known.path === path && known.mtimeMs === stat.mtimeMs && known.size === stat.size)
      return known.value;
    try {
      const value = await this.#deps.container.version();
      cache.version = { path, mtimeMs: stat.mtimeMs, size: stat.size, value };
      return value;
    } catch {
      return null;
    }
  }

  async #cachedImagePresent(ref: string): Promise<boolean | null> {
    const cache = this.#loadCache();
    const now = Date.now();
    const known = cache.image;
    if (known && known.ref === ref && now - known.checkedAt < IMAGE_CACHE_MS && known.present)
      return true;
    try {
      const present = await this.#deps.container.imageExists(ref);
      cache.image = { ref, present, checkedAt: now };
      return present;
    } catch {
      return null;
    }
  }

  #loadCache(): StatusCache {
    if (this.#cache) return this.#cache;
    this.#cache = {};
    if (!this.#deps.persistCache) return this.#cache;
    try {
      const parsed = JSON.parse(readFileSync(this.#cacheFile, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object') this.#cache = parsed as StatusCache;
    } catch {
      // No cache yet, or an unreadable one: start afresh.
    }

    return this.#cache;
  }

  #saveCache(): void {
    if (!this.#deps.persistCache || !this.#cache) return;
    try {
      mkdirSync(dirname(this.#cacheFile), { recursive: true, mode: 0o700 });
      writeFileAtomic(this.#cacheFile, JSON.stringify(this.#cache), {
        mode: 0o600,
        durable: false,
      });
    } catch {
      // The cache only saves work; failing to write it changes no result.
    }
  }
}
