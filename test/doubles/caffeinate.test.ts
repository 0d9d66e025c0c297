import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { runCommand } from '../../src/core/run-command.js';
import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';
import { PowerControl, isProcessAlive, type LiveAssertion } from './power-control.js';

const USAGE = 'usage: caffeinate [-disu] [-t timeout] [-w Process ID] [command arguments...]\n';
const TIMEOUT = { timeoutMs: 20_000 };

let world: DoubleWorld;
let power: PowerControl;
const children: ChildProcess[] = [];

before(() => {
  world = createDoubleWorld();
  power = new PowerControl(world);
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await power.killAllCaffeinates();
});

after(() => world.cleanup());

function startCaffeinate(args: string[]): ChildProcess {
  const child = spawn(world.commands.caffeinate, args, { env: world.env, stdio: 'ignore' });
  children.push(child);

  return child;
}

function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }

  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function ownedBy(pid: number | undefined) {
  return (assertions: LiveAssertion[]) => assertions.some((assertion) => assertion.pid === pid);
}

async function assertionsOf(args: string[]): Promise<LiveAssertion[]> {
  const child = startCaffeinate(args);
  const live = await power.waitForAssertions(ownedBy(child.pid));

  return live.filter((assertion) => assertion.pid === child.pid);
}

describe('caffeinate double', () => {
  test('creates a PreventUserIdleSystemSleep assertion when no flag is given', async () => {
    const [only, ...rest] = await assertionsOf([]);

    assert.equal(rest.length, 0);
    assert.equal(only?.type, 'PreventUserIdleSystemSleep');
    assert.equal(only?.name, 'caffeinate command-line tool');
    assert.equal(only?.details, 'caffeinate asserting forever');
    assert.equal(only?.timeoutAt, null);
  });

  test('creates one assertion per grouped flag', async () => {
    const types = (await assertionsOf(['-di'])).map((assertion) => assertion.type).sort();

    assert.deepEqual(types, ['PreventUserIdleDisplaySleep', 'PreventUserIdleSystemSleep']);
  });

  test('creates one assertion for each of -i and -s given separately', async () => {
    const types = (await assertionsOf(['-i', '-s'])).map((assertion) => assertion.type).sort();

    assert.deepEqual(types, ['PreventSystemSleep', 'PreventUserIdleSystemSleep']);
  });

  for (const args of [['-t', '60'], ['-t60'], ['-t 60']]) {
    test(`reads the timeout from ${JSON.stringify(args)}`, async () => {
      const [assertion] = await assertionsOf(args);

      assert.equal(assertion?.details, 'caffeinate asserting for 60 secs');
      assert.equal(assertion?.timeoutSecs, 60);
    });
  }

  test('records the -w pid in the details and exits 0 once that process ends', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      stdio: 'ignore',
    });
    children.push(sleeper);
    const caffeinate = startCaffeinate(['-w', String(sleeper.pid), '-t', '300']);
    const live = await power.waitForAssertions(ownedBy(caffeinate.pid));

    assert.equal(
      live.find((assertion) => assertion.pid === caffeinate.pid)?.details,
      `caffeinate asserting on behalf of Process ID ${sleeper.pid} for 300 secs`,
    );
    sleeper.kill('SIGTERM');
    assert.deepEqual(await exitOf(caffeinate), { code: 0, signal: null });
    assert.equal(ownedBy(caffeinate.pid)(power.readLiveAssertions()), false);
  });

  test('exits 0 when its -t timeout passes and leaves no assertion behind', async () => {
    const child = startCaffeinate(['-i', '-t', '1']);
    await power.waitForAssertions(ownedBy(child.pid));

    assert.deepEqual(await exitOf(child), { code: 0, signal: null });
    assert.equal(ownedBy(child.pid)(power.readLiveAssertions()), false);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`dies by ${signal} and removes its assertions first`, async () => {
      const child = startCaffeinate(['-i']);
      await power.waitForAssertions(ownedBy(child.pid));
      child.kill(signal);

      assert.deepEqual(await exitOf(child), { code: null, signal });
      assert.equal(
        existsSync(join(world.doubleState, 'power', 'caffeinate', `${child.pid}.json`)),
        false,
      );
    });
  }

  test('is not reported live after SIGKILL although its record stays on disk', async () => {
    const child = startCaffeinate(['-i']);
    await power.waitForAssertions(ownedBy(child.pid));
    child.kill('SIGKILL');
    await exitOf(child);

    assert.equal(
      existsSync(join(world.doubleState, 'power', 'caffeinate', `${child.pid}.json`)),
      true,
    );
    assert.equal(ownedBy(child.pid)(power.readLiveAssertions()), false);
  });

  test('prints its usage on stderr and exits 0 for -h', async () => {
    const result = await runCommand(world.commands.caffeinate, ['-h'], {
      ...TIMEOUT,
      env: world.env,
    });

    assert.equal(result.exitCode, 0);
    assert.equal(result.stderr, USAGE);
    assert.equal(result.stdout, '');
  });

  test('refuses an unknown flag with the getopt line and the usage, exit 1', async () => {
    const result = await runCommand(world.commands.caffeinate, ['-x'], {
      ...TIMEOUT,
      env: world.env,
    });

    assert.equal(result.exitCode, 1);
    assert.equal(result.stderr, `caffeinate: illegal option -- x\n${USAGE}`);
  });

  test('refuses -t without a value with the getopt line and the usage, exit 1', async () => {
    const result = await runCommand(world.commands.caffeinate, ['-i', '-t'], {
      ...TIMEOUT,
      env: world.env,
    });

    assert.equal(result.exitCode, 1);
    assert.equal(result.stderr, `caffeinate: option requires an argument -- t\n${USAGE}`);
  });

  test('holds its assertion while a utility runs and exits with the utility status', async () => {
    // The utility ends when the test creates its go file: no signal can race its start-up.
    const go = join(world.root, 'utility-go');
    const script =
      'const { existsSync } = require("node:fs"); ' +
      'setInterval(() => existsSync(process.argv[1]) && process.exit(7), 20)';
    const child = startCaffeinate(['-i', process.execPath, '-e', script, go]);
    const live = await power.waitForAssertions(ownedBy(child.pid));
    const details = live.find((assertion) => assertion.pid === child.pid)?.details ?? '';

    assert.match(
      details,
      new RegExp(`^caffeinate asserting on behalf of '${process.execPath}' \\(pid \\d+\\)$`),
    );
    writeFileSync(go, '');
    assert.deepEqual(await exitOf(child), { code: 7, signal: null });
    assert.equal(ownedBy(child.pid)(power.readLiveAssertions()), false);
  });

  test('exits 127 when the utility does not exist', async () => {
    const result = await runCommand(world.commands.caffeinate, ['-i', 'no-such-utility-here'], {
      ...TIMEOUT,
      env: world.env,
    });

    assert.equal(result.exitCode, 127);
    assert.equal(result.stderr, 'caffeinate: no-such-utility-here: No such file or directory\n');
  });

  test('keeps the assertions of many caffeinates started at the same moment', async () => {
    const started = Array.from({ length: 6 }, () => startCaffeinate(['-i']));
    const pids = started.map((child) => child.pid);
    const live = await power.waitForAssertions((assertions) =>
      pids.every((pid) => ownedBy(pid)(assertions)),
    );

    assert.deepEqual(new Set(live.map((assertion) => assertion.pid)), new Set(pids));
  });

  test('ends every caffeinate of the world when asked to kill them all', async () => {
    const started = [startCaffeinate(['-i']), startCaffeinate(['-d', '-t', '600'])];
    await power.waitForAssertions((assertions) =>
      started.every((child) => ownedBy(child.pid)(assertions)),
    );
    const killed = await power.killAllCaffeinates();

    assert.deepEqual(killed.sort(), started.map((child) => child.pid!).sort());
    assert.equal(
      started.some((child) => isProcessAlive(child.pid!)),
      false,
    );
    assert.deepEqual(power.findCaffeinatePids(), []);
  });
});
