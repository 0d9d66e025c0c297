import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { parseStatusText } from '../../src/core/supervisor-status.js';
import { StatusWriter, idleService } from '../../src/supervisor/status-writer.js';
import {
  createWorkbench,
  startSupervisor,
  stopSupervisor,
  waitForStatus,
  type RunningSupervisor,
} from './harness.js';

describe('status.json', () => {
  it('matches the host schema and counts every write in its heartbeat', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-status-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const writer = new StatusWriter(dir, {
      pid: 42,
      startedAt: new Date('2026-12-03T08:00:00.123Z'),
      heartbeatIntervalMs: 10_000,
    });

    writer.write(
      { runtime: idleService('starting', null), bridge: idleService('starting', 'waiting') },
      new Date('2026-12-03T08:00:30.999Z'),
    );
    writer.write(
      { runtime: idleService('running', null), bridge: idleService('starting', 'waiting') },
      new Date('2026-12-03T08:00:31Z'),
    );

    const text = readFileSync(join(dir, 'status.json'), 'utf8');
    const read = parseStatusText(text);
    assert.ok(read.ok);
    assert.deepEqual(JSON.parse(text).supervisor, {
      pid: 42,
      startedAt: '2026-12-03T08:00:00Z',
      heartbeat: 2,
      updatedAt: '2026-12-03T08:00:31Z',
      heartbeatIntervalMs: 10_000,
    });
    assert.deepEqual(Object.keys(JSON.parse(text).services.runtime), [
      'state',
      'pid',
      'restarts',
      'startedAt',
      'healthy',
      'lastExit',
      'detail',
    ]);
    assert.deepEqual(readdirSync(dir), ['status.json'], 'no temp file is left behind');
  });

  it('is complete, valid JSON on each of 1,000 reads while the states keep changing', async (t) => {
    const world = await createWorkbench();
    const state: { supervisor?: RunningSupervisor } = {};
    t.after(async () => {
      await stopSupervisor(state.supervisor);
      await world.cleanup();
    });
    world.writeControl({ FAKE_BRIDGE_CRASH_AFTER_MS: '30' });
    state.supervisor = await startSupervisor(world, {
      WORKBENCH_RESTART_DELAY_MS: '10',
      WORKBENCH_RESTART_MAX_DELAY_MS: '20',
      WORKBENCH_FAILURE_LIMIT: '100000',
      WORKBENCH_HEARTBEAT_MS: '100',
    });
    await waitForStatus(world, 'the bridge crash loop', (s) => s.services.bridge.restarts > 0);

    const heartbeats = new Set<number>();
    const bridgeStates = new Set<string>();
    for (let read = 0; read < 1000; read += 1) {
      const text = readFileSync(join(world.statusDir, 'status.json'), 'utf8');
      const parsed = parseStatusText(text);
      assert.ok(
        parsed.ok,
        `read ${read} is not a complete status: ${parsed.ok ? '' : parsed.detail}`,
      );
      heartbeats.add(parsed.status.supervisor.heartbeat);
      bridgeStates.add(parsed.status.services.bridge.state);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.ok(
      heartbeats.size > 20,
      `the file changed while it was read (${heartbeats.size} heartbeats seen)`,
    );
    assert.ok(
      bridgeStates.size >= 2,
      `states changed while it was read (${[...bridgeStates].join(', ')})`,
    );
    await stopSupervisor(state.supervisor);
    assert.deepEqual(
      readdirSync(world.statusDir).filter((name) => name.includes('.tmp-')),
      [],
    );
  });
});
