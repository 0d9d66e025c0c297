// Shared state helpers for the power and host doubles: JSON files under WORKBENCH_DOUBLE_STATE,
// replaced by atomic rename, updated under an O_EXCL lock file, plus a process liveness check
// that a zombie or a recycled pid cannot fool.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

const LOCK_STALE_MS = 10_000;
const LOCK_GIVE_UP_MS = 15_000;

/** The folder named by WORKBENCH_DOUBLE_STATE (the launchctl double passes it to its jobs). */
export function stateRoot(env = process.env) {
  const root = env.WORKBENCH_DOUBLE_STATE;
  if (!root) {
    process.stderr.write('double: WORKBENCH_DOUBLE_STATE is not set\n');
    process.exit(70);
  }

  return root;
}

/** `<state root>/<sub>`, created when missing. */
export function stateDir(sub, env = process.env) {
  const dir = join(stateRoot(env), sub);
  mkdirSync(dir, { recursive: true });

  return dir;
}

/** Parsed JSON of `path`, or `fallback` when the file does not exist. */
export function readJson(path, fallback) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT') return fallback;
    throw error;
  }
}

/** Writes JSON through a temp file and a rename, so readers never see half a file. */
export function writeJsonAtomic(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function tryAcquire(lockPath) {
  try {
    const fd = openSync(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    return false;
  }
}

function removeIfStale(lockPath) {
  try {
    if (Date.now() - statSync(lockPath).mtimeMs > LOCK_STALE_MS) unlinkSync(lockPath);
  } catch {
    // Released meanwhile.
  }
}

/** Runs `fn` while holding `<path>.lock`; a lock older than 10 s is taken as abandoned. */
export function withLock(path, fn) {
  const lockPath = `${path}.lock`;
  mkdirSync(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + LOCK_GIVE_UP_MS;
  while (!tryAcquire(lockPath)) {
    if (Date.now() > deadline) throw new Error(`double: cannot lock ${lockPath}`);
    removeIfStale(lockPath);
    sleepSync(5 + Math.floor(Math.random() * 10));
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lockPath);
    } catch {
      // Already removed as stale by another process; nothing to release.
    }
  }
}

/** Reads, changes and writes one JSON file under its lock. `change` returns the new value. */
export function updateJson(path, fallback, change) {
  return withLock(path, () => {
    const next = change(readJson(path, fallback));
    writeJsonAtomic(path, next);
    return next;
  });
}

/** The kernel's start time of `pid` (clock ticks since boot) and its state letter, or null. */
export function readProcStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may itself contain spaces and parentheses.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], startTicks: rest[19] };
  } catch {
    return null;
  }
}

/**
 * True while `pid` runs. A zombie (killed, not yet reaped) counts as gone, and so does a pid that
 * now belongs to another process than the one that started at `startTicks`.
 */
export function isProcessAlive(pid, startTicks) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid);
  if (!stat) return process.platform !== 'linux';
  if (stat.state === 'Z' || stat.state === 'X') return false;

  return !startTicks || stat.startTicks === startTicks;
}
