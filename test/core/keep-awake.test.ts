import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import * as plist from 'plist';

import { WorkbenchError } from '../../src/core/errors.js';
import { KeepAwake, keepAwakeFromList, type KeepAwakeTimeouts } from '../../src/core/keep-awake.js';
import {
  AWAKE_AGENT_LABEL,
  currentUid,
  workbenchPaths,
  type WorkbenchPaths,
} from '../../src/core/platform.js';
import { findCaffeinateAssertions, parseAssertions } from '../../src/core/power.js';
import { runCommand } from '../../src/core/run-command.js';
import { createDoubleWorld, REPO_ROOT, type DoubleWorld } from '../helpers/double-env.js';
import { LaunchdControl } from '../doubles/launchd-control.js';
import { PowerControl, isProcessAlive } from '../doubles/power-control.js';

let world: DoubleWorld;
let paths: WorkbenchPaths;
let power: PowerControl;
let launchd: LaunchdControl;
const worlds: DoubleWorld[] = [];

beforeEach(() => {
  world = createDoubleWorld();
  worlds.push(world);
  paths = workbenchPaths(world.home, world.env);
  power = new PowerControl(world);
  launchd = new LaunchdControl(world.doubleState);
});

afterEach(async () => {
  await launchd.killAll();
  await power.killAllCaffeinates();
});

after(() => {
  for (const each of worlds) each.cleanup();
});

function keepAwake(
  commands = world.commands,
  timeouts: Partial<KeepAwakeTimeouts> = {},
): KeepAwake {
  return new KeepAwake({ paths, commands, uid: currentUid(), env: world.env, timeouts });
}

async function caffeinateAssertionsOf(pid: number) {
  const result = await runCommand(world.commands.pmset, ['-g', 'assertions'], {
    timeoutMs: 20_000,
    env: world.env,
  });

  return findCaffeinateAssertions(parseAssertions(result.stdout), pid).map((entry) => entry.type);
}

function commandLineOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

/** What login does: bootstrap every plist in the LaunchAgents folder. */
async function bootstrapAtLogin(): Promise<void> {
  for (const name of readdirSync(world.launchAgentsDir).filter((entry) =>
    entry.endsWith('.plist'),
  )) {
    const args = ['bootstrap', `gui/${currentUid()}`, join(world.launchAgentsDir, name)];
    const result = await runCommand(world.commands.launchctl, args, {
      timeoutMs: 20_000,
      env: world.env,
    });
    assert.equal(result.exitCode, 0, result.stderr);
  }
}

describe('keep-awake', () => {
  test('runs a real caffeinate -i -s under launchd whose assertion pmset lists', async () => {
    const status = await keepAwake().enable();
    const job = launchd.job(AWAKE_AGENT_LABEL);

    assert.equal(status.enabled, true);
    assert.equal(status.active, true);
    assert.equal(status.assertion, true);
    assert.equal(status.detail, null);
    assert.equal(status.pid, job?.pid);
    assert.deepEqual(commandLineOf(status.pid!).slice(-3), [world.commands.caffeinate, '-i', '-s']);
    assert.deepEqual(await caffeinateAssertionsOf(status.pid!), [
      'PreventUserIdleSystemSleep',
      'PreventSystemSleep',
    ]);
  });

  test('writes a plist with absolute caffeinate, RunAtLoad, KeepAlive, throttle 10, exit timeout 5 and logs', async () => {
    await keepAwake().enable();
    const written = plist.parse(readFileSync(paths.awakePlist, 'utf8')) as Record<string, unknown>;

    assert.equal(written.Label, 'com.codewhale.workbench.keep-awake');
    assert.deepEqual(written.ProgramArguments, [world.commands.caffeinate, '-i', '-s']);
    assert.equal(written.RunAtLoad, true);
    assert.equal(written.KeepAlive, true);
    assert.equal(written.ThrottleInterval, 10);
    assert.equal(written.ExitTimeOut, 5);
    assert.equal(written.StandardOutPath, join(world.home, 'logs', 'keep-awake.out.log'));
    assert.equal(written.StandardErrorPath, join(world.home, 'logs', 'keep-awake.err.log'));
  });

  test('keeps the same caffeinate when turned on twice', async () => {
    const first = await keepAwake().enable();
    const second = await keepAwake().enable();

    assert.equal(second.pid, first.pid);
    assert.equal(launchd.job(AWAKE_AGENT_LABEL)?.runs, 1);
  });

  test('keeps caffeinate running after the process that turned it on has exited', async () => {
    const script = [
      "import { KeepAwake } from './src/core/keep-awake.ts';",
      "import { workbenchPaths, currentUid, resolveCommandPaths } from './src/core/platform.ts';",
      'const env = process.env;',
      'const paths = workbenchPaths(env.WORKBENCH_HOME, env);',
      'const status = await new KeepAwake({ paths, commands: resolveCommandPaths({}, env), uid: currentUid(), env }).enable();',
      'console.log(JSON.stringify({ app: process.pid, caffeinate: status.pid }));',
    ].join('\n');
    const app = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: REPO_ROOT,
        env: world.env,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(app.status, 0, app.stderr);
    const { app: appPid, caffeinate } = JSON.parse(app.stdout) as {
      app: number;
      caffeinate: number;
    };

    assert.equal(isProcessAlive(appPid), false);
    assert.equal(isProcessAlive(caffeinate), true);
    assert.ok(!commandLineOf(caffeinate).includes('-w'));
    const status = await keepAwake().status();
    assert.deepEqual([status.active, status.pid, status.assertion], [true, caffeinate, true]);
  });

  test('comes back after a reboot once login loads the installed plist again', async () => {
    const before = await keepAwake().enable();

    await launchd.killAll();
    assert.equal(isProcessAlive(before.pid!), false);
    const down = await keepAwake().status();
    assert.deepEqual([down.enabled, down.active, down.assertion], [true, false, null]);

    await bootstrapAtLogin();
    const pid = await launchd.waitForPid(AWAKE_AGENT_LABEL);
    await power.waitForAssertions((live) => live.some((assertion) => assertion.pid === pid));
    const up = await keepAwake().status();
    assert.deepEqual([up.enabled, up.active, up.pid, up.assertion], [true, true, pid, true]);
    assert.notEqual(pid, before.pid);
  });

  test('leaves no caffeinate process and no plist when turned off, also when turned off twice', async () => {
    const on = await keepAwake().enable();

    await keepAwake().disable();
    await keepAwake().disable();

    assert.equal(isProcessAlive(on.pid!), false);
    assert.deepEqual(power.findCaffeinatePids(), []);
    assert.deepEqual(power.readLiveAssertions(), []);
    assert.equal(existsSync(paths.awakePlist), false);
    assert.equal(launchd.job(AWAKE_AGENT_LABEL), null);
    assert.deepEqual(await keepAwake().status(), {
      enabled: false,
      active: false,
      pid: null,
      assertion: null,
      detail: null,
    });
  });

  test('reports a caffeinate killed with SIGKILL as inactive until launchd respawns it', async () => {
    const on = await keepAwake().enable();

    process.kill(on.pid!, 'SIGKILL');
    await launchd.waitForJob(AWAKE_AGENT_LABEL, (job) => job?.pid === null, 'caffeinate gone');
    const killed = await keepAwake().status();
    assert.deepEqual(killed, {
      enabled: true,
      active: false,
      pid: null,
      assertion: null,
      detail: 'caffeinate is not running; launchd restarts it within 10 s',
    });
    assert.deepEqual(await caffeinateAssertionsOf(on.pid!), []);

    const pid = await launchd.waitForPid(AWAKE_AGENT_LABEL, { notPid: on.pid!, timeoutMs: 30_000 });
    await power.waitForAssertions((live) => live.some((assertion) => assertion.pid === pid));
    const back = await keepAwake().status();
    assert.deepEqual([back.active, back.pid, back.assertion], [true, pid, true]);
  });

  test('reports a running job without a sleep assertion as active but not held', async () => {
    const fake = join(world.root, 'not-caffeinate');
    writeFileSync(fake, '#!/bin/sh\nexec sleep 600\n');
    chmodSync(fake, 0o755);
    const status = await keepAwake(
      { ...world.commands, caffeinate: fake },
      { activeWaitMs: 500 },
    ).enable();

    assert.equal(status.active, true);
    assert.equal(status.assertion, false);
    assert.equal(
      status.detail,
      `caffeinate (pid ${status.pid}) runs, but pmset lists no sleep assertion for it`,
    );
  });

  test('refuses to turn on when caffeinate is not at its configured path', async () => {
    const commands = { ...world.commands, caffeinate: join(world.root, 'missing', 'caffeinate') };

    await assert.rejects(keepAwake(commands).enable(), (error: unknown) => {
      assert.ok(error instanceof WorkbenchError);
      assert.equal(error.message, `caffeinate is not installed at ${commands.caffeinate}`);
      assert.equal(
        error.hint,
        'set commands.caffeinate or WORKBENCH_CAFFEINATE_PATH to the full path of caffeinate (normally /usr/bin/caffeinate)',
      );
      return true;
    });
    assert.equal(existsSync(paths.awakePlist), false);
  });

  test('derives enabled and active from one launchctl list row', () => {
    assert.deepEqual(keepAwakeFromList(true, { pid: 42, status: 0 }), {
      enabled: true,
      active: true,
      pid: 42,
    });
    assert.deepEqual(keepAwakeFromList(true, { pid: null, status: -9 }), {
      enabled: true,
      active: false,
      pid: null,
    });
    assert.deepEqual(keepAwakeFromList(true, undefined), {
      enabled: true,
      active: false,
      pid: null,
    });
    assert.deepEqual(keepAwakeFromList(false, { pid: 42, status: 0 }), {
      enabled: false,
      active: false,
      pid: null,
    });
  });
});
