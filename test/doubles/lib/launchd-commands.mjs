// The subcommands of the launchctl double. Exit codes and texts follow what macOS prints for a
// per-user agent in gui/<uid>; where Apple's behaviour is not known, the choice is marked.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  expectedUid,
  isAlive,
  isLabelDisabled,
  loadedJob,
  newToken,
  readState,
  sleepSync,
  stateRootFromEnv,
  withState,
} from './launchd-state.mjs';
import { JobPlistError, readJobPlist } from './launchd-program.mjs';
import {
  formatDomain,
  formatList,
  formatListEntry,
  formatPrint,
  formatPrintDisabled,
} from './launchd-print.mjs';
import { parseSignalArgument } from './launchd-signals.mjs';

const MONITOR = join(dirname(fileURLToPath(import.meta.url)), 'launchd-monitor.mjs');
const FIRST_SPAWN_WAIT_MS = 5000;
const POLL_MS = 10;
// Apple's usage errors are not documented; 64 (EX_USAGE) is assumed.
const USAGE_EXIT = 64;

const USAGE = {
  general: 'Usage: launchctl <subcommand> ... | help [subcommand]',
  bootstrap: 'Usage: launchctl bootstrap <domain-target> [service-path, service-path2, ...]',
  bootout:
    'Usage: launchctl bootout <domain-target> [service-path1, service-path2, ...] | <service-target>',
  enable: 'Usage: launchctl enable <service-target>',
  disable: 'Usage: launchctl disable <service-target>',
  kickstart: 'Usage: launchctl kickstart [-kp] <service-target>',
  kill: 'Usage: launchctl kill <signal-number|signal-name> <service-target>',
  print: 'Usage: launchctl print <domain-target> | <service-target>',
  'print-disabled': 'Usage: launchctl print-disabled <domain-target>',
  list: 'Usage: launchctl list [service-name]',
  managername: 'Usage: launchctl managername',
};

const EIO_BOOTSTRAP =
  'Bootstrap failed: 5: Input/output error\nTry re-running the command as root for richer errors.\n';
const NO_DOMAIN_BOOTSTRAP = 'Bootstrap failed: 125: Domain does not support specified action\n';

/** What one invocation printed and its exit status. */
class Outcome {
  constructor() {
    this.stdout = '';
    this.stderr = '';
    this.code = 0;
  }

  out(text) {
    this.stdout += text;
    return this;
  }

  fail(code, text = '') {
    this.stderr += text;
    this.code = code;
    return this;
  }
}

function unrecognized(subcommand) {
  return new Outcome().fail(
    USAGE_EXIT,
    `Unrecognized target specifier.\n${USAGE[subcommand] ?? USAGE.general}\n`,
  );
}

/** `gui/501` or `gui/501/label` → { uid, label }; null for anything else. */
function parseGuiTarget(text) {
  const match = /^gui\/(\d+)(?:\/(.+))?$/.exec(text ?? '');
  if (!match) return null;

  return { uid: Number(match[1]), label: match[2] ?? null };
}

function isDomainTarget(text) {
  return /^(gui|user|login)\/\d+$/.test(text ?? '') || text === 'system';
}

// True when gui/<uid> exists for the caller: an Aqua session of that very user. As root (sudo),
// gui/0 never exists. Tests run as root on Linux, so "root" is a setting, not the real uid.
function guiDomainExists(config, uid) {
  if (config.managerName !== 'Aqua') return false;
  if (config.root && uid === 0) return false;

  return uid === expectedUid(config);
}

function notFound(label, uid) {
  return `Could not find service "${label}" in domain for user gui: ${uid}\n`;
}

function waitUntil(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    sleepSync(POLL_MS);
  }
  return check();
}

function nudge(job) {
  if (!job.monitor?.ready || !isAlive(job.monitor.pid)) return;
  try {
    process.kill(job.monitor.pid, 'SIGUSR1');
  } catch {
    // The monitor ended meanwhile; the state says what happened.
  }
}

// Starts a monitor for the job and waits until it has tried the first spawn.
function startMonitor(stateRoot, label) {
  const token = newToken();
  const before = withState(stateRoot, (state) => {
    const job = loadedJob(state, label);
    job.monitor = { token, pid: null, ready: false };
    return job.runs;
  });
  const child = spawn(process.execPath, [MONITOR, stateRoot, label, token], {
    detached: true,
    stdio: 'ignore',
    env: {},
  });
  child.unref();
  withState(stateRoot, (state) => {
    const job = state.jobs[label];
    if (job?.monitor?.token === token && job.monitor.pid === null) job.monitor.pid = child.pid;
  });
  waitUntil(() => {
    const job = readState(stateRoot).jobs[label];
    return !job || job.monitor?.token !== token || job.runs > before || !isAlive(child.pid);
  }, FIRST_SPAWN_WAIT_MS);
}

function fileProblem(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 'missing';
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : stat.uid;
  if (!stat.isFile() || stat.uid !== uid || (stat.mode & 0o022) !== 0) return 'permissions';

  return null;
}

function newJob(state, uid, plistPath, definition, env) {
  const asid = state.nextAsid;
  state.nextAsid += 1;

  return {
    label: definition.label,
    uid,
    plistPath,
    program: definition.program,
    home: state.config.home ?? env.HOME ?? '/',
    user: state.config.user ?? env.USER ?? env.LOGNAME ?? userInfo().username,
    asid,
    coalitionId: 1000 + (asid % 10_000) * 2,
    loadId: newToken(),
    loadedAt: Date.now(),
    monitor: null,
    pid: null,
    status: 'not running',
    runs: 0,
    execs: 0,
    lastExitCode: null,
    lastSignal: null,
    jobState: null,
    lastSpawnAt: null,
    spawns: [],
    kickstart: { seq: 0, kill: false },
    bootout: null,
  };
}

function bootstrapOne(stateRoot, uid, path, env) {
  const problem = fileProblem(path);
  if (problem === 'missing')
    return new Outcome().fail(2, 'Bootstrap failed: 2: No such file or directory\n');
  // Inferred: the ownership text is known from `load`; bootstrap is assumed to fail with 5.
  if (problem === 'permissions') {
    return new Outcome().fail(
      5,
      `${path}: Path had bad ownership/permissions\nBootstrap failed: 5: Input/output error\n`,
    );
  }
  let definition;
  try {
    definition = readJobPlist(path);
  } catch (error) {
    if (error instanceof JobPlistError) return new Outcome().fail(5, EIO_BOOTSTRAP);
    throw error;
  }
  const label = definition.label;
  const verdict = withState(stateRoot, (state) => {
    const root = state.config.root;
    if (isLabelDisabled(state, label)) {
      return root
        ? [119, `${path}: Service is disabled\nBootstrap failed: 119: Service is disabled\n`]
        : [5, EIO_BOOTSTRAP];
    }
    if (loadedJob(state, label))
      return root
        ? [37, 'Bootstrap failed: 37: Operation already in progress\n']
        : [5, EIO_BOOTSTRAP];
    state.jobs[label] = newJob(state, uid, path, definition, env);
    return [0, ''];
  });
  if (verdict[0] !== 0) return new Outcome().fail(verdict[0], verdict[1]);
  if (definition.program.runAtLoad || definition.program.keepAlive) startMonitor(stateRoot, label);

  return new Outcome();
}

function bootstrap(stateRoot, args, env) {
  const [domain, ...paths] = args;
  const target = parseGuiTarget(domain);
  if (!target || target.label !== null || paths.length === 0) {
    return isDomainTarget(domain) && paths.length > 0
      ? new Outcome().fail(125, NO_DOMAIN_BOOTSTRAP)
      : unrecognized('bootstrap');
  }
  if (!guiDomainExists(readState(stateRoot).config, target.uid))
    return new Outcome().fail(125, NO_DOMAIN_BOOTSTRAP);
  let outcome = new Outcome();
  for (const path of paths) {
    outcome = bootstrapOne(stateRoot, target.uid, resolve(path), env);
    if (outcome.code !== 0) return outcome;
  }
  return outcome;
}

function startBootout(stateRoot, label) {
  const result = withState(stateRoot, (state) => {
    const job = loadedJob(state, label);
    if (!job) return { code: 3 };
    if (job.bootout) return { code: 36 };
    const now = Date.now();
    job.bootout = { at: now, drainingUntil: now + state.config.drainingMs };
    const once = state.config.bootoutInProgressOnce;
    state.config.bootoutInProgressOnce = false;
    return { code: once ? 36 : 0, job };
  });
  if (result.job) nudge(result.job);

  return result.code;
}

const BOOTOUT_TEXT = {
  3: 'Boot-out failed: 3: No such process\n',
  5: 'Boot-out failed: 5: Input/output error\n',
  36: 'Boot-out failed: 36: Operation now in progress\n',
};

function bootout(stateRoot, args) {
  const [targetText, ...paths] = args;
  const target = parseGuiTarget(targetText);
  if (!target || (target.label === null) === (paths.length === 0)) return unrecognized('bootout');
  if (!guiDomainExists(readState(stateRoot).config, target.uid)) {
    return new Outcome().fail(
      125,
      'Boot-out failed: 125: Domain does not support specified action\n',
    );
  }
  if (target.label !== null) {
    const code = startBootout(stateRoot, target.label);
    return code === 0 ? new Outcome() : new Outcome().fail(code, BOOTOUT_TEXT[code]);
  }
  for (const path of paths) {
    let label;
    try {
      label = readJobPlist(resolve(path)).label;
    } catch {
      return new Outcome().fail(5, BOOTOUT_TEXT[5]);
    }
    const code = startBootout(stateRoot, label);
    // By path, a label that is not loaded gives EIO rather than ESRCH (an approximation).
    if (code === 3) return new Outcome().fail(5, BOOTOUT_TEXT[5]);
    if (code !== 0) return new Outcome().fail(code, BOOTOUT_TEXT[code]);
  }
  return new Outcome();
}

function setOverride(stateRoot, subcommand, args) {
  const target = parseGuiTarget(args[0]);
  if (!target || target.label === null || args.length !== 1) return unrecognized(subcommand);
  withState(stateRoot, (state) => {
    state.overrides[target.label] = subcommand === 'disable' ? 'disabled' : 'enabled';
  });

  return new Outcome();
}

function serviceTarget(stateRoot, text) {
  const target = parseGuiTarget(text);
  if (!target || target.label === null) return null;
  const config = readState(stateRoot).config;

  return { ...target, domainExists: guiDomainExists(config, target.uid) };
}

function missingService(target, prefix = '') {
  const text = target.domainExists
    ? notFound(target.label, target.uid)
    : `Could not find domain for user gui: ${target.uid}\n`;

  return new Outcome().fail(113, `${prefix}${text}`);
}

function kickstart(stateRoot, args) {
  const flags = args.slice(0, -1);
  if (args.length === 0 || flags.some((flag) => !/^-[kps]+$/.test(flag)))
    return unrecognized('kickstart');
  const letters = flags.join('');
  const target = serviceTarget(stateRoot, args.at(-1));
  if (!target) return unrecognized('kickstart');
  if (!target.domainExists) return missingService(target);
  const kill = letters.includes('k');
  const request = withState(stateRoot, (state) => {
    const job = loadedJob(state, target.label);
    if (!job || job.bootout) return null;
    if (job.pid !== null && isAlive(job.pid) && !kill) return { started: false, job };
    job.kickstart = { seq: job.kickstart.seq + 1, kill };
    const needsMonitor = !job.monitor || !isAlive(job.monitor.pid ?? -1);
    if (needsMonitor) job.monitor = null;
    return {
      started: true,
      job,
      needsMonitor,
      runs: job.runs,
      exitTimeout: job.program.exitTimeout,
    };
  });
  if (!request) return new Outcome().fail(113, notFound(target.label, target.uid));
  if (request.started) {
    if (request.needsMonitor) startMonitor(stateRoot, target.label);
    else nudge(request.job);
    waitUntil(
      () => {
        const job = readState(stateRoot).jobs[target.label];
        return !job || job.runs > request.runs;
      },
      request.exitTimeout * 1000 + FIRST_SPAWN_WAIT_MS,
    );
  }
  const outcome = new Outcome();
  const pid = readState(stateRoot).jobs[target.label]?.pid ?? null;
  if (letters.includes('p') && pid !== null) outcome.out(`${pid}\n`);

  return outcome;
}

function killJob(stateRoot, args) {
  if (args.length !== 2) return unrecognized('kill');
  const signal = parseSignalArgument(args[0]);
  const target = serviceTarget(stateRoot, args[1]);
  if (!signal || !target) return unrecognized('kill');
  if (!target.domainExists) return missingService(target);
  const job = loadedJob(readState(stateRoot), target.label);
  if (!job) return new Outcome().fail(113, notFound(target.label, target.uid));
  // Inferred: a loaded job without a process answers ESRCH.
  if (job.pid === null || !isAlive(job.pid))
    return new Outcome().fail(3, 'Could not kill service: 3: No such process\n');
  process.kill(job.pid, signal);

  return new Outcome();
}

function loadedJobs(stateRoot) {
  const state = readState(stateRoot);

  return Object.keys(state.jobs)
    .map((label) => loadedJob(state, label))
    .filter(Boolean);
}

function print(stateRoot, args) {
  if (args.length !== 1) return unrecognized('print');
  const target = parseGuiTarget(args[0]);
  if (!target) return unrecognized('print');
  const config = readState(stateRoot).config;
  if (!guiDomainExists(config, target.uid)) {
    return new Outcome().fail(
      113,
      `Bad request.\nCould not find domain for user gui: ${target.uid}\n`,
    );
  }
  if (target.label === null)
    return new Outcome().out(formatDomain(target.uid, loadedJobs(stateRoot)));
  const job = loadedJob(readState(stateRoot), target.label);
  if (!job) return new Outcome().fail(113, `Bad request.\n${notFound(target.label, target.uid)}`);

  return new Outcome().out(formatPrint(job));
}

function printDisabled(stateRoot, args) {
  const target = parseGuiTarget(args[0]);
  if (args.length !== 1 || !target || target.label !== null) return unrecognized('print-disabled');

  return new Outcome().out(formatPrintDisabled(readState(stateRoot).overrides));
}

function list(stateRoot, args) {
  if (args.length > 1) return unrecognized('list');
  const jobs = loadedJobs(stateRoot);
  if (args.length === 0) return new Outcome().out(formatList(jobs));
  const job = jobs.find((candidate) => candidate.label === args[0]);
  if (!job)
    return new Outcome().fail(113, `Could not find service "${args[0]}" in domain for port\n`);

  return new Outcome().out(formatListEntry(job));
}

function managername(stateRoot, args) {
  if (args.length !== 0) return unrecognized('managername');

  return new Outcome().out(`${readState(stateRoot).config.managerName}\n`);
}

/** Runs one launchctl invocation and returns what it printed and its exit status. */
export function runLaunchctl(argv, env = process.env) {
  const stateRoot = stateRootFromEnv(env);
  const [subcommand, ...args] = argv;
  switch (subcommand) {
    case 'bootstrap':
      return bootstrap(stateRoot, args, env);
    case 'bootout':
      return bootout(stateRoot, args);
    case 'enable':
    case 'disable':
      return setOverride(stateRoot, subcommand, args);
    case 'kickstart':
      return kickstart(stateRoot, args);
    case 'kill':
      return killJob(stateRoot, args);
    case 'print':
      return print(stateRoot, args);
    case 'print-disabled':
      return printDisabled(stateRoot, args);
    case 'list':
      return list(stateRoot, args);
    case 'managername':
      return managername(stateRoot, args);
    default:
      return unrecognized('general');
  }
}
