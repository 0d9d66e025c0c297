// The data model of the container double: image references, container configurations built from
// `run` flags, the JSON elements printed by `ls`/`inspect`/`volume ls`/`image ls` (1.x and pre-1.0
// shapes), and the mapping from a container's process to a real host process.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runtimeError } from './container-args.mjs';
import { isoDate, referenceDateNumber } from './container-json.mjs';
import { containerDir, volumeDataDir } from './container-state.mjs';

export const CLI_VERSION = '1.2.2';
export const CLI_COMMIT = 'af405ffd5a4d8e9ec872bc15351af41130c39b94';
export const PRE_VERSION = '0.9.0';
export const PRE_COMMIT = '5f4b3c1e0d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const KERNEL_URL =
  'https://github.com/kata-containers/kata-containers/releases/download/3.17.0/kata-static-3.17.0-arm64.tar.xz';
const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
const HIDDEN_IMAGES = [
  /^ghcr\.io\/apple\/container-builder-shim\/builder:/,
  /^ghcr\.io\/apple\/containerization\/vminit:/,
];

/** The install root: the parent of the double's bin folder, like the real one. */
export const INSTALL_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Short and full commit and version for the selected mode. */
export function versionInfo(mode) {
  const version = mode === 'pre-1.0' ? PRE_VERSION : CLI_VERSION;
  const commit = mode === 'pre-1.0' ? PRE_COMMIT : CLI_COMMIT;

  return { version, commit, short: commit.slice(0, 7) };
}

/** `container CLI version 1.2.2 (build: release, commit: af405ff)`. */
export function versionLine(mode) {
  const { version, short } = versionInfo(mode);

  return `container CLI version ${version} (build: release, commit: ${short})`;
}

/** The apiserver's version line. */
export function apiServerVersionLine(mode) {
  const { version, short } = versionInfo(mode);

  return `container-apiserver version ${version} (build: release, commit: ${short})`;
}

/** True when a reference is well formed (lowercase repository, optional tag or digest). */
export function isValidReference(ref) {
  return /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/.test(
    ref,
  );
}

/** `alpine` → `docker.io/library/alpine:latest`, as the CLI normalises references. */
export function normalizeReference(ref) {
  let name = ref;
  let digest = '';
  const at = name.indexOf('@');
  if (at !== -1) {
    digest = name.slice(at);
    name = name.slice(0, at);
  }
  let tag = '';
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon);
    name = name.slice(0, colon);
  }
  const parts = name.split('/');
  const first = parts[0];
  const hasRegistry =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) {
    if (parts.length === 1) parts.unshift('library');
    parts.unshift('docker.io');
  }
  if (!tag && !digest) tag = ':latest';

  return `${parts.join('/')}${tag}${digest}`;
}

/** An image record as the state keeps it. */
export function createImageRecord(
  reference,
  config = {},
  { local = true, created = isoDate() } = {},
) {
  const digest = createHash('sha256')
    .update(`${reference}\n${created}\n${JSON.stringify(config)}`)
    .digest('hex');

  return {
    reference,
    digest,
    manifestDigest: createHash('sha256').update(digest).digest('hex'),
    created,
    size: 1609,
    variantSize: 4123456,
    local,
    config: { ...config },
  };
}

/** True for the builder and init images, which `image ls` hides. */
export function isHiddenImage(reference) {
  return HIDDEN_IMAGES.some((pattern) => pattern.test(reference));
}

function ociConfig(config) {
  const picked = {};
  for (const key of ['Cmd', 'Entrypoint', 'Env', 'Labels', 'StopSignal', 'User', 'WorkingDir']) {
    const value = config[key];
    if (value !== undefined && value !== null && value !== '') picked[key] = value;
  }

  return picked;
}

/** The `image ls`/`image inspect` element, 1.x or pre-1.0. */
export function imageElement(image, mode) {
  const descriptor = {
    digest: `sha256:${image.digest}`,
    mediaType: INDEX_MEDIA_TYPE,
    size: image.size,
  };
  if (mode === 'pre-1.0') return { reference: image.reference, descriptor, fullSize: '4,1 MB' };

  return {
    configuration: { creationDate: image.created, descriptor, name: image.reference },
    id: image.digest,
    variants: [
      {
        config: {
          architecture: 'arm64',
          config: ociConfig(image.config),
          created: image.created,
          history: [],
          os: 'linux',
          rootfs: { diff_ids: [], type: 'layers' },
        },
        digest: `sha256:${image.manifestDigest}`,
        platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
        size: image.variantSize,
      },
    ],
  };
}

const UNIT_POWERS = { '': 2, k: 1, m: 2, g: 3, t: 4, p: 5, b: 0 };

/**
 * Bytes for a size such as `16G`, `512M`, `2MiB` or `1073741824b`. A bare number counts as MiB,
 * as the CLI's `--memory` does (inferred: the reference gives no example of a bare number).
 */
export function parseByteSize(text, { bareUnit = 'm' } = {}) {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtpb]?)(i?b)?$/i.exec(String(text).trim());
  if (!match) return null;
  const unit = (match[2] || (match[3] ? 'b' : bareUnit)).toLowerCase();

  return Math.round(Number(match[1]) * 1024 ** UNIT_POWERS[unit]);
}

/** `key=value` labels; a value holding `=` is refused as the server does. */
export function parseLabels(entries = []) {
  const labels = {};
  for (const entry of entries) {
    const parts = entry.split('=');
    if (parts.length > 2) throw runtimeError(`invalid label format ${entry}`);
    labels[parts[0]] = parts[1] ?? '';
  }

  return labels;
}

/**
 * Reads an env file the way the CLI's port of Docker's reader does: values verbatim, no quotes
 * removed, `#` only as the first non-blank character, bare keys taken from the CLI's environment.
 */
export function readEnvFile(path, environment = process.env) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw runtimeError(`failed to read envfile at ${path} (cause: "${error.message}")`);
  }
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw runtimeError(`env file ${path} contains invalid utf8 bytes`);
  }
  const result = [];
  for (const rawLine of text.split(/\r\n|\n|\r/)) {
    const line = rawLine.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    const key = equals === -1 ? line : line.slice(0, equals);
    if (key === '') throw runtimeError(`no variable name on line '${rawLine}'`);
    if (/\s/.test(key)) throw runtimeError(`variable '${key}' contains whitespaces`);
    if (equals !== -1) result.push(`${key}=${line.slice(equals + 1)}`);
    else if (environment[key] !== undefined) result.push(`${key}=${environment[key]}`);
  }

  return result;
}

/** Image env first, then every `--env-file` in order, then `-e`; a later key replaces an earlier. */
export function mergeEnvironment(lists) {
  const merged = new Map();
  for (const entry of lists.flat()) {
    const equals = entry.indexOf('=');
    merged.set(equals === -1 ? entry : entry.slice(0, equals), entry);
  }

  return [...merged.values()];
}

/** `-e KEY=value` and bare `-e KEY` (from the CLI's environment, dropped when unset). */
export function readEnvFlags(entries = [], environment = process.env) {
  return entries.flatMap((entry) => {
    if (entry.includes('=')) return [entry];

    return environment[entry] === undefined ? [] : [`${entry}=${environment[entry]}`];
  });
}

function volumeType(name) {
  return { volume: { cache: { on: {} }, format: 'ext4', name, sync: { fsync: {} } } };
}

/** The mount `source` the real CLI shows for a named volume. */
export function volumeImagePath(root, name) {
  return join(root, 'volumes', name, 'volume.img');
}

function parseVolumeFlag(text, cwd) {
  const parts = text.split(':');
  if (parts.length === 1) {
    if (!isAbsolute(parts[0])) throw runtimeError(`invalid volume format ${text}`);
    return { kind: 'anonymous', destination: parts[0], readOnly: false };
  }
  if (parts.length > 3 || !parts[0] || !parts[1])
    throw runtimeError(`invalid volume format ${text}`);
  const options = (parts[2] ?? '').split(',').filter(Boolean);
  const readOnly = options.includes('ro') || options.includes('readonly');
  const [source, destination] = parts;
  if (/^[/.~]/.test(source)) {
    return {
      kind: 'bind',
      source: resolve(cwd, source.replace(/^~(?=\/|$)/, process.env.HOME ?? '~')),
      destination,
      readOnly,
    };
  }

  return { kind: 'volume', name: source, destination, readOnly };
}

function parseMountFlag(text, cwd) {
  const fields = {};
  for (const part of text.split(',')) {
    const equals = part.indexOf('=');
    fields[equals === -1 ? part : part.slice(0, equals)] =
      equals === -1 ? 'true' : part.slice(equals + 1);
  }
  const type = fields.type ?? 'volume';
  const source = fields.source ?? fields.src;
  const destination = fields.target ?? fields.destination ?? fields.dst;
  const readOnly = ['true', '1'].includes(fields.readonly ?? fields.ro ?? 'false');
  if (!destination) throw runtimeError(`invalid mount format ${text}`);
  if (type === 'bind') {
    if (!source) throw runtimeError(`invalid mount format ${text}`);
    return { kind: 'bind', source: resolve(cwd, source), destination, readOnly };
  }
  if (type === 'tmpfs') return { kind: 'tmpfs', destination, readOnly };
  if (type === 'volume')
    return source
      ? { kind: 'volume', name: source, destination, readOnly }
      : { kind: 'anonymous', destination, readOnly };
  throw runtimeError(`unsupported mount type ${type}`);
}

/** Every mount of a `run`/`create` call, in the order of the flags. */
export function parseMountFlags(options, cwd) {
  return [
    ...(options.volume ?? []).map((text) => parseVolumeFlag(text, cwd)),
    ...(options.mount ?? []).map((text) => parseMountFlag(text, cwd)),
    ...(options.tmpfs ?? []).map((destination) => ({
      kind: 'tmpfs',
      destination,
      readOnly: false,
    })),
  ];
}

/** The configuration `mounts` entry of a parsed mount. */
export function mountEntry(root, mount) {
  const options = mount.readOnly ? ['ro'] : [];
  if (mount.kind === 'bind')
    return {
      destination: mount.destination,
      options,
      source: mount.source,
      type: { virtiofs: {} },
    };
  if (mount.kind === 'tmpfs')
    return { destination: mount.destination, options, source: 'tmpfs', type: { tmpfs: {} } };

  return {
    destination: mount.destination,
    options,
    source: volumeImagePath(root, mount.name),
    type: volumeType(mount.name),
  };
}

function parsePublish(text) {
  const match = /^(?:(\[?[0-9a-fA-F.:]+\]?):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(text);
  if (!match) throw runtimeError(`invalid publish specification ${text}`);

  return {
    containerPort: Number(match[3]),
    count: 1,
    hostAddress: match[1] ?? '0.0.0.0',
    hostPort: Number(match[2]),
    proto: match[4] ?? 'tcp',
  };
}

function userEntry(user) {
  if (!user) return { id: { gid: 0, uid: 0 } };

  return { raw: { userString: user } };
}

/** The container's init command: entrypoint, then the arguments or the image's Cmd. */
export function initCommand(imageConfig, options, args) {
  const entrypoint =
    options.entrypoint !== undefined ? [options.entrypoint] : (imageConfig.Entrypoint ?? []);
  const cmd =
    args.length > 0 ? args : options.entrypoint !== undefined ? [] : (imageConfig.Cmd ?? []);
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0)
    throw runtimeError('no command specified: the image has no Entrypoint or Cmd');

  return argv;
}

/** The 1.x `configuration` object of a new container. */
export function buildConfiguration({ id, image, options, args, environment, mounts, root }) {
  const argv = initCommand(image.config, options, args);
  const memory = options.memory === undefined ? 1073741824 : parseByteSize(options.memory);
  if (memory === null) throw runtimeError(`invalid memory size ${options.memory}`);
  if (memory < 200 * 1024 * 1024)
    throw runtimeError(`minimum memory amount allowed is 200 MiB (got ${memory} bytes)`);
  const cpus = options.cpus === undefined ? 4 : Number(options.cpus);
  if (!Number.isInteger(cpus) || cpus < 1)
    throw runtimeError(`invalid number of CPUs ${options.cpus}`);
  const configuration = {
    capAdd: options.capAdd ?? [],
    capDrop: options.capDrop ?? [],
    creationDate: isoDate(),
    dns: options.noDns
      ? undefined
      : {
          nameservers: options.dns ?? [],
          options: options.dnsOption ?? [],
          searchDomains: options.dnsSearch ?? [],
        },
    id,
    image: {
      descriptor: {
        digest: `sha256:${image.digest}`,
        mediaType: INDEX_MEDIA_TYPE,
        size: image.size,
      },
      reference: image.reference,
    },
    initProcess: {
      arguments: argv.slice(1),
      environment,
      executable: argv[0],
      rlimits: [],
      supplementalGroups: [],
      terminal: Boolean(options.tty),
      user: userEntry(options.user ?? image.config.User),
      workingDirectory: options.workdir ?? image.config.WorkingDir ?? '/',
    },
    labels: parseLabels(options.label),
    mounts: mounts.map((mount) => mountEntry(root, mount)),
    networks: [{ network: 'default', options: { hostname: id, mtu: 1280 } }],
    platform: { architecture: 'arm64', os: 'linux' },
    publishedPorts: (options.publish ?? []).map(parsePublish),
    publishedSockets: [],
    readOnly: Boolean(options.readOnly),
    resources: { cpuOverhead: 1, cpus, memoryInBytes: memory },
    rosetta: Boolean(options.rosetta),
    runtimeHandler: 'container-runtime-linux',
    ssh: Boolean(options.ssh),
    stopSignal: image.config.StopSignal,
    sysctls: {},
    useInit: Boolean(options.init),
    virtualization: Boolean(options.virtualization),
  };
  if (options.maskedPath) configuration.maskedPaths = options.maskedPath;
  if (options.readOnlyPath) configuration.readonlyPaths = options.readOnlyPath;

  return configuration;
}

/** A new container record (state `stopped`, never started). */
export function createContainerRecord(configuration, { remove = false, virtual = false } = {}) {
  return {
    id: configuration.id,
    configuration,
    state: 'stopped',
    startedDate: undefined,
    networks: [],
    runtime: {
      remove,
      virtual,
      token: null,
      pid: null,
      monitorPid: null,
      execPids: [],
      lastExit: null,
    },
  };
}

/** A lowercase UUID, the id of a container started without `--name`. */
export function newContainerId() {
  return randomUUID().toLowerCase();
}

/** The lowest free `192.168.64.N/24` address and a MAC starting with `f`. */
export function allocateAttachment(state, id) {
  const used = new Set(
    Object.values(state.containers)
      .flatMap((record) => record.networks ?? [])
      .map((network) => network.ipv4Address),
  );
  let host = 2;
  while (used.has(`192.168.64.${host}/24`)) host += 1;
  const mac = ['f2', ...[...randomBytes(5)].map((byte) => byte.toString(16).padStart(2, '0'))].join(
    ':',
  );

  return {
    hostname: id,
    ipv4Address: `192.168.64.${host}/24`,
    ipv4Gateway: '192.168.64.1',
    macAddress: mac,
    mtu: 1280,
    network: 'default',
  };
}

function legacyConfiguration(configuration) {
  const { creationDate, shmSize, stopSignal, maskedPaths, readonlyPaths, ...rest } = configuration;
  const { cpuOverhead, ...resources } = configuration.resources;

  return { ...rest, resources };
}

/** The `ls`/`inspect` element: `{configuration, id, status}` on 1.x, the flat shape before. */
export function containerElement(record, mode) {
  if (mode === 'pre-1.0') {
    const element = {
      status: record.state,
      configuration: legacyConfiguration(record.configuration),
      networks: record.networks.map(({ variant, mtu, ...network }) => network),
    };
    if (record.startedDate) element.startedDate = referenceDateNumber(record.startedDate);

    return element;
  }
  const status = { networks: record.networks, state: record.state };
  if (record.startedDate) status.startedDate = record.startedDate;

  return { configuration: record.configuration, id: record.id, status };
}

/** The `volume ls`/`volume inspect` element. */
export function volumeElement(root, volume, mode) {
  const source = volumeImagePath(root, volume.name);
  if (mode === 'pre-1.0') {
    return {
      format: 'ext4',
      options: volume.options,
      name: volume.name,
      driver: 'local',
      createdAt: referenceDateNumber(volume.creationDate),
      sizeInBytes: volume.sizeInBytes,
      labels: volume.labels,
      source,
    };
  }

  return {
    configuration: {
      creationDate: volume.creationDate,
      driver: 'local',
      format: 'ext4',
      labels: volume.labels,
      name: volume.name,
      options: volume.options,
      sizeInBytes: volume.sizeInBytes,
      source,
    },
    id: volume.name,
  };
}

/** Host paths that back each mounted container path, longest destination first. */
export function mountTable(root, record) {
  return record.configuration.mounts
    .map((mount) => {
      let hostPath = mount.source;
      if (mount.type.volume) hostPath = volumeDataDir(root, mount.type.volume.name);
      if (mount.type.tmpfs) {
        hostPath = join(
          containerDir(root, record.id),
          'tmpfs',
          mount.destination.replaceAll('/', '_'),
        );
        mkdirSync(hostPath, { recursive: true });
      }

      return { destination: mount.destination.replace(/\/+$/, '') || '/', hostPath };
    })
    .sort((a, b) => b.destination.length - a.destination.length);
}

function hostPathFor(table, path) {
  for (const entry of table) {
    if (path === entry.destination) return entry.hostPath;
    if (path.startsWith(`${entry.destination}/`))
      return `${entry.hostPath}${path.slice(entry.destination.length)}`;
  }

  return null;
}

/** Replaces `${mount:<container path>}` by the host path that backs it. */
export function substituteMounts(text, table) {
  return text.replace(/\$\{mount:([^}]+)\}/g, (whole, path) => {
    const hostPath = hostPathFor(table, path);
    if (hostPath === null) throw new Error(`no mount backs ${path} in ${whole}`);

    return hostPath;
  });
}

/** An argument that starts with a mounted container path, pointed at the host path instead. */
export function rewriteMountedPath(text, table) {
  const substituted = substituteMounts(text, table);
  if (!substituted.startsWith('/')) return substituted;

  return hostPathFor(table, substituted) ?? substituted;
}

function hostWorkingDirectory(root, record, table, workingDirectory) {
  const mounted = rewriteMountedPath(workingDirectory, table);
  if (mounted !== workingDirectory || workingDirectory.includes('${')) return mounted;
  // Paths outside every mount live in the container's own fake root on the host.
  const path = join(containerDir(root, record.id), 'rootfs', workingDirectory);
  mkdirSync(path, { recursive: true });

  return path;
}

function environmentObject(entries, table) {
  const env = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals === -1) continue;
    env[entry.slice(0, equals)] = substituteMounts(entry.slice(equals + 1), table);
  }

  return env;
}

/**
 * The host process for a container process: argv and env with mount paths substituted, the
 * working directory mapped, and a HOME inside the container's folder when the image sets none.
 */
export function resolveHostProcess(root, record, { argv, extraEnv = [], workingDirectory } = {}) {
  const table = mountTable(root, record);
  const init = record.configuration.initProcess;
  const command = (argv ?? [init.executable, ...init.arguments]).map((arg) =>
    rewriteMountedPath(arg, table),
  );
  const env = environmentObject([...init.environment, ...extraEnv], table);
  if (env.PATH === undefined) env.PATH = DEFAULT_PATH;
  if (env.HOME === undefined) {
    env.HOME = join(containerDir(root, record.id), 'rootfs', 'root');
    mkdirSync(env.HOME, { recursive: true });
  }
  const cwd = hostWorkingDirectory(root, record, table, workingDirectory ?? init.workingDirectory);

  return { file: command[0], args: command.slice(1), env, cwd };
}

/** Looks an executable up on the process's own PATH, as the runtime inside the VM would. */
export function findExecutable(file, path) {
  const candidates = file.includes('/')
    ? [file]
    : path
        .split(':')
        .filter(Boolean)
        .map((dir) => join(dir, file));
  for (const candidate of candidates) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not in this folder.
    }
  }

  return null;
}

/** A size as the CLI logs it after a delete or prune (never parsed by clients). */
export function formatReclaimed(bytes) {
  if (bytes === 0) return 'Zero KB';
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1000))} KB`;

  return `${(bytes / 1e6).toFixed(1).replace('.', ',')} MB`;
}

/** True when a path exists. */
export function pathExists(path) {
  return existsSync(path);
}
