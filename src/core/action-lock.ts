/**
 * One workbench action at a time, across every process of the user: the app, any number of CLIs
 * and the launchd agent. The lock is a file created exclusively in WORKBENCH_HOME holding the
 * owner's pid and action; a lock whose owner died is taken over.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  linkSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { LockError } from './errors.js';
import { isProcessAlive } from './process-alive.js';

interface LockRecord {
  pid: number;
  action: string;
  since: string;
}

export interface LockOptions {
  /** How long to wait for another action to finish before giving up. */
  waitMs: number;
  pollMs?: number;
}

/** The action under way, or null when no live process holds the lock. */
export function readLockHolder(path: string): LockRecord | null {
  let record: LockRecord;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as LockRecord;
  } catch {
    return null;
  }
  if (typeof record.pid !== 'number' || !isProcessAlive(record.pid)) return null;

  return record;
}

/**
 * Creates the lock with its content in one step: the record is written to a temp file that is
 * then hard-linked to the lock path, which fails if the lock exists. Another process therefore
 * never sees a lock file without its owner's pid in it.
 */
function tryCreate(path: string, action: string): boolean {
  const record: LockRecord = { pid: process.pid, action, since: new Date().toISOString() };
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, JSON.stringify(record));
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

/** Removes a lock file whose owner is gone; a live owner's lock is left alone. */
function removeIfStale(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return;
  }
  let pid: number | undefined;
  try {
    pid = (JSON.parse(text) as Partial<LockRecord>).pid;
  } catch {
    // Not a lock this code wrote (its locks always hold a record): treat as stale.
  }
  if (typeof pid === 'number' && isProcessAlive(pid)) return;
  try {
    // Re-read right before unlinking so a lock taken over meanwhile is not removed.
    if (readFileSync(path, 'utf8') === text) unlinkSync(path);
  } catch {
    // Someone else removed it.
  }
}

/** Runs `work` while holding the lock; waits for a running action up to `waitMs`. */
export async function withActionLock<T>(
  path: string,
  action: string,
  options: LockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.waitMs;
  while (!tryCreate(path, action)) {
    removeIfStale(path);
    if (tryCreate(path, action)) break;
    if (Date.now() >= deadline) {
      const holder = readLockHolder(path);
      const who = holder
        ? `${holder.action} (pid ${holder.pid}, since ${holder.since})`
        : 'another action';
      throw new LockError(`another workbench action is still running: ${who}`, {
        hint: 'wait for it to finish and try again',
      });
    }
    await sleep(options.pollMs ?? 100);
  }
  try {
    return await work();
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // Already removed.
    }
  }
}
