import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, afterEach, beforeEach, describe, test } from 'node:test';

import { runCommand } from '../../src/core/run-command.js';
import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';
import { PowerControl } from './power-control.js';

let world: DoubleWorld;
let power: PowerControl;
const worlds: DoubleWorld[] = [];

beforeEach(() => {
  world = createDoubleWorld();
  worlds.push(world);
  power = new PowerControl(world);
});

afterEach(async () => {
  await power.killAllCaffeinates();
});

after(() => {
  for (const each of worlds) each.cleanup();
});

async function pmset(...args: string[]) {
  return runCommand(world.commands.pmset, args, { timeoutMs: 20_000, env: world.env });
}

async function pmsetOut(...args: string[]): Promise<string> {
  const result = await pmset(...args);
  assert.equal(result.exitCode, 0, result.stderr);

  return result.stdout;
}

async function startCaffeinate(args: string[]): Promise<ChildProcess> {
  const child = spawn(world.commands.caffeinate, args, { env: world.env, stdio: 'ignore' });
  await power.waitForAssertions((live) => live.some((assertion) => assertion.pid === child.pid));

  return child;
}

const SUMMARY_IDLE = [
  'Assertion status system-wide:',
  '   BackgroundTask                 0',
  '   ApplePushServiceTask           0',
  '   UserIsActive                   0',
  '   PreventUserIdleDisplaySleep    0',
  '   PreventSystemSleep             0',
  '   ExternalMedia                  0',
  '   PreventUserIdleSystemSleep     1',
  '   NetworkClientActive            0',
];
const POWERD_LINE =
  '   pid 80(powerd): [0x00044f2f00019216] 00:22:34 PreventUserIdleSystemSleep named: "Powerd - Prevent sleep while display is on"  ';

describe('pmset -g assertions double', () => {
  test('prints the date line, the summary, the owners and the kernel line in the reference format', async () => {
    const lines = (await pmsetOut('-g', 'assertions')).split('\n');

    assert.match(lines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} $/);
    assert.deepEqual(lines.slice(1), [
      ...SUMMARY_IDLE,
      'Listed by owning process:',
      POWERD_LINE,
      'No kernel assertions.',
      'Idle sleep preventers: IODisplayWrangler',
      '',
    ]);
  });

  test('lists a running caffeinate with an owner line ending in two spaces and TAB detail lines', async () => {
    const child = await startCaffeinate(['-i', '-t', '600']);
    const text = await pmsetOut('-g', 'assertions');
    const lines = text.split('\n');
    const at = lines.findIndex((line) => line.includes(`pid ${child.pid}(caffeinate)`));

    assert.match(
      lines[at]!,
      new RegExp(
        `^   pid ${child.pid}\\(caffeinate\\): \\[0x[0-9a-f]{16}\\] 00:00:0\\d PreventUserIdleSystemSleep named: "caffeinate command-line tool"  $`,
      ),
    );
    assert.equal(lines[at + 1], '\tDetails: caffeinate asserting for 600 secs');
    assert.equal(lines[at + 2], '\tLocalized=THE CAFFEINATE TOOL IS PREVENTING SLEEP.');
    assert.match(
      lines[at + 3]!,
      /^\tTimeout will fire in (600|599|598) secs Action=TimeoutActionRelease$/,
    );
  });

  test('counts the summary from the live assertions only', async () => {
    power.setOtherAssertions([]);
    const before = await pmsetOut('-g', 'assertions');
    const child = await startCaffeinate(['-d', '-s']);
    const during = await pmsetOut('-g', 'assertions');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const afterKill = await pmsetOut('-g', 'assertions');

    assert.match(before, /^ {3}PreventUserIdleSystemSleep {5}0$/m);
    assert.match(during, /^ {3}PreventUserIdleDisplaySleep {4}1$/m);
    assert.match(during, /^ {3}PreventSystemSleep {13}1$/m);
    assert.match(during, /^\tAssertion applied on AC {2}power only$/m);
    assert.match(afterKill, /^ {3}PreventSystemSleep {13}0$/m);
    assert.doesNotMatch(afterKill, /caffeinate/);
  });
});

describe('pmset -g double', () => {
  test('prints the same settings for -g and -g live', async () => {
    assert.equal(await pmsetOut('-g'), await pmsetOut('-g', 'live'));
  });

  test('pads each setting name to 20 columns', async () => {
    const lines = (await pmsetOut('-g')).split('\n');

    assert.equal(lines[0], 'System-wide power settings:');
    assert.equal(lines[1], 'Currently in use:');
    assert.ok(lines.includes(' hibernatefile        /var/vm/sleepimage'));
    assert.ok(lines.includes(' sleep                1'));
  });

  test('marks sleep as prevented by caffeinate only while one holds an assertion', async () => {
    const child = await startCaffeinate(['-i']);
    const during = await pmsetOut('-g');
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    const afterStop = await pmsetOut('-g');

    assert.match(during, /^ sleep {16}1 \(sleep prevented by caffeinate\)$/m);
    assert.match(afterStop, /^ sleep {16}1$/m);
  });

  test('reports the configured sleep, autorestart and womp values', async () => {
    power.setLiveSettings({ sleep: 0, autorestart: 1, womp: 0 });
    const text = await pmsetOut('-g');

    assert.match(text, /^ sleep {16}0$/m);
    assert.match(text, /^ autorestart {10}1$/m);
    assert.match(text, /^ womp {17}0$/m);
  });

  test('prints SleepDisabled in the system-wide block when it is set', async () => {
    power.setSleepDisabled(1);
    const lines = (await pmsetOut('-g')).split('\n');

    assert.deepEqual(lines.slice(0, 3), [
      'System-wide power settings:',
      ' SleepDisabled\t\t1',
      'Currently in use:',
    ]);
  });
});

describe('pmset -g custom double', () => {
  test('prints the battery and AC profiles of a laptop', async () => {
    power.setCustomSettings('battery', { womp: null });
    const text = await pmsetOut('-g', 'custom');

    assert.match(text, /^Battery Power:\n lidwake {14}1\n/);
    assert.match(text, /\nAC Power:\n lidwake {14}1\n displaysleep {9}10\n/);
  });

  test('prints only the AC profile of a desktop Mac', async () => {
    power.setPowerSource('desktop');
    const text = await pmsetOut('-g', 'custom');

    assert.doesNotMatch(text, /Battery Power:/);
    assert.match(text, /^AC Power:\n/);
  });
});

describe('pmset -g batt double', () => {
  test('names AC power and shows the charging battery of a laptop', async () => {
    assert.equal(
      await pmsetOut('-g', 'batt'),
      "Now drawing from 'AC Power'\n -InternalBattery-0 (id=1234567)\t85%; charging; 1:23 remaining present: true\n",
    );
  });

  test('names battery power when the laptop runs on battery', async () => {
    power.setPowerSource('battery');
    power.setBattery({ percent: 40, remaining: null }, 'Early');

    assert.equal(
      await pmsetOut('-g', 'batt'),
      "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1234567)\t40%; discharging; (no estimate) present: true\n" +
        '\tBattery Warning: Early\n',
    );
  });

  test('omits the time for a battery that is attached but not charging', async () => {
    power.setBattery({ percent: 80, state: 'AC attached; not charging' });

    assert.match(await pmsetOut('-g', 'ps'), /\t80%; AC attached; not charging present: true\n$/);
  });

  test('prints only the source line on a desktop Mac', async () => {
    power.setPowerSource('desktop');

    assert.equal(await pmsetOut('-g', 'batt'), "Now drawing from 'AC Power'\n");
  });
});

describe('pmset errors', () => {
  test('prints "unhandled argument" and the usage on stdout for an unknown getter, exit 1', async () => {
    const result = await pmset('-g', 'bogus');

    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stdout,
      "Error: unhandled argument bogus\nUsage: pmset <options>\nSee pmset(1) for details: 'man pmset'\n",
    );
  });
});
