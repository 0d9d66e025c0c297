import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, afterEach, before, describe, test } from 'node:test';

import {
  findCaffeinateAssertions,
  parseAssertions,
  parsePmsetLive,
  parsePowerSource,
} from '../../src/core/power.js';
import { runCommand } from '../../src/core/run-command.js';
import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';
import { PowerControl } from '../doubles/power-control.js';

const REFERENCE_SAMPLE = [
  '2025-11-02 13:20:57 -0600 ',
  'Assertion status system-wide:',
  '   BackgroundTask                 0',
  '   UserIsActive                   1',
  '   PreventUserIdleSystemSleep     1',
  'Listed by owning process:',
  '   pid 98217(caffeinate): [0x00045477000194b3] 00:00:03 PreventUserIdleSystemSleep named: "caffeinate command-line tool"  ',
  '\tDetails: caffeinate asserting for 1600 secs',
  '\tLocalized=THE CAFFEINATE TOOL IS PREVENTING SLEEP.',
  '\tTimeout will fire in 1597 secs Action=TimeoutActionRelease',
  '   pid 80(powerd): [0x00044f2f00019216] 00:22:34 PreventUserIdleSystemSleep named: "Powerd - Prevent sleep while display is on"  ',
  '   pid 412(Google Chrome Helper (Renderer)): [0x0004547700019999] 01:02:03 NoIdleSleepAssertion named: "Playing audio" (timed out) ',
  'No kernel assertions.',
  'Idle sleep preventers: IODisplayWrangler',
  '',
].join('\n');

describe('parseAssertions', () => {
  test('reads each owning-process line with its details', () => {
    assert.deepEqual(parseAssertions(REFERENCE_SAMPLE), [
      {
        pid: 98217,
        process: 'caffeinate',
        type: 'PreventUserIdleSystemSleep',
        name: 'caffeinate command-line tool',
        details: 'caffeinate asserting for 1600 secs',
        timedOut: false,
      },
      {
        pid: 80,
        process: 'powerd',
        type: 'PreventUserIdleSystemSleep',
        name: 'Powerd - Prevent sleep while display is on',
        details: null,
        timedOut: false,
      },
      {
        pid: 412,
        process: 'Google Chrome Helper (Renderer)',
        type: 'NoIdleSleepAssertion',
        name: 'Playing audio',
        details: null,
        timedOut: true,
      },
    ]);
  });

  test('finds nothing when only the summary names the assertion type', () => {
    const summaryOnly = REFERENCE_SAMPLE.split('\n')
      .filter((line) => !line.startsWith('   pid') && !line.startsWith('\t'))
      .join('\n');

    assert.deepEqual(parseAssertions(summaryOnly), []);
  });

  test('finds the caffeinate assertions of one pid only', () => {
    const entries = parseAssertions(REFERENCE_SAMPLE);

    assert.equal(findCaffeinateAssertions(entries, 98217).length, 1);
    assert.equal(findCaffeinateAssertions(entries, 80).length, 0);
    assert.equal(findCaffeinateAssertions(entries, 1).length, 0);
  });
});

describe('parsePmsetLive', () => {
  test('reads padded rows, raw long names, the sleep override and SleepDisabled', () => {
    const text = [
      'System-wide power settings:',
      ' SleepDisabled\t\t1',
      'Currently in use:',
      ' hibernatefile        /var/vm/sleepimage',
      ' displaysleep         28 (display sleep prevented by caffeinate)',
      ' sleep                1 (sleep prevented by caffeinate, powerd)',
      ' highstandbythreshold 80',
      ' Sleep On Power Button 1',
      ' womp                 0',
      '',
    ].join('\n');

    assert.deepEqual(parsePmsetLive(text), {
      settings: {
        hibernatefile: '/var/vm/sleepimage',
        displaysleep: '28',
        sleep: '1',
        highstandbythreshold: '80',
        'Sleep On Power Button': '1',
        womp: '0',
      },
      sleepPreventedBy: ['caffeinate', 'powerd'],
      displaySleepPreventedBy: ['caffeinate'],
      sleepDisabled: true,
    });
  });
});

describe('parsePowerSource', () => {
  test('reads the source from the first line of pmset -g batt', () => {
    assert.equal(
      parsePowerSource(
        "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t40%; discharging\n",
      ),
      'battery',
    );
    assert.equal(parsePowerSource("Now drawing from 'AC Power'\n"), 'ac');
    assert.equal(parsePowerSource('No power source info available\n'), null);
  });
});

describe('parsers against the pmset double', () => {
  let world: DoubleWorld;
  let power: PowerControl;

  before(() => {
    world = createDoubleWorld();
    power = new PowerControl(world);
  });
  afterEach(() => power.killAllCaffeinates());
  after(() => world.cleanup());

  test('see a running caffeinate and lose it after SIGKILL', async () => {
    const child = spawn(world.commands.caffeinate, ['-i', '-s'], {
      env: world.env,
      stdio: 'ignore',
    });
    await power.waitForAssertions((live) => live.some((assertion) => assertion.pid === child.pid));
    const read = async (args: string[]) =>
      (await runCommand(world.commands.pmset, args, { timeoutMs: 20_000, env: world.env })).stdout;

    const held = findCaffeinateAssertions(
      parseAssertions(await read(['-g', 'assertions'])),
      child.pid!,
    );
    const live = parsePmsetLive(await read(['-g']));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const afterKill = parseAssertions(await read(['-g', 'assertions']));

    assert.deepEqual(
      held.map((entry) => entry.type),
      ['PreventUserIdleSystemSleep', 'PreventSystemSleep'],
    );
    assert.deepEqual(live.sleepPreventedBy, ['caffeinate']);
    assert.equal(live.settings.sleep, '1');
    assert.deepEqual(findCaffeinateAssertions(afterKill, child.pid!), []);
    assert.deepEqual(
      afterKill.map((entry) => entry.process),
      ['powerd'],
    );
  });
});
