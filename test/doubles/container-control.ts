/**
 * Typed control of the `container` double for tests: switch the system service, the kernel and
 * the faults, add images, read containers and volumes back, wait for a container state, and end
 * every process the double started. It works on the same state files as the double, under the
 * same lock.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { createImageRecord, normalizeReference } from './lib/container-model.mjs';
import {
  containerDir,
  descendantsOf,
  isAlive,
  isSameProcess,
  readState,
  signalProcess,
  updateState,
  volumeDataDir,
} from './lib/container-state.mjs';

export type SystemState = 'running' | 'not running' | 'unregistered';
export type DoubleMode = '1.x' | 'pre-1.0';
export type ContainerState = 'running' | 'stopped' | 'stopping' | 'unknown';

/**
 * Commands as fault keys: `ls`, `inspect`, `run`, `create`, `start`, `stop`, `kill`, `delete`,
 * `exec`, `logs`, `stats`, `prune`, `build`, `system status|start|stop|version`,
 * `volume create|ls|inspect|delete|prune`, `image ls|inspect|pull|delete`.
 */
export type CommandKey = string;

export interface ContainerFaults {
  /** These commands sleep forever once started. */
  hang: CommandKey[];
  /** These commands print half a JSON document (ls, inspect, system status, volume ls, …). */
  garbageJson: CommandKey[];
  /** `system start` fails with the XPC error of a session without launchd access. */
  startFails: boolean;
  /** `stop` leaves running containers in `stopping`: it hangs, or fails after `-t` seconds. */
  stuckStopping: 'hang' | 'timeout' | null;
  /** `build` fails with `Error: <text>` after its log. */
  buildFails: string | null;
}

/** The OCI image config the double executes as a host process. */
export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface MountRecord {
  destination: string;
  options: string[];
  source: string;
  type: { virtiofs?: object; tmpfs?: object; volume?: { name: string } };
}

export interface ContainerConfiguration {
  id: string;
  image: { reference: string; descriptor: { digest: string } };
  initProcess: {
    executable: string;
    arguments: string[];
    environment: string[];
    workingDirectory: string;
  };
  labels: Record<string, string>;
  mounts: MountRecord[];
  publishedPorts: object[];
  resources: { cpuOverhead: number; cpus: number; memoryInBytes: number };
  stopSignal?: string;
  [key: string]: unknown;
}

export interface ContainerRecord {
  id: string;
  state: ContainerState;
  startedDate?: string;
  networks: Array<{ ipv4Address: string; ipv4Gateway: string; hostname: string; network: string }>;
  configuration: ContainerConfiguration;
  runtime: {
    remove: boolean;
    virtual: boolean;
    pid: number | null;
    monitorPid: number | null;
    execPids: number[];
    lastExit: { code: number | null; signal: string | null; at: string } | null;
  };
}

export interface VolumeRecord {
  name: string;
  creationDate: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  sizeInBytes: number;
}

export interface ImageRecord {
  reference: string;
  digest: string;
  local: boolean;
  config: ImageConfig;
}

interface StateDocument {
  system: {
    state: SystemState;
    kernelInstalled: boolean;
    initImageInstalled: boolean;
    mode: DoubleMode;
    statsDelayMs: number;
  };
  faults: ContainerFaults;
  buildTemplate: ImageConfig | null;
  containers: Record<string, ContainerRecord>;
  volumes: Record<string, VolumeRecord>;
  images: Record<string, ImageRecord>;
}

interface PidEntry {
  pid: number;
  role: string;
  group: boolean;
  startTime: string | null;
}

const POLL_MS = 25;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Control of one world's container double; `doubleState` is WORKBENCH_DOUBLE_STATE. */
export class ContainerDouble {
  /** The double's own folder, `<doubleState>/container`. */
  readonly root: string;

  constructor(doubleState: string) {
    this.root = join(doubleState, 'container');
    mkdirSync(this.root, { recursive: true });
  }

  #read(): StateDocument {
    return readState(this.root) as StateDocument;
  }

  #update(change: (state: StateDocument) => void): void {
    updateState<StateDocument, void>(this.root, change);
  }

  /** Running, registered but not answering, or not registered with launchd. */
  setSystem(state: SystemState): void {
    this.#update((doc) => {
      doc.system.state = state;
    });
  }

  /** Whether a default kernel is installed (missing: `system start` prompts or installs). */
  setKernelInstalled(installed: boolean): void {
    this.#update((doc) => {
      doc.system.kernelInstalled = installed;
    });
  }

  /** Merges faults into the current ones. */
  setFaults(faults: Partial<ContainerFaults>): void {
    this.#update((doc) => {
      doc.faults = { ...doc.faults, ...faults };
    });
  }

  /** Makes these commands hang forever. */
  hangOn(...commands: CommandKey[]): void {
    this.setFaults({ hang: commands });
  }

  /** Removes every fault. */
  clearFaults(): void {
    this.setFaults({
      hang: [],
      garbageJson: [],
      startFails: false,
      stuckStopping: null,
      buildFails: null,
    });
  }

  /** 1.x output, or the pre-1.0 (0.9) JSON shapes, errors and `system status` text. */
  setMode(mode: DoubleMode): void {
    this.#update((doc) => {
      doc.system.mode = mode;
    });
  }

  /** How long `stats` samples (the real CLI takes two samples 2 s apart). */
  setStatsDelay(ms: number): void {
    this.#update((doc) => {
      doc.system.statsDelayMs = ms;
    });
  }

  /** Adds an image; `local: false` makes it pullable, so `run` and `image pull` fetch it. */
  addImage(ref: string, config: ImageConfig, options: { local?: boolean } = {}): string {
    const reference = normalizeReference(ref);
    const record = createImageRecord(reference, config, {
      local: options.local ?? true,
    }) as ImageRecord;
    this.#update((doc) => {
      doc.images[reference] = record;
    });

    return reference;
  }

  /** The config every image built from now on gets; null reads it from the Containerfile. */
  setBuildTemplate(config: ImageConfig | null): void {
    this.#update((doc) => {
      doc.buildTemplate = config;
    });
  }

  /** All containers, sorted by id. */
  containers(): ContainerRecord[] {
    return Object.values(this.#read().containers).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** One container, or null. */
  container(id: string): ContainerRecord | null {
    return this.#read().containers[id] ?? null;
  }

  /** All volumes, sorted by name. */
  volumes(): VolumeRecord[] {
    return Object.values(this.#read().volumes).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** All images, local and pullable. */
  images(): ImageRecord[] {
    return Object.values(this.#read().images);
  }

  /** The current faults. */
  faults(): ContainerFaults {
    return this.#read().faults;
  }

  /** The system switch and kernel flag. */
  system(): StateDocument['system'] {
    return this.#read().system;
  }

  /** The host folder backing a named volume. */
  volumeDataDir(name: string): string {
    return volumeDataDir(this.root, name);
  }

  /** The merged stdout+stderr of a container's init process ('' when none). */
  stdioLog(id: string): string {
    try {
      return readFileSync(join(containerDir(this.root, id), 'stdio.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Waits until the container is in `state` ('missing': deleted) and returns it. */
  async waitForState(
    id: string,
    state: ContainerState | 'missing',
    options: { timeoutMs?: number } = {},
  ): Promise<ContainerRecord | null> {
    const deadline = Date.now() + (options.timeoutMs ?? 15000);
    for (;;) {
      const record = this.container(id);
      if (state === 'missing' ? record === null : record?.state === state) return record;
      if (Date.now() > deadline) {
        throw new Error(
          `container ${id} did not reach ${state} (now ${record?.state ?? 'missing'})`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  #pidEntries(): PidEntry[] {
    const dir = join(this.root, 'pids');
    let names: string[];
    try {
      names = readdirSync(dir).filter((name) => name.endsWith('.json'));
    } catch {
      return [];
    }

    return names.flatMap((name) => {
      try {
        return [JSON.parse(readFileSync(join(dir, name), 'utf8')) as PidEntry];
      } catch {
        return [];
      }
    });
  }

  /** Pids of the double's processes that are still alive (monitors, containers, CLIs, exec). */
  liveProcesses(): number[] {
    const registered = this.#pidEntries().filter((entry) =>
      isSameProcess(entry.pid, entry.startTime),
    );
    const below = descendantsOf(registered.map((entry) => entry.pid));

    return [
      ...new Set([...registered.map((entry) => entry.pid), ...below.map((stat) => stat.pid)]),
    ].filter((pid) => isAlive(pid));
  }

  /** SIGKILLs every process the double started, and everything below them; waits until gone. */
  async killAll(options: { timeoutMs?: number } = {}): Promise<void> {
    const entries = this.#pidEntries().filter((entry) => isSameProcess(entry.pid, entry.startTime));
    const below = descendantsOf(entries.map((entry) => entry.pid));
    for (const entry of entries) {
      if (entry.group) signalProcess(entry.pid, 'SIGKILL', { group: true });
      signalProcess(entry.pid, 'SIGKILL');
    }
    for (const stat of below) {
      if (isSameProcess(stat.pid, stat.startTime)) signalProcess(stat.pid, 'SIGKILL');
    }
    const pids = [...entries.map((entry) => entry.pid), ...below.map((stat) => stat.pid)];
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    while (pids.some((pid) => isAlive(pid)) && Date.now() < deadline) await sleep(POLL_MS);
    rmSync(join(this.root, 'pids'), { recursive: true, force: true });
  }
}
