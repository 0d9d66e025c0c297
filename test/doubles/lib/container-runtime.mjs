// Starting, attaching to and stopping the double's containers. A container's process runs on the
// host under a detached monitor (container-monitor.mjs), the way container-runtime-linux owns a
// VM outside the CLI: the CLI that ran it may exit or die and the container keeps running.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, rmSync, fstatSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

import { err, out, runtimeError, writeAll } from './container-args.mjs';
import {
  containerDir,
  isAlive,
  killTree,
  readMarker,
  readState,
  registerSelf,
  signalProcess,
  sleep,
  updateState,
} from './container-state.mjs';

const MONITOR = join(dirname(fileURLToPath(import.meta.url)), 'container-monitor.mjs');
const START_TIMEOUT_MS = 30000;
const POLL_MS = 20;
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** The exit status a CLI reports for a process result: its code, or 128 + signal number. */
export function exitStatusOf({ code, signal }) {
  if (signal) return 128 + (constants.signals[signal] ?? 0);

  return code ?? 1;
}

/** Marks containers whose monitor died as stopped (deleting `--rm` ones); cheap when none did. */
export function reconcile(root) {
  const stale = (record) =>
    !record.runtime.virtual &&
    ['running', 'stopping'].includes(record.state) &&
    record.runtime.monitorPid &&
    !isAlive(record.runtime.monitorPid);
  if (!Object.values(readState(root).containers).some(stale)) return;
  updateState(root, (state) => {
    for (const record of Object.values(state.containers)) {
      if (!stale(record)) continue;
      if (record.runtime.pid) killTree(record.runtime.pid);
      if (record.runtime.remove) {
        delete state.containers[record.id];
        rmSync(containerDir(root, record.id), { recursive: true, force: true });
        continue;
      }
      markStopped(record, { code: null, signal: 'SIGKILL' });
    }
  });
}

/** The record after its process ended: stopped, no networks, `startedDate` kept. */
export function markStopped(record, exit) {
  record.state = 'stopped';
  record.networks = [];
  record.runtime.pid = null;
  record.runtime.monitorPid = null;
  record.runtime.execPids = [];
  record.runtime.lastExit = { ...exit, at: new Date().toISOString() };
}

function prepareAttachDir(root, token) {
  const dir = join(root, 'attach', token);
  mkdirSync(dir, { recursive: true });

  return dir;
}

/**
 * Starts a stopped container's process under a new monitor and waits until it runs. Returns the
 * attach folder, where the monitor mirrors stdout/stderr and writes exit.json when `attach`.
 */
export async function startContainer(root, id, { attach = false, deleteOnFailure = false } = {}) {
  const token = randomBytes(8).toString('hex');
  updateState(root, (state) => {
    const record = state.containers[id];
    if (record) record.runtime.token = token;
  });
  const attachDir = prepareAttachDir(root, token);
  const child = spawn(
    process.execPath,
    [
      MONITOR,
      root,
      id,
      token,
      attachDir,
      attach ? 'attach' : 'detach',
      deleteOnFailure ? 'delete' : 'keep',
    ],
    {
      detached: true,
      stdio: 'ignore',
      env: process.env,
    },
  );
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const failure = readMarker(join(attachDir, 'error'));
    if (failure !== null) {
      rmSync(attachDir, { recursive: true, force: true });
      throw runtimeError(failure);
    }
    if (readMarker(join(attachDir, 'started')) !== null) return attachDir;
    await sleep(POLL_MS);
  }
  throw runtimeError(
    `internalError: "failed to start container" (cause: "timeout: "container ${id} did not start"")`,
  );
}

function tailer(path, fd) {
  let handle = null;
  let position = 0;
  const buffer = Buffer.alloc(65536);

  return () => {
    if (handle === null) {
      try {
        handle = openSync(path, 'r');
      } catch {
        return;
      }
    }
    while (position < fstatSync(handle).size) {
      const read = readSync(handle, buffer, 0, buffer.length, position);
      if (read <= 0) break;
      writeAll(fd, buffer.subarray(0, read));
      position += read;
    }
  };
}

/**
 * Foreground attach: relays the process's stdout and stderr, forwards signals to it, and exits
 * with its status. The third SIGINT/SIGTERM ends the CLI at once, leaving the container running.
 */
export async function attachForeground(root, id, attachDir) {
  registerSelf(root, 'attach', id);
  let interrupts = 0;
  const pidOf = () => readState(root).containers[id]?.runtime.pid ?? null;
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, () => {
      if (signal === 'SIGINT' || signal === 'SIGTERM') interrupts += 1;
      if (interrupts >= 3) {
        err("Received 3 SIGINT/SIGTERM's, forcefully exiting.\n");
        process.exit(1);
      }
      signalProcess(pidOf(), signal);
    });
  }
  const relayOut = tailer(join(attachDir, 'stdout'), 1);
  const relayErr = tailer(join(attachDir, 'stderr'), 2);
  for (;;) {
    const exit = readMarker(join(attachDir, 'exit.json'));
    relayOut();
    relayErr();
    if (exit !== null) {
      rmSync(attachDir, { recursive: true, force: true });
      process.exit(exitStatusOf(JSON.parse(exit)));
    }
    if (
      !isAlive(Number(readMarker(join(attachDir, 'monitor')) ?? 0)) &&
      readMarker(join(attachDir, 'exit.json')) === null
    ) {
      // The monitor was killed: the "VM" is gone without an exit status.
      relayOut();
      relayErr();
      process.exit(1);
    }
    await sleep(POLL_MS);
  }
}

async function waitUntil(root, id, done, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    reconcile(root);
    const record = readState(root).containers[id];
    if (done(record)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS * 2);
  }
}

const isStopped = (record) => !record || record.state === 'stopped';

/** Sends the stop signal, waits `timeSeconds`, then kills; resolves once the container stopped. */
export async function stopContainer(root, id, { signal, timeSeconds = 5 }) {
  const record = updateState(root, (state) => {
    const current = state.containers[id];
    if (!current || current.state === 'stopped') return null;
    if (current.runtime.virtual) {
      markStopped(current, { code: 0, signal: null });
      return null;
    }
    current.state = 'stopping';

    return current;
  });
  if (!record) return;
  signalProcess(record.runtime.pid, signal ?? record.configuration.stopSignal ?? 'SIGTERM');
  if (await waitUntil(root, id, isStopped, timeSeconds * 1000)) return;
  const pid = readState(root).containers[id]?.runtime.pid;
  if (pid) killTree(pid);
  if (await waitUntil(root, id, isStopped, 10000)) return;
  updateState(root, (state) => {
    const current = state.containers[id];
    if (current && current.state !== 'stopped')
      markStopped(current, { code: null, signal: 'SIGKILL' });
  });
}

/** Prints `id` lines as they come; used by stop/kill/delete. */
export function printId(id) {
  out(`${id}\n`);
}

/** Closes a file descriptor, ignoring errors. */
export function closeQuietly(fd) {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
