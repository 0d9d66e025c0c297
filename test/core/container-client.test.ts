/**
 * The container client against the executable double: argv, JSON reading across versions, and
 * every failure the real CLI can produce turned into an error that says what to do.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

import {
  ContainerClient,
  ContainerOutputError,
  isServiceNotRunningText,
  type ContainerTimeouts,
  type RunSpec,
} from '../../src/core/container-client.js';
import { CommandError, WorkbenchError } from '../../src/core/errors.js';
import { ContainerDouble, type ImageConfig } from '../doubles/container-control.js';
import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';

let world: DoubleWorld;
let double: ContainerDouble;
let client: ContainerClient;

function makeClient(
  timeouts: Partial<ContainerTimeouts> = {},
  path = world.commands.container,
): ContainerClient {
  return new ContainerClient({ path, timeouts, env: world.env });
}

const SLEEPER: ImageConfig = {
  Entrypoint: ['/bin/sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.05; done'],
  Env: ['PATH=/usr/bin:/bin'],
};

function workbenchSpec(overrides: Partial<RunSpec> = {}): RunSpec {
  const envDir = join(world.home, 'env');
  const statusDir = join(world.home, 'status');
  mkdirSync(envDir, { recursive: true });
  mkdirSync(statusDir, { recursive: true });

  return {
    name: 'codewhale-workbench',
    image: 'codewhale-workbench:latest',
    cpus: 4,
    memory: '16G',
    remove: true,
    labels: { 'com.codewhale.workbench': '1' },
    binds: [
      { source: envDir, destination: '/etc/codewhale', readOnly: true },
      { source: statusDir, destination: '/run/workbench', readOnly: false },
    ],
    volumes: [{ name: 'codewhale-workbench-workspace', destination: '/opt/whalebro' }],
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<CommandError | WorkbenchError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof WorkbenchError, `expected a WorkbenchError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

beforeEach(() => {
  world = createDoubleWorld();
  double = new ContainerDouble(world.doubleState);
  client = makeClient();
});

afterEach(async () => {
  await double.killAll();
  assert.deepEqual(double.liveProcesses(), []);
  world.cleanup();
});

describe('ContainerClient: installation and service state', () => {
  it('says container is not installed, with an install hint, when the binary is missing', async () => {
    const missing = join(world.root, 'bin', 'container');
    const error = await rejection(makeClient({}, missing).version());
    assert.equal(error.message, `container is not installed at ${missing}`);
    assert.equal(
      error.hint,
      'install apple/container: the signed .pkg from https://github.com/apple/container/releases, or `brew install container`',
    );
    assert.equal((error as CommandError).failure, 'not-found');
  });

  it('reads the CLI version from --version', async () => {
    assert.equal(await client.version(), '1.2.2');
  });

  it('reports running, not running and unregistered from the exit code and status', async () => {
    assert.deepEqual(await client.systemStatus(), { state: 'running', serverVersion: '1.2.2' });
    double.setSystem('not running');
    assert.deepEqual(await client.systemStatus(), { state: 'not running', serverVersion: null });
    double.setSystem('unregistered');
    assert.deepEqual(await client.systemStatus(), { state: 'unregistered', serverVersion: null });
  });

  it('reads the text status of versions without system status --format', async () => {
    double.setMode('pre-1.0');
    assert.deepEqual(await client.systemStatus(), { state: 'running', serverVersion: '0.9.0' });
    double.setSystem('unregistered');
    assert.deepEqual(await client.systemStatus(), { state: 'unregistered', serverVersion: null });
  });

  it('turns the XPC error of every call into "service is not running"', async () => {
    double.setSystem('unregistered');
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['list', () => client.list({ all: true })],
      ['inspect', () => client.inspect('codewhale-workbench')],
      ['run', () => client.run(workbenchSpec(), { detach: true })],
      ['stop', () => client.stop('codewhale-workbench', { timeoutSeconds: 1 })],
      ['delete', () => client.delete('codewhale-workbench')],
      ['exec', () => client.exec('codewhale-workbench', ['true'])],
      ['logs', () => client.logs('codewhale-workbench')],
      ['volumeCreate', () => client.volumeCreate('codewhale-workbench-home')],
      ['volumeList', () => client.volumeList()],
      ['volumeDelete', () => client.volumeDelete('codewhale-workbench-home')],
      ['imageExists', () => client.imageExists('codewhale-workbench:latest')],
    ];
    for (const [name, call] of calls) {
      const error = await rejection(call());
      assert.equal(error.message, 'container system service is not running', name);
      assert.equal(error.hint, 'run `container system start`', name);
    }
  });

  it('recognises the service-down texts of every version', () => {
    assert.equal(
      isServiceNotRunningText('Error: interrupted: "XPC connection error: Connection invalid"'),
      true,
    );
    assert.equal(
      isServiceNotRunningText(
        'Plugins are unavailable. Start the container system services using `container system start`.',
      ),
      true,
    );
    assert.equal(isServiceNotRunningText('Error: failed to connect to the apiserver'), true);
    assert.equal(isServiceNotRunningText('Error: container with id web already exists'), false);
  });
});

describe('ContainerClient: system start', () => {
  it('never hangs on the kernel prompt: it passes --enable-kernel-install with stdin closed', async () => {
    double.setSystem('unregistered');
    double.setKernelInstalled(false);
    await client.systemStart({ timeoutMs: 20_000 });
    assert.equal(double.system().state, 'running');
    assert.equal(double.system().kernelInstalled, true);
  });

  it('accepts progress lines on stderr with exit 0 as success', async () => {
    double.setKernelInstalled(false);
    await client.systemStart();
    const context = join(world.root, 'ctx');
    mkdirSync(context);
    writeFileSync(join(context, 'Containerfile'), 'FROM node:20\n');
    await client.build({
      tag: 'codewhale-workbench:latest',
      file: join(context, 'Containerfile'),
      context,
    });
    assert.equal(await client.imageExists('codewhale-workbench:latest'), true);
  });

  it('says the service could not be started when launchd cannot be reached', async () => {
    double.setSystem('unregistered');
    double.setFaults({ startFails: true });
    const error = await rejection(client.systemStart());
    assert.equal(error.message, 'container system service could not be started');
    assert.equal(
      error.hint,
      'run `container system start` in Terminal on the Mac while logged in; over ssh or outside a login session it cannot reach launchd',
    );
  });
});

describe('ContainerClient: faults', () => {
  it('times out a hanging call with a message naming the command', async () => {
    double.hangOn('ls');
    const error = await rejection(makeClient({ list: 500 }).list({ all: true }));
    assert.equal(error.message, '`container ls --all --format json` did not answer within 0.5 s');
    assert.equal(
      error.hint,
      'the container system service may be stuck; try `container system stop`, then `container system start`',
    );
    assert.equal((error as CommandError).failure, 'timeout');
  });

  it('reports garbage JSON as unreadable output of the named command', async () => {
    double.setFaults({ garbageJson: ['ls', 'inspect'] });
    const error = await rejection(client.list({ all: true }));
    assert.ok(error instanceof ContainerOutputError);
    assert.equal(
      error.message,
      'could not read the output of `container ls --all --format json`: it is not valid JSON',
    );
    double.addImage('sleeper', SLEEPER);
    double.clearFaults();
    await client.run(workbenchSpec({ image: 'sleeper', volumes: [], binds: [] }), { detach: true });
    double.setFaults({ garbageJson: ['inspect'] });
    assert.ok(
      (await rejection(client.inspect('codewhale-workbench'))) instanceof ContainerOutputError,
    );
  });

  it('reads pre-1.0 JSON: string status and reference-date numbers as ISO dates', async () => {
    double.setMode('pre-1.0');
    double.addImage('sleeper', SLEEPER);
    await client.run(workbenchSpec({ image: 'sleeper', volumes: [], binds: [] }), { detach: true });
    const [summary] = await client.list();
    assert.equal(summary?.state, 'running');
    assert.match(summary?.startedAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Math.abs(Date.parse(summary?.startedAt ?? '') - Date.now()) < 120_000);
    assert.equal(await client.inspect('missing-one'), null);
  });

  it('names the conflict when a container of that name already exists', async () => {
    double.addImage('sleeper', SLEEPER);
    const spec = workbenchSpec({ image: 'sleeper', volumes: [], binds: [] });
    await client.run(spec, { detach: true });
    const error = await rejection(client.run(spec, { detach: true }));
    assert.equal(error.message, 'a container named codewhale-workbench already exists');
    assert.equal(
      error.hint,
      'stop and remove it first: `container stop codewhale-workbench`, then `container delete codewhale-workbench`',
    );
  });

  it('gives up on a container stuck in stopping with a clear timeout', async () => {
    double.addImage('sleeper', SLEEPER);
    await client.run(workbenchSpec({ image: 'sleeper', volumes: [], binds: [] }), { detach: true });
    double.setFaults({ stuckStopping: 'hang' });
    const error = await rejection(
      makeClient({ stopGrace: 500 }).stop('codewhale-workbench', { timeoutSeconds: 0 }),
    );
    assert.equal(
      error.message,
      '`container stop --time 0 codewhale-workbench` did not answer within 0.5 s',
    );
    assert.match(error.hint ?? '', /stuck in `stopping`/);
    assert.equal((await client.inspect('codewhale-workbench'))?.state, 'stopping');
  });

  it('reports a stop that the runtime gives up on as a failure', async () => {
    double.addImage('sleeper', SLEEPER);
    await client.run(workbenchSpec({ image: 'sleeper', volumes: [], binds: [] }), { detach: true });
    double.setFaults({ stuckStopping: 'timeout' });
    const error = await rejection(client.stop('codewhale-workbench', { timeoutSeconds: 0 }));
    assert.equal(
      error.message,
      'stopping container codewhale-workbench failed: internalError: "failed to stop container" ' +
        '(cause: "timeout: "timed out waiting for container codewhale-workbench to stop"")',
    );
  });
});

describe('ContainerClient: run arguments', () => {
  it('builds the workbench argv with resources, labels, mounts and no published ports', () => {
    const spec = workbenchSpec({ env: { WORKBENCH_RESTART_DELAY_MS: '5000' } });
    assert.deepEqual(client.runArgs(spec, { detach: false }), [
      'run',
      '--rm',
      '--name',
      'codewhale-workbench',
      '--cpus',
      '4',
      '--memory',
      '16G',
      '--progress',
      'none',
      '--label',
      'com.codewhale.workbench=1',
      '--mount',
      `type=bind,source=${join(world.home, 'env')},target=/etc/codewhale,readonly`,
      '--mount',
      `type=bind,source=${join(world.home, 'status')},target=/run/workbench`,
      '--volume',
      'codewhale-workbench-workspace:/opt/whalebro',
      '--env',
      'WORKBENCH_RESTART_DELAY_MS=5000',
      'codewhale-workbench:latest',
    ]);
    assert.equal(client.runArgs(spec, { detach: true })[1], '--detach');
  });

  it('refuses host paths that the mount syntax cannot carry', () => {
    for (const source of ['/Users/me/a:b', '/Users/me/a,b']) {
      assert.throws(
        () =>
          client.runArgs(
            workbenchSpec({ binds: [{ source, destination: '/x', readOnly: false }] }),
            { detach: true },
          ),
        {
          message: `bind-mount source ${JSON.stringify(source)} contains ':', ',' or a line break, which container's -v/--mount syntax cannot carry`,
        },
      );
    }
    assert.throws(
      () =>
        client.runArgs(
          workbenchSpec({ binds: [{ source: 'relative', destination: '/x', readOnly: false }] }),
          { detach: true },
        ),
      {
        message: 'bind-mount source "relative" is not an absolute path',
      },
    );
  });

  it('refuses secrets and invalid names before starting anything', () => {
    assert.throws(
      () => client.runArgs(workbenchSpec({ env: { TELEGRAM_BOT_TOKEN: 'x' } }), { detach: true }),
      {
        message: 'refusing to pass TELEGRAM_BOT_TOKEN on the command line',
      },
    );
    assert.throws(() => client.runArgs(workbenchSpec({ name: '-rf' }), { detach: true }), {
      message: 'container name "-rf" is not valid',
    });
    assert.throws(() => client.runArgs(workbenchSpec({ memory: 'lots' }), { detach: true }), {
      message: 'memory "lots" is not a size',
    });
  });
});

describe('ContainerClient: lifecycle against the double', () => {
  it('runs, lists, inspects, stops and deletes the workbench container', async () => {
    double.addImage('codewhale-workbench:latest', SLEEPER);
    assert.equal(await client.volumeCreate('codewhale-workbench-workspace'), 'created');
    assert.equal(
      await client.run(workbenchSpec({ remove: false }), { detach: true }),
      'codewhale-workbench',
    );
    const summary = await client.inspect('codewhale-workbench');
    // The order of -v and --mount entries is the CLI's business; compare them by destination.
    const mounts = [...(summary?.mounts ?? [])].sort((a, b) =>
      a.destination.localeCompare(b.destination),
    );
    assert.deepEqual(
      { ...summary, startedAt: undefined, mounts },
      {
        id: 'codewhale-workbench',
        state: 'running',
        image: 'docker.io/library/codewhale-workbench:latest',
        startedAt: undefined,
        cpus: 4,
        memoryBytes: 17179869184,
        labels: { 'com.codewhale.workbench': '1' },
        publishedPorts: 0,
        mounts: [
          {
            source: join(world.home, 'env'),
            destination: '/etc/codewhale',
            readOnly: true,
            volume: null,
          },
          {
            source: join(double.root, 'volumes', 'codewhale-workbench-workspace', 'volume.img'),
            destination: '/opt/whalebro',
            readOnly: false,
            volume: 'codewhale-workbench-workspace',
          },
          {
            source: join(world.home, 'status'),
            destination: '/run/workbench',
            readOnly: false,
            volume: null,
          },
        ],
      },
    );
    assert.match(summary?.startedAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(
      (await client.list()).map((entry) => entry.id),
      ['codewhale-workbench'],
    );
    assert.equal(await client.stop('codewhale-workbench', { timeoutSeconds: 5 }), 'stopped');
    assert.deepEqual(await client.list(), []);
    assert.equal((await client.list({ all: true }))[0]?.state, 'stopped');
    assert.equal(await client.delete('codewhale-workbench'), 'deleted');
    assert.equal(await client.delete('codewhale-workbench'), 'missing');
    assert.equal(await client.stop('codewhale-workbench', { timeoutSeconds: 1 }), 'missing');
    assert.equal(await client.inspect('codewhale-workbench'), null);
  });

  it('refuses to delete a running container without force and deletes it with force', async () => {
    double.addImage('sleeper', SLEEPER);
    await client.run(workbenchSpec({ image: 'sleeper', volumes: [], binds: [], remove: false }), {
      detach: true,
    });
    const error = await rejection(client.delete('codewhale-workbench'));
    assert.equal(
      error.message,
      'deleting container codewhale-workbench failed: internalError: "failed to delete container" ' +
        '(cause: "invalidState: "container codewhale-workbench is running and can not be deleted"")',
    );
    assert.equal(await client.delete('codewhale-workbench', { force: true }), 'deleted');
  });

  it('relays exec results and reads the logs', async () => {
    double.addImage('chatty', {
      Entrypoint: ['/bin/sh', '-c', 'echo one; echo two; sleep 30'],
      Env: ['PATH=/usr/bin:/bin', 'ROLE=test'],
    });
    await client.run(workbenchSpec({ image: 'chatty', volumes: [], binds: [] }), { detach: true });
    const result = await client.exec('codewhale-workbench', ['sh', '-c', 'echo $ROLE; exit 3'], {
      timeoutMs: 10_000,
    });
    assert.deepEqual(
      { exitCode: result.exitCode, stdout: result.stdout },
      { exitCode: 3, stdout: 'test\n' },
    );
    await double.waitForState('codewhale-workbench', 'running');
    for (
      let attempt = 0;
      attempt < 100 && !double.stdioLog('codewhale-workbench').includes('two');
      attempt += 1
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(await client.logs('codewhale-workbench', { lines: 1 }), 'two\n');
    assert.equal(await client.logs('codewhale-workbench'), 'one\ntwo\n');
    const missing = await rejection(client.exec('nope-container', ['true']));
    assert.equal(
      missing.message,
      'running a command in container nope-container failed: get failed: container nope-container not found',
    );
  });

  it('creates, lists and deletes volumes, refusing one that is in use', async () => {
    assert.equal(await client.volumeCreate('codewhale-workbench-home'), 'created');
    assert.equal(await client.volumeCreate('codewhale-workbench-home'), 'exists');
    const [volume] = await client.volumeList();
    assert.equal(volume?.name, 'codewhale-workbench-home');
    assert.equal(volume?.sizeInBytes, 549755813888);
    assert.match(volume?.createdAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    double.addImage('sleeper', SLEEPER);
    await client.run(
      workbenchSpec({
        image: 'sleeper',
        binds: [],
        volumes: [{ name: 'codewhale-workbench-home', destination: '/home/x' }],
      }),
      { detach: true },
    );
    const error = await rejection(client.volumeDelete('codewhale-workbench-home'));
    assert.equal(error.message, 'volume codewhale-workbench-home is in use by a container');
    await client.stop('codewhale-workbench', { timeoutSeconds: 5 });
    assert.equal(await client.volumeDelete('codewhale-workbench-home'), 'deleted');
    assert.equal(await client.volumeDelete('codewhale-workbench-home'), 'missing');
  });

  it('reads pre-1.0 volume JSON with numeric createdAt', async () => {
    await client.volumeCreate('old-volume');
    double.setMode('pre-1.0');
    const [volume] = await client.volumeList();
    assert.equal(volume?.name, 'old-volume');
    assert.match(volume?.createdAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('tells whether an image exists', async () => {
    assert.equal(await client.imageExists('codewhale-workbench:latest'), false);
    double.addImage('codewhale-workbench:latest', SLEEPER);
    assert.equal(await client.imageExists('codewhale-workbench:latest'), true);
  });

  it('reports a failed build with its error line', async () => {
    const context = join(world.root, 'ctx');
    mkdirSync(context);
    writeFileSync(join(context, 'Containerfile'), 'FROM node:20\n');
    double.setFaults({
      buildFails:
        'failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1',
    });
    const error = await rejection(
      client.build({
        tag: 'codewhale-workbench:latest',
        file: join(context, 'Containerfile'),
        context,
      }),
    );
    assert.equal(
      error.message,
      'building image codewhale-workbench:latest failed: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1',
    );
    assert.match((error as CommandError).stderr, /^#1 \[internal\] load build definition/);
  });
});
