import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import {
  createWorkbench,
  readEvents,
  startSupervisor,
  stopSupervisor,
  waitForStatus,
  type RunningSupervisor,
  type WorkbenchOptions,
} from './harness.js';

async function setUp(t: { after(fn: () => Promise<void>): void }, options: WorkbenchOptions = {}) {
  const world = await createWorkbench(options);
  const state: { supervisor?: RunningSupervisor } = {};
  t.after(async () => {
    await stopSupervisor(state.supervisor);
    await world.cleanup();
  });

  return { world, state };
}

describe('workbench-supervisor: why a bridge fails', () => {
  it('marks the bridge failed, without a restart, when TELEGRAM_BOT_TOKEN is missing', async (t) => {
    const { world, state } = await setUp(t);
    world.writeBridgeEnv({ TELEGRAM_BOT_TOKEN: null });
    state.supervisor = await startSupervisor(world);

    const status = await waitForStatus(
      world,
      'the bridge failed',
      (s) => s.services.bridge.state === 'failed',
    );
    assert.equal(
      status.services.bridge.detail,
      'missing variable: TELEGRAM_BOT_TOKEN is required — set it in telegram-bridge.env, then restart the workbench',
    );
    assert.equal(status.services.bridge.restarts, 0);
    assert.equal(status.services.runtime.state, 'running');
  });

  it('names the runtime token when the bridge file lacks it', async (t) => {
    const { world, state } = await setUp(t);
    world.writeBridgeEnv({ CODEWHALE_RUNTIME_TOKEN: '' });
    state.supervisor = await startSupervisor(world);

    const status = await waitForStatus(
      world,
      'the bridge failed',
      (s) => s.services.bridge.state === 'failed',
    );
    assert.equal(
      status.services.bridge.detail,
      'missing variable: CODEWHALE_RUNTIME_TOKEN or DEEPSEEK_RUNTIME_TOKEN is required — set it in telegram-bridge.env, then restart the workbench',
    );
  });

  it('says bridge-core is missing when the bridge fails with ERR_MODULE_NOT_FOUND', async (t) => {
    const { world, state } = await setUp(t, { withBridgeCore: false });
    state.supervisor = await startSupervisor(world);

    const status = await waitForStatus(
      world,
      'the bridge failed',
      (s) => s.services.bridge.state === 'failed',
    );
    const lib = join(world.root, 'opt', 'codewhale', 'bridge-core', 'src', 'lib.mjs');
    assert.equal(
      status.services.bridge.detail,
      `bridge-core is missing (ERR_MODULE_NOT_FOUND: ${lib}) — the image must ship bridge-core beside telegram-bridge`,
    );
    assert.equal(
      readEvents(world.bridgeEvents).length,
      0,
      'the bridge never got as far as starting',
    );
  });

  it('says the thread map is not valid JSON when the bridge cannot parse it', async (t) => {
    const { world, state } = await setUp(t);
    writeFileSync(join(world.stateDir, 'thread-map.json'), '{"chats": {');
    state.supervisor = await startSupervisor(world);

    const status = await waitForStatus(
      world,
      'the bridge failed',
      (s) => s.services.bridge.state === 'failed',
    );
    assert.match(
      status.services.bridge.detail!,
      /^the bridge's thread map is not valid JSON \(SyntaxError: .*JSON.*\) — repair or remove thread-map\.json$/,
    );
  });

  it('shows a bot token that Telegram refuses as the detail of a running bridge', async (t) => {
    const { world, state } = await setUp(t, { telegramMode: 'unauthorized' });
    state.supervisor = await startSupervisor(world);

    const status = await waitForStatus(
      world,
      'the detail',
      (s) => s.services.bridge.detail !== null && s.services.bridge.state === 'running',
    );
    assert.equal(
      status.services.bridge.detail,
      'Telegram poll failed: Unauthorized — Telegram refuses the bot token; check TELEGRAM_BOT_TOKEN in telegram-bridge.env',
    );
  });

  it('refuses to start a service whose env file breaks the shared grammar', async (t) => {
    const { world, state } = await setUp(t);
    world.writeBridgeEnv({ CODEWHALE_ALLOW_SHELL: 'false  # no shell from the phone' });
    state.supervisor = await startSupervisor(world);

    const status = await waitForStatus(
      world,
      'the bridge failed',
      (s) => s.services.bridge.state === 'failed',
    );
    assert.match(
      status.services.bridge.detail!,
      /^telegram-bridge\.env:\d+: error: the value of CODEWHALE_ALLOW_SHELL has an inline comment/,
    );
    assert.equal(readEvents(world.bridgeEvents).length, 0, 'the bridge was not started on a guess');
  });
});
