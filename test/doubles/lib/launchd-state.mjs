// Shared state of the launchctl double: one JSON file under $WORKBENCH_DOUBLE_STATE/launchd,
// changed only under an exclusive lock file (created atomically, its holder's pid inside) and
// replaced by atomic rename, so launchctl calls, job monitors and test helpers can all touch it.
import {
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** The PATH launchd gives every job. */
export const LAUNCHD_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';
const LOCK_STALE_MS = 10_000;
const LOCK_GIVE_UP_MS = 15_000;
const MAX_SPAWN_HISTORY = 50;

/** The default configuration: an Aqua session of a non-root user, no draining window. */
export const DEFAULT_CONFIG = Object.freeze({
  uid: null,
  root: false,
  managerName: 'Aqua',
  drainingMs: 0,
  bootoutInProgressOnce: false,
  loginItemsOff: [],
  home: null,
  user: null,
});

/** The folder of the launchd double inside the doubles' state folder. */
export function launchdDir(stateRoot) {
  return join(stateRoot, 'launchd');
}

/** The state root from the environment; the double cannot work without it. */
export function stateRootFromEnv(env = process.env) {
  const root = env.WORKBENCH_DOUBLE_STATE;
  if (!root) throw new Error('WORKBENCH_DOUBLE_STATE is not set');

  return root;
}

function statePath(stateRoot) {
  return join(launchdDir(stateRoot), 'state.json');
}

function lockPath(stateRoot) {
  return join(launchdDir(stateRoot), 'state.lock');
}

function emptyState() {
  return {
    version: 1,
    config: { ...DEFAULT_CONFIG, loginItemsOff: [] },
    overrides: {},
    jobs: {},
    nextAsid: 100002,
  };
}

/** Sleeps synchronously; the double's commands are short-lived and single-threaded. */
export function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** True while `pid` names a live process; zombies count as gone (nobody may reap them here). */
export function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

function holderIsGone(path) {
  try {
    const [pidText] = readFileSync(path, 'utf8').split(' ');
    const age = Date.now() - statSync(path).mtimeMs;
    return !isAlive(Number(pidText)) || age > LOCK_STALE_MS;
  } catch {
    return false;
  }
}

// The lock file is written in full under a temp name and then hard-linked into place, so it is
// never seen empty: link fails with EEXIST while another process holds the lock.
function tryLock(path) {
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, `${process.pid} ${Date.now()}`, { mode: 0o600 });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

function acquireLock(stateRoot) {
  const path = lockPath(stateRoot);
  const started = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    try {
      if (tryLock(path)) return path;
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
      mkdirSync(launchdDir(stateRoot), { recursive: true });
      continue;
    }
    if (holderIsGone(path)) {
      try {
        unlinkSync(path);
      } catch {
        // Someone else removed the stale lock first.
      }
      continue;
    }
    if (Date.now() - started > LOCK_GIVE_UP_MS)
      throw new Error(`launchd double: state lock ${path} is stuck`);
    sleepSync(Math.min(2 + attempt, 20));
  }
}

/** The raw state, read without the lock (writes are atomic renames). */
export function readState(stateRoot) {
  let text;
  try {
    text = readFileSync(statePath(stateRoot), 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return emptyState();
    throw error;
  }
  const state = JSON.parse(text);
  state.config = { ...DEFAULT_CONFIG, ...state.config };

  return state;
}

/** True when the state folder still exists (tests remove it when they are done). */
export function stateFolderExists(stateRoot) {
  try {
    return statSync(launchdDir(stateRoot)).isDirectory();
  } catch {
    return false;
  }
}

function writeState(stateRoot, state) {
  const target = statePath(stateRoot);
  const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, target);
}

/** Runs `change(state)` under the lock and saves the state afterwards; returns its result. */
export function withState(stateRoot, change) {
  mkdirSync(launchdDir(stateRoot), { recursive: true });
  const lock = acquireLock(stateRoot);
  try {
    const state = readState(stateRoot);
    purgeUnloadedJobs(state);
    const result = change(state);
    writeState(stateRoot, state);
    return result;
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // Removed as stale by another process; nothing to release.
    }
  }
}

/** True while some process of the job (its program or its monitor) is still alive. */
export function jobHasProcess(job) {
  if (job.pid !== null && isAlive(job.pid)) return true;

  return job.monitor !== null && isAlive(job.monitor.pid);
}

/** A booted-out job leaves the domain once its processes are gone and the draining window ended. */
export function isUnloaded(job, now = Date.now()) {
  if (!job.bootout) return false;

  return !jobHasProcess(job) && now >= job.bootout.drainingUntil;
}

/** The job for `label` as launchd would show it, or null when it is not loaded. */
export function loadedJob(state, label) {
  const job = state.jobs[label];
  if (!job || isUnloaded(job)) return null;

  return job;
}

function purgeUnloadedJobs(state) {
  for (const [label, job] of Object.entries(state.jobs)) {
    if (isUnloaded(job)) delete state.jobs[label];
  }
}

/** The uid whose gui domain exists: the configured one, else the caller's own uid. */
export function expectedUid(config) {
  if (Number.isInteger(config.uid)) return config.uid;

  return typeof process.getuid === 'function' ? process.getuid() : 501;
}

/** True when `label` cannot be loaded: a `disable` override or a Login Items switch set off. */
export function isLabelDisabled(state, label) {
  return state.overrides[label] === 'disabled' || state.config.loginItemsOff.includes(label);
}

/** Remembers one spawn; the history is kept short. */
export function recordSpawn(job, pid, at) {
  job.spawns.push({ pid, at });
  if (job.spawns.length > MAX_SPAWN_HISTORY)
    job.spawns.splice(0, job.spawns.length - MAX_SPAWN_HISTORY);
}

/** A fresh token naming one load of a job or one monitor. */
export function newToken() {
  return randomBytes(8).toString('hex');
}
