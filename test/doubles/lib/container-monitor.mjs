// The runtime of one container of the double, started detached by `run`/`start`: it runs the
// container's init process as a real host process in its own process group, appends its stdout
// and stderr to the container's stdio.log (and mirrors them for an attached CLI), records the
// state, and when the process ends kills whatever is left of the "VM" and records the exit, or
// deletes the container for `--rm`.
// argv: <state root> <container id> <run token> <attach dir> <attach|detach> <delete|keep>
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import { isoDate } from './container-json.mjs';
import { allocateAttachment, resolveHostProcess } from './container-model.mjs';
import { markStopped } from './container-runtime.mjs';
import {
  containerDir,
  descendantsOf,
  isSameProcess,
  readState,
  registerPid,
  signalProcess,
  unregisterPid,
  updateState,
  writeMarker,
} from './container-state.mjs';

const [root, id, token, attachDir, attachMode, failureMode] = process.argv.slice(2);
const SNAPSHOT_MS = 1000;

function fail(message) {
  updateState(root, (state) => {
    const record = state.containers[id];
    if (!record || record.runtime.token !== token) return;
    if (failureMode === 'delete') {
      delete state.containers[id];
      rmSync(containerDir(root, id), { recursive: true, force: true });
    }
  });
  writeMarker(join(attachDir, 'error'), message);
  unregisterPid(root, process.pid);
  process.exit(0);
}

function openOutputs(dir) {
  mkdirSync(dir, { recursive: true });
  const log = openSync(join(dir, 'stdio.log'), 'a', 0o600);
  const mirror = (name) =>
    attachMode === 'attach' ? openSync(join(attachDir, name), 'a', 0o600) : null;

  return { log, stdout: mirror('stdout'), stderr: mirror('stderr') };
}

function relay(stream, logFd, mirrorFd) {
  stream.on('data', (chunk) => {
    writeSync(logFd, chunk);
    if (mirrorFd !== null) writeSync(mirrorFd, chunk);
  });
}

function recordRunning(pid) {
  updateState(root, (state) => {
    const record = state.containers[id];
    if (!record || record.runtime.token !== token) return;
    record.state = 'running';
    record.startedDate = isoDate();
    record.networks = [allocateAttachment(state, id)];
    record.runtime.pid = pid;
    record.runtime.monitorPid = process.pid;
    record.runtime.execPids = [];
  });
}

function recordExit(exit) {
  updateState(root, (state) => {
    const record = state.containers[id];
    if (!record || record.runtime.token !== token) return;
    for (const execPid of record.runtime.execPids)
      signalProcess(execPid, 'SIGKILL', { group: true });
    if (record.runtime.remove) {
      delete state.containers[id];
      rmSync(containerDir(root, id), { recursive: true, force: true });
      return;
    }
    markStopped(record, exit);
  });
}

/** Ends every process of the "VM": the init's group and every descendant seen while it ran. */
function killLeftovers(pid, seen) {
  signalProcess(pid, 'SIGKILL', { group: true });
  for (const stat of [...seen.values(), ...descendantsOf([pid])]) {
    if (isSameProcess(stat.pid, stat.startTime)) signalProcess(stat.pid, 'SIGKILL');
  }
}

function main() {
  registerPid(root, process.pid, { role: 'monitor', container: id });
  writeMarker(join(attachDir, 'monitor'), String(process.pid));
  const record = readState(root).containers[id];
  if (!record || record.runtime.token !== token)
    fail(`container ${id} changed while it was starting`);
  let spec;
  try {
    spec = resolveHostProcess(root, record);
  } catch (error) {
    fail(`failed to start container ${id}: ${error.message}`);
  }
  const dir = containerDir(root, id);
  const outputs = openOutputs(dir);
  appendFileSync(
    join(dir, 'vminitd.log'),
    `${isoDate()} vminitd booting\n${isoDate()} starting init process ${spec.file}\n`,
  );
  const child = spawn(spec.file, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen = new Map();
  let snapshots;
  child.on('error', (error) => {
    if (child.pid !== undefined) return;
    const reason =
      error.code === 'ENOENT' ? `executable file not found: ${spec.file}` : error.message;
    fail(`failed to start process in container ${id}: ${reason}`);
  });
  child.on('spawn', () => {
    registerPid(root, child.pid, { role: 'init', group: true, container: id });
    recordRunning(child.pid);
    writeMarker(join(attachDir, 'started'), String(child.pid));
    snapshots = setInterval(() => {
      for (const stat of descendantsOf([child.pid])) seen.set(stat.pid, stat);
    }, SNAPSHOT_MS);
  });
  relay(child.stdout, outputs.log, outputs.stdout);
  relay(child.stderr, outputs.log, outputs.stderr);
  child.on('exit', () => killLeftovers(child.pid, seen));
  child.on('close', (code, signal) => {
    clearInterval(snapshots);
    recordExit({ code, signal });
    if (attachMode === 'attach')
      writeMarker(join(attachDir, 'exit.json'), JSON.stringify({ code, signal }));
    unregisterPid(root, child.pid);
    unregisterPid(root, process.pid);
    process.exit(0);
  });
}

main();
