// Entry of the container double: resolves the subcommand, applies the configured faults (hang,
// service down), parses the arguments and runs the command. System commands live here too.
import { readSync } from 'node:fs';

import {
  DoubleExit,
  err,
  formatOption,
  out,
  parseArgs,
  runtimeError,
  usageError,
  writeAll,
} from './container-args.mjs';
import {
  SERVICE_HINT,
  longForm,
  printCompact,
  renderTable,
  requireModelledFormat,
} from './container-common.mjs';
import * as lifecycle from './container-lifecycle.mjs';
import {
  INSTALL_ROOT,
  KERNEL_URL,
  apiServerVersionLine,
  versionInfo,
  versionLine,
} from './container-model.mjs';
import { stopContainer } from './container-runtime.mjs';
import {
  readState,
  registerSelf,
  resolveStateRoot,
  sleepForever,
  sleepSync,
  updateState,
} from './container-state.mjs';
import * as storage from './container-storage.mjs';

const statusSpec = {
  path: 'system status',
  synopsis: '[--prefix <prefix>] [--format <format>] [--debug]',
  options: [{ names: ['--prefix'], key: 'prefix', value: '<prefix>' }, formatOption],
};

function statusObject(ctx, status) {
  const down = {
    apiServerAppName: '',
    apiServerBuild: '',
    apiServerCommit: '',
    apiServerVersion: '',
    appRoot: '',
    installRoot: '',
    status,
  };
  if (status !== 'running') return down;

  return {
    apiServerAppName: 'container-apiserver',
    apiServerBuild: 'release',
    apiServerCommit: versionInfo(ctx.mode).commit,
    apiServerVersion: apiServerVersionLine(ctx.mode),
    appRoot: `${ctx.root}/`,
    installRoot: `${INSTALL_ROOT}/`,
    logRoot: ctx.state.system.logRoot,
    status,
  };
}

function statusText(ctx, status) {
  if (status === 'unregistered')
    return 'apiserver is not running and not registered with launchd\n';
  if (status === 'not running') return 'apiserver is not running\n';
  const info = statusObject(ctx, status);
  if (ctx.mode === 'pre-1.0') {
    return (
      `apiserver is running\napplication data root: ${info.appRoot}\napplication install root: ${info.installRoot}\n` +
      `container-apiserver version: ${info.apiServerVersion}\ncontainer-apiserver commit: ${info.apiServerCommit}\n`
    );
  }

  return renderTable([
    ['FIELD', 'VALUE'],
    ['status', 'running'],
    ['appRoot', info.appRoot],
    ['installRoot', info.installRoot],
    ['logRoot', info.logRoot ?? ''],
    ['apiserver.version', info.apiServerVersion],
    ['apiserver.commit', info.apiServerCommit],
    ['apiserver.build', 'release'],
    ['apiserver.appName', 'container-apiserver'],
  ]);
}

/** `container system status`: always stdout, exit 1 when the service is down. */
function systemStatus(ctx, { options }) {
  const status = ctx.state.system.state;
  const format = options.format ?? 'table';
  requireModelledFormat(format);
  if (format === 'json') printCompact(ctx, 'system status', statusObject(ctx, status));
  else out(statusText(ctx, status));
  if (status !== 'running') throw new DoubleExit(1);
}

const startSpec = {
  path: 'system start',
  synopsis:
    '[--app-root <app-root>] [--install-root <install-root>] [--log-root <log-root>] [--enable-kernel-install] [--disable-kernel-install] [--timeout <timeout>] [--debug]',
  options: [
    { names: ['-a', '--app-root'], key: 'appRoot', value: '<app-root>' },
    { names: ['--install-root'], key: 'installRoot', value: '<install-root>' },
    { names: ['--log-root'], key: 'logRoot', value: '<log-root>' },
    { names: ['--enable-kernel-install'], key: 'enableKernel' },
    { names: ['--disable-kernel-install'], key: 'disableKernel' },
    { names: ['--timeout'], key: 'timeout', value: '<timeout>', integer: true },
  ],
};

/** Reads one line from stdin synchronously; null at EOF. An open, silent pipe blocks forever. */
function readLineSync() {
  const byte = Buffer.alloc(1);
  const bytes = [];
  for (;;) {
    let read;
    try {
      read = readSync(0, byte, 0, 1, null);
    } catch (error) {
      if (error.code === 'EAGAIN') {
        sleepSync(20);
        continue;
      }
      if (error.code === 'EOF' || error.code === 'EBADF')
        return bytes.length > 0 ? Buffer.from(bytes).toString('utf8') : null;
      throw error;
    }
    if (read === 0) return bytes.length > 0 ? Buffer.from(bytes).toString('utf8') : null;
    if (byte[0] === 0x0a) return Buffer.from(bytes).toString('utf8').replace(/\r$/, '');
    bytes.push(byte[0]);
  }
}

function clearStartedDates(state) {
  for (const record of Object.values(state.containers)) {
    record.state = 'stopped';
    record.networks = [];
    delete record.startedDate;
  }
}

function installKernel(ctx, log) {
  log('Installing kernel...\n');
  err('[1/2] Downloading kernel 42% (32,1/76,4 MB) [3s]\n');
  updateState(ctx.root, (state) => {
    state.system.kernelInstalled = true;
  });
}

/** `container system start`: registers the apiserver, installs what is missing, idempotent. */
function systemStart(ctx, { options }) {
  // 0.12 and earlier wrote their status lines to stdout, 1.2 writes them to stderr.
  const log = ctx.mode === 'pre-1.0' ? out : err;
  if (ctx.state.faults.startFails) {
    updateState(ctx.root, (state) => {
      state.system.state = 'not running';
    });
    const cause = longForm('interrupted', 'XPC connection error: Connection invalid');
    throw new DoubleExit(1, {
      stderr: `Error: ${longForm('internalError', `failed to get a response from apiserver: ${cause}`)}\n${SERVICE_HINT}\n`,
    });
  }
  if (ctx.state.system.state !== 'running') {
    log('Launching container-apiserver...\nTesting access to container-apiserver...\n');
    updateState(ctx.root, (state) => {
      state.system.state = 'running';
      state.system.logRoot = options.logRoot;
      clearStartedDates(state);
    });
  }
  if (!ctx.state.system.initImageInstalled) {
    log('Installing base container filesystem...\n');
    updateState(ctx.root, (state) => {
      state.system.initImageInstalled = true;
    });
  }
  if (ctx.state.system.kernelInstalled || options.disableKernel) return;
  if (options.enableKernel) return installKernel(ctx, log);
  log('No default kernel configured.\n');
  registerSelf(ctx.root, 'kernel-prompt');
  writeAll(1, `Install the recommended default kernel from [${KERNEL_URL}]? [Y/n]: `);
  const answer = readLineSync();
  if (answer === null) throw runtimeError('failed to read user input');
  if (['', 'y', 'Y'].includes(answer.trim())) return installKernel(ctx, log);
  log(
    'Please use the `container system kernel set --recommended` command to configure the default kernel\n',
  );
}

const stopSpec = {
  path: 'system stop',
  synopsis: '[--prefix <prefix>] [--debug]',
  options: [{ names: ['--prefix'], key: 'prefix', value: '<prefix>' }],
};

/** `container system stop`: stops every container, unregisters; log lines on stdout, exit 0. */
async function systemStop(ctx) {
  if (ctx.state.system.state === 'running') {
    out('Stopping all containers...\n');
    const running = Object.values(readState(ctx.root).containers).filter(
      (record) => record.state !== 'stopped',
    );
    await Promise.all(
      running.map((record) => stopContainer(ctx.root, record.id, { timeSeconds: 5 })),
    );
  }
  out('Removing launchd services with prefix com.apple.container....\n');
  updateState(ctx.root, (state) => {
    state.system.state = 'unregistered';
    clearStartedDates(state);
  });
}

const versionSpec = {
  path: 'system version',
  synopsis: '[--format <format>] [--debug]',
  options: [formatOption],
};

function systemVersion(ctx, { options }) {
  const format = options.format ?? 'table';
  requireModelledFormat(format);
  const { version, commit } = versionInfo(ctx.mode);
  const rows = [{ appName: 'container', buildType: 'release', commit, version }];
  if (ctx.state.system.state === 'running')
    rows.push({
      appName: 'container-apiserver',
      buildType: 'release',
      commit,
      version: apiServerVersionLine(ctx.mode),
    });
  if (format === 'json') return printCompact(ctx, 'system version', rows);
  out(
    renderTable([
      ['COMPONENT', 'VERSION', 'BUILD', 'COMMIT'],
      ...rows.map((row) => [row.appName, row.version, row.buildType, row.commit]),
    ]),
  );
}

const COMMANDS = {
  list: { spec: lifecycle.lsSpec, run: lifecycle.list, key: 'ls' },
  inspect: { spec: lifecycle.inspectSpec, run: lifecycle.inspect, key: 'inspect' },
  run: { spec: lifecycle.runSpec, run: lifecycle.run, key: 'run' },
  create: { spec: lifecycle.createSpec, run: lifecycle.create, key: 'create' },
  start: { spec: lifecycle.startSpec, run: lifecycle.start, key: 'start' },
  stop: { spec: lifecycle.stopSpec, run: lifecycle.stop, key: 'stop' },
  kill: { spec: lifecycle.killSpec, run: lifecycle.kill, key: 'kill' },
  delete: { spec: lifecycle.deleteSpec, run: lifecycle.remove, key: 'delete' },
  exec: { spec: lifecycle.execSpec, run: lifecycle.exec, key: 'exec' },
  logs: { spec: lifecycle.logsSpec, run: lifecycle.logs, key: 'logs' },
  stats: { spec: lifecycle.statsSpec, run: lifecycle.stats, key: 'stats' },
  prune: { spec: lifecycle.pruneSpec, run: lifecycle.prune, key: 'prune' },
  build: { spec: storage.buildSpec, run: storage.build, key: 'build' },
  system: {
    status: { spec: statusSpec, run: systemStatus, key: 'system status' },
    start: { spec: startSpec, run: systemStart, key: 'system start' },
    stop: { spec: stopSpec, run: systemStop, key: 'system stop' },
    version: { spec: versionSpec, run: systemVersion, key: 'system version' },
  },
  volume: {
    create: { spec: storage.volumeCreateSpec, run: storage.volumeCreate, key: 'volume create' },
    list: { spec: storage.volumeListSpec, run: storage.volumeList, key: 'volume ls' },
    inspect: { spec: storage.volumeInspectSpec, run: storage.volumeInspect, key: 'volume inspect' },
    delete: { spec: storage.volumeDeleteSpec, run: storage.volumeDelete, key: 'volume delete' },
    prune: { spec: storage.volumePruneSpec, run: storage.volumePrune, key: 'volume prune' },
  },
  image: {
    list: { spec: storage.imageListSpec, run: storage.imageList, key: 'image ls' },
    inspect: { spec: storage.imageInspectSpec, run: storage.imageInspect, key: 'image inspect' },
    pull: { spec: storage.imagePullSpec, run: storage.imagePull, key: 'image pull' },
    delete: { spec: storage.imageDeleteSpec, run: storage.imageDelete, key: 'image delete' },
  },
};

const ALIASES = { ls: 'list', rm: 'delete', v: 'volume', i: 'image' };

function groupSpec(name) {
  return { path: name, synopsis: '<subcommand>' };
}

/** Finds the command for argv: `[command, remaining tokens]`, or throws the parser's error. */
function resolveCommand(argv, ctx) {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h') {
    out('OVERVIEW: A container platform for macOS\n\nUSAGE: container [--debug] <subcommand>\n');
    throw new DoubleExit(0);
  }
  if (first === '--version') {
    out(`${versionLine(ctx.mode)}\n`);
    throw new DoubleExit(0);
  }
  const top = COMMANDS[ALIASES[first] ?? first];
  if (!top) {
    if (first.startsWith('-'))
      throw usageError(
        { path: '', synopsis: '[--debug] <subcommand>' },
        `Unknown option '${first}'`,
      );
    const text =
      ctx.state.system.state === 'running'
        ? `Error: Plugin 'container-${first}' not found.\n  See 'container --help' for more information.\n`
        : 'Error: Plugins are unavailable. Start the container system services using `container system start`.\n';
    throw new DoubleExit(64, { stderr: text });
  }
  if (top.spec) return [top, argv.slice(1)];
  const groupName = ALIASES[first] ?? first;
  const second = argv[1];
  if (second === '--version') {
    out(`${versionLine(ctx.mode)}\n`);
    throw new DoubleExit(0);
  }
  const sub = top[ALIASES[second] ?? second];
  if (!sub) {
    if (second === undefined || second === '--help') {
      out(`USAGE: container ${groupName} <subcommand>\n`);
      throw new DoubleExit(second === undefined ? 64 : 0);
    }
    throw usageError(groupSpec(groupName), `Unexpected argument '${second}'`);
  }

  return [sub, argv.slice(2)];
}

function applyLegacyRestrictions(ctx, command, tokens) {
  // 0.4–0.9 had no `system status --format`.
  if (ctx.mode === 'pre-1.0' && command.key === 'system status') {
    const format = tokens.find((token) => token === '--format' || token.startsWith('--format='));
    if (format) throw usageError(command.spec, "Unknown option '--format'");
  }
}

async function hangIfConfigured(ctx, command) {
  if (!ctx.state.faults.hang.includes(command.key)) return;
  registerSelf(ctx.root, `hang ${command.key}`);
  await sleepForever();
}

async function dispatch(argv) {
  const root = resolveStateRoot();
  if (root === null)
    throw new DoubleExit(70, { stderr: 'container double: WORKBENCH_DOUBLE_STATE is not set\n' });
  const state = readState(root);
  const ctx = { root, state, mode: state.system.mode, env: process.env, cwd: process.cwd() };
  const [command, tokens] = resolveCommand(argv, ctx);
  await hangIfConfigured(ctx, command);
  applyLegacyRestrictions(ctx, command, tokens);
  const parsed = parseArgs(command.spec, tokens);
  if (parsed.options.version) {
    out(`${versionLine(ctx.mode)}\n`);
    return;
  }
  if (parsed.options.help) {
    out(`USAGE: container ${command.spec.path} ${command.spec.synopsis}\n`);
    return;
  }
  await command.run(ctx, parsed);
}

/** Runs the double for `argv` and exits with the command's status. */
export async function main(argv) {
  try {
    await dispatch(argv);
    process.exitCode = 0;
  } catch (error) {
    if (!(error instanceof DoubleExit)) {
      err(`Error: container double crashed: ${error?.stack ?? error}\n`);
      process.exit(70);
    }
    if (error.stdout) out(error.stdout);
    if (error.stderr) err(error.stderr);
    process.exit(error.code);
  }
  process.exit(0);
}
