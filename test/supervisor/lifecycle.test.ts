import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { CONFLICT_DETAIL } from '../../src/supervisor/classify.js';
import {
  createWorkbench,
  readEvents,
  readStatus,
  readSupervisorLog,
  startSupervisor,
  stopSupervisor,
  waitForStatus,
  type RunningSupervisor,
  type Workbench,
} from './harness.js';

/** A world and a supervisor for one test, both cleaned up by the test's `after` hook. */
async function setUp(
  t: { after(fn: () => Promise<void>): void },
  options: Parameters<typeof createWorkbench>[0] = {},
) {
  const world = await createWorkbench(options);
  const state: { supervisor?: RunningSupervisor } = {};
  t.after(async () => {
    await stopSupervisor(state.supervisor);
    await world.cleanup();
  });

  return { world, state };
}

function startsOf(world: Workbench, file: 'runtime' | 'bridge') {
  return readEvents(file === 'runtime' ? world.runtimeEvents : world.bridgeEvents).filter(
    (event) => event.event === 'start',
  );
}

describe('workbench-supervisor lifecycle', () => {
  it('starts the runtime, waits for /health, then starts the bridge', async (t) => {
    const { world, state } = await setUp(t);
    state.supervisor = await startSupervisor(world);

    const status = await waitForStatus(
      world,
      'both services running',
      (s) => s.services.runtime.state === 'running' && s.services.bridge.state === 'running',
    );
    assert.equal(status.services.runtime.healthy, true);
    assert.equal(status.services.bridge.healthy, null);
    assert.equal(status.supervisor.pid, state.supervisor.pid);
    const runtimeStart = startsOf(world, 'runtime')[0]!;
    assert.deepEqual(runtimeStart.argv, [
      'serve',
      '--http',
      '--host',
      '127.0.0.1',
      '--port',
      String(world.port),
      '--workers',
      '2',
    ]);
    assert.equal(runtimeStart.cwd, world.workspace);
    const listening = readEvents(world.runtimeEvents).find((event) => event.event === 'listening')!;
    assert.ok(
      startsOf(world, 'bridge')[0]!.at >= listening.at,
      'the bridge started only after the runtime listened',
    );
  });

  it('restarts a crashed runtime after the restart delay, doubling the delay with each failure', async (t) => {
    const { world, state } = await setUp(t);
    world.writeControl({ FAKE_CODEWHALE_CRASH_AFTER_MS: '300' });
    state.supervisor = await startSupervisor(world);

    await waitForStatus(world, 'two runtime restarts', (s) => s.services.runtime.restarts >= 2);
    world.writeControl({});
    const status = await waitForStatus(
      world,
      'the runtime running again',
      (s) => s.services.runtime.state === 'running' && s.services.runtime.restarts === 2,
    );

    assert.deepEqual(
      status.services.runtime.lastExit && {
        code: status.services.runtime.lastExit.code,
        signal: status.services.runtime.lastExit.signal,
      },
      { code: 101, signal: null },
    );
    const log = readSupervisorLog(world);
    assert.match(
      log,
      /restarting runtime in 200 ms failure="1 of 5" detail="exited with code 101: simulated crash"/,
    );
    assert.match(log, /restarting runtime in 400 ms failure="2 of 5"/);
    assert.match(log, /ERROR supervisor: runtime crashed pid=\d+ code=101/);
    const starts = startsOf(world, 'runtime');
    assert.equal(starts.length, 3);
    const exits = readEvents(world.runtimeEvents).filter((event) => event.event === 'exit');
    assert.ok(starts[1]!.at - exits[0]!.at >= 200, 'the first restart waited the restart delay');
    assert.ok(starts[2]!.at - exits[1]!.at >= 400, 'the second restart waited twice as long');
  });

  it('gives up on a bridge that keeps crashing and marks it failed with the reason', async (t) => {
    const { world, state } = await setUp(t);
    world.writeControl({ FAKE_BRIDGE_CRASH_AFTER_MS: '150' });
    state.supervisor = await startSupervisor(world, { WORKBENCH_FAILURE_LIMIT: '3' });

    const status = await waitForStatus(
      world,
      'the bridge failed',
      (s) => s.services.bridge.state === 'failed',
    );
    assert.equal(
      status.services.bridge.detail,
      'gave up after 3 failures within 300 s; last: exited with code 1: Error: simulated bridge crash',
    );
    assert.equal(status.services.bridge.restarts, 2);
    assert.equal(status.services.bridge.pid, null);
    assert.equal(status.services.runtime.state, 'running', 'the runtime stays up');
    assert.equal(
      state.supervisor.child.exitCode,
      null,
      'the supervisor keeps running with one service up',
    );
  });

  it('marks the bridge failed on the 409 conflict and does not restart it', async (t) => {
    const { world, state } = await setUp(t, { telegramMode: 'conflict' });
    state.supervisor = await startSupervisor(world);

    const status = await waitForStatus(
      world,
      'the bridge failed',
      (s) => s.services.bridge.state === 'failed',
    );
    assert.equal(status.services.bridge.detail, CONFLICT_DETAIL);
    assert.equal(status.services.bridge.restarts, 0);
    assert.equal(status.services.bridge.lastExit?.code, 1);
    const polls = world.telegram.calls.getUpdates;
    assert.equal(polls, 6, 'five conflict retries, then the exit');
    // Several restart delays later, nothing has polled again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(world.telegram.calls.getUpdates, polls);
    assert.equal(startsOf(world, 'bridge').length, 1);
  });

  it('pauses the bridge while the runtime is unhealthy and resumes it afterwards', async (t) => {
    const { world, state } = await setUp(t);
    const sick = join(world.root, 'unhealthy');
    world.writeRuntimeEnv({ FAKE_CODEWHALE_UNHEALTHY_FILE: sick });
    state.supervisor = await startSupervisor(world);
    const before = await waitForStatus(
      world,
      'both running',
      (s) => s.services.bridge.state === 'running',
    );

    writeFileSync(sick, '');
    const paused = await waitForStatus(
      world,
      'the bridge paused',
      (s) => s.services.bridge.state === 'stopped',
    );
    assert.equal(paused.services.bridge.detail, 'paused: runtime unhealthy');
    assert.equal(paused.services.bridge.pid, null);
    assert.equal(paused.services.runtime.state, 'running');
    assert.equal(paused.services.runtime.healthy, false);
    assert.equal(paused.services.runtime.detail, 'the runtime does not answer /health');

    rmSync(sick);
    const resumed = await waitForStatus(
      world,
      'the bridge running again',
      (s) => s.services.bridge.state === 'running',
    );
    assert.equal(resumed.services.runtime.healthy, true);
    assert.notEqual(resumed.services.bridge.pid, before.services.bridge.pid);
    assert.equal(resumed.services.bridge.restarts, 0, 'a pause is not a failure');
    assert.equal(
      resumed.services.runtime.pid,
      before.services.runtime.pid,
      'the runtime was not restarted',
    );
  });

  it('exits non-zero when both services are down, leaving the reason in status.json', async (t) => {
    const { world, state } = await setUp(t);
    world.writeRuntimeEnv({ CODEWHALE_RUNTIME_TOKEN: null });
    state.supervisor = await startSupervisor(world);

    const exit = await state.supervisor.exited;
    assert.deepEqual(exit, { code: 1, signal: null });
    const status = readStatus(world);
    assert.equal(status.services.runtime.state, 'failed');
    assert.equal(
      status.services.runtime.detail,
      'runtime.env sets no CODEWHALE_RUNTIME_TOKEN, so no client could reach the runtime — set it to the same token as in telegram-bridge.env',
    );
    assert.equal(status.services.bridge.state, 'stopped');
    assert.equal(status.services.bridge.detail, 'not started: the runtime failed');
    assert.equal(
      startsOf(world, 'runtime').length,
      0,
      'a runtime without a token is never started',
    );
    assert.match(readSupervisorLog(world), /both services are down/);
  });

  it('exits non-zero once a crash-looping runtime is given up, stopping the bridge first', async (t) => {
    const { world, state } = await setUp(t);
    state.supervisor = await startSupervisor(world, { WORKBENCH_FAILURE_LIMIT: '2' });
    await waitForStatus(world, 'both running', (s) => s.services.bridge.state === 'running');
    world.writeControl({ FAKE_CODEWHALE_CRASH_AFTER_MS: '0' });
    const runtimePid = readStatus(world).services.runtime.pid!;
    process.kill(runtimePid, 'SIGKILL');

    const exit = await state.supervisor.exited;
    assert.equal(exit.code, 1);
    const status = readStatus(world);
    assert.equal(status.services.runtime.state, 'failed');
    assert.match(
      status.services.runtime.detail!,
      /^gave up after 2 failures within 300 s; last: exited with code 101/,
    );
    assert.equal(status.services.bridge.state, 'stopped');
    assert.equal(status.services.bridge.lastExit?.code, 0, 'the bridge was stopped, not killed');
  });
});
