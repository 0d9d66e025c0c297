/**
 * The core's client for Apple's `container` CLI: every call by absolute path with a timeout,
 * JSON output read through zod schemas that accept the 1.x shapes and the pre-1.0 ones, and the
 * CLI's failures turned into errors that say what to do ("service not running", "not installed").
 */
import { z } from 'zod';

import { CommandError, WorkbenchError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { runCommand, type CommandResult } from './run-command.js';
import { isSecretKey } from './secrets.js';

/** Per-call limits in milliseconds. `stopGrace` is added to the `--time` a stop waits. */
export interface ContainerTimeouts {
  version: number;
  status: number;
  start: number;
  list: number;
  inspect: number;
  run: number;
  stopGrace: number;
  delete: number;
  exec: number;
  logs: number;
  volume: number;
  image: number;
  build: number;
}

/** Defaults: quick calls 10–15 s (`system status` itself pings for 10 s); start may fetch a kernel. */
export const DEFAULT_CONTAINER_TIMEOUTS: ContainerTimeouts = {
  version: 10_000,
  status: 15_000,
  start: 180_000,
  list: 15_000,
  inspect: 15_000,
  run: 120_000,
  stopGrace: 15_000,
  delete: 30_000,
  exec: 30_000,
  logs: 15_000,
  volume: 15_000,
  image: 15_000,
  build: 30 * 60_000,
};

export type ContainerState = 'running' | 'stopped' | 'stopping' | 'unknown';

/** One container as the rest of the core sees it, whatever the CLI version printed. */
export interface ContainerSummary {
  id: string;
  state: ContainerState;
  image: string;
  startedAt: string | null;
  cpus: number | null;
  memoryBytes: number | null;
  labels: Record<string, string>;
  publishedPorts: number;
  mounts: Array<{ source: string; destination: string; readOnly: boolean; volume: string | null }>;
}

/** One named volume. */
export interface VolumeSummary {
  name: string;
  source: string;
  sizeInBytes: number | null;
  createdAt: string | null;
  labels: Record<string, string>;
}

/** What `container run` gets: resources, labels, mounts and non-secret environment. */
export interface RunSpec {
  name: string;
  image: string;
  cpus: number;
  memory: string;
  remove: boolean;
  labels: Record<string, string>;
  binds: Array<{ source: string; destination: string; readOnly: boolean }>;
  volumes: Array<{ name: string; destination: string }>;
  /** Non-secret variables only; a secret key is refused, because argv is visible to every user. */
  env?: Record<string, string>;
}

export interface SystemStatus {
  state: 'running' | 'not running' | 'unregistered';
  serverVersion: string | null;
}

export interface ContainerClientOptions {
  path: string;
  timeouts?: Partial<ContainerTimeouts>;
  logger?: Logger;
  /** The environment of every call; the current process's by default. */
  env?: NodeJS.ProcessEnv;
}

/** Output of the CLI that could not be read: not JSON, or JSON of an unknown shape. */
export class ContainerOutputError extends WorkbenchError {
  readonly command: string;

  constructor(command: string, reason: string) {
    super(`could not read the output of \`${command}\`: ${reason}`, {
      hint: 'check that the installed container version is supported (`container --version`)',
    });
    this.name = 'ContainerOutputError';
    this.command = command;
  }
}

const SERVICE_DOWN_PATTERNS = [
  'xpc connection error',
  'connection refused',
  'failed to connect',
  'services not running',
  'services are not running',
  'container system start',
];

/** True when CLI output says the container system service is not running (XPC errors and kin). */
export function isServiceNotRunningText(text: string): boolean {
  const lower = text.toLowerCase();

  return SERVICE_DOWN_PATTERNS.some((pattern) => lower.includes(pattern));
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MEMORY = /^\d+(\.\d+)?\s*([KMGTP]i?B?|B)?$/i;
const MISSING_CONTAINER = new RegExp(
  [
    'container (not found|with ID .* not found)',
    'get failed: container .* not found',
    // 0.10 and earlier
    'failed to delete one or more containers',
  ].join('|'),
  'i',
);
const REFERENCE_DATE_OFFSET = 978_307_200;
const INSTALL_HINT =
  'install apple/container: the signed .pkg from ' +
  'https://github.com/apple/container/releases, or `brew install container`';

// Pre-1.0 JSON shape: dates were seconds since 2001-01-01; drop once 0.x is unsupported.
const dateSchema = z.union([z.string(), z.number()]).transform((value) => {
  const ms = typeof value === 'number' ? (value + REFERENCE_DATE_OFFSET) * 1000 : Date.parse(value);
  if (Number.isNaN(ms)) return String(value);

  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
});

const labelsSchema = z.record(z.string(), z.string()).default({});

const mountSchema = z.object({
  source: z.string().default(''),
  destination: z.string(),
  options: z.array(z.string()).default([]),
  type: z.unknown().optional(),
});

const configurationSchema = z.object({
  id: z.string(),
  image: z.object({ reference: z.string() }),
  labels: labelsSchema,
  mounts: z.array(mountSchema).default([]),
  publishedPorts: z.array(z.unknown()).default([]),
  resources: z
    .object({
      cpus: z.number().optional(),
      memoryInBytes: z.number().optional(),
    })
    .optional(),
});

const statusObjectSchema = z.object({ state: z.string(), startedDate: dateSchema.optional() });

/** An element of `ls --format json` and `inspect`: 1.x `{id, configuration, status}` or pre-1.0. */
export const containerElementSchema = z.object({
  id: z.string().optional(),
  configuration: configurationSchema,
  // Pre-1.0 JSON shape: `status` was a bare string, `startedDate` top-level.
  status: z.union([statusObjectSchema, z.string()]),
  startedDate: dateSchema.optional(),
});

/** `system status --format json` (only `status` and the version line are relied on). */
export const systemStatusSchema = z.object({
  status: z.string(),
  apiServerVersion: z.string().optional(),
});

/** An element of `volume ls --format json`: 1.x `{id, configuration}` or flat (pre-1.0). */
export const volumeElementSchema = z.union([
  z.object({
    id: z.string().optional(),
    configuration: z.object({
      name: z.string(),
      source: z.string().default(''),
      sizeInBytes: z.number().optional(),
      creationDate: dateSchema.optional(),
      labels: labelsSchema,
    }),
  }),
  z.object({
    name: z.string(),
    source: z.string().default(''),
    sizeInBytes: z.number().optional(),
    createdAt: dateSchema.optional(),
    labels: labelsSchema,
  }),
]);

/** One element of `image inspect`: 1.x `{id, configuration{name}}` or pre-1.0 `{reference}`. */
export const imageElementSchema = z.union([
  z.object({ id: z.string(), configuration: z.object({ name: z.string() }) }),
  z.object({ reference: z.string() }),
]);

type ContainerElement = z.infer<typeof containerElementSchema>;

function toState(text: string): ContainerState {
  return text === 'running' || text === 'stopped' || text === 'stopping' ? text : 'unknown';
}

function volumeNameOf(type: unknown): string | null {
  if (typeof type !== 'object' || type === null || !('volume' in type)) return null;
  const volume = (type as { volume?: { name?: unknown } }).volume;

  return typeof volume?.name === 'string' ? volume.name : null;
}

function toSummary(element: ContainerElement): ContainerSummary {
  const { configuration, status } = element;
  const state = typeof status === 'string' ? status : status.state;
  const startedAt = typeof status === 'string' ? element.startedDate : status.startedDate;

  return {
    id: element.id ?? configuration.id,
    state: toState(state),
    image: configuration.image.reference,
    startedAt: startedAt ?? null,
    cpus: configuration.resources?.cpus ?? null,
    memoryBytes: configuration.resources?.memoryInBytes ?? null,
    labels: configuration.labels,
    publishedPorts: configuration.publishedPorts.length,
    mounts: configuration.mounts.map((mount) => ({
      source: mount.source,
      destination: mount.destination,
      readOnly: mount.options.includes('ro'),
      volume: volumeNameOf(mount.type),
    })),
  };
}

function toVolume(element: z.infer<typeof volumeElementSchema>): VolumeSummary {
  if ('configuration' in element) {
    const { configuration } = element;
    return {
      name: configuration.name,
      source: configuration.source,
      sizeInBytes: configuration.sizeInBytes ?? null,
      createdAt: configuration.creationDate ?? null,
      labels: configuration.labels,
    };
  }

  return {
    name: element.name,
    source: element.source,
    sizeInBytes: element.sizeInBytes ?? null,
    createdAt: element.createdAt ?? null,
    labels: element.labels,
  };
}

/** `1.2.2` from `container-apiserver version 1.2.2 (build: …)`; else the whole line. */
function parseServerVersion(line: string | undefined): string | null {
  if (!line) return null;

  return /version\s+(\S+)/.exec(line)?.[1] ?? line;
}

function invalid(message: string, hint: string): WorkbenchError {
  return new WorkbenchError(message, { hint });
}

function validateContainerId(id: string): void {
  if (CONTAINER_ID.test(id) && id.length <= 63) return;
  throw invalid(
    `container name ${JSON.stringify(id)} is not valid`,
    'use 2 to 63 letters, digits, `_`, `.` or `-`, starting with a letter or digit',
  );
}

function validateMountPath(path: string, what: string): void {
  const shown = JSON.stringify(path);
  if (!path.startsWith('/')) {
    throw invalid(`${what} ${shown} is not an absolute path`, 'use a full path starting with /');
  }
  if (/[:,\n\r]/.test(path)) {
    throw invalid(
      `${what} ${shown} contains ':', ',' or a line break, which container's -v/--mount syntax cannot carry`,
      'move the folder to a path without those characters, or point the setting at a symlink without them',
    );
  }
}

function validateVolumeName(name: string): void {
  if (VOLUME_NAME.test(name) && name.length <= 255) return;
  throw invalid(
    `volume name ${JSON.stringify(name)} is not valid`,
    'use letters, digits, `_`, `.` or `-`, starting with a letter or digit',
  );
}

function validateImageReference(ref: string): void {
  if (ref && !ref.startsWith('-') && !/\s/.test(ref)) return;
  throw invalid(
    `image reference ${JSON.stringify(ref)} is not valid`,
    'use a reference such as codewhale-workbench:latest',
  );
}

function validateResources(spec: RunSpec): void {
  if (!Number.isInteger(spec.cpus) || spec.cpus < 1) {
    throw invalid(
      `cpus must be a whole number of at least 1, got ${spec.cpus}`,
      'set cpus to e.g. 4',
    );
  }
  if (!MEMORY.test(spec.memory)) {
    throw invalid(
      `memory ${JSON.stringify(spec.memory)} is not a size`,
      'use a size such as 16G or 8192M',
    );
  }
}

function validateLabels(labels: Record<string, string>): void {
  for (const [key, value] of Object.entries(labels)) {
    if (key && !key.includes('=') && !value.includes('=') && !/[\n\r]/.test(key + value)) continue;
    throw invalid(
      `label ${JSON.stringify(`${key}=${value}`)} is not valid`,
      'label keys and values may not contain = or line breaks',
    );
  }
}

function validateEnv(env: Record<string, string>): void {
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_KEY.test(key)) {
      throw invalid(
        `environment variable name ${JSON.stringify(key)} is not valid`,
        'use letters, digits and _',
      );
    }
    if (isSecretKey(key)) {
      throw invalid(
        `refusing to pass ${key} on the command line`,
        'secrets belong in the env files, which the container reads itself',
      );
    }
    if (/[\n\r]/.test(value)) {
      throw invalid(`the value of ${key} contains a line break`, 'use a single-line value');
    }
  }
}

function validateRunSpec(spec: RunSpec): void {
  validateContainerId(spec.name);
  validateImageReference(spec.image);
  validateResources(spec);
  validateLabels(spec.labels);
  for (const bind of spec.binds) {
    validateMountPath(bind.source, 'bind-mount source');
    validateMountPath(bind.destination, 'mount destination');
  }
  for (const volume of spec.volumes) {
    validateVolumeName(volume.name);
    validateMountPath(volume.destination, 'mount destination');
  }
  validateEnv(spec.env ?? {});
}

/** The first `Error: …` line of stderr without its prefix, else its first non-empty line. */
function errorDetail(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const line = lines.find((entry) => entry.startsWith('Error:')) ?? lines[0] ?? '';

  return line.replace(/^Error:\s*/, '');
}

function describeArgs(args: readonly string[]): string {
  return `container ${args.join(' ')}`;
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1) ?? ''
  );
}

const STOP_HINT =
  'the container may be stuck in `stopping`; check `container ls --all`, and if it stays ' +
  'there restart the service with `container system stop` and `container system start`';
const START_HINT =
  'run `container system start` in Terminal on the Mac while logged in; over ssh or ' +
  'outside a login session it cannot reach launchd';
const STUCK_HINT =
  'the container system service may be stuck; try `container system stop`, then ' +
  '`container system start`';

interface CallOptions {
  /** How the command is named in a timeout message; the whole argv by default. */
  label?: string;
  /** The hint of a timeout. */
  timeoutHint?: string;
}

/** The client. One instance per command path; safe to share. */
export class ContainerClient {
  readonly #path: string;
  readonly #timeouts: ContainerTimeouts;
  readonly #logger: Logger;
  readonly #env: NodeJS.ProcessEnv | undefined;

  constructor(options: ContainerClientOptions) {
    this.#env = options.env;
    this.#path = options.path;
    this.#timeouts = { ...DEFAULT_CONTAINER_TIMEOUTS, ...options.timeouts };
    this.#logger = options.logger ?? silentLogger;
  }

  /** The CLI's version, e.g. "1.2.2", from `container --version`. */
  async version(): Promise<string> {
    const args = ['--version'];
    const result = await this.#call(args, this.#timeouts.version);
    if (result.exitCode !== 0) throw this.#failure(result, 'container --version');
    const version = /version\s+(\S+)/.exec(result.stdout)?.[1];
    if (!version) {
      const shown = JSON.stringify(result.stdout.trim());
      throw new ContainerOutputError(describeArgs(args), `no version in ${shown}`);
    }

    return version;
  }

  /** Whether the system service runs, judged by the exit code and `status` only. */
  async systemStatus(): Promise<SystemStatus> {
    const result = await this.#call(
      ['system', 'status', '--format', 'json'],
      this.#timeouts.status,
    );
    // 0.4–0.9 have no --format (usage error, exit 64): read their text output instead.
    if (result.exitCode === 64) return this.#legacySystemStatus();
    if (result.exitCode !== 0 && result.exitCode !== 1) {
      throw this.#failure(result, 'container system status');
    }
    const parsed = this.#tryJson(result.stdout, systemStatusSchema);
    if (result.exitCode === 0) {
      return { state: 'running', serverVersion: parseServerVersion(parsed?.apiServerVersion) };
    }
    const unregistered = parsed
      ? parsed.status === 'unregistered'
      : /not registered/i.test(result.stdout);

    return { state: unregistered ? 'unregistered' : 'not running', serverVersion: null };
  }

  async #legacySystemStatus(): Promise<SystemStatus> {
    const result = await this.#call(['system', 'status'], this.#timeouts.status);
    if (result.exitCode === 0) {
      const line = /container-apiserver version:\s*(.*)/.exec(result.stdout)?.[1];
      return { state: 'running', serverVersion: parseServerVersion(line) };
    }
    if (result.exitCode !== 1) throw this.#failure(result, 'container system status');
    const state = /not registered/i.test(result.stdout) ? 'unregistered' : 'not running';

    return { state, serverVersion: null };
  }

  /** Starts the system service non-interactively: always `--enable-kernel-install`, stdin closed. */
  async systemStart(options: { timeoutMs?: number } = {}): Promise<void> {
    const args = ['system', 'start', '--enable-kernel-install'];
    const timeoutMs = options.timeoutMs ?? this.#timeouts.start;
    const result = await this.#call(args, timeoutMs, { timeoutHint: START_HINT });
    if (result.exitCode === 0) return;
    // The XPC text of a start that cannot reach launchd says nothing more than the message does.
    const detail = isServiceNotRunningText(result.stderr) ? '' : errorDetail(result.stderr);
    const message = 'container system service could not be started';
    throw new CommandError(detail ? `${message}: ${detail}` : message, {
      ...result,
      failure: result.signal ? 'signal' : 'exit',
      hint: START_HINT,
    });
  }

  /** `container ls [--all] --format json`, read into summaries. */
  async list(options: { all?: boolean } = {}): Promise<ContainerSummary[]> {
    const args = ['ls', ...(options.all ? ['--all'] : []), '--format', 'json'];
    const result = await this.#call(args, this.#timeouts.list);
    if (result.exitCode !== 0) throw this.#failure(result, 'listing containers');
    const summaries = this.#parseJson(args, result.stdout, z.array(containerElementSchema)).map(
      toSummary,
    );

    // 0.4–0.9 listed every container in JSON even without --all.
    return options.all ? summaries : summaries.filter((summary) => summary.state === 'running');
  }

  /** One container, or null when it does not exist. */
  async inspect(id: string): Promise<ContainerSummary | null> {
    validateContainerId(id);
    const args = ['inspect', id];
    const result = await this.#call(args, this.#timeouts.inspect);
    if (result.exitCode !== 0) {
      if (MISSING_CONTAINER.test(result.stderr)) return null;
      throw this.#failure(result, `inspecting container ${id}`);
    }
    const elements = this.#parseJson(args, result.stdout, z.array(containerElementSchema)).map(
      toSummary,
    );

    return elements.find((element) => element.id === id) ?? null;
  }

  /** The argv of `container run` for a spec (pure); refuses values the CLI syntax cannot carry. */
  runArgs(spec: RunSpec, options: { detach: boolean }): string[] {
    validateRunSpec(spec);
    const labels = Object.entries(spec.labels).sort(([a], [b]) => a.localeCompare(b));
    const bindArg = (bind: RunSpec['binds'][number]) =>
      `type=bind,source=${bind.source},target=${bind.destination}${bind.readOnly ? ',readonly' : ''}`;

    return [
      'run',
      ...(options.detach ? ['--detach'] : []),
      ...(spec.remove ? ['--rm'] : []),
      '--name',
      spec.name,
      '--cpus',
      String(spec.cpus),
      '--memory',
      spec.memory,
      '--progress',
      'none',
      ...labels.flatMap(([key, value]) => ['--label', `${key}=${value}`]),
      ...spec.binds.flatMap((bind) => ['--mount', bindArg(bind)]),
      ...spec.volumes.flatMap((volume) => ['--volume', `${volume.name}:${volume.destination}`]),
      ...Object.entries(spec.env ?? {}).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
      spec.image,
    ];
  }

  /** Runs a container detached and returns its id. */
  async run(spec: RunSpec, options: { detach: true }): Promise<string> {
    const args = this.runArgs(spec, options);
    const result = await this.#call(args, this.#timeouts.run, { label: 'container run' });
    if (result.exitCode === 0) return lastLine(result.stdout) || spec.name;
    if (/already exists/i.test(result.stderr)) {
      throw new CommandError(`a container named ${spec.name} already exists`, {
        ...result,
        failure: 'exit',
        hint: `stop and remove it first: \`container stop ${spec.name}\`, then \`container delete ${spec.name}\``,
      });
    }
    throw this.#failure(result, `starting container ${spec.name}`);
  }

  /** Stops a container (signal, `timeoutSeconds`, then SIGKILL); 'missing' when it does not exist. */
  async stop(id: string, options: { timeoutSeconds: number }): Promise<'stopped' | 'missing'> {
    validateContainerId(id);
    const seconds = Math.max(0, Math.round(options.timeoutSeconds));
    const timeoutMs = seconds * 1000 + this.#timeouts.stopGrace;
    const args = ['stop', '--time', String(seconds), id];
    const result = await this.#call(args, timeoutMs, { timeoutHint: STOP_HINT });
    if (result.exitCode === 0) return 'stopped';
    if (MISSING_CONTAINER.test(result.stderr)) return 'missing';
    throw this.#failure(result, `stopping container ${id}`);
  }

  /** Deletes a container ('missing' when it does not exist); `force` stops a running one first. */
  async delete(id: string, options: { force?: boolean } = {}): Promise<'deleted' | 'missing'> {
    validateContainerId(id);
    const args = ['delete', ...(options.force ? ['--force'] : []), id];
    const result = await this.#call(args, this.#timeouts.delete);
    if (result.exitCode === 0) return 'deleted';
    if (MISSING_CONTAINER.test(result.stderr)) return 'missing';
    throw this.#failure(result, `deleting container ${id}`);
  }

  /** Runs a command in a running container; the result carries the command's own exit code. */
  async exec(
    id: string,
    argv: readonly string[],
    options: { timeoutMs?: number } = {},
  ): Promise<CommandResult> {
    validateContainerId(id);
    if (argv.length === 0)
      throw invalid('exec needs a command to run', 'pass the program and its arguments');
    const timeoutMs = options.timeoutMs ?? this.#timeouts.exec;
    const result = await this.#call(['exec', id, ...argv], timeoutMs, {
      label: `container exec ${id}`,
    });
    // Only the CLI's own errors fail the call; any other exit status belongs to the command.
    const firstLine = result.stderr.split('\n')[0] ?? '';
    const cliError =
      MISSING_CONTAINER.test(firstLine) || /^Error: container .* is not running/.test(firstLine);
    if (result.exitCode === 1 && cliError) {
      throw this.#failure(result, `running a command in container ${id}`);
    }
    if (result.exitCode !== 0 && isServiceNotRunningText(firstLine))
      throw this.#serviceDown(result);

    return result;
  }

  /** The container's merged output, optionally only its last `lines` non-empty lines. */
  async logs(id: string, options: { lines?: number } = {}): Promise<string> {
    validateContainerId(id);
    const lines =
      options.lines === undefined ? [] : ['-n', String(Math.max(0, Math.floor(options.lines)))];
    const result = await this.#call(['logs', ...lines, id], this.#timeouts.logs);
    if (result.exitCode !== 0) throw this.#failure(result, `reading the logs of container ${id}`);

    return result.stdout;
  }

  /** Creates a named volume; 'exists' when it is already there. */
  async volumeCreate(name: string): Promise<'created' | 'exists'> {
    validateVolumeName(name);
    const result = await this.#call(['volume', 'create', name], this.#timeouts.volume);
    if (result.exitCode === 0) return 'created';
    if (/already exists/i.test(result.stderr)) return 'exists';
    throw this.#failure(result, `creating volume ${name}`);
  }

  /** Every volume. */
  async volumeList(): Promise<VolumeSummary[]> {
    const args = ['volume', 'ls', '--format', 'json'];
    const result = await this.#call(args, this.#timeouts.volume);
    if (result.exitCode !== 0) throw this.#failure(result, 'listing volumes');

    return this.#parseJson(args, result.stdout, z.array(volumeElementSchema)).map(toVolume);
  }

  /** Deletes a volume; 'missing' when it does not exist; an error when a container uses it. */
  async volumeDelete(name: string): Promise<'deleted' | 'missing'> {
    validateVolumeName(name);
    const result = await this.#call(['volume', 'delete', name], this.#timeouts.volume);
    if (result.exitCode === 0) return 'deleted';
    if (/failed to delete one or more volumes/i.test(result.stderr)) return 'missing';
    if (/in use|delete failed for one or more volumes/i.test(result.stderr)) {
      throw new CommandError(`volume ${name} is in use by a container`, {
        ...result,
        failure: 'exit',
        hint: 'delete the container that mounts it first (`container delete <name>`)',
      });
    }
    throw this.#failure(result, `deleting volume ${name}`);
  }

  /** True when the image is in the local store. */
  async imageExists(ref: string): Promise<boolean> {
    validateImageReference(ref);
    const args = ['image', 'inspect', ref];
    const result = await this.#call(args, this.#timeouts.image);
    if (result.exitCode === 0) {
      this.#parseJson(args, result.stdout, z.array(imageElementSchema));
      return true;
    }
    if (/not found/i.test(result.stderr)) return false;
    throw this.#failure(result, `looking up image ${ref}`);
  }

  /** Builds an image from a Containerfile; on failure the error's stderr holds the build log. */
  async build(options: {
    tag: string;
    file: string;
    context: string;
    timeoutMs?: number;
  }): Promise<void> {
    validateImageReference(options.tag);
    const { tag, file, context } = options;
    const args = ['build', '--tag', tag, '--file', file, '--progress', 'plain', context];
    const timeoutMs = options.timeoutMs ?? this.#timeouts.build;
    const result = await this.#call(args, timeoutMs, { label: 'container build' });
    if (result.exitCode !== 0) throw this.#failure(result, `building image ${options.tag}`);
  }

  async #call(
    args: string[],
    timeoutMs: number,
    options: CallOptions = {},
  ): Promise<CommandResult> {
    const started = Date.now();
    const label = options.label ?? describeArgs(args);
    try {
      const result = await runCommand(this.#path, args, { timeoutMs, env: this.#env });
      const ms = Date.now() - started;
      this.#logger.debug('container call', { command: label, exitCode: result.exitCode, ms });

      return result;
    } catch (error) {
      throw this.#spawnFailure(error, timeoutMs, label, options.timeoutHint);
    }
  }

  #spawnFailure(error: unknown, timeoutMs: number, label: string, timeoutHint?: string): unknown {
    if (!(error instanceof CommandError)) return error;
    const details = {
      command: error.command,
      args: error.args,
      failure: error.failure,
      exitCode: error.exitCode,
      signal: error.signal,
      stdout: error.stdout,
      stderr: error.stderr,
      cause: error,
    };
    if (error.failure === 'not-found') {
      return new CommandError(`container is not installed at ${this.#path}`, {
        ...details,
        hint: INSTALL_HINT,
      });
    }
    if (error.failure === 'timeout') {
      const seconds = Math.round(timeoutMs / 100) / 10;
      return new CommandError(`\`${label}\` did not answer within ${seconds} s`, {
        ...details,
        hint: timeoutHint ?? STUCK_HINT,
      });
    }

    return new CommandError(error.message, {
      ...details,
      hint: `check that ${this.#path} is an executable container binary`,
    });
  }

  #serviceDown(result: CommandResult): CommandError {
    return new CommandError('container system service is not running', {
      ...result,
      failure: 'exit',
      hint: 'run `container system start`',
    });
  }

  #failure(result: CommandResult, describe: string): CommandError {
    if (isServiceNotRunningText(result.stderr)) return this.#serviceDown(result);
    const failure = result.signal ? 'signal' : 'exit';
    const status = result.signal ? `was killed by ${result.signal}` : `exited ${result.exitCode}`;
    const detail = errorDetail(result.stderr) || `container ${status}`;

    return new CommandError(`${describe} failed: ${detail}`, { ...result, failure });
  }

  #tryJson<T extends z.ZodType>(stdout: string, schema: T): z.infer<T> | null {
    try {
      const parsed = schema.safeParse(JSON.parse(stdout));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  #parseJson<T extends z.ZodType>(args: readonly string[], stdout: string, schema: T): z.infer<T> {
    let value: unknown;
    try {
      value = JSON.parse(stdout);
    } catch {
      throw new ContainerOutputError(describeArgs(args), 'it is not valid JSON');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
      const reason = issue?.message ?? 'schema mismatch';
      throw new ContainerOutputError(describeArgs(args), `unexpected JSON${where}: ${reason}`);
    }

    return parsed.data;
  }
}
