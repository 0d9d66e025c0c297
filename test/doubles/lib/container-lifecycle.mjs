// Container commands of the double: ls, inspect, run, create, start, stop, kill, delete, exec,
// logs, stats and prune, each with the output, errors and exit codes of apple/container 1.x.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { DoubleExit, err, formatOption, out, runtimeError } from './container-args.mjs';
import {
  aggregateError,
  longForm,
  printCompact,
  printInspect,
  renderTable,
  requireModelledFormat,
  requireService,
  singleError,
  swiftList,
  unique,
} from './container-common.mjs';
import { isoDate } from './container-json.mjs';
import {
  buildConfiguration,
  containerElement,
  createContainerRecord,
  findExecutable,
  formatReclaimed,
  isValidReference,
  mergeEnvironment,
  newContainerId,
  normalizeReference,
  parseMountFlags,
  readEnvFile,
  readEnvFlags,
  resolveHostProcess,
} from './container-model.mjs';
import {
  attachForeground,
  exitStatusOf,
  printId,
  reconcile,
  startContainer,
  stopContainer,
} from './container-runtime.mjs';
import {
  containerDir,
  readProcStat,
  readState,
  registerPid,
  registerSelf,
  signalProcess,
  sleep,
  sleepForever,
  unregisterPid,
  updateState,
  volumeDataDir,
} from './container-state.mjs';

const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const PROGRESS_VALUES = ['auto', 'none', 'ansi', 'plain', 'color'];

function containers(ctx) {
  reconcile(ctx.root);

  return Object.values(readState(ctx.root).containers).sort((a, b) => a.id.localeCompare(b.id));
}

function findContainer(ctx, id) {
  reconcile(ctx.root);

  return readState(ctx.root).containers[id] ?? null;
}

function tableRow(record) {
  const { configuration } = record;

  return [
    record.id,
    configuration.image.reference,
    configuration.platform.os,
    configuration.platform.architecture,
    record.state,
    record.networks.map((network) => network.ipv4Address).join(','),
    configuration.resources.cpus,
    `${Math.round(configuration.resources.memoryInBytes / 1048576)} MB`,
    record.startedDate ?? '',
  ];
}

export const lsSpec = {
  path: 'list',
  synopsis: '[--all] [--quiet] [--format <format>] [--debug]',
  options: [
    { names: ['-a', '--all'], key: 'all' },
    { names: ['-q', '--quiet'], key: 'quiet' },
    formatOption,
  ],
};

/** `container ls [-a] [-q] [--format json|table]`. */
export function list(ctx, { options }) {
  requireService(ctx, 'failed to list containers');
  const format = options.format ?? 'table';
  requireModelledFormat(format);
  const all = containers(ctx);
  // 0.4–0.9 filtered by state only for the table and -q output; JSON listed everything.
  const shown =
    options.all || (ctx.mode === 'pre-1.0' && format === 'json')
      ? all
      : all.filter((record) => record.state === 'running');
  if (format === 'json')
    return printCompact(
      ctx,
      'ls',
      shown.map((record) => containerElement(record, ctx.mode)),
    );
  if (options.quiet)
    return shown.length > 0 ? out(`${shown.map((record) => record.id).join('\n')}\n`) : undefined;
  out(
    renderTable([
      ['ID', 'IMAGE', 'OS', 'ARCH', 'STATE', 'IP', 'CPUS', 'MEMORY', 'STARTED'],
      ...shown.map(tableRow),
    ]),
  );
}

export const inspectSpec = {
  path: 'inspect',
  synopsis: '<container-ids> ... [--debug]',
  args: [{ name: 'container-ids', required: true, variadic: true }],
};

/** `container inspect ID…`: all-or-nothing on 1.x, the found ones before 1.0. */
export function inspect(ctx, { positionals }) {
  requireService(ctx, 'failed to list containers');
  const ids = unique(positionals);
  const found = ids.map((id) => findContainer(ctx, id)).filter(Boolean);
  if (ctx.mode !== 'pre-1.0' && found.length < ids.length) {
    const missing = ids.filter((id) => !found.some((record) => record.id === id)).sort();
    throw runtimeError(`container not found: ${missing.join(', ')}`);
  }
  printInspect(
    ctx,
    'inspect',
    found.map((record) => containerElement(record, ctx.mode)),
  );
}

const runOptions = [
  { names: ['-d', '--detach'], key: 'detach' },
  { names: ['--name'], key: 'name', value: '<name>' },
  { names: ['--rm', '--remove'], key: 'remove' },
  { names: ['--cidfile'], key: 'cidfile', value: '<cidfile>' },
  { names: ['--init'], key: 'init' },
  { names: ['--init-image'], key: 'initImage', value: '<init-image>' },
  { names: ['--entrypoint'], key: 'entrypoint', value: '<entrypoint>' },
  { names: ['-e', '--env'], key: 'env', value: '<env>', repeat: true },
  { names: ['--env-file'], key: 'envFile', value: '<env-file>', repeat: true },
  { names: ['-i', '--interactive'], key: 'interactive' },
  { names: ['-t', '--tty'], key: 'tty' },
  { names: ['-u', '--user'], key: 'user', value: '<user>' },
  { names: ['--uid'], key: 'uid', value: '<uid>', integer: true },
  { names: ['--gid'], key: 'gid', value: '<gid>', integer: true },
  { names: ['-w', '--workdir', '--cwd'], key: 'workdir', value: '<dir>' },
  { names: ['-c', '--cpus'], key: 'cpus', value: '<cpus>' },
  { names: ['-m', '--memory'], key: 'memory', value: '<memory>' },
  { names: ['--shm-size'], key: 'shmSize', value: '<shm-size>' },
  { names: ['-v', '--volume'], key: 'volume', value: '<volume>', repeat: true },
  { names: ['--mount'], key: 'mount', value: '<mount>', repeat: true },
  { names: ['--tmpfs'], key: 'tmpfs', value: '<tmpfs>', repeat: true },
  { names: ['--read-only'], key: 'readOnly' },
  { names: ['-p', '--publish'], key: 'publish', value: '<spec>', repeat: true },
  { names: ['--publish-socket'], key: 'publishSocket', value: '<spec>', repeat: true },
  { names: ['--network'], key: 'network', value: '<network>', repeat: true },
  { names: ['--dns'], key: 'dns', value: '<ip>', repeat: true },
  { names: ['--dns-domain'], key: 'dnsDomain', value: '<domain>' },
  { names: ['--dns-search'], key: 'dnsSearch', value: '<domain>', repeat: true },
  { names: ['--dns-option'], key: 'dnsOption', value: '<option>', repeat: true },
  { names: ['--no-dns'], key: 'noDns' },
  { names: ['-l', '--label'], key: 'label', value: '<label>', repeat: true },
  { names: ['--platform'], key: 'platform', value: '<platform>' },
  { names: ['-a', '--arch'], key: 'arch', value: '<arch>' },
  { names: ['--os'], key: 'os', value: '<os>' },
  { names: ['--rosetta'], key: 'rosetta' },
  { names: ['-k', '--kernel'], key: 'kernel', value: '<kernel>' },
  { names: ['--runtime'], key: 'runtime', value: '<runtime>' },
  { names: ['--virtualization'], key: 'virtualization' },
  { names: ['--ssh'], key: 'ssh' },
  { names: ['--cap-add'], key: 'capAdd', value: '<cap>', repeat: true },
  { names: ['--cap-drop'], key: 'capDrop', value: '<cap>', repeat: true },
  { names: ['--masked-path'], key: 'maskedPath', value: '<path>', repeat: true },
  { names: ['--read-only-path'], key: 'readOnlyPath', value: '<path>', repeat: true },
  { names: ['--scheme'], key: 'scheme', value: '<scheme>' },
  { names: ['--progress'], key: 'progress', value: '<type>', choices: PROGRESS_VALUES },
  {
    names: ['--max-concurrent-downloads'],
    key: 'maxConcurrentDownloads',
    value: '<n>',
    integer: true,
  },
];

export const runSpec = {
  path: 'run',
  synopsis: '[<options>] <image> [<arguments> ...]',
  options: runOptions,
  args: [{ name: 'image', required: true }],
  passthrough: 1,
};

export const createSpec = { ...runSpec, path: 'create' };

function progressLines(options, lines) {
  if ((options.progress ?? 'auto') === 'none') return;
  for (const line of lines) err(`${line}\n`);
}

/** Finds the image, "pulling" one the control module registered as remote. */
export function resolveImage(ctx, ref, options) {
  if (!isValidReference(ref)) throw runtimeError(`invalid reference format: ${ref}`);
  const reference = normalizeReference(ref);
  const image = readState(ctx.root).images[reference];
  if (!image) {
    throw runtimeError(`failed to fetch image ${reference}: notFound: "manifest unknown"`);
  }
  if (!image.local) {
    progressLines(options, [
      `[1/2] Fetching image 15% (1 of 7 blobs, 3,4/22,2 MB, 647 KB/s) [1s]`,
      '[2/2] Unpacking image for platform linux/arm64 [0s]',
    ]);
    updateState(ctx.root, (state) => {
      if (state.images[reference]) state.images[reference].local = true;
    });
  }

  return image;
}

function requireKernel(ctx) {
  if (readState(ctx.root).system.kernelInstalled) return;
  throw runtimeError(
    'default kernel not configured for architecture arm64, please use the `container system kernel set` command to configure it',
  );
}

function checkMountSources(ctx, mounts) {
  const state = readState(ctx.root);
  for (const mount of mounts) {
    if (mount.kind === 'bind' && !existsSync(mount.source))
      throw runtimeError(`mount source path '${mount.source}' does not exist`);
    // Named volumes must exist; the reference does not say that `run` creates them (inferred).
    if (mount.kind === 'volume' && !state.volumes[mount.name])
      throw runtimeError(`volume not found: ${mount.name}`);
  }
}

function nameAnonymousVolumes(mounts) {
  for (const mount of mounts.filter((entry) => entry.kind === 'anonymous')) {
    mount.kind = 'volume';
    mount.name = newContainerId();
    mount.anonymous = true;
  }
}

/** Adds a volume to the state and creates its backing folder. */
export function createVolumeRecord(
  root,
  name,
  { labels = {}, options = {}, sizeInBytes = 549755813888 } = {},
) {
  mkdirSync(volumeDataDir(root, name), { recursive: true });
  writeFileSync(join(root, 'volumes', name, 'volume.img'), '');
  updateState(root, (state) => {
    state.volumes[name] = { name, creationDate: isoDate(), labels, options, sizeInBytes };
  });
}

function prepareRecord(ctx, { options, positionals, rest }, { checkDuplicate }) {
  const id = options.name ?? newContainerId();
  if (options.name !== undefined && (!ID_PATTERN.test(id) || id.length > 63)) {
    throw runtimeError(`container ID ${id} is not a valid container ID`);
  }
  if (checkDuplicate && readState(ctx.root).containers[id])
    throw runtimeError(`container with id ${id} already exists`);
  const image = resolveImage(ctx, positionals[0], options);
  requireKernel(ctx);
  const mounts = parseMountFlags(options, ctx.cwd);
  checkMountSources(ctx, mounts);
  nameAnonymousVolumes(mounts);
  const environment = mergeEnvironment([
    image.config.Env ?? [],
    ...(options.envFile ?? []).map((path) => readEnvFile(path, ctx.env)),
    readEnvFlags(options.env, ctx.env),
  ]);
  const configuration = buildConfiguration({
    id,
    image,
    options,
    args: rest,
    environment,
    mounts,
    root: ctx.root,
  });
  for (const mount of mounts.filter((entry) => entry.anonymous)) {
    createVolumeRecord(ctx.root, mount.name, {
      labels: { 'com.apple.container.resource.anonymous': '' },
    });
  }

  return createContainerRecord(configuration, { remove: Boolean(options.remove) });
}

function insertRecord(ctx, record, duplicateMessage) {
  updateState(ctx.root, (state) => {
    if (state.containers[record.id]) throw runtimeError(duplicateMessage);
    state.containers[record.id] = record;
  });
  mkdirSync(join(containerDir(ctx.root, record.id), 'rootfs'), { recursive: true });
  writeFileSync(join(containerDir(ctx.root, record.id), 'stdio.log'), '', { flag: 'a' });
}

/** `container run`: `-d` prints the id once the process runs; otherwise it attaches. */
export async function run(ctx, parsed) {
  requireService(ctx, null);
  const record = prepareRecord(ctx, parsed, { checkDuplicate: true });
  insertRecord(ctx, record, `container with id ${record.id} already exists`);
  if (parsed.options.cidfile) writeFileSync(parsed.options.cidfile, record.id);
  progressLines(parsed.options, [
    '[1/3] Fetching image [0s]',
    '[2/3] Unpacking image for platform linux/arm64 [0s]',
    '[3/3] Starting container [0s]',
  ]);
  const detach = Boolean(parsed.options.detach);
  const attachDir = await startContainer(ctx.root, record.id, {
    attach: !detach,
    deleteOnFailure: true,
  });
  if (detach) {
    rmSync(attachDir, { recursive: true, force: true });
    return out(`${record.id}\n`);
  }
  await attachForeground(ctx.root, record.id, attachDir);
}

/** `container create`: a stopped container; a duplicate gets the server's wording. */
export function create(ctx, parsed) {
  requireService(ctx, null);
  const record = prepareRecord(ctx, parsed, { checkDuplicate: false });
  insertRecord(ctx, record, `container already exists: ${record.id}`);
  if (parsed.options.cidfile) writeFileSync(parsed.options.cidfile, record.id);
  out(`${record.id}\n`);
}

export const startSpec = {
  path: 'start',
  synopsis: '[--attach] [--interactive] <container-id> [--debug]',
  options: [
    { names: ['-a', '--attach'], key: 'attach' },
    { names: ['-i', '--interactive'], key: 'interactive' },
  ],
  args: [{ name: 'container-id', required: true }],
};

/** `container start [-a] ID`: idempotent for a running container. */
export async function start(ctx, { options, positionals }) {
  requireService(ctx, 'failed to get container');
  const id = positionals[0];
  const record = findContainer(ctx, id);
  if (!record) throw singleError(ctx, 'notFound', `get failed: container ${id} not found`);
  if (record.state === 'running') {
    if (options.attach)
      throw runtimeError('attach is currently unsupported on already running containers');
    return out(`${id}\n`);
  }
  if (record.state === 'stopping') throw runtimeError(`container ${id} is stopping`);
  requireKernel(ctx);
  const attachDir = await startContainer(ctx.root, id, { attach: Boolean(options.attach) });
  if (!options.attach) {
    rmSync(attachDir, { recursive: true, force: true });
    return out(`${id}\n`);
  }
  await attachForeground(ctx.root, id, attachDir);
}

function targetIds(ctx, { options, positionals }) {
  if (positionals.length === 0 && !options.all)
    throw runtimeError('no containers specified and --all not supplied');
  if (positionals.length > 0 && options.all)
    throw runtimeError('explicitly supplied container IDs conflict with the --all flag');

  return options.all ? containers(ctx).map((record) => record.id) : unique(positionals);
}

function notFoundLong(operation, id) {
  return longForm(
    'internalError',
    operation,
    longForm('notFound', `container with ID ${id} not found`),
  );
}

function normalizeSignal(text) {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const upper = text.toUpperCase();

  return upper.startsWith('SIG') ? upper : `SIG${upper}`;
}

export const stopSpec = {
  path: 'stop',
  synopsis: '[--all] [--signal <signal>] [--time <time>] [<container-ids> ...] [--debug]',
  options: [
    { names: ['-a', '--all'], key: 'all' },
    { names: ['-s', '--signal'], key: 'signal', value: '<signal>' },
    { names: ['-t', '--time'], key: 'time', value: '<time>', integer: true },
  ],
  args: [{ name: 'container-ids', variadic: true }],
};

async function stopStuck(ctx, id, seconds) {
  updateState(ctx.root, (state) => {
    if (state.containers[id]) state.containers[id].state = 'stopping';
  });
  if (ctx.state.faults.stuckStopping === 'hang') {
    registerSelf(ctx.root, 'stuck-stop', id);
    await sleepForever();
  }
  await sleep(seconds * 1000);
  // Reference-silent: the wording of a stop that outlives the runtime is inferred.
  return longForm(
    'internalError',
    'failed to stop container',
    longForm('timeout', `timed out waiting for container ${id} to stop`),
  );
}

/** `container stop [-a] [-s SIG] [-t N] ID…`: signal, wait, SIGKILL; prints each stopped id. */
export async function stop(ctx, parsed) {
  requireService(ctx, 'failed to stop container');
  const ids = targetIds(ctx, parsed);
  const seconds = parsed.options.time ?? 5;
  const errors = [];
  await Promise.all(
    ids.map(async (id) => {
      const record = findContainer(ctx, id);
      if (!record) {
        if (ctx.mode !== 'pre-1.0') errors.push(notFoundLong('failed to stop container', id));
        return;
      }
      if (record.state !== 'stopped' && ctx.state.faults.stuckStopping) {
        errors.push(await stopStuck(ctx, id, seconds));
        return;
      }
      await stopContainer(ctx.root, id, {
        signal: normalizeSignal(parsed.options.signal),
        timeSeconds: seconds,
      });
      printId(id);
    }),
  );
  if (errors.length > 0) throw aggregateError(errors);
}

export const killSpec = {
  path: 'kill',
  synopsis: '[--all] [--signal <signal>] [<container-ids> ...] [--debug]',
  options: [
    { names: ['-a', '--all'], key: 'all' },
    { names: ['-s', '--signal'], key: 'signal', value: '<signal>' },
  ],
  args: [{ name: 'container-ids', variadic: true }],
};

/** `container kill [-s SIG] ID…`: default KILL, no waiting. */
export function kill(ctx, parsed) {
  requireService(ctx, 'failed to kill container');
  const errors = [];
  const signal = normalizeSignal(parsed.options.signal ?? 'KILL');
  for (const id of targetIds(ctx, parsed)) {
    const record = findContainer(ctx, id);
    if (!record) {
      errors.push(notFoundLong('failed to kill container', id));
    } else if (record.state !== 'running' && record.state !== 'stopping') {
      if (!parsed.options.all) {
        errors.push(
          longForm(
            'internalError',
            'failed to kill container',
            longForm('invalidState', 'no runtime client exists: container is stopped'),
          ),
        );
      }
    } else {
      signalProcess(record.runtime.pid, signal);
      printId(id);
    }
  }
  if (errors.length > 0) throw aggregateError(errors);
}

export const deleteSpec = {
  path: 'delete',
  synopsis: '[--all] [--force] [<container-ids> ...] [--debug]',
  options: [
    { names: ['-a', '--all'], key: 'all' },
    { names: ['-f', '--force'], key: 'force' },
  ],
  args: [{ name: 'container-ids', variadic: true }],
};

function removeContainer(ctx, id) {
  updateState(ctx.root, (state) => {
    delete state.containers[id];
  });
  rmSync(containerDir(ctx.root, id), { recursive: true, force: true });
}

function legacyDeleteError(ctx, missing, running) {
  if (missing.length > 0)
    return singleError(
      ctx,
      'notFound',
      `failed to delete one or more containers: ${swiftList(missing)}`,
    );
  for (const id of running)
    err(`failed to delete container ${id}: invalidState: "container is running"\n`);

  return singleError(
    ctx,
    'internalError',
    `delete failed for one or more containers: ${swiftList(running)}`,
  );
}

/** `container delete [-a] [-f] ID…`. */
export async function remove(ctx, parsed) {
  requireService(ctx, 'failed to delete container');
  const errors = [];
  const missing = [];
  const running = [];
  for (const id of targetIds(ctx, parsed)) {
    const record = findContainer(ctx, id);
    if (!record) {
      missing.push(id);
      errors.push(notFoundLong('failed to delete container', id));
      continue;
    }
    if (record.state === 'stopping' || (record.state === 'running' && !parsed.options.force)) {
      if (parsed.options.all && record.state === 'running') continue;
      running.push(id);
      errors.push(
        longForm(
          'internalError',
          'failed to delete container',
          longForm('invalidState', `container ${id} is ${record.state} and can not be deleted`),
        ),
      );
      continue;
    }
    if (record.state === 'running')
      await stopContainer(ctx.root, id, { signal: 'SIGKILL', timeSeconds: 5 });
    removeContainer(ctx, id);
    printId(id);
  }
  if (errors.length === 0) return;
  if (ctx.mode === 'pre-1.0') throw legacyDeleteError(ctx, missing, running);
  throw aggregateError(errors);
}

export const execSpec = {
  path: 'exec',
  synopsis: '[<options>] <container-id> <arguments> ...',
  options: [
    { names: ['-d', '--detach'], key: 'detach' },
    { names: ['-i', '--interactive'], key: 'interactive' },
    { names: ['-t', '--tty'], key: 'tty' },
    { names: ['-e', '--env'], key: 'env', value: '<env>', repeat: true },
    { names: ['--env-file'], key: 'envFile', value: '<env-file>', repeat: true },
    { names: ['-u', '--user'], key: 'user', value: '<user>' },
    { names: ['--uid'], key: 'uid', value: '<uid>', integer: true },
    { names: ['--gid'], key: 'gid', value: '<gid>', integer: true },
    { names: ['-w', '--workdir', '--cwd'], key: 'workdir', value: '<dir>' },
  ],
  args: [{ name: 'container-id', required: true }],
  passthrough: 1,
  passthroughRequired: 'arguments',
};

function trackExec(ctx, id, pid, add) {
  updateState(ctx.root, (state) => {
    const record = state.containers[id];
    if (!record) return;
    const pids = record.runtime.execPids.filter((entry) => entry !== pid);
    record.runtime.execPids = add ? [...pids, pid] : pids;
  });
}

/** `container exec ID CMD…`: runs the command on the host with the init process's env. */
export async function exec(ctx, { options, positionals, rest }) {
  requireService(ctx, 'failed to get container');
  const id = positionals[0];
  const record = findContainer(ctx, id);
  if (!record) throw singleError(ctx, 'notFound', `get failed: container ${id} not found`);
  if (record.state !== 'running') throw runtimeError(`container ${id} is not running`);
  const extraEnv = mergeEnvironment([
    ...(options.envFile ?? []).map((path) => readEnvFile(path, ctx.env)),
    readEnvFlags(options.env, ctx.env),
  ]);
  let spec;
  try {
    spec = resolveHostProcess(ctx.root, record, {
      argv: rest,
      extraEnv,
      workingDirectory: options.workdir,
    });
  } catch (error) {
    throw runtimeError(`failed to exec [${rest.join(' ')}]: ${error.message}`);
  }
  // An executable that does not exist is reported as exit 255, like a real `exit 255`.
  const file = findExecutable(spec.file, spec.env.PATH);
  if (file === null) throw new DoubleExit(255);
  const stdio = options.detach
    ? 'ignore'
    : [options.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'];
  const child = spawn(file, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio,
    argv0: spec.file,
  });
  const status = await waitForExec(ctx, id, child, Boolean(options.detach));
  if (options.detach) return out(`${id}\n`);
  throw new DoubleExit(status);
}

function waitForExec(ctx, id, child, detach) {
  return new Promise((resolve) => {
    child.on('error', (error) => {
      err(
        `Error: failed to exec [${child.spawnargs.join(' ')}] Error Domain=NSPOSIXErrorDomain Code=${-error.errno} "${error.message}"\n`,
      );
      resolve(1);
    });
    child.on('spawn', () => {
      registerPid(ctx.root, child.pid, { role: 'exec', group: true, container: id });
      trackExec(ctx, id, child.pid, true);
      if (detach) {
        child.unref();
        resolve(0);
        return;
      }
      registerSelf(ctx.root, 'exec-cli', id);
      forwardSignals(() => child.pid);
    });
    child.on('exit', (code, signal) => {
      if (detach) return;
      unregisterPid(ctx.root, child.pid);
      trackExec(ctx, id, child.pid, false);
      resolve(exitStatusOf({ code, signal }));
    });
  });
}

function forwardSignals(pidOf) {
  let interrupts = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH']) {
    process.on(signal, () => {
      if (signal === 'SIGINT' || signal === 'SIGTERM') interrupts += 1;
      if (interrupts >= 3) {
        err("Received 3 SIGINT/SIGTERM's, forcefully exiting.\n");
        process.exit(1);
      }
      signalProcess(pidOf(), signal);
    });
  }
}

export const logsSpec = {
  path: 'logs',
  synopsis: '[--boot] [--follow] [-n <n>] <container-id> [--debug]',
  options: [
    { names: ['--boot'], key: 'boot' },
    { names: ['-f', '--follow'], key: 'follow' },
    { names: ['-n'], key: 'lines', value: '<n>', integer: true },
  ],
  args: [{ name: 'container-id', required: true }],
};

function renderLog(content, lines) {
  if (lines !== undefined) {
    const kept = content
      .split('\n')
      .filter((line) => line !== '')
      .slice(lines > 0 ? -lines : content.length);
    return kept.length > 0 ? `${kept.join('\n')}\n` : '';
  }
  const trimmed = content.replace(/\n+$/, '');

  return trimmed ? `${trimmed}\n` : '';
}

async function followLog(ctx, path, offset) {
  registerSelf(ctx.root, 'logs-follow');
  let position = offset;
  const buffer = Buffer.alloc(65536);
  for (;;) {
    if (existsSync(path) && statSync(path).size > position) {
      const fd = openSync(path, 'r');
      while (position < fstatSync(fd).size) {
        const read = readSync(fd, buffer, 0, buffer.length, position);
        if (read <= 0) break;
        out(buffer.subarray(0, read));
        position += read;
      }
      closeSync(fd);
    }
    await sleep(100);
  }
}

/** `container logs [-n N] [-f] [--boot] ID`. */
export async function logs(ctx, { options, positionals }) {
  requireService(ctx, 'failed to get container');
  const id = positionals[0];
  if (!findContainer(ctx, id)) {
    const inner = longForm(
      'internalError',
      `failed to open container logs: ${longForm('notFound', `container with ID ${id} not found`)}`,
    );
    throw runtimeError(`failed to get logs for container ${id} (cause: "${inner}")`);
  }
  const path = join(containerDir(ctx.root, id), options.boot ? 'vminitd.log' : 'stdio.log');
  const content = existsSync(path) ? readFileSync(path, 'utf8') : '';
  out(renderLog(content, options.lines));
  if (options.follow) await followLog(ctx, path, Buffer.byteLength(content));
}

export const statsSpec = {
  path: 'stats',
  synopsis: '[--format <format>] [--no-stream] [<container-ids> ...] [--debug]',
  options: [formatOption, { names: ['--no-stream'], key: 'noStream' }],
  args: [{ name: 'container-ids', variadic: true }],
};

function countGroupMembers(pgrp) {
  let names;
  try {
    names = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }

  return names
    .map((name) => readProcStat(Number(name)))
    .filter((stat) => stat && stat.pgrp === pgrp).length;
}

function sampleStats(record) {
  const stat = readProcStat(record.runtime.pid);
  const sample = {
    blockReadBytes: 0,
    blockWriteBytes: 0,
    id: record.id,
    memoryLimitBytes: record.configuration.resources.memoryInBytes,
    networkRxBytes: 0,
    networkTxBytes: 0,
  };
  if (!stat) return sample;
  let resident = null;
  try {
    resident =
      Number(readFileSync(`/proc/${record.runtime.pid}/statm`, 'utf8').split(' ')[1]) * 4096;
  } catch {
    // Not on Linux: leave it out, as the CLI leaves out unknown values.
  }

  return {
    ...sample,
    cpuUsageUsec: (stat.utime + stat.stime) * 10000,
    memoryUsageBytes: resident ?? undefined,
    numProcesses: countGroupMembers(record.runtime.pid),
  };
}

/** `container stats --no-stream --format json [ID…]`: running containers only. */
export async function stats(ctx, { options, positionals }) {
  requireService(ctx, 'failed to list containers');
  const format = options.format ?? 'table';
  requireModelledFormat(format);
  const all = containers(ctx);
  for (const id of positionals) {
    if (!all.some((record) => record.id === id)) throw runtimeError(`no such container: ${id}`);
  }
  const chosen = all.filter(
    (record) =>
      record.state === 'running' &&
      !record.runtime.virtual &&
      (positionals.length === 0 || positionals.includes(record.id)),
  );
  if (chosen.length > 0) await sleep(ctx.state.system.statsDelayMs);
  const samples = chosen.map(sampleStats);
  if (format === 'json') return printCompact(ctx, 'stats', samples);
  const rows = samples.map((sample) => [
    sample.id,
    '--',
    `${((sample.memoryUsageBytes ?? 0) / 1048576).toFixed(2)} MiB / ${(sample.memoryLimitBytes / 1073741824).toFixed(2)} GiB`,
    '0 B / 0 B',
    '0 B / 0 B',
    String(sample.numProcesses ?? '--'),
  ]);
  out(
    renderTable([
      ['Container ID', 'Cpu %', 'Memory Usage', 'Net Rx/Tx', 'Block I/O', 'Pids'],
      ...rows,
    ]),
  );
}

export const pruneSpec = { path: 'prune', synopsis: '[--debug]' };

/** `container prune`: deletes stopped containers. */
export function prune(ctx) {
  requireService(ctx, 'failed to list containers');
  const stopped = containers(ctx).filter((record) => record.state === 'stopped');
  for (const record of stopped) {
    removeContainer(ctx, record.id);
    printId(record.id);
  }
  err(`Reclaimed ${formatReclaimed(0)} in disk space\n`);
}
