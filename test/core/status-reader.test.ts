import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import {
  CLI_BUNDLE,
  createWorkbenchWorld,
  IMAGE,
  type WorkbenchWorld,
  runWorkbenchCli,
} from '../helpers/workbench-world.js';
import { sampleStatus } from '../helpers/samples.js';

async function statusJson(world: WorkbenchWorld) {
  const run = await runWorkbenchCli(world, ['status', '--json']);

  return { ...run, status: run.stdout ? JSON.parse(run.stdout) : {} };
}

describe('workbench status with an untrusted status.json', () => {
  let world: WorkbenchWorld;
  let statusFile: string;
  before(async () => {
    world = await createWorkbenchWorld();
    // An image whose process never writes status.json, so the test controls the file.
    world.containerDouble.addImage(IMAGE, {
      Entrypoint: [process.execPath, '-e', 'setInterval(() => {}, 1 << 30)'],
    });
    statusFile = world.paths().statusFile;
    await world.workbench().start();
  });
  after(() => world.dispose());

  it('reports a container whose supervisor has not written yet as starting, with the reason', async () => {
    const { code, status } = await statusJson(world);
    assert.equal(code, 0);
    assert.equal(status.overall, 'starting');
    assert.equal(status.reason, 'the supervisor has not written status.json yet');
  });

  it('reads a fresh, valid status as running', async () => {
    writeFileSync(statusFile, JSON.stringify(sampleStatus({ heartbeat: 1 })));
    const { status } = await statusJson(world);
    assert.equal(status.overall, 'running');
    assert.equal(status.services.bridge.pid, 57);
  });

  it('reports a heartbeat that stopped changing as degraded, judged by the host clock', async () => {
    // updatedAt far in the future, as from a VM clock that drifted: it must not matter.
    const frozen = sampleStatus({
      heartbeat: 2,
      heartbeatIntervalMs: 300,
      updatedAt: '2030-01-01T00:00:00Z',
    });
    writeFileSync(statusFile, JSON.stringify(frozen));
    assert.equal((await statusJson(world)).status.overall, 'running');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { status } = await statusJson(world);
    assert.equal(status.overall, 'degraded');
    assert.equal(
      status.reason,
      'the supervisor stopped updating status.json (heartbeat unchanged)',
    );
    writeFileSync(
      statusFile,
      JSON.stringify({ ...frozen, supervisor: { ...frozen.supervisor, heartbeat: 3 } }),
    );
    assert.equal((await statusJson(world)).status.overall, 'running');
  });

  it('reports a schema-invalid status as degraded, naming where it fails', async () => {
    const bad = sampleStatus({ heartbeat: 3 }) as unknown as {
      services: { runtime: { pid: unknown } };
    };
    bad.services.runtime.pid = '$(reboot)';
    writeFileSync(statusFile, JSON.stringify(bad));
    const { code, status, stderr } = await statusJson(world);
    assert.equal(code, 0, stderr);
    assert.equal(status.overall, 'degraded');
    assert.equal(status.reason, 'status.json fails its schema at services.runtime.pid');
    assert.equal(status.services, null);
  });

  it('reports a 10 MB status as degraded without reading it', async () => {
    writeFileSync(statusFile, Buffer.alloc(10 * 1024 * 1024, 0x20));
    const { code, status } = await statusJson(world);
    assert.equal(code, 0);
    assert.equal(status.overall, 'degraded');
    assert.equal(status.reason, 'status.json is 10485760 bytes, over the 65536-byte limit');
  });

  it('reports unreadable output of container ls as an error naming the command, without a stack', async () => {
    world.containerDouble.setFaults({ garbageJson: ['ls'] });
    const { code, status, stderr } = await statusJson(world);
    world.containerDouble.clearFaults();
    assert.equal(code, 0, stderr);
    assert.equal(status.overall, 'error');
    assert.match(status.summary, /^Error · .*container ls/);
    assert.equal(stderr, '');
  });
});

describe('workbench status without container installed', () => {
  let world: WorkbenchWorld;
  before(async () => {
    world = await createWorkbenchWorld();
    world.env.WORKBENCH_CONTAINER_PATH = '/nonexistent/bin/container';
  });
  after(() => world.dispose());

  it('reports an error that says container is not installed, and still exits 0', async () => {
    const { code, status } = await statusJson(world);
    assert.equal(code, 0);
    assert.equal(status.overall, 'error');
    assert.equal(status.summary, 'Error · container is not installed');
    assert.equal(status.containerSystem.installed, false);
  });

  it('refuses to start and names where it looked', async () => {
    const child = spawn(process.execPath, [CLI_BUNDLE, 'start'], {
      env: world.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^workbench: container is not installed at \/nonexistent\/bin\/container\n/,
    );
  });
});
