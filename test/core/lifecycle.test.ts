import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { AGENT_LABEL } from '../../src/core/platform.js';
import { commandStats } from '../../src/core/run-command.js';
import {
  createWorkbenchWorld,
  type WorkbenchWorld,
  runWorkbenchCli,
} from '../helpers/workbench-world.js';

function runCli(world: WorkbenchWorld, args: string[]) {
  return runWorkbenchCli(world, args);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('start and stop without the login agent', () => {
  let world: WorkbenchWorld;
  before(async () => {
    world = await createWorkbenchWorld({ homeName: 'Jo "Q" & Zoë' });
  });
  after(() => world.dispose());

  it('starts the container with the mounts, volumes, caps and labels, and no published port', async () => {
    const outcome = await world.workbench().start({ wait: true });
    assert.equal(outcome.message, 'Workbench started.');
    assert.equal(outcome.status.overall, 'running');
    const record = world.containerDouble.container('codewhale-workbench');
    assert.ok(record);
    const config = record.configuration;
    assert.equal(config.resources.cpus, 4);
    assert.equal(config.resources.memoryInBytes, 16 * 1024 ** 3);
    assert.deepEqual(config.publishedPorts, []);
    assert.equal(config.labels['com.codewhale.workbench'], '1');
    const mounts = Object.fromEntries(config.mounts.map((mount) => [mount.destination, mount]));
    assert.equal(mounts['/etc/codewhale']?.source, `${world.home}/env`);
    assert.deepEqual(mounts['/etc/codewhale']?.options, ['ro']);
    assert.equal(mounts['/run/workbench']?.source, `${world.home}/status`);
    assert.equal(mounts['/opt/whalebro']?.type.volume?.name, 'codewhale-workbench-workspace');
    assert.equal(
      mounts['/home/codewhale/.codewhale']?.type.volume?.name,
      'codewhale-workbench-home',
    );
    assert.equal(
      mounts['/var/lib/codewhale-telegram-bridge']?.type.volume?.name,
      'codewhale-workbench-bridge',
    );
    assert.equal(record.runtime.remove, true);
  });

  it('reads the supervisor status back into workbench status --json', async () => {
    const run = await runCli(world, ['status', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout);
    assert.equal(status.overall, 'running');
    assert.equal(status.services.runtime.state, 'running');
    assert.equal(status.services.runtime.healthy, true);
    assert.equal(status.services.bridge.state, 'running');
    assert.ok(isAlive(status.services.runtime.pid));
    assert.equal(status.container.state, 'running');
    assert.equal(status.containerSystem.version, '1.2.2');
  });

  it('refreshes a running workbench without an agent with one process', async () => {
    const workbench = world.workbench();
    await workbench.status();
    const startedBefore = commandStats.started;
    await workbench.status();
    assert.equal(commandStats.started - startedBefore, 1);
  });

  it('says so when asked to start a running workbench', async () => {
    const outcome = await world.workbench().start();
    assert.equal(outcome.message, 'Workbench is already running.');
  });

  it('stops the container and removes it, leaving no supervisor behind', async () => {
    const pid = world.containerDouble.container('codewhale-workbench')?.runtime.pid;
    assert.ok(pid);
    const outcome = await world.workbench().stop();
    assert.equal(outcome.message, 'Workbench stopped.');
    assert.equal(outcome.status.overall, 'stopped');
    assert.equal(world.containerDouble.container('codewhale-workbench'), null);
    assert.equal(isAlive(pid), false);
  });

  it('makes one container when two `workbench start` run at the same moment', async () => {
    const [first, second] = await Promise.all([runCli(world, ['start']), runCli(world, ['start'])]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    const messages = [first.stdout.split('\n')[0], second.stdout.split('\n')[0]].sort();
    assert.deepEqual(messages, ['Workbench is already running.', 'Workbench started.']);
    assert.equal(world.containerDouble.containers().length, 1);
    await world.workbench().stop();
  });
});

describe('start when the container system service is down', () => {
  let world: WorkbenchWorld;
  before(async () => {
    world = await createWorkbenchWorld();
  });
  after(() => world.dispose());

  it('starts the service non-interactively and installs the kernel on a first start', async () => {
    world.containerDouble.setSystem('unregistered');
    world.containerDouble.setKernelInstalled(false);
    const outcome = await world.workbench().start();
    assert.equal(outcome.message, 'Workbench started.');
    assert.equal(world.containerDouble.system().state, 'running');
    assert.equal(world.containerDouble.system().kernelInstalled, true);
    await world.workbench().stop();
  });

  it('says the service could not be started and names `container system start`', async () => {
    world.containerDouble.setSystem('unregistered');
    world.containerDouble.setFaults({ startFails: true });
    const run = await runCli(world, ['start']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^workbench: /);
    assert.match(run.stderr, /container system start/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
    world.containerDouble.clearFaults();
  });

  it('reports a stopped service in status as stopped, with the reason', async () => {
    world.containerDouble.setSystem('unregistered');
    const run = await runCli(world, ['status', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout);
    assert.equal(status.overall, 'stopped');
    assert.equal(status.containerSystem.running, false);
    assert.equal(status.summary, 'Workbench stopped · container system service not running');
  });
});

describe('start and stop through the login agent', () => {
  let world: WorkbenchWorld;
  before(async () => {
    world = await createWorkbenchWorld({ homeName: 'Ünïcode & "quotes"' });
  });
  after(() => world.dispose());

  it('enabling the agent starts the workbench under launchd', async () => {
    const outcome = await world.workbench().setAgentEnabled(true);
    assert.match(outcome.message, /^Login agent enabled/);
    const job = await world.launchdDouble.waitForPid(AGENT_LABEL, { timeoutMs: 20_000 });
    assert.ok(isAlive(job));
    await world.containerDouble.waitForState('codewhale-workbench', 'running', {
      timeoutMs: 20_000,
    });
    assert.equal(statSync(world.paths().agentPlist).mode & 0o777, 0o644);
  });

  it('reports the agent in status and refreshes with two processes', async () => {
    const workbench = world.workbench();
    const status = await workbench.status();
    assert.equal(status.launchAgent.installed, true);
    assert.equal(status.launchAgent.loaded, true);
    assert.equal(status.launchAgent.running, true);
    const startedBefore = commandStats.started;
    await workbench.status();
    assert.equal(commandStats.started - startedBefore, 2);
  });

  it('stops through launchd, so KeepAlive does not bring it back, and keeps the agent enabled', async () => {
    const outcome = await world.workbench().stop();
    assert.equal(
      outcome.message,
      'Workbench stopped; the login agent stays enabled for the next login.',
    );
    assert.equal(world.launchdDouble.job(AGENT_LABEL), null);
    assert.ok(existsSync(world.paths().agentPlist));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(world.containerDouble.container('codewhale-workbench'), null);
  });

  it('starts again through the agent and restarts by the same route', async () => {
    const started = await world.workbench().start({ wait: true });
    assert.equal(started.message, 'Workbench started through the login agent.');
    const restarted = await world.workbench().restart({ wait: true });
    assert.equal(restarted.message, 'Workbench restarted through the login agent.');
    assert.equal(restarted.status.overall, 'running');
  });

  it('disabling the agent stops the workbench and removes the plist', async () => {
    const outcome = await world.workbench().setAgentEnabled(false);
    assert.match(outcome.message, /^Login agent disabled/);
    assert.equal(existsSync(world.paths().agentPlist), false);
    await world.containerDouble.waitForState('codewhale-workbench', 'missing', {
      timeoutMs: 20_000,
    });
  });
});

describe('a container stuck in stopping', () => {
  let world: WorkbenchWorld;
  before(async () => {
    world = await createWorkbenchWorld();
    world.workbench().saveSettings({ stopTimeoutSeconds: 5 });
  });
  after(() => world.dispose());

  it('is reported with the command that gets it unstuck, not waited on forever', async () => {
    await world.workbench().start();
    world.containerDouble.setFaults({ stuckStopping: 'timeout' });
    const run = await runCli(world, ['stop']);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'workbench: the container codewhale-workbench is stuck in `stopping`\n' +
        '  run `container stop -t 0 codewhale-workbench`, or `container system stop` if that does not help\n',
    );
    const status = JSON.parse((await runCli(world, ['status', '--json'])).stdout);
    assert.equal(status.overall, 'stopping');
  });
});
