// One monitor process per running job of the launchctl double: it spawns the job's program the
// way launchd does (own process group, launchd's environment, log files appended), records every
// spawn and exit in the shared state, respawns KeepAlive jobs no sooner than ThrottleInterval
// after the last spawn, and carries out bootout and `kickstart -k` (SIGTERM to the process group,
// SIGKILL after ExitTimeOut). launchctl nudges it with SIGUSR1 after changing the state.
import { spawn } from 'node:child_process';
import { accessSync, appendFileSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

import {
  LAUNCHD_PATH,
  launchdDir,
  recordSpawn,
  stateFolderExists,
  withState,
  readState,
} from './launchd-state.mjs';
import { macSignalNumber } from './launchd-signals.mjs';

const SAFETY_POLL_MS = 1000;
const CRASH_SIGNALS = new Set([
  'SIGSEGV',
  'SIGBUS',
  'SIGILL',
  'SIGFPE',
  'SIGABRT',
  'SIGTRAP',
  'SIGSYS',
]);
const EX_CONFIG = 78;
const NOT_EXECUTABLE = 126;

const [stateRoot, label, token] = process.argv.slice(2);
let child = null;
let respawnTimer = null;
let killTimer = null;
let termSent = false;
let restartAfterExit = false;
let handledKickstart = 0;
let finished = false;

function log(message) {
  try {
    appendFileSync(
      join(launchdDir(stateRoot), 'monitor.log'),
      `${new Date().toISOString()} ${label} ${process.pid} ${message}\n`,
    );
  } catch {
    // The state folder is gone; nothing to log to.
  }
}

function ownJob(state) {
  const job = state.jobs[label];

  return job && job.monitor && job.monitor.token === token ? job : null;
}

function updateJob(change) {
  return withState(stateRoot, (state) => {
    const job = ownJob(state);
    if (job) change(job);
    return job;
  });
}

function resolveProgram(argv0) {
  if (isAbsolute(argv0)) return argv0;
  for (const dir of LAUNCHD_PATH.split(':')) {
    const candidate = join(dir, argv0);
    try {
      accessSync(candidate, constants.F_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return null;
}

// The exit code launchd records when it cannot start the program at all.
function spawnProblem(program) {
  const path = resolveProgram(program.argv[0] ?? '');
  if (!path) return EX_CONFIG;
  try {
    accessSync(path, constants.F_OK);
  } catch {
    return EX_CONFIG;
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return NOT_EXECUTABLE;
  }
  try {
    if (!statSync(program.cwd ?? '/').isDirectory()) return EX_CONFIG;
  } catch {
    return EX_CONFIG;
  }
  return null;
}

function openLog(path, cwd) {
  if (!path) return 'ignore';

  return openSync(resolve(cwd ?? '/', path), 'a', 0o666);
}

function jobEnvironment(job) {
  return {
    PATH: LAUNCHD_PATH,
    HOME: job.home,
    USER: job.user,
    XPC_SERVICE_NAME: job.label,
    // The doubles' state stands for the machine itself, which every process on a real Mac shares.
    WORKBENCH_DOUBLE_STATE: stateRoot,
    ...job.program.env,
  };
}

function wantsRestart(keepAlive, exit) {
  if (keepAlive === true) return true;
  if (!keepAlive || typeof keepAlive !== 'object') return false;
  const succeeded = exit.signal === null && exit.code === 0;
  if (typeof keepAlive.SuccessfulExit === 'boolean' && succeeded === keepAlive.SuccessfulExit)
    return true;

  return keepAlive.Crashed === true && exit.signal !== null && CRASH_SIGNALS.has(exit.signal);
}

function spawnNow() {
  clearTimeout(respawnTimer);
  respawnTimer = null;
  termSent = false;
  const job = ownJob(readState(stateRoot));
  if (!job || job.bootout) return finish();
  const program = job.program;
  const problem = spawnProblem(program);
  if (problem !== null) return spawnFailed(problem);

  let stdout;
  let stderr;
  try {
    process.umask(program.umask ?? 0o022);
    stdout = openLog(program.stdoutPath, program.cwd);
    stderr = openLog(program.stderrPath, program.cwd);
  } catch (error) {
    log(`cannot open a log file: ${error.message}`);
    return spawnFailed(EX_CONFIG);
  }
  const path = resolveProgram(program.argv[0]);
  const started = Date.now();
  const proc = spawn(path, program.argv.slice(1), {
    argv0: program.argv[0],
    cwd: program.cwd ?? '/',
    env: jobEnvironment(job),
    stdio: ['ignore', stdout, stderr],
    detached: true,
  });
  for (const fd of [stdout, stderr]) if (typeof fd === 'number') closeSync(fd);
  if (proc.pid === undefined) {
    proc.on('error', (error) => log(`spawn failed: ${error.message}`));
    return spawnFailed(EX_CONFIG);
  }
  child = proc;
  updateJob((current) => {
    current.pid = proc.pid;
    current.runs += 1;
    current.execs += 1;
    current.status = 'running';
    current.jobState = null;
    current.lastSpawnAt = started;
    recordSpawn(current, proc.pid, started);
  });
  log(`spawned pid ${proc.pid}`);
  proc.on('exit', (code, signal) => childExited(proc, code, signal));
}

function spawnFailed(code) {
  const at = Date.now();
  const job = updateJob((current) => {
    current.pid = null;
    current.runs += 1;
    current.lastSpawnAt = at;
    current.lastExitCode = code;
    current.lastSignal = null;
    current.jobState = 'spawn failed';
  });
  afterExit(job, { code, signal: null });
}

function childExited(proc, code, signal) {
  if (proc !== child) return;
  child = null;
  clearTimeout(killTimer);
  const job = ownJob(readState(stateRoot));
  // launchd removes what is left of the job's process group once the job itself has exited.
  if (!job?.program.abandonProcessGroup) signalGroup(proc.pid, 'SIGKILL');
  const updated = updateJob((current) => {
    current.pid = null;
    current.jobState = 'exited';
    if (signal) {
      current.lastSignal = macSignalNumber(signal) ?? 0;
      current.lastExitCode = null;
    } else {
      current.lastSignal = null;
      current.lastExitCode = code;
    }
  });
  log(`pid ${proc.pid} exited code=${code} signal=${signal}`);
  afterExit(updated, { code, signal });
}

function afterExit(job, exit) {
  if (!job || job.bootout) return finish();
  if (restartAfterExit) {
    restartAfterExit = false;
    return spawnNow();
  }
  if (!wantsRestart(job.program.keepAlive, exit)) {
    updateJob((current) => {
      current.status = 'not running';
    });
    return finish();
  }
  const wait = job.lastSpawnAt + job.program.throttle * 1000 - Date.now();
  if (wait <= 0) return spawnNow();
  updateJob((current) => {
    current.status = 'spawn scheduled';
  });
  respawnTimer = setTimeout(spawnNow, wait);
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already empty.
  }
}

function terminateChild() {
  if (!child || termSent) return;
  termSent = true;
  const pid = child.pid;
  signalGroup(pid, 'SIGTERM');
  const exitTimeout = ownJob(readState(stateRoot))?.program.exitTimeout ?? 5;
  // ExitTimeOut 0 means "wait forever", as in launchd.
  if (exitTimeout > 0)
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), exitTimeout * 1000);
}

function finish() {
  if (finished) return;
  finished = true;
  clearTimeout(respawnTimer);
  try {
    updateJob((current) => {
      current.monitor = null;
      current.pid = null;
      if (current.status === 'running') current.status = 'not running';
    });
  } catch (error) {
    log(`cannot record the end: ${error.message}`);
  }
  process.exit(0);
}

function abandon() {
  if (child) signalGroup(child.pid, 'SIGKILL');
  process.exit(0);
}

// Re-reads the state and carries out what launchctl asked for.
function evaluate() {
  if (finished) return;
  if (!stateFolderExists(stateRoot)) return abandon();
  const job = ownJob(readState(stateRoot));
  if (!job) return abandon();
  if (job.bootout) {
    if (child) return terminateChild();
    return finish();
  }
  if (job.kickstart.seq > handledKickstart) {
    handledKickstart = job.kickstart.seq;
    if (child && job.kickstart.kill) {
      restartAfterExit = true;
      return terminateChild();
    }
    if (!child) spawnNow();
  }
}

function start() {
  process.on('SIGUSR1', () => setImmediate(evaluate));
  process.on('SIGTERM', () => {});
  process.on('SIGHUP', () => {});
  process.on('uncaughtException', (error) => {
    log(`crashed: ${error.stack ?? error.message}`);
    abandon();
  });
  const job = updateJob((current) => {
    current.monitor.ready = true;
    current.monitor.pid = process.pid;
  });
  if (!job) process.exit(0);
  handledKickstart = job.kickstart.seq;
  setInterval(evaluate, SAFETY_POLL_MS);
  spawnNow();
}

if (!stateRoot || !label || !token) process.exit(2);
start();
