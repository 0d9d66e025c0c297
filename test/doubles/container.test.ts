/**
 * The `container` double checked against the reference: exact streams and exit codes of each
 * behaviour, real host processes for containers, signals, faults and the pre-1.0 shapes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';
import { ContainerDouble, type ImageConfig } from './container-control.js';

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Started {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  done: Promise<Outcome>;
}

const HINT = 'Ensure container system service has been started with `container system start`.';
const KERNEL_PROMPT =
  'Install the recommended default kernel from ' +
  '[https://github.com/kata-containers/kata-containers/releases/download/3.17.0/kata-static-3.17.0-arm64.tar.xz]? [Y/n]: ';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

let world: DoubleWorld;
let double: ContainerDouble;

function start(
  args: string[],
  options: { stdin?: 'ignore' | 'pipe'; input?: string } = {},
): Started {
  const child = spawn(world.commands.container, args, {
    env: world.env,
    cwd: world.root,
    stdio: [options.input !== undefined ? 'pipe' : (options.stdin ?? 'ignore'), 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  const done = new Promise<Outcome>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });

  return { child, output: () => ({ stdout, stderr }), done };
}

function container(...args: string[]): Promise<Outcome> {
  return start(args).done;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function shell(script: string, extra: Partial<ImageConfig> = {}): ImageConfig {
  return { Entrypoint: ['/bin/sh', '-c', script], Env: ['PATH=/usr/bin:/bin'], ...extra };
}

const SLEEPER = shell(
  'echo started; trap "echo got TERM; exit 3" TERM; while true; do sleep 0.05; done',
);
const STUBBORN = shell('trap "echo ignoring" TERM INT; while true; do sleep 0.05; done');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

beforeEach(() => {
  world = createDoubleWorld();
  double = new ContainerDouble(world.doubleState);
  double.setStatsDelay(0);
});

afterEach(async () => {
  await double.killAll();
  assert.deepEqual(double.liveProcesses(), []);
  world.cleanup();
});

describe('container double: version and system service', () => {
  it('prints the CLI version line with or without the service', async () => {
    double.setSystem('unregistered');
    const result = await container('--version');
    assert.deepEqual(result, {
      code: 0,
      signal: null,
      stdout: 'container CLI version 1.2.2 (build: release, commit: af405ff)\n',
      stderr: '',
    });
    assert.equal((await container('system', '--version')).code, 0);
  });

  it('reports an unregistered service on stdout with exit 1, as text and as JSON', async () => {
    double.setSystem('unregistered');
    assert.deepEqual(await container('system', 'status'), {
      code: 1,
      signal: null,
      stdout: 'apiserver is not running and not registered with launchd\n',
      stderr: '',
    });
    const json = await container('system', 'status', '--format', 'json');
    assert.equal(json.code, 1);
    assert.equal(
      json.stdout,
      '{"apiServerAppName":"","apiServerBuild":"","apiServerCommit":"","apiServerVersion":"","appRoot":"","installRoot":"","status":"unregistered"}\n',
    );
  });

  it('reports a registered service that does not answer as not running', async () => {
    double.setSystem('not running');
    assert.deepEqual(await container('system', 'status'), {
      code: 1,
      signal: null,
      stdout: 'apiserver is not running\n',
      stderr: '',
    });
    assert.match(
      (await container('system', 'status', '--format', 'json')).stdout,
      /"status":"not running"\}\n$/,
    );
  });

  it('reports a running service with the full table and sorted compact JSON', async () => {
    const table = await container('system', 'status');
    assert.equal(table.code, 0);
    const lines = table.stdout.split('\n');
    assert.equal(lines[0], 'FIELD              VALUE');
    assert.equal(lines[1], 'status             running');
    assert.equal(lines[4], 'logRoot            ');
    assert.equal(
      lines[5],
      'apiserver.version  container-apiserver version 1.2.2 (build: release, commit: af405ff)',
    );
    const json = await container('system', 'status', '--format', 'json');
    assert.equal(json.code, 0);
    assert.match(
      json.stdout,
      /^\{"apiServerAppName":"container-apiserver","apiServerBuild":"release","apiServerCommit":"af405ffd5a4d8e9ec872bc15351af41130c39b94","apiServerVersion":"container-apiserver version 1\.2\.2 \(build: release, commit: af405ff\)","appRoot":"\\\/.*\\\/","installRoot":".*","status":"running"\}\n$/,
    );
  });

  it('prints the XPC error of server commands with the hint line and exit 1', async () => {
    double.setSystem('unregistered');
    const result = await container('ls');
    assert.deepEqual(result, {
      code: 1,
      signal: null,
      stdout: '',
      stderr: `Error: internalError: "failed to list containers" (cause: "interrupted: "XPC connection error: Connection invalid"")\n${HINT}\n`,
    });
    assert.match(
      (await container('stop', 'web')).stderr,
      /^Error: internalError: "failed to stop container" \(cause: "interrupted: /,
    );
  });

  it('prints the short XPC error for commands that read the system configuration first', async () => {
    double.setSystem('not running');
    for (const args of [
      ['run', '-d', 'alpine'],
      ['image', 'ls'],
      ['build', '.'],
    ]) {
      const result = await container(...args);
      assert.deepEqual(
        result,
        {
          code: 1,
          signal: null,
          stdout: '',
          stderr: `Error: interrupted: "XPC connection error: Connection invalid"\n${HINT}\n`,
        },
        args.join(' '),
      );
    }
  });

  it('starts an unregistered service and stays idempotent with either kernel flag', async () => {
    double.setSystem('unregistered');
    const first = await container('system', 'start', '--enable-kernel-install');
    assert.equal(first.code, 0);
    assert.equal(first.stdout, '');
    assert.equal(double.system().state, 'running');
    assert.deepEqual(await container('system', 'start', '--disable-kernel-install'), {
      code: 0,
      signal: null,
      stdout: '',
      stderr: '',
    });
  });

  it('installs a missing kernel with --enable-kernel-install and leaves it out with --disable', async () => {
    double.setKernelInstalled(false);
    assert.equal((await container('system', 'start', '--disable-kernel-install')).code, 0);
    assert.equal(double.system().kernelInstalled, false);
    const enabled = await container('system', 'start', '--enable-kernel-install');
    assert.equal(enabled.code, 0);
    assert.match(enabled.stderr, /^Installing kernel\.\.\.\n/);
    assert.equal(double.system().kernelInstalled, true);
  });

  it('fails to read the kernel answer from a closed stdin', async () => {
    double.setKernelInstalled(false);
    const result = await container('system', 'start');
    assert.deepEqual(result, {
      code: 1,
      signal: null,
      stdout: KERNEL_PROMPT,
      stderr: 'No default kernel configured.\nError: failed to read user input\n',
    });
  });

  it('blocks on the kernel prompt while stdin stays open without a line', async () => {
    double.setKernelInstalled(false);
    const run = start(['system', 'start'], { stdin: 'pipe' });
    await waitFor(() => run.output().stdout === KERNEL_PROMPT, 'the prompt');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(run.child.exitCode, null, 'still waiting for an answer');
    run.child.kill('SIGKILL');
    assert.equal((await run.done).signal, 'SIGKILL');
    assert.equal(double.system().kernelInstalled, false);
  });

  it('installs the kernel on an empty answer and prints the hint on any other answer', async () => {
    double.setKernelInstalled(false);
    const declined = await start(['system', 'start'], { input: 'n\n' }).done;
    assert.equal(declined.code, 0);
    assert.equal(
      declined.stderr,
      'No default kernel configured.\n' +
        'Please use the `container system kernel set --recommended` command to configure the default kernel\n',
    );
    assert.equal(double.system().kernelInstalled, false);
    const accepted = await start(['system', 'start'], { input: '\n' }).done;
    assert.equal(accepted.code, 0);
    assert.equal(double.system().kernelInstalled, true);
  });

  it('fails system start with the XPC text when the start-fails fault is set', async () => {
    double.setSystem('unregistered');
    double.setFaults({ startFails: true });
    const result = await container('system', 'start', '--enable-kernel-install');
    assert.deepEqual(result, {
      code: 1,
      signal: null,
      stdout: '',
      stderr: `Error: internalError: "failed to get a response from apiserver: interrupted: "XPC connection error: Connection invalid""\n${HINT}\n`,
    });
    assert.equal(double.system().state, 'not running');
  });

  it('stops every container on system stop and forgets startedDate after the next start', async () => {
    double.addImage('sleeper', SLEEPER);
    assert.equal((await container('run', '-d', '--name', 'web', 'sleeper')).code, 0);
    const stopped = await container('system', 'stop');
    assert.equal(stopped.code, 0);
    assert.notEqual(stopped.stdout, '');
    assert.equal(double.system().state, 'unregistered');
    await container('system', 'start', '--enable-kernel-install');
    const listed = JSON.parse((await container('ls', '-a', '--format', 'json')).stdout);
    assert.deepEqual(listed[0].status, { networks: [], state: 'stopped' });
  });

  it('prints the version table and JSON without the apiserver element when it is down', async () => {
    double.setSystem('unregistered');
    const json = await container('system', 'version', '--format', 'json');
    assert.equal(
      json.stdout,
      '[{"appName":"container","buildType":"release","commit":"af405ffd5a4d8e9ec872bc15351af41130c39b94","version":"1.2.2"}]\n',
    );
  });
});

describe('container double: usage errors and faults', () => {
  it('prints the three-part usage text with exit 64', async () => {
    const result = await container('stop', '--foo');
    assert.deepEqual(result, {
      code: 64,
      signal: null,
      stdout: '',
      stderr:
        "Error: Unknown option '--foo'\nUsage: container stop [--all] [--signal <signal>] [--time <time>] [<container-ids> ...] [--debug]\n" +
        "  See 'container stop --help' for more information.\n",
    });
    assert.match(
      (await container('logs')).stderr,
      /^Error: Missing expected argument '<container-id>'\n/,
    );
    assert.match(
      (await container('ls', '--format', 'xml')).stderr,
      /^Error: The value 'xml' is invalid for '--format <format>'\. Please provide one of 'json', 'table', 'yaml' or 'toml'\.\n/,
    );
    assert.equal((await container('restart')).code, 64);
  });

  it('hangs on a configured subcommand until killed', async () => {
    double.hangOn('ls');
    const run = start(['ls', '--format', 'json']);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(run.child.exitCode, null);
    run.child.kill('SIGTERM');
    assert.equal((await run.done).signal, 'SIGTERM');
    assert.equal((await container('inspect', 'x1')).code, 1, 'other commands still answer');
  });

  it('prints half a JSON document under the garbage fault', async () => {
    double.setFaults({ garbageJson: ['ls', 'inspect'] });
    const result = await container('ls', '--format', 'json');
    assert.equal(result.code, 0);
    assert.throws(() => JSON.parse(result.stdout));
  });
});

describe('container double: ls, inspect and run -d', () => {
  it('prints an empty list as [] and nothing at all for -q', async () => {
    assert.equal((await container('ls', '--format', 'json')).stdout, '[]\n');
    assert.equal((await container('ls', '-q')).stdout, '');
    assert.equal(
      (await container('ls')).stdout,
      'ID  IMAGE  OS  ARCH  STATE  IP  CPUS  MEMORY  STARTED\n',
    );
  });

  it('runs the image entrypoint as a real host process and prints the id', async () => {
    double.addImage('sleeper', SLEEPER);
    const bind = join(world.root, 'bind src');
    mkdirSync(bind);
    assert.equal((await container('volume', 'create', 'data-vol')).stdout, 'data-vol\n');
    const result = await container(
      'run',
      '-d',
      '--name',
      'web',
      '-c',
      '2',
      '-m',
      '16G',
      '-v',
      `${bind}:/src:ro`,
      '-v',
      'data-vol:/data',
      '-l',
      'com.example.role=web',
      '-e',
      'EXTRA=1',
      'sleeper',
    );
    assert.deepEqual({ code: result.code, stdout: result.stdout }, { code: 0, stdout: 'web\n' });
    const record = double.container('web');
    assert.ok(record?.runtime.pid && isAlive(record.runtime.pid));
    const [element] = JSON.parse((await container('ls', '--format', 'json')).stdout);
    assert.equal(element.status.state, 'running');
    assert.match(element.status.startedDate, ISO);
    assert.deepEqual(Object.keys(element.status.networks[0]), [
      'hostname',
      'ipv4Address',
      'ipv4Gateway',
      'macAddress',
      'mtu',
      'network',
    ]);
    assert.equal(element.status.networks[0].ipv4Address, '192.168.64.2/24');
    assert.match(element.status.networks[0].macAddress, /^f/);
    assert.deepEqual(element.configuration.resources, {
      cpuOverhead: 1,
      cpus: 2,
      memoryInBytes: 17179869184,
    });
    assert.deepEqual(element.configuration.labels, { 'com.example.role': 'web' });
    assert.deepEqual(element.configuration.mounts, [
      { destination: '/src', options: ['ro'], source: bind, type: { virtiofs: {} } },
      {
        destination: '/data',
        options: [],
        source: join(double.root, 'volumes', 'data-vol', 'volume.img'),
        type: {
          volume: { cache: { on: {} }, format: 'ext4', name: 'data-vol', sync: { fsync: {} } },
        },
      },
    ]);
    assert.deepEqual(element.configuration.initProcess.environment, [
      'PATH=/usr/bin:/bin',
      'EXTRA=1',
    ]);
    assert.match(element.configuration.creationDate, ISO);
  });

  it('prints compact sorted JSON with escaped slashes and lists only running containers without -a', async () => {
    double.addImage('sleeper', SLEEPER);
    await container('create', '--name', 'idle', 'sleeper');
    await container('run', '-d', '--name', 'web', 'sleeper');
    const running = await container('ls', '--format', 'json');
    assert.equal(running.stdout.split('\n').length, 2, 'one line and a newline');
    assert.ok(running.stdout.includes('"reference":"docker.io\\/library\\/sleeper:latest"'));
    assert.ok(
      running.stdout.startsWith('[{"configuration":{"capAdd":[],"capDrop":[],"creationDate":'),
    );
    assert.deepEqual(
      JSON.parse(running.stdout).map((element: { id: string }) => element.id),
      ['web'],
    );
    const all = JSON.parse((await container('ls', '-a', '--format', 'json')).stdout);
    assert.deepEqual(
      all.map((element: { id: string }) => element.id),
      ['idle', 'web'],
    );
    assert.deepEqual(all[0].status, { networks: [], state: 'stopped' });
    assert.equal((await container('ls', '-a', '-q')).stdout, 'idle\nweb\n');
  });

  it('prints inspect output pretty with " : " and fails the whole call for a missing id', async () => {
    double.addImage('sleeper', SLEEPER);
    await container('create', '--name', 'idle', 'sleeper');
    const found = await container('inspect', 'idle');
    assert.equal(found.code, 0);
    assert.ok(
      found.stdout.startsWith('[\n  {\n    "configuration" : {\n      "capAdd" : [\n\n      ],\n'),
    );
    assert.ok(
      found.stdout.endsWith(
        '    "id" : "idle",\n    "status" : {\n      "networks" : [\n\n      ],\n      "state" : "stopped"\n    }\n  }\n]\n',
      ),
    );
    assert.deepEqual(await container('inspect', 'idle', 'zz', 'aa'), {
      code: 1,
      signal: null,
      stdout: '',
      stderr: 'Error: container not found: aa, zz\n',
    });
  });

  it('refuses invalid and duplicate names', async () => {
    double.addImage('sleeper', SLEEPER);
    assert.deepEqual(await container('run', '-d', '--name', 'x', 'sleeper'), {
      code: 1,
      signal: null,
      stdout: '',
      stderr: 'Error: container ID x is not a valid container ID\n',
    });
    await container('run', '-d', '--name', 'web', 'sleeper');
    assert.deepEqual(await container('run', '-d', '--name', 'web', 'sleeper'), {
      code: 1,
      signal: null,
      stdout: '',
      stderr: 'Error: container with id web already exists\n',
    });
    assert.equal(
      (await container('create', '--name', 'web', 'sleeper')).stderr,
      'Error: container already exists: web\n',
    );
  });

  it('prints plain progress lines on stderr unless --progress none', async () => {
    double.addImage('sleeper', SLEEPER);
    const noisy = await container('run', '-d', '--name', 'noisy', 'sleeper');
    assert.equal(noisy.code, 0);
    assert.match(noisy.stderr, /^\[1\/3\] Fetching image/);
    const quiet = await container('run', '-d', '--name', 'quiet', '--progress', 'none', 'sleeper');
    assert.deepEqual({ code: quiet.code, stderr: quiet.stderr }, { code: 0, stderr: '' });
  });

  it('substitutes ${mount:…} in the environment and arguments with the host paths', async () => {
    const status = join(world.root, 'status');
    mkdirSync(status);
    await container('volume', 'create', 'ws-vol');
    double.addImage(
      'writer',
      shell('echo "$OUT" > "$0/out.txt"; echo ok > ${mount:/ws}/marker; sleep 30', {
        Cmd: ['${mount:/run/workbench}'],
        Env: ['PATH=/usr/bin:/bin', 'OUT=${mount:/ws}/x'],
      }),
    );
    await container(
      'run',
      '-d',
      '--name',
      'writer',
      '-v',
      `${status}:/run/workbench`,
      '-v',
      'ws-vol:/ws',
      'writer',
    );
    const volumeDir = double.volumeDataDir('ws-vol');
    await waitFor(
      () => existsSync(join(status, 'out.txt')) && existsSync(join(volumeDir, 'marker')),
      'the files',
    );
    assert.equal(readFileSync(join(status, 'out.txt'), 'utf8'), `${volumeDir}/x\n`);
  });

  it('refuses a bind mount whose source does not exist', async () => {
    double.addImage('sleeper', SLEEPER);
    assert.equal(
      (await container('run', '-d', '--name', 'web', '-v', '/nonexistent/x:/x', 'sleeper')).stderr,
      "Error: mount source path '/nonexistent/x' does not exist\n",
    );
  });
});

describe('container double: foreground run and signals', () => {
  it('relays stdout, stderr and the exit code of the process', async () => {
    double.addImage('exiter', shell('echo out; echo err >&2; exit 7'));
    const result = await container('run', '--progress', 'none', '--name', 'fg', 'exiter');
    assert.deepEqual(result, { code: 7, signal: null, stdout: 'out\n', stderr: 'err\n' });
    assert.equal(double.container('fg')?.state, 'stopped');
    assert.equal(double.stdioLog('fg'), 'out\nerr\n');
  });

  it('exits 128 + signal when the process is killed by a signal', async () => {
    double.addImage('suicide', shell('kill -KILL $$'));
    assert.equal(
      (await container('run', '--rm', '--progress', 'none', '--name', 'fg', 'suicide')).code,
      137,
    );
  });

  it('forwards SIGTERM to the process and relays its exit code', async () => {
    double.addImage('sleeper', SLEEPER);
    const run = start(['run', '--progress', 'none', '--name', 'fg', 'sleeper']);
    await waitFor(() => run.output().stdout.includes('started'), 'the process');
    run.child.kill('SIGTERM');
    const result = await run.done;
    assert.deepEqual(result, { code: 3, signal: null, stdout: 'started\ngot TERM\n', stderr: '' });
  });

  it('forwards SIGUSR1 and exits 1 after the third SIGINT/SIGTERM', async () => {
    double.addImage(
      'stubborn',
      shell(
        'trap "echo usr1" USR1; trap "echo ignoring" TERM INT; echo ready; while true; do sleep 0.05; done',
      ),
    );
    const run = start(['run', '--progress', 'none', '--name', 'fg', 'stubborn']);
    await waitFor(() => run.output().stdout.includes('ready'), 'the process');
    run.child.kill('SIGUSR1');
    await waitFor(() => run.output().stdout.includes('usr1'), 'SIGUSR1');
    run.child.kill('SIGINT');
    await waitFor(() => run.output().stdout.split('ignoring').length === 2, 'the first signal');
    run.child.kill('SIGTERM');
    await waitFor(() => run.output().stdout.split('ignoring').length === 3, 'the second signal');
    run.child.kill('SIGINT');
    const result = await run.done;
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "Received 3 SIGINT/SIGTERM's, forcefully exiting.\n");
    assert.equal(double.container('fg')?.state, 'running', 'the container outlives the CLI');
  });

  it('deletes a --rm container when its process ends', async () => {
    double.addImage('quick', shell('exit 0'));
    assert.equal(
      (await container('run', '--rm', '--progress', 'none', '--name', 'gone', 'quick')).code,
      0,
    );
    assert.equal(double.container('gone'), null);
    double.addImage('sleeper', SLEEPER);
    await container('run', '-d', '--rm', '--name', 'gone2', 'sleeper');
    assert.equal((await container('stop', 'gone2')).stdout, 'gone2\n');
    assert.equal(double.container('gone2'), null);
  });
});

describe('container double: stop, kill, delete', () => {
  it('stops with the signal and keeps startedDate, printing the id', async () => {
    double.addImage('sleeper', SLEEPER);
    await container('run', '-d', '--name', 'web', 'sleeper');
    const pid = double.container('web')?.runtime.pid ?? 0;
    assert.deepEqual(await container('stop', '-t', '5', 'web'), {
      code: 0,
      signal: null,
      stdout: 'web\n',
      stderr: '',
    });
    const record = double.container('web');
    assert.equal(record?.state, 'stopped');
    assert.deepEqual(record?.networks, []);
    assert.match(record?.startedDate ?? '', ISO);
    assert.equal(isAlive(pid), false);
    assert.equal(double.stdioLog('web'), 'started\ngot TERM\n');
    assert.equal(
      (await container('stop', 'web')).stdout,
      'web\n',
      'stopping a stopped container succeeds',
    );
  });

  it('shows stopping while it waits, then kills a process that ignores the signal', async () => {
    double.addImage('stubborn', STUBBORN);
    await container('run', '-d', '--name', 'web', 'stubborn');
    const stopping = start(['stop', '-t', '1', 'web']);
    await double.waitForState('web', 'stopping');
    const result = await stopping.done;
    assert.deepEqual({ code: result.code, stdout: result.stdout }, { code: 0, stdout: 'web\n' });
    assert.equal(double.container('web')?.state, 'stopped');
    assert.equal(double.container('web')?.runtime.lastExit?.signal, 'SIGKILL');
  });

  it('reports missing ids in the long aggregate form and refuses a call without ids', async () => {
    assert.deepEqual(await container('stop', 'nope'), {
      code: 1,
      signal: null,
      stdout: '',
      stderr:
        'Error: internalError: "failed to stop container" (cause: "notFound: "container with ID nope not found"")\n',
    });
    assert.equal(
      (await container('stop')).stderr,
      'Error: no containers specified and --all not supplied\n',
    );
  });

  it('leaves a container in stopping and fails after -t seconds under the stuck fault', async () => {
    double.addImage('sleeper', SLEEPER);
    await container('run', '-d', '--name', 'web', 'sleeper');
    double.setFaults({ stuckStopping: 'timeout' });
    const result = await container('stop', '-t', '1', 'web');
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'Error: internalError: "failed to stop container" ' +
        '(cause: "timeout: "timed out waiting for container web to stop"")\n',
    );
    assert.equal(double.container('web')?.state, 'stopping');
    assert.equal(
      (await container('delete', '-f', 'web')).stderr,
      'Error: internalError: "failed to delete container" (cause: "invalidState: "container web is stopping and can not be deleted"")\n',
    );
  });

  it('hangs in stop under the stuck fault in hang mode', async () => {
    double.addImage('sleeper', SLEEPER);
    await container('run', '-d', '--name', 'web', 'sleeper');
    double.setFaults({ stuckStopping: 'hang' });
    const stopping = start(['stop', '-t', '0', 'web']);
    await double.waitForState('web', 'stopping');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(stopping.child.exitCode, null);
    stopping.child.kill('SIGKILL');
    await stopping.done;
  });

  it('kills with SIGKILL by default and refuses to kill a stopped container', async () => {
    double.addImage('sleeper', SLEEPER);
    await container('run', '-d', '--name', 'web', 'sleeper');
    assert.equal((await container('kill', 'web')).stdout, 'web\n');
    await double.waitForState('web', 'stopped');
    assert.equal(
      (await container('kill', 'web')).stderr,
      'Error: internalError: "failed to kill container" (cause: "invalidState: "no runtime client exists: container is stopped"")\n',
    );
  });

  it('refuses to delete a running container without -f and deletes it with -f', async () => {
    double.addImage('sleeper', SLEEPER);
    await container('run', '-d', '--name', 'web', 'sleeper');
    assert.deepEqual(await container('delete', 'web'), {
      code: 1,
      signal: null,
      stdout: '',
      stderr:
        'Error: internalError: "failed to delete container" (cause: "invalidState: "container web is running and can not be deleted"")\n',
    });
    assert.equal((await container('delete', '-f', 'web')).stdout, 'web\n');
    assert.equal(double.container('web'), null);
    assert.equal(
      (await container('rm', 'web')).stderr,
      'Error: internalError: "failed to delete container" (cause: "notFound: "container with ID web not found"")\n',
    );
  });
});

describe('container double: exec, logs, stats', () => {
  it('runs exec on the host with the init environment and mount paths, relaying the exit code', async () => {
    const bind = join(world.root, 'status');
    mkdirSync(bind);
    writeFileSync(join(bind, 'status.json'), '{"ok":true}');
    double.addImage('sleeper', { ...SLEEPER, Env: ['PATH=/usr/bin:/bin', 'GREETING=hello'] });
    await container('run', '-d', '--name', 'web', '-v', `${bind}:/run/workbench`, 'sleeper');
    assert.deepEqual(await container('exec', 'web', 'cat', '/run/workbench/status.json'), {
      code: 0,
      signal: null,
      stdout: '{"ok":true}',
      stderr: '',
    });
    assert.deepEqual(
      await container('exec', 'web', 'sh', '-c', 'echo $GREETING; echo oops >&2; exit 4'),
      {
        code: 4,
        signal: null,
        stdout: 'hello\n',
        stderr: 'oops\n',
      },
    );
    assert.deepEqual(await container('exec', 'web', 'no-such-program'), {
      code: 255,
      signal: null,
      stdout: '',
      stderr: '',
    });
    assert.equal(double.stdioLog('web'), 'started\n', 'exec output never reaches the logs');
  });

  it('refuses exec in a stopped or missing container', async () => {
    double.addImage('sleeper', SLEEPER);
    await container('create', '--name', 'idle', 'sleeper');
    assert.equal(
      (await container('exec', 'idle', 'true')).stderr,
      'Error: container idle is not running\n',
    );
    assert.equal(
      (await container('exec', 'nope', 'true')).stderr,
      'Error: get failed: container nope not found\n',
    );
  });

  it('prints the merged log, drops empty lines with -n and follows with -f', async () => {
    double.addImage(
      'chatty',
      shell('echo one; echo; sleep 0.1; echo two >&2; sleep 0.1; echo three; sleep 30'),
    );
    await container('run', '-d', '--name', 'web', 'chatty');
    await waitFor(() => double.stdioLog('web').includes('three'), 'the output');
    assert.equal((await container('logs', 'web')).stdout, 'one\n\ntwo\nthree\n');
    assert.equal((await container('logs', '-n', '2', 'web')).stdout, 'two\nthree\n');
    const follow = start(['logs', '-f', 'web']);
    await waitFor(() => follow.output().stdout === 'one\n\ntwo\nthree\n', 'the current content');
    await container(
      'exec',
      'web',
      'sh',
      '-c',
      `echo four >> ${join(double.root, 'containers', 'web', 'stdio.log')}`,
    );
    await waitFor(() => follow.output().stdout.endsWith('four\n'), 'the new line');
    follow.child.kill('SIGTERM');
    await follow.done;
    assert.match(
      (await container('logs', 'nope')).stderr,
      /^Error: failed to get logs for container nope \(cause: "internalError: /,
    );
  });

  it('prints one stats sample as compact JSON for running containers only', async () => {
    double.addImage('sleeper', SLEEPER);
    await container('run', '-d', '--name', 'web', 'sleeper');
    await container('create', '--name', 'idle', 'sleeper');
    const [sample] = JSON.parse(
      (await container('stats', '--no-stream', '--format', 'json')).stdout,
    );
    assert.equal(sample.id, 'web');
    assert.equal(sample.memoryLimitBytes, 1073741824);
    assert.equal(
      (await container('stats', '--no-stream', '--format', 'json', 'idle')).stdout,
      '[]\n',
    );
    assert.equal(
      (await container('stats', '--no-stream', '--format', 'json', 'nope')).stderr,
      'Error: no such container: nope\n',
    );
  });
});

describe('container double: volumes, images and build', () => {
  it('creates, lists, inspects and refuses duplicate volumes', async () => {
    assert.equal((await container('volume', 'create', 'data-vol')).stdout, 'data-vol\n');
    assert.equal(
      (await container('volume', 'create', 'data-vol')).stderr,
      "Error: volume 'data-vol' already exists\n",
    );
    const [element] = JSON.parse((await container('volume', 'ls', '--format', 'json')).stdout);
    assert.deepEqual(Object.keys(element.configuration), [
      'creationDate',
      'driver',
      'format',
      'labels',
      'name',
      'options',
      'sizeInBytes',
      'source',
    ]);
    assert.equal(element.configuration.sizeInBytes, 549755813888);
    assert.equal(element.id, 'data-vol');
    assert.equal(
      (await container('volume', 'inspect', 'nope')).stderr,
      'Error: volume not found: nope\n',
    );
    assert.equal((await container('volume', 'create', '--size', '1G', 'other')).code, 64);
  });

  it('refuses to delete a missing volume or one a container uses, and prunes unused ones', async () => {
    double.addImage('sleeper', SLEEPER);
    await container('volume', 'create', 'used-vol');
    await container('volume', 'create', 'free-vol');
    await container('create', '--name', 'idle', '-v', 'used-vol:/data', 'sleeper');
    assert.equal(
      (await container('volume', 'rm', 'nope', 'free-vol')).stderr,
      'Error: failed to delete one or more volumes: ["nope"]\n',
    );
    assert.equal(double.volumes().length, 2, 'nothing deleted');
    const busy = await container('volume', 'rm', 'used-vol');
    assert.equal(busy.code, 1);
    assert.match(
      busy.stderr,
      /volume 'used-vol' is currently in use and cannot be accessed by another container, or deleted/,
    );
    assert.ok(busy.stderr.endsWith('Error: delete failed for one or more volumes: ["used-vol"]\n'));
    assert.equal((await container('volume', 'prune')).stdout, 'free-vol\n');
  });

  it('lists, inspects, pulls and deletes images', async () => {
    double.addImage('alpine', { Cmd: ['/bin/sh'] }, { local: false });
    assert.equal((await container('image', 'ls', '--format', 'json')).stdout, '[]\n');
    assert.equal(
      (await container('image', 'inspect', 'alpine')).stderr,
      'Error: image not found: alpine\n',
    );
    const pulled = await container('image', 'pull', 'alpine');
    assert.deepEqual({ code: pulled.code, stdout: pulled.stdout }, { code: 0, stdout: '' });
    const [image] = JSON.parse((await container('image', 'ls', '--format', 'json')).stdout);
    assert.equal(image.configuration.name, 'docker.io/library/alpine:latest');
    assert.deepEqual(image.variants[0].config.config, { Cmd: ['/bin/sh'] });
    assert.equal((await container('image', 'rm', 'alpine')).stdout, 'alpine\n');
  });

  it('builds an image with the template config, logging on stderr and printing the normalised name', async () => {
    const context = join(world.root, 'ctx');
    mkdirSync(context);
    writeFileSync(
      join(context, 'Containerfile'),
      'FROM node:20\nENTRYPOINT ["workbench-supervisor"]\n',
    );
    double.setBuildTemplate({
      Entrypoint: ['/bin/sh', '-c', 'sleep 30'],
      Env: ['PATH=/usr/bin:/bin'],
    });
    const result = await container(
      'build',
      '-t',
      'codewhale-workbench:latest',
      '-f',
      join(context, 'Containerfile'),
      context,
    );
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'docker.io/library/codewhale-workbench:latest\n');
    assert.match(result.stderr, /^#1 \[internal\] load build definition from Containerfile\n/);
    assert.deepEqual(double.images()[0]?.config.Entrypoint, ['/bin/sh', '-c', 'sleep 30']);
    assert.ok(
      JSON.parse((await container('ls', '--format', 'json')).stdout).some(
        (element: { id: string }) => element.id === 'buildkit',
      ),
    );
    const missing = await container('build', '-t', 'x:latest', join(world.root, 'nope'));
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /^Error: context dir does not exist .*\nUsage: container build /);
  });

  it('reads the image config from the Containerfile when no template is set', async () => {
    const context = join(world.root, 'ctx');
    mkdirSync(context);
    writeFileSync(
      join(context, 'Containerfile'),
      'FROM node:20\nENV A=1 B="two words"\nWORKDIR /opt/app\nENTRYPOINT ["node", "main.js"]\n',
    );
    await container('build', '-t', 'app', context);
    assert.deepEqual(double.images()[0]?.config, {
      Entrypoint: ['node', 'main.js'],
      Env: ['A=1', 'B=two words'],
      WorkingDir: '/opt/app',
    });
  });
});

describe('container double: pre-1.0 mode', () => {
  it('prints string status, top-level networks and reference-date numbers', async () => {
    double.setMode('pre-1.0');
    double.addImage('sleeper', SLEEPER);
    await container('run', '-d', '--name', 'web', 'sleeper');
    const [element] = JSON.parse((await container('ls', '--format', 'json')).stdout);
    assert.equal(element.status, 'running');
    assert.equal(element.networks[0].ipv4Address, '192.168.64.2/24');
    assert.equal(typeof element.startedDate, 'number');
    assert.ok(Math.abs(element.startedDate + 978307200 - Date.now() / 1000) < 120);
    assert.equal(
      (await container('--version')).stdout,
      'container CLI version 0.9.0 (build: release, commit: 5f4b3c1)\n',
    );
  });

  it('never fails inspect and has no system status --format', async () => {
    double.setMode('pre-1.0');
    assert.deepEqual(await container('inspect', 'nope'), {
      code: 0,
      signal: null,
      stdout: '[]\n',
      stderr: '',
    });
    assert.equal((await container('system', 'status', '--format', 'json')).code, 64);
    assert.match((await container('system', 'status')).stdout, /^apiserver is running\n/);
    double.setSystem('unregistered');
    assert.equal(
      (await container('ls')).stderr,
      `Error: interrupted: "XPC connection error: Connection invalid\n${HINT}"\n`,
    );
  });
});
