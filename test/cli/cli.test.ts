import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { saveEnvChanges } from '../../src/core/env/index.js';

import {
  createWorkbenchWorld,
  type WorkbenchWorld,
  runWorkbenchCli,
} from '../helpers/workbench-world.js';

let world: WorkbenchWorld;
before(async () => {
  world = await createWorkbenchWorld();
});
after(() => world.dispose());

function workbench(...args: string[]) {
  return runWorkbenchCli(world, args);
}

const COMMANDS = [
  'status',
  'start',
  'stop',
  'restart',
  'agent',
  'awake',
  'env',
  'doctor',
  'logs',
  'setup',
  'teardown',
];

describe('workbench --help', () => {
  it('lists every command', async () => {
    const run = await workbench('--help');
    assert.equal(run.code, 0);
    for (const name of COMMANDS) assert.match(run.stdout, new RegExp(`^  ${name} +\\S`, 'm'));
  });

  for (const name of COMMANDS) {
    it(`prints the usage of ${name}`, async () => {
      const run = await workbench(name, '--help');
      assert.equal(run.code, 0);
      assert.match(run.stdout, new RegExp(`^Usage: workbench ${name}`));
      assert.equal(run.stderr, '');
    });
  }
});

describe('usage errors', () => {
  const cases: [string[], string][] = [
    [
      ['frobnicate'],
      'workbench: unknown command "frobnicate"\n  run `workbench --help` for the list\n',
    ],
    [
      ['status', '--jsn'],
      "workbench: status: Unknown option '--jsn'\n  see `workbench status --help`\n",
    ],
    [
      ['stop', 'now'],
      'workbench: stop: unexpected argument "now"\n  see `workbench stop --help`\n',
    ],
    [
      ['agent'],
      'workbench: agent: missing subcommand\n  use one of: enable, disable, status, run\n',
    ],
    [
      ['awake', 'maybe'],
      'workbench: awake: unknown subcommand "maybe"\n  use one of: on, off, status\n',
    ],
    [
      ['logs', '-n', 'lots'],
      'workbench: logs: -n must be a whole number from 1 to 100000, got "lots"\n',
    ],
  ];
  for (const [args, stderr] of cases) {
    it(`exits 2 for \`workbench ${args.join(' ')}\` and says what to type`, async () => {
      const run = await workbench(...args);
      assert.equal(run.code, 2);
      assert.equal(run.stderr, stderr);
      assert.equal(run.stdout, '');
    });
  }
});

describe('commands against the doubles', () => {
  it('prints a readable status of a stopped workbench and exits 0', async () => {
    const run = await workbench('status');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Workbench stopped\n/);
    assert.match(run.stdout, /^container system  running \(1\.2\.2\)$/m);
    assert.match(run.stdout, /^login agent       off$/m);
  });

  it('reports the agent as not loaded before it is enabled', async () => {
    const run = await workbench('agent', 'status', '--json');
    assert.equal(run.code, 0, run.stderr);
    const state = JSON.parse(run.stdout);
    assert.equal(state.label, 'com.codewhale.workbench');
    assert.equal(state.installed, false);
    assert.equal(state.loaded, false);
  });

  it('turns keep-awake on and off, leaving no caffeinate behind', async () => {
    const on = await workbench('awake', 'on');
    assert.equal(on.code, 0, on.stderr);
    const status = JSON.parse((await workbench('awake', 'status', '--json')).stdout);
    assert.equal(status.enabled, true);
    assert.equal(status.active, true);
    assert.equal(status.assertion, true);
    const off = await workbench('awake', 'off');
    assert.equal(off.code, 0, off.stderr);
    assert.equal(off.stdout, 'Keep awake off: this Mac sleeps as its Energy settings say.\n');
    assert.equal(JSON.parse((await workbench('awake', 'status', '--json')).stdout).enabled, false);
  });

  it('runs the doctor on a healthy, stopped workbench and exits 0', async () => {
    const run = await workbench('doctor', '--json');
    assert.equal(run.code, 0, run.stdout);
    const report = JSON.parse(run.stdout);
    assert.equal(report.failures, 0);
    const levels: string[] = report.checks.map((check: { level: string }) => check.level);
    assert.ok(levels.every((level) => ['ok', 'warn', 'fail', 'info'].includes(level)));
  });

  it('names a missing bot token as a failure and exits 1', async () => {
    const envDir = world.paths().envDir;
    const token = world.botToken;
    saveEnvChanges(envDir, 'bridge', { TELEGRAM_BOT_TOKEN: null });
    const run = await workbench('doctor');
    saveEnvChanges(envDir, 'bridge', { TELEGRAM_BOT_TOKEN: token });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^\[fail\] .*TELEGRAM_BOT_TOKEN/m);
    assert.match(run.stdout, /\d+ failures?\(?s?\)?, \d+ warnings?\(?s?\)?/);
    assert.doesNotMatch(run.stdout, new RegExp(token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });

  it('prints the container output and the supervisor log of a running workbench', async () => {
    assert.equal((await workbench('start', '--wait')).code, 0);
    const logs = await workbench('logs', '-n', '5');
    assert.equal(logs.code, 0, logs.stderr);
    assert.ok(logs.stdout.trim().split('\n').length <= 5);
    const supervisor = await workbench('logs', '--supervisor', '-n', '50');
    assert.match(supervisor.stdout, /runtime starting -> running pid=\d+/);
    assert.equal((await workbench('stop')).code, 0);
  });
});
