import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import {
  MARKER_KEY,
  cmdlineOf,
  createWorkbench,
  environOf,
  leftoverProcesses,
  readEvents,
  readStatus,
  readSupervisorLog,
  startSupervisor,
  stopSupervisor,
  waitFor,
  waitForStatus,
  type RunningSupervisor,
} from './harness.js';

async function setUp(t: { after(fn: () => Promise<void>): void }) {
  const world = await createWorkbench();
  const state: { supervisor?: RunningSupervisor } = {};
  t.after(async () => {
    await stopSupervisor(state.supervisor);
    await world.cleanup();
  });

  return { world, state };
}

function envFileKeys(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.slice(0, line.indexOf('=')));
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

describe('workbench-supervisor processes', () => {
  it('stops a bridge that takes 3 s to stop, then the runtime, on SIGTERM, exits 0 and leaves no process behind', async (t) => {
    const { world, state } = await setUp(t);
    world.writeBridgeEnv({ FAKE_BRIDGE_SLOW_TERM_MS: '3000' });
    world.writeRuntimeEnv({ FAKE_CODEWHALE_GRANDCHILD: '1' });
    state.supervisor = await startSupervisor(world);
    await waitForStatus(world, 'both running', (s) => s.services.bridge.state === 'running');
    const grandchild = readEvents(world.runtimeEvents).find(
      (event) => event.event === 'grandchild',
    )!.grandchild as number;
    assert.equal(
      leftoverProcesses(world.marker).length,
      4,
      'supervisor, runtime, its helper and the bridge carry the marker',
    );

    state.supervisor.child.kill('SIGTERM');
    const exit = await state.supervisor.exited;

    assert.deepEqual(exit, { code: 0, signal: null });
    await waitFor(
      'every marked process to be gone',
      () => leftoverProcesses(world.marker).length === 0,
      3000,
    );
    assert.equal(isAlive(grandchild), false);
    const status = readStatus(world);
    assert.equal(status.services.bridge.state, 'stopped');
    assert.deepEqual(
      [status.services.bridge.lastExit?.code, status.services.bridge.lastExit?.signal],
      [0, null],
    );
    assert.deepEqual(
      [status.services.runtime.lastExit?.code, status.services.runtime.lastExit?.signal],
      [143, null],
    );
    const log = readSupervisorLog(world);
    assert.ok(
      log.indexOf('stopping bridge') < log.indexOf('stopping runtime'),
      'the bridge is stopped first',
    );
    assert.match(log, /bridge stopped cleanly pid=\d+ code=0/);
    assert.doesNotMatch(log, /killed after its grace period/);
    const bridgeEvents = readEvents(world.bridgeEvents);
    const signalled = bridgeEvents.find((event) => event.event === 'signal')!;
    const ended = bridgeEvents.find((event) => event.event === 'exit')!;
    assert.ok(ended.at - signalled.at >= 3000, 'the bridge took its 3 s');
  });

  it('kills a bridge that outlives its grace period and records the forced stop', async (t) => {
    const { world, state } = await setUp(t);
    world.writeBridgeEnv({ FAKE_BRIDGE_SLOW_TERM_MS: '30000' });
    state.supervisor = await startSupervisor(world, { WORKBENCH_BRIDGE_STOP_GRACE_MS: '300' });
    await waitForStatus(world, 'both running', (s) => s.services.bridge.state === 'running');

    state.supervisor.child.kill('SIGTERM');
    assert.deepEqual(await state.supervisor.exited, { code: 0, signal: null });

    assert.equal(readStatus(world).services.bridge.lastExit?.signal, 'SIGKILL');
    assert.match(
      readSupervisorLog(world),
      /WARN  supervisor: bridge killed after its grace period pid=\d+ code=null signal=SIGKILL/,
    );
    assert.deepEqual(leftoverProcesses(world.marker), []);
  });

  it('kills what a crashed runtime left in its process group', async (t) => {
    const { world, state } = await setUp(t);
    world.writeControl({ FAKE_CODEWHALE_GRANDCHILD: '1', FAKE_CODEWHALE_CRASH_AFTER_MS: '200' });
    state.supervisor = await startSupervisor(world);
    const first = await waitFor(
      'the first helper',
      () =>
        readEvents(world.runtimeEvents).find((event) => event.event === 'grandchild')
          ?.grandchild as number | undefined,
    );
    await waitFor('the first crash', () =>
      readEvents(world.runtimeEvents).some((event) => event.event === 'exit'),
    );
    world.writeControl({});

    await waitFor('the helper of the crashed runtime to be killed', () => !isAlive(first), 3000);
    await waitForStatus(
      world,
      'the runtime running again',
      (s) => s.services.runtime.state === 'running',
    );
  });

  it('keeps every secret out of the command lines of the supervisor and its children', async (t) => {
    const { world, state } = await setUp(t);
    state.supervisor = await startSupervisor(world);
    const status = await waitForStatus(
      world,
      'both running',
      (s) => s.services.bridge.state === 'running',
    );

    const pids = [state.supervisor.pid, status.services.runtime.pid!, status.services.bridge.pid!];
    for (const pid of pids) {
      const cmdline = cmdlineOf(pid);
      for (const secret of [world.runtimeToken, world.botToken, world.providerKey]) {
        assert.ok(
          !cmdline.includes(secret),
          `pid ${pid} (${cmdline.slice(0, 60)}…) shows a secret`,
        );
      }
    }
    assert.match(
      cmdlineOf(status.services.runtime.pid!),
      /fake-codewhale\.mjs serve --http --host 127\.0\.0\.1 --port \d+ --workers 2$/,
    );
  });

  it("gives each child only its own file's variables plus HOME, PATH and USER", async (t) => {
    const { world, state } = await setUp(t);
    state.supervisor = await startSupervisor(world);
    const status = await waitForStatus(
      world,
      'both running',
      (s) => s.services.bridge.state === 'running',
    );

    const runtimeEnv = environOf(status.services.runtime.pid!);
    const bridgeEnv = environOf(status.services.bridge.pid!);
    const expectedRuntime = [
      ...envFileKeys(`${world.envDir}/runtime.env`),
      'HOME',
      'PATH',
      'USER',
    ].sort();
    const expectedBridge = [
      ...envFileKeys(`${world.envDir}/telegram-bridge.env`),
      'HOME',
      'PATH',
      'USER',
    ].sort();
    assert.deepEqual([...runtimeEnv.keys()].sort(), expectedRuntime);
    assert.deepEqual([...bridgeEnv.keys()].sort(), expectedBridge);
    assert.equal(runtimeEnv.get('CODEWHALE_RUNTIME_TOKEN'), world.runtimeToken);
    assert.equal(
      bridgeEnv.has('DEEPSEEK_API_KEY'),
      false,
      'the provider key never reaches the bridge',
    );
    assert.equal(runtimeEnv.has('TELEGRAM_BOT_TOKEN'), false);
    assert.deepEqual([runtimeEnv.get('HOME'), runtimeEnv.get('USER')], [world.root, 'tester']);
    assert.equal(runtimeEnv.get(MARKER_KEY), world.marker);
  });

  it('cuts secrets out of what it relays from a child, and out of its log', async (t) => {
    const { world, state } = await setUp(t);
    world.writeBridgeEnv({ FAKE_BRIDGE_LEAK_URL: '1' });
    state.supervisor = await startSupervisor(world);
    const status = await waitForStatus(
      world,
      'the leaked line as detail',
      (s) => s.services.bridge.detail?.includes('request to') === true,
    );

    assert.equal(
      status.services.bridge.detail,
      `Telegram poll failed: request to ${world.telegram.url}/bot[redacted]/getUpdates failed`,
    );
    await waitFor('the relayed line', () =>
      state.supervisor!.output().includes('/bot[redacted]/getUpdates'),
    );
    for (const text of [
      readSupervisorLog(world),
      state.supervisor.output(),
      JSON.stringify(status),
    ]) {
      for (const secret of [world.runtimeToken, world.botToken, world.providerKey])
        assert.ok(!text.includes(secret));
    }
  });

  it('gives up on a runtime that never answers /health within the deadline', async (t) => {
    const { world, state } = await setUp(t);
    world.writeRuntimeEnv({ FAKE_CODEWHALE_HANG_BEFORE_BIND: '1' });
    state.supervisor = await startSupervisor(world, {
      WORKBENCH_READY_TIMEOUT_MS: '300',
      WORKBENCH_FAILURE_LIMIT: '1',
    });

    assert.equal((await state.supervisor.exited).code, 1);
    assert.equal(
      readStatus(world).services.runtime.detail,
      'gave up after 1 failures within 300 s; last: the runtime did not answer /health within 0.3 s',
    );
    assert.deepEqual(leftoverProcesses(world.marker), []);
  });
});
