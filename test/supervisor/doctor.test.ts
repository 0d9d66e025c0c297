import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import {
  createWorkbench,
  runDoctorBundle,
  startSupervisor,
  stopSupervisor,
  waitForStatus,
  type RunningSupervisor,
  type WorkbenchOptions,
} from './harness.js';
import { readSupervisorConfig } from '../../src/supervisor/config.js';
import { runDoctor } from '../../src/supervisor/doctor.js';
import { sampleStatus } from '../helpers/samples.js';

interface Report {
  checks: Array<{ id: string; level: 'ok' | 'warn' | 'fail'; message: string }>;
  failures: number;
  warnings: number;
}

async function setUp(t: { after(fn: () => Promise<void>): void }, options: WorkbenchOptions = {}) {
  const world = await createWorkbench(options);
  const state: { supervisor?: RunningSupervisor } = {};
  t.after(async () => {
    await stopSupervisor(state.supervisor);
    await world.cleanup();
  });

  return { world, state };
}

function check(report: Report, id: string) {
  const found = report.checks.find((item) => item.id === id);
  assert.ok(found, `no check ${id} in ${report.checks.map((item) => item.id).join(', ')}`);

  return found;
}

describe('workbench-doctor', () => {
  it('passes every check of a healthy workbench', async (t) => {
    const { world, state } = await setUp(t);
    state.supervisor = await startSupervisor(world);
    await waitForStatus(world, 'both running', (s) => s.services.bridge.state === 'running');

    const { code, stdout } = await runDoctorBundle(world);
    const report = JSON.parse(stdout) as Report;

    assert.deepEqual(
      report.checks.filter((item) => item.level !== 'ok'),
      [],
    );
    assert.equal(code, 0);
    assert.deepEqual(Object.keys(report), ['checks', 'failures', 'warnings']);
    assert.deepEqual(Object.keys(report.checks[0]!), ['id', 'level', 'message']);
    assert.equal(
      check(report, 'runtime-listen').message,
      `port ${world.port} is bound to 127.0.0.1 only`,
    );
    assert.equal(
      check(report, 'runtime-token').message,
      "GET /v1/workspace/status: 401 without a token, 200 with the bridge's token",
    );
    assert.equal(check(report, 'codewhale').message, 'codewhale version: codewhale 0.9.10');
    assert.match(
      check(report, 'service-bridge').message,
      /^bridge running, pid \d+, up \d+s, 0 restart\(s\)$/,
    );
    assert.ok(!stdout.includes(world.runtimeToken) && !stdout.includes(world.botToken));
  });

  it('prints doctor.sh-style lines and a summary without --json', async (t) => {
    const { world } = await setUp(t);
    const { code, stdout } = await runDoctorBundle(world, {}, []);

    assert.equal(code, 1);
    assert.match(
      stdout,
      /^CodeWhale Workbench doctor \(inside the container\)\n\n== Tools ==\n\[ok\] node v\d+/,
    );
    assert.match(
      stdout,
      /\n== Services ==\n\[fail\] cannot read the supervisor's status: the supervisor has not written status\.json yet\n/,
    );
    assert.match(stdout, /\n== Summary ==\n\d+ failure\(s\), \d+ warning\(s\)\n$/);
  });

  it('names each fault of a broken workbench and exits 1', async (t) => {
    const { world } = await setUp(t, { withBridgeCore: false });
    chmodSync(join(world.envDir, 'runtime.env'), 0o644);
    world.writeBridgeEnv({ CODEWHALE_RUNTIME_TOKEN: 'b'.repeat(64) });
    rmSync(world.workspace, { recursive: true });
    const stateDir = join(world.root, 'runtime-home', 'tasks', 'runtime');
    mkdirSync(join(world.root, 'elsewhere'), { recursive: true });
    mkdirSync(stateDir, { recursive: true });
    symlinkSync(join(world.root, 'elsewhere'), join(stateDir, 'threads'));
    const procRoot = join(world.root, 'proc');
    mkdirSync(join(procRoot, 'net'), { recursive: true });
    const portHex = world.port.toString(16).toUpperCase().padStart(4, '0');
    writeFileSync(
      join(procRoot, 'net', 'tcp'),
      [
        '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
        `   0: 00000000:${portHex} 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 100 0 0 10 0`,
      ].join('\n'),
    );

    const { code, stdout } = await runDoctorBundle(world, { WORKBENCH_PROC_ROOT: procRoot });
    const report = JSON.parse(stdout) as Report;

    assert.equal(code, 1);
    const lib = join(world.root, 'opt', 'codewhale', 'bridge-core', 'src', 'lib.mjs');
    assert.deepEqual(check(report, 'bridge-files'), {
      id: 'bridge-files',
      level: 'fail',
      message: `bridge-core is missing beside telegram-bridge (${lib}); the bridge would exit with ERR_MODULE_NOT_FOUND`,
    });
    assert.equal(check(report, 'bridge-imports').level, 'fail');
    assert.match(
      check(report, 'env-runtime').message,
      /^runtime\.env is world-readable \(\d+:\d+:0644\) — run `workbench env check --fix` on the Mac$/,
    );
    assert.equal(check(report, 'env-bridge-token_mismatch').level, 'fail');
    assert.equal(check(report, 'workspace').message, `workspace ${world.workspace} does not exist`);
    assert.equal(
      check(report, 'runtime-state-links').message,
      `runtime state subfolders are symlinks, which the runtime refuses: ${join(stateDir, 'threads')}`,
    );
    assert.equal(check(report, 'supervisor').level, 'fail');
    assert.equal(
      check(report, 'runtime-listen').message,
      `port ${world.port} is bound to 0.0.0.0, reachable from outside the container — bind 127.0.0.1 only`,
    );
    assert.equal(check(report, 'runtime-health').level, 'fail');
    assert.equal(check(report, 'runtime-token').level, 'warn');
    assert.equal(report.failures, report.checks.filter((item) => item.level === 'fail').length);
  });

  it('reports a half-started workbench: the runtime still starting and the bridge waiting', async (t) => {
    const { world, state } = await setUp(t);
    world.writeRuntimeEnv({ FAKE_CODEWHALE_HANG_BEFORE_BIND: '1' });
    state.supervisor = await startSupervisor(world);
    await waitForStatus(world, 'the runtime starting', (s) => s.services.runtime.pid !== null);

    const { code, stdout } = await runDoctorBundle(world);
    const report = JSON.parse(stdout) as Report;

    assert.equal(code, 1);
    assert.equal(check(report, 'supervisor').level, 'ok');
    assert.equal(check(report, 'service-runtime').level, 'warn');
    assert.match(
      check(report, 'service-runtime').message,
      new RegExp(
        `^runtime starting, pid \\d+, up \\d+s, 0 restart\\(s\\) — waiting for /health on port ${world.port}$`,
      ),
    );
    assert.equal(
      check(report, 'service-bridge').message,
      'bridge starting, 0 restart(s) — waiting for the runtime to answer /health',
    );
    assert.equal(check(report, 'runtime-listen').message, `nothing listens on port ${world.port}`);
    assert.equal(check(report, 'runtime-health').level, 'fail');
  });

  it("fails the token check when the runtime refuses the bridge's token", async (t) => {
    const { world, state } = await setUp(t);
    state.supervisor = await startSupervisor(world);
    await waitForStatus(world, 'both running', (s) => s.services.bridge.state === 'running');
    world.writeBridgeEnv({ CODEWHALE_RUNTIME_TOKEN: 'c'.repeat(64) });

    const report = JSON.parse((await runDoctorBundle(world)).stdout) as Report;

    assert.deepEqual(check(report, 'runtime-token'), {
      id: 'runtime-token',
      level: 'fail',
      message:
        "GET /v1/workspace/status with the bridge's token answered 401: the runtime does not accept it (a different token, or none reached the runtime)",
    });
  });

  it('allows for the whole seconds of updatedAt before calling status.json stale', async (t) => {
    const { world } = await setUp(t);
    // Written by a live process, announcing 300 ms heartbeats: stale after 1 s without a write.
    const status = sampleStatus({ pid: process.pid, heartbeatIntervalMs: 300 });
    writeFileSync(join(world.statusDir, 'status.json'), JSON.stringify(status));
    const env = world.supervisorEnv();
    const config = readSupervisorConfig(env);
    const supervisorAt = async (now: string) => {
      const report = await runDoctor({ config, procRoot: '/proc', env, now: () => new Date(now) });
      return check(report, 'supervisor');
    };

    // Stamped 08:00:30, the write may have come as late as 08:00:30.999.
    assert.equal((await supervisorAt('2026-12-03T08:00:31.900Z')).level, 'ok');
    assert.deepEqual(await supervisorAt('2026-12-03T08:00:32.100Z'), {
      id: 'supervisor',
      level: 'warn',
      message: 'status.json was last written 2 s ago (heartbeat 17)',
      section: 'Services',
    });
  });

  it('refuses an unknown argument with a usage error', async (t) => {
    const { world } = await setUp(t);
    const { code, stderr } = await runDoctorBundle(world, {}, ['--yaml']);

    assert.equal(code, 2);
    assert.equal(
      stderr,
      'workbench-doctor: unknown argument "--yaml"\nusage: workbench-doctor [--json]\n',
    );
  });
});
