import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { lookupUser } from '../../src/supervisor/config.js';
import {
  createWorkbench,
  environOf,
  startSupervisor,
  stopSupervisor,
  waitForStatus,
  type RunningSupervisor,
} from './harness.js';

const isRoot = process.getuid?.() === 0;
const serviceUser = lookupUser(1000);

function uidOf(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

describe(
  'workbench-supervisor as root',
  { skip: !isRoot || serviceUser === null ? 'needs root and a user with UID 1000' : false },
  () => {
    it('hands the mount points to UID 1000 and runs both services as 1000:1000', async (t) => {
      const world = await createWorkbench();
      const state: { supervisor?: RunningSupervisor } = {};
      t.after(async () => {
        await stopSupervisor(state.supervisor);
        await world.cleanup();
      });
      // The service user must reach the installed bridge and the control file, as in the image.
      for (const dir of [world.root, join(world.root, 'opt')]) chmodSync(dir, 0o755);
      const events = { FAKE_CODEWHALE_EVENTS_FILE: join(world.workspace, 'runtime.jsonl') };
      world.writeRuntimeEnv(events);
      world.writeBridgeEnv({ FAKE_BRIDGE_EVENTS_FILE: join(world.workspace, 'bridge.jsonl') });
      state.supervisor = await startSupervisor(world, {
        WORKBENCH_RUN_AS: '1000:1000',
        WORKBENCH_VOLUME_DIRS: `${world.workspace}:${world.stateDir}`,
      });

      const status = await waitForStatus(
        world,
        'both running',
        (s) => s.services.bridge.state === 'running',
      );
      for (const dir of [world.workspace, world.stateDir]) {
        const stat = statSync(dir);
        assert.deepEqual([stat.uid, stat.gid], [1000, 1000], `${dir} was not handed over`);
      }
      for (const pid of [status.services.runtime.pid!, status.services.bridge.pid!]) {
        assert.equal(uidOf(pid), 1000);
        const env = environOf(pid);
        assert.deepEqual(
          [env.get('HOME'), env.get('USER')],
          [serviceUser!.home, serviceUser!.name],
        );
      }
      assert.equal(uidOf(state.supervisor.pid), 0, 'the supervisor itself stays root');
    });
  },
);
