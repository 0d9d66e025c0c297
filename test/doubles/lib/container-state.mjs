// State of the container double: one JSON document under $WORKBENCH_DOUBLE_STATE/container/,
// changed only under an O_EXCL lock file and replaced by an atomic rename, so any number of
// double processes (CLIs, monitors) and the tests' control module can work on it at once.
// Also a registry of the host processes the double started, so a test can end all of them.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

const LOCK_TIMEOUT_MS = 15000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds. */
export function sleepSync(ms) {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** A promise that resolves after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Keeps the process alive forever (the "hang" fault, `logs -f`). */
export function sleepForever() {
  setInterval(() => {}, 1 << 30);

  return new Promise(() => {});
}

/** The double's folder, `$WORKBENCH_DOUBLE_STATE/container`, created on first use. */
export function resolveStateRoot(env = process.env) {
  const base = env.WORKBENCH_DOUBLE_STATE;
  if (!base) return null;
  const root = join(base, 'container');
  mkdirSync(root, { recursive: true });

  return root;
}

/** The state of a fresh world: service running, kernel installed, nothing else. */
export function defaultState() {
  return {
    schemaVersion: 1,
    system: {
      state: 'running',
      kernelInstalled: true,
      initImageInstalled: true,
      mode: '1.x',
      statsDelayMs: 2000,
    },
    faults: { hang: [], garbageJson: [], startFails: false, stuckStopping: null, buildFails: null },
    buildTemplate: null,
    containers: {},
    volumes: {},
    images: {},
  };
}

function withDefaults(state) {
  const base = defaultState();

  return {
    ...base,
    ...state,
    system: { ...base.system, ...state.system },
    faults: { ...base.faults, ...state.faults },
    containers: state.containers ?? {},
    volumes: state.volumes ?? {},
    images: state.images ?? {},
  };
}

/** Reads the state without the lock; writes are atomic renames, so this never sees half a file. */
export function readState(root) {
  try {
    return withDefaults(JSON.parse(readFileSync(join(root, 'state.json'), 'utf8')));
  } catch (error) {
    if (error.code === 'ENOENT') return defaultState();
    throw error;
  }
}

function writeState(root, state) {
  const target = join(root, 'state.json');
  const temp = join(root, `.state.json.${process.pid}.${Math.random().toString(16).slice(2)}`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 1)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, target);
}

/** True while a process with this pid exists and is not a zombie. */
export function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  const stat = readProcStat(pid);

  return stat === null || stat.state !== 'Z';
}

function lockIsStale(path) {
  try {
    const holder = Number(readFileSync(path, 'utf8'));
    if (holder > 0) return !isAlive(holder);

    return false;
  } catch {
    return false;
  }
}

function acquireLock(root) {
  const path = join(root, 'state.lock');
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);

      return path;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    if (lockIsStale(path)) {
      try {
        unlinkSync(path);
      } catch {
        // Another process removed it first.
      }
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`container double: the state lock ${path} is held too long`);
    sleepSync(2 + Math.random() * 6);
  }
}

/** Runs `change(state)` under the lock and writes the result; returns what `change` returns. */
export function updateState(root, change) {
  const lock = acquireLock(root);
  try {
    const state = readState(root);
    const result = change(state);
    writeState(root, state);

    return result;
  } finally {
    unlinkSync(lock);
  }
}

/** Folder of one container: stdio.log, vminitd.log and a fake root file system. */
export function containerDir(root, id) {
  return join(root, 'containers', id);
}

/** The host folder that backs a named volume. */
export function volumeDataDir(root, name) {
  return join(root, 'volumes', name, 'data');
}

/** Fields 3 (state), 4 (ppid), 5 (pgrp) and 22 (start time) of /proc/<pid>/stat, or null. */
export function readProcStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');

  return {
    pid,
    state: fields[0],
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    utime: Number(fields[11]),
    stime: Number(fields[12]),
    startTime: fields[19],
  };
}

/** Every process below `pid` in the process tree, read from /proc (empty elsewhere). */
export function descendantsOf(pids) {
  let names;
  try {
    names = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const stats = names.map((name) => readProcStat(Number(name))).filter(Boolean);
  const found = new Map();
  let frontier = new Set(pids);
  while (frontier.size > 0) {
    const next = new Set();
    for (const stat of stats) {
      if (frontier.has(stat.ppid) && !found.has(stat.pid)) {
        found.set(stat.pid, stat);
        next.add(stat.pid);
      }
    }
    frontier = next;
  }

  return [...found.values()];
}

/** Records a process the double started, with its start time so a reused pid is never hit. */
export function registerPid(root, pid, { role, group = false, container = null }) {
  const dir = join(root, 'pids');
  mkdirSync(dir, { recursive: true });
  const entry = { pid, role, group, container, startTime: readProcStat(pid)?.startTime ?? null };
  const temp = join(dir, `.${pid}.tmp`);
  const fd = openSync(temp, 'w', 0o600);
  writeSync(fd, JSON.stringify(entry));
  closeSync(fd);
  renameSync(temp, join(dir, `${pid}.json`));
}

/** Forgets a process once it has ended. */
export function unregisterPid(root, pid) {
  rmSync(join(root, 'pids', `${pid}.json`), { force: true });
}

/** Registers the current process and forgets it again when it exits normally. */
export function registerSelf(root, role, container = null) {
  registerPid(root, process.pid, { role, container });
  process.on('exit', () => unregisterPid(root, process.pid));
}

/** True when the pid still belongs to the process that was registered under it. */
export function isSameProcess(pid, startTime) {
  if (!isAlive(pid)) return false;
  if (startTime === null) return true;

  return readProcStat(pid)?.startTime === startTime;
}

/** Sends a signal to a process or, with `group`, to its process group; ignores the dead. */
export function signalProcess(pid, signal, { group = false } = {}) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(group ? -pid : pid, signal);

    return true;
  } catch {
    return false;
  }
}

/** Kills the processes below `pid` (snapshot taken first) and `pid`'s process group. */
export function killTree(pid) {
  const below = descendantsOf([pid]);
  signalProcess(pid, 'SIGKILL', { group: true });
  signalProcess(pid, 'SIGKILL');
  for (const stat of below) {
    if (isSameProcess(stat.pid, stat.startTime)) signalProcess(stat.pid, 'SIGKILL');
  }
}

/** Writes a small file atomically (attach markers). */
export function writeMarker(path, text) {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  writeSync(fd, text);
  closeSync(fd);
  renameSync(temp, path);
}

/** The content of a marker file, or null while it does not exist. */
export function readMarker(path) {
  if (!existsSync(path)) return null;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
