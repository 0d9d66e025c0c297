/**
 * The questions the host doctor asks the `container` CLI: its version, whether the system
 * service runs (and its version), whether the image exists, what a container really got, and
 * running a command inside it. Judged by exit codes and JSON only, as the CLI reference advises.
 */
import { CommandError } from '../errors.js';
import { runCommand, type CommandResult } from '../run-command.js';

export interface ServiceStatus {
  running: boolean;
  /** `running`, `not running` or `unregistered`. */
  status: string;
  /** The bare apiserver version, e.g. `1.2.2`; null when unknown. */
  version: string | null;
}

export interface PublishedPort {
  hostAddress: string;
  hostPort: number;
  containerPort: number;
  proto: string;
}

/** What `container inspect` says about one container. */
export interface ContainerFacts {
  state: string;
  cpus: number | null;
  memoryBytes: number | null;
  publishedPorts: PublishedPort[];
}

/** The doctor's view of the container CLI; tests may pass their own. */
export interface DoctorContainerProbe {
  /** The CLI version; rejects with a CommandError (`not-found`) when it is not installed. */
  cliVersion(): Promise<string>;
  systemStatus(): Promise<ServiceStatus>;
  imageExists(reference: string): Promise<boolean>;
  /** null when the container does not exist. */
  inspect(name: string): Promise<ContainerFacts | null>;
  /** `container exec <name> <command…>` to its end, whatever its exit status. */
  exec(name: string, command: readonly string[]): Promise<CommandResult>;
}

export interface ProbeOptions {
  /** Each call but exec; 15 s when not given. */
  timeoutMs?: number;
  /** The in-container doctor; 60 s when not given. */
  execTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** `… version 1.2.2 (build: …)` → `1.2.2`. */
export function versionFromLine(line: string): string | null {
  return /\bversion:?\s+(\S+)/.exec(line)?.[1] ?? null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function record(value: unknown): Record<string, unknown> {
  const isRecord = value !== null && typeof value === 'object' && !Array.isArray(value);

  return isRecord ? (value as Record<string, unknown>) : {};
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function readPorts(value: unknown): PublishedPort[] {
  if (!Array.isArray(value)) return [];

  return value.map((entry) => {
    const port = record(entry);
    return {
      hostAddress: typeof port.hostAddress === 'string' ? port.hostAddress : '0.0.0.0',
      hostPort: numberOrNull(port.hostPort) ?? 0,
      containerPort: numberOrNull(port.containerPort) ?? 0,
      proto: typeof port.proto === 'string' ? port.proto : 'tcp',
    };
  });
}

/** Reads the facts from one element of `container inspect` output. */
export function parseContainerFacts(element: unknown): ContainerFacts {
  const configuration = record(record(element).configuration);
  const resources = record(configuration.resources);
  const status = record(record(element).status);

  return {
    state: typeof status.state === 'string' ? status.state : 'unknown',
    cpus: numberOrNull(resources.cpus),
    memoryBytes: numberOrNull(resources.memoryInBytes),
    publishedPorts: readPorts(configuration.publishedPorts),
  };
}

function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .find(Boolean);
}

function failed(result: CommandResult, what: string): CommandError {
  const detail = firstLine(result.stderr) ?? `exited ${result.exitCode}`;

  return new CommandError(`${what} failed: ${detail.replace(/^Error:\s*/, '')}`, {
    ...result,
    failure: result.signal ? 'signal' : 'exit',
  });
}

/** A probe that runs the container CLI at `containerPath`. */
export function cliContainerProbe(
  containerPath: string,
  options: ProbeOptions = {},
): DoctorContainerProbe {
  const run = (args: string[], timeoutMs = options.timeoutMs ?? 15_000) =>
    runCommand(containerPath, args, { timeoutMs, env: options.env });

  return {
    async cliVersion() {
      const result = await run(['--version']);
      if (result.exitCode !== 0) throw failed(result, 'container --version');

      return versionFromLine(result.stdout) ?? result.stdout.trim();
    },

    async systemStatus() {
      const result = await run(['system', 'status', '--format', 'json']);
      const json = record(parseJson(result.stdout));
      if (typeof json.status === 'string') {
        const line = typeof json.apiServerVersion === 'string' ? json.apiServerVersion : '';
        const running = result.exitCode === 0 && json.status === 'running';
        return { running, status: json.status, version: versionFromLine(line) };
      }
      // Before 0.10 there is no --format (exit 64); the text form says `apiserver is running`.
      const text =
        result.exitCode === 64 ? (await run(['system', 'status'])).stdout : result.stdout;
      const running = /apiserver is running/.test(text);
      const version = /container-apiserver version:?\s+(.*)/.exec(text)?.[1] ?? '';

      const status = running ? 'running' : 'not running';

      return { running, status, version: versionFromLine(`version ${version}`) };
    },

    async imageExists(reference) {
      const result = await run(['image', 'inspect', reference]);
      if (result.exitCode === 0) return true;
      if (/not found/i.test(result.stderr)) return false;
      throw failed(result, `container image inspect ${reference}`);
    },

    async inspect(name) {
      const result = await run(['inspect', name]);
      if (result.exitCode !== 0) {
        if (/not found/i.test(result.stderr)) return null;
        throw failed(result, `container inspect ${name}`);
      }
      const elements = parseJson(result.stdout);
      // Pre-1.0 answers `[]` with exit 0 for a missing container.
      if (!Array.isArray(elements) || elements.length === 0) return null;

      return parseContainerFacts(elements[0]);
    },

    exec(name, command) {
      return run(['exec', name, ...command], options.execTimeoutMs ?? 60_000);
    },
  };
}
