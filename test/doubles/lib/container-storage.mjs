// Volume, image and build commands of the container double.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { err, formatOption, out, runtimeError, usageError } from './container-args.mjs';
import {
  printCompact,
  printInspect,
  renderTable,
  requireModelledFormat,
  requireService,
  swiftList,
  unique,
} from './container-common.mjs';
import { createVolumeRecord, resolveImage } from './container-lifecycle.mjs';
import {
  createContainerRecord,
  createImageRecord,
  formatReclaimed,
  imageElement,
  isHiddenImage,
  isValidReference,
  newContainerId,
  normalizeReference,
  parseByteSize,
  parseLabels,
  volumeElement,
} from './container-model.mjs';
import { isoDate } from './container-json.mjs';
import { readState, updateState } from './container-state.mjs';

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const volumeCreateSpec = {
  path: 'volume create',
  synopsis: '[--label <label> ...] [--opt <opt> ...] [-s <s>] <name> [--debug]',
  options: [
    { names: ['--label'], key: 'label', value: '<label>', repeat: true },
    { names: ['--opt'], key: 'opt', value: '<opt>', repeat: true },
    { names: ['-s'], key: 'size', value: '<s>' },
  ],
  args: [{ name: 'name', required: true }],
};

/** `container volume create NAME`: prints the name; an existing name is an error. */
export function volumeCreate(ctx, { options, positionals }) {
  requireService(ctx, 'failed to create volume');
  const name = positionals[0];
  if (!VOLUME_NAME.test(name) || name.length > 255) {
    // Reference-silent wording; only the exit status 1 is documented.
    throw runtimeError(`invalid volume name '${name}': it must match ${VOLUME_NAME.source}`);
  }
  if (readState(ctx.root).volumes[name]) throw runtimeError(`volume '${name}' already exists`);
  const volumeOptions = Object.fromEntries((options.opt ?? []).map((entry) => entry.split('=')));
  let sizeInBytes = 549755813888;
  if (options.size !== undefined) {
    sizeInBytes = parseByteSize(options.size, { bareUnit: 'b' });
    if (sizeInBytes === null || sizeInBytes < 1048576)
      throw runtimeError(`invalid volume size ${options.size}: the minimum is 1 MiB`);
    volumeOptions.size = options.size;
  }
  createVolumeRecord(ctx.root, name, {
    labels: parseLabels(options.label),
    options: volumeOptions,
    sizeInBytes,
  });
  out(`${name}\n`);
}

export const volumeListSpec = {
  path: 'volume list',
  synopsis: '[--format <format>] [--quiet] [--debug]',
  options: [formatOption, { names: ['-q', '--quiet'], key: 'quiet' }],
};

function sortedVolumes(ctx) {
  return Object.values(readState(ctx.root).volumes).sort((a, b) => a.name.localeCompare(b.name));
}

function isAnonymous(volume) {
  return 'com.apple.container.resource.anonymous' in volume.labels;
}

/** `container volume ls [--format json] [-q]`. */
export function volumeList(ctx, { options }) {
  requireService(ctx, 'failed to list volumes');
  const format = options.format ?? 'table';
  requireModelledFormat(format);
  const volumes = sortedVolumes(ctx);
  if (format === 'json')
    return printCompact(
      ctx,
      'volume ls',
      volumes.map((volume) => volumeElement(ctx.root, volume, ctx.mode)),
    );
  if (options.quiet)
    return volumes.length > 0
      ? out(`${volumes.map((volume) => volume.name).join('\n')}\n`)
      : undefined;
  const rows = volumes.map((volume) => [
    volume.name,
    isAnonymous(volume) ? 'anonymous' : 'named',
    'local',
    Object.entries(volume.options)
      .map(([key, value]) => `${key}=${value}`)
      .join(','),
  ]);
  out(renderTable([['NAME', 'TYPE', 'DRIVER', 'OPTIONS'], ...rows]));
}

export const volumeInspectSpec = {
  path: 'volume inspect',
  synopsis: '<names> ... [--debug]',
  args: [{ name: 'names', required: true, variadic: true }],
};

/** `container volume inspect NAME…`: pretty array; any missing name fails the call. */
export function volumeInspect(ctx, { positionals }) {
  requireService(ctx, 'failed to list volumes');
  const volumes = readState(ctx.root).volumes;
  const names = unique(positionals);
  const missing = names.filter((name) => !volumes[name]);
  if (missing.length > 0) throw runtimeError(`volume not found: ${missing.join(', ')}`);
  printInspect(
    ctx,
    'volume inspect',
    names.map((name) => volumeElement(ctx.root, volumes[name], '1.x')),
  );
}

function volumeUsers(state, name) {
  return Object.values(state.containers).filter((record) =>
    record.configuration.mounts.some((mount) => mount.type.volume?.name === name),
  );
}

function deleteVolumeFiles(ctx, names) {
  updateState(ctx.root, (state) => {
    for (const name of names) delete state.volumes[name];
  });
  for (const name of names)
    rmSync(join(ctx.root, 'volumes', name), { recursive: true, force: true });
}

export const volumeDeleteSpec = {
  path: 'volume delete',
  synopsis: '[--all] [<names> ...] [--debug]',
  options: [{ names: ['-a', '--all'], key: 'all' }],
  args: [{ name: 'names', variadic: true }],
};

/** `container volume rm NAME…`: missing names fail first; volumes in use are refused. */
export function volumeDelete(ctx, { options, positionals }) {
  requireService(ctx, 'failed to delete volume');
  const state = readState(ctx.root);
  if (positionals.length === 0 && !options.all)
    throw runtimeError('no volumes specified and --all not supplied');
  const names = options.all ? Object.keys(state.volumes).sort() : unique(positionals);
  const missing = names.filter((name) => !state.volumes[name]);
  if (missing.length > 0)
    throw runtimeError(`failed to delete one or more volumes: ${swiftList(missing)}`);
  const busy = names.filter((name) => volumeUsers(state, name).length > 0);
  const free = names.filter((name) => !busy.includes(name));
  deleteVolumeFiles(ctx, free);
  for (const name of free) out(`${name}\n`);
  if (busy.length === 0 || options.all) return;
  for (const name of busy) {
    err(
      `failed to delete volume: [error: volume '${name}' is currently in use and cannot be accessed by another container, or deleted, id: ${name}]\n`,
    );
  }
  throw runtimeError(`delete failed for one or more volumes: ${swiftList(busy)}`);
}

export const volumePruneSpec = { path: 'volume prune', synopsis: '[--debug]' };

/** `container volume prune`: deletes the volumes no container refers to. */
export function volumePrune(ctx) {
  requireService(ctx, 'failed to prune volumes');
  const state = readState(ctx.root);
  const unused = Object.keys(state.volumes)
    .sort()
    .filter((name) => volumeUsers(state, name).length === 0);
  deleteVolumeFiles(ctx, unused);
  for (const name of unused) out(`${name}\n`);
  err(`Reclaimed ${formatReclaimed(0)} in disk space\n`);
}

export const imageListSpec = {
  path: 'image list',
  synopsis: '[--format <format>] [--quiet] [--verbose] [--debug]',
  options: [
    formatOption,
    { names: ['-q', '--quiet'], key: 'quiet' },
    { names: ['-v', '--verbose'], key: 'verbose' },
  ],
};

function localImages(ctx) {
  return Object.values(readState(ctx.root).images)
    .filter((image) => image.local && !isHiddenImage(image.reference))
    .sort((a, b) => a.reference.localeCompare(b.reference));
}

function splitReference(reference) {
  const colon = reference.lastIndexOf(':');
  const name = reference.slice(0, colon).replace(/^docker\.io\/(library\/)?/, '');

  return { name, tag: reference.slice(colon + 1) };
}

/** `container image ls [--format json] [-q]`. */
export function imageList(ctx, { options }) {
  requireService(ctx, null);
  const format = options.format ?? 'table';
  requireModelledFormat(format);
  const images = localImages(ctx);
  if (format === 'json')
    return printCompact(
      ctx,
      'image ls',
      images.map((image) => imageElement(image, ctx.mode)),
    );
  if (options.quiet)
    return images.length > 0
      ? out(`${images.map((image) => image.reference).join('\n')}\n`)
      : undefined;
  const rows = images.map((image) => {
    const { name, tag } = splitReference(image.reference);

    return [name, tag, image.digest.slice(0, 12)];
  });
  out(renderTable([['NAME', 'TAG', 'DIGEST'], ...rows]));
}

export const imageInspectSpec = {
  path: 'image inspect',
  synopsis: '<images> ... [--debug]',
  args: [{ name: 'images', required: true, variadic: true }],
};

/** `container image inspect REF…`: any missing image fails the call. */
export function imageInspect(ctx, { positionals }) {
  requireService(ctx, null);
  const images = readState(ctx.root).images;
  const refs = unique(positionals);
  const missing = refs.filter((ref) => !images[normalizeReference(ref)]?.local);
  if (missing.length > 0) throw runtimeError(`image not found: ${missing.join(', ')}`);
  printInspect(
    ctx,
    'image inspect',
    refs.map((ref) => imageElement(images[normalizeReference(ref)], ctx.mode)),
  );
}

export const imagePullSpec = {
  path: 'image pull',
  synopsis: '[<options>] <reference> [--debug]',
  options: [
    { names: ['--platform'], key: 'platform', value: '<platform>' },
    { names: ['-a', '--arch'], key: 'arch', value: '<arch>' },
    { names: ['--os'], key: 'os', value: '<os>' },
    { names: ['--scheme'], key: 'scheme', value: '<scheme>' },
    {
      names: ['--progress'],
      key: 'progress',
      value: '<type>',
      choices: ['auto', 'none', 'ansi', 'plain', 'color'],
    },
    {
      names: ['--max-concurrent-downloads'],
      key: 'maxConcurrentDownloads',
      value: '<n>',
      integer: true,
    },
  ],
  args: [{ name: 'reference', required: true }],
};

/** `container image pull REF`: nothing on stdout, progress on stderr. */
export function imagePull(ctx, { options, positionals }) {
  requireService(ctx, null);
  const image = resolveImage(ctx, positionals[0], options);
  if (image.local && (options.progress ?? 'auto') !== 'none')
    err('[1/1] Fetching image 100% [0s]\n');
}

export const imageDeleteSpec = {
  path: 'image delete',
  synopsis: '[--all] [--force] [<images> ...] [--debug]',
  options: [
    { names: ['-a', '--all'], key: 'all' },
    { names: ['-f', '--force'], key: 'force' },
  ],
  args: [{ name: 'images', variadic: true }],
};

/** `container image rm REF…`: prints each deleted reference. */
export function imageDelete(ctx, { options, positionals }) {
  requireService(ctx, null);
  const images = readState(ctx.root).images;
  const refs = options.all ? localImages(ctx).map((image) => image.reference) : unique(positionals);
  const missing = refs.filter((ref) => !images[normalizeReference(ref)]?.local);
  if (missing.length > 0)
    throw runtimeError(`failed to delete one or more images: ${swiftList(missing)}`);
  updateState(ctx.root, (state) => {
    for (const ref of refs) delete state.images[normalizeReference(ref)];
  });
  for (const ref of refs) out(`${ref}\n`);
  err(`Reclaimed ${formatReclaimed(4123456)} in disk space\n`);
}

export const buildSpec = {
  path: 'build',
  synopsis: '[<options>] [<context-dir>]',
  options: [
    { names: ['-t', '--tag'], key: 'tag', value: '<name>', repeat: true },
    { names: ['-f', '--file'], key: 'file', value: '<file>' },
    { names: ['--build-arg'], key: 'buildArg', value: '<key=val>', repeat: true },
    { names: ['--target'], key: 'target', value: '<stage>' },
    { names: ['--platform'], key: 'platform', value: '<platform>' },
    { names: ['-a', '--arch'], key: 'arch', value: '<arch>' },
    { names: ['--os'], key: 'os', value: '<os>' },
    { names: ['--no-cache'], key: 'noCache' },
    { names: ['--pull'], key: 'pull' },
    { names: ['-o', '--output'], key: 'output', value: '<value>' },
    { names: ['--progress'], key: 'progress', value: '<type>', choices: ['auto', 'plain', 'tty'] },
    { names: ['-q', '--quiet'], key: 'quiet' },
    { names: ['--secret'], key: 'secret', value: '<id=key,...>', repeat: true },
    { names: ['--label'], key: 'label', value: '<key=val>', repeat: true },
    { names: ['-c', '--cpus'], key: 'cpus', value: '<cpus>' },
    { names: ['-m', '--memory'], key: 'memory', value: '<memory>' },
  ],
  args: [{ name: 'context-dir' }],
};

function parseInstructionList(text) {
  try {
    const value = JSON.parse(text);
    if (Array.isArray(value)) return value.map(String);
  } catch {
    // Shell form: run through /bin/sh -c, as a build would.
  }

  return ['/bin/sh', '-c', text];
}

/** The image config a Containerfile declares: ENTRYPOINT, CMD, ENV, WORKDIR, USER, LABEL, STOPSIGNAL. */
export function readContainerfileConfig(text) {
  const config = {};
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const [, word, value] = match;
    const instruction = word.toUpperCase();
    if (instruction === 'FROM') Object.keys(config).forEach((key) => delete config[key]);
    if (instruction === 'ENTRYPOINT') config.Entrypoint = parseInstructionList(value);
    if (instruction === 'CMD') config.Cmd = parseInstructionList(value);
    if (instruction === 'WORKDIR') config.WorkingDir = value.trim();
    if (instruction === 'USER') config.User = value.trim();
    if (instruction === 'STOPSIGNAL') config.StopSignal = value.trim();
    if (instruction === 'ENV') {
      const pairs = value.match(/[^\s=]+=("[^"]*"|\S*)/g) ?? [];
      config.Env = [...(config.Env ?? []), ...pairs.map((pair) => pair.replace(/="(.*)"$/, '=$1'))];
    }
    if (instruction === 'LABEL') {
      for (const pair of value.match(/[^\s=]+=("[^"]*"|\S*)/g) ?? []) {
        const [key, ...rest] = pair.split('=');
        config.Labels = { ...config.Labels, [key]: rest.join('=').replace(/^"(.*)"$/, '$1') };
      }
    }
  }

  return config;
}

function findContainerfile(spec, contextDir, file, cwd) {
  if (file !== undefined) {
    const path = resolve(cwd, file);
    if (!existsSync(path)) throw usageError(spec, `dockerfile not found in context dir: ${path}`);
    return path;
  }
  for (const name of ['Dockerfile', 'Containerfile']) {
    if (existsSync(join(contextDir, name))) return join(contextDir, name);
  }
  throw usageError(spec, `dockerfile not found in context dir: ${contextDir}`);
}

function ensureBuilder(ctx) {
  updateState(ctx.root, (state) => {
    if (state.containers.buildkit) {
      const builder = state.containers.buildkit;
      if (builder.state !== 'running') {
        builder.state = 'running';
        builder.startedDate = isoDate();
      }
      return;
    }
    const configuration = builderConfiguration();
    const record = createContainerRecord(configuration, { virtual: true });
    record.state = 'running';
    record.startedDate = isoDate();
    record.networks = [
      {
        hostname: 'buildkit',
        ipv4Address: '192.168.64.254/24',
        ipv4Gateway: '192.168.64.1',
        network: 'default',
      },
    ];
    state.containers.buildkit = record;
  });
}

function builderConfiguration() {
  return {
    capAdd: [],
    capDrop: [],
    creationDate: isoDate(),
    dns: { nameservers: [], options: [], searchDomains: [] },
    id: 'buildkit',
    image: {
      descriptor: {
        digest: 'sha256:5ac0f8f0a38bd3e1e2d6a6f8f7f5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b',
        mediaType: 'application/vnd.oci.image.index.v1+json',
        size: 1609,
      },
      reference: 'ghcr.io/apple/container-builder-shim/builder:0.7.0',
    },
    initProcess: {
      arguments: [],
      environment: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      executable: '/usr/local/bin/container-builder-shim',
      rlimits: [],
      supplementalGroups: [],
      terminal: false,
      user: { id: { gid: 0, uid: 0 } },
      workingDirectory: '/',
    },
    labels: {
      'com.apple.container.plugin': 'builder',
      'com.apple.container.resource.role': 'builder',
    },
    mounts: [{ destination: '/run', options: [], source: '', type: { tmpfs: {} } }],
    networks: [{ network: 'default', options: { hostname: 'buildkit' } }],
    platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
    publishedPorts: [],
    publishedSockets: [],
    readOnly: false,
    resources: { cpuOverhead: 1, cpus: 2, memoryInBytes: 2147483648 },
    rosetta: true,
    runtimeHandler: 'container-runtime-linux',
    ssh: false,
    sysctls: {},
    useInit: false,
    virtualization: false,
  };
}

/** `container build -t NAME -f FILE CONTEXT`: log on stderr, normalised names on stdout. */
export function build(ctx, { options, positionals }) {
  const spec = buildSpec;
  const contextDir = resolve(ctx.cwd, positionals[0] ?? '.');
  if (!existsSync(contextDir) || !statSync(contextDir).isDirectory())
    throw usageError(spec, `context dir does not exist ${contextDir}`);
  const tags = options.tag ?? [newContainerId()];
  for (const tag of tags) {
    if (!isValidReference(tag)) throw usageError(spec, `invalid reference ${tag}`);
  }
  requireService(ctx, null);
  const file = findContainerfile(spec, contextDir, options.file, ctx.cwd);
  ensureBuilder(ctx);
  const state = readState(ctx.root);
  const lines = options.quiet
    ? []
    : [
        `#1 [internal] load build definition from ${file.split('/').at(-1)}`,
        '#1 transferring dockerfile: 1.21kB done',
        '#1 DONE 0.0s',
        '#2 [internal] load metadata',
        '#2 DONE 0.4s',
        '#3 exporting to oci image format',
        '#3 DONE 0.2s',
      ];
  for (const line of lines) err(`${line}\n`);
  if (state.faults.buildFails) throw runtimeError(state.faults.buildFails);
  const config = state.buildTemplate ?? readContainerfileConfig(readFileSync(file, 'utf8'));
  const labels = { ...config.Labels, ...parseLabels(options.label) };
  const references = tags.map(normalizeReference);
  updateState(ctx.root, (current) => {
    for (const reference of references) {
      current.images[reference] = createImageRecord(reference, {
        ...config,
        Labels: Object.keys(labels).length ? labels : undefined,
      });
    }
  });
  out(`${references.join('\n')}\n`);
}
