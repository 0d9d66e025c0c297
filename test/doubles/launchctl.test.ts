import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as plist from 'plist';

import { runCommand, type CommandResult } from '../../src/core/run-command.js';
import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';
import {
  isProcessAlive,
  LaunchdControl,
  readJobRecords,
  writeJobProgram,
} from './launchd-control.js';

const UID = process.getuid!();
const EIO =
  'Bootstrap failed: 5: Input/output error\nTry re-running the command as root for richer errors.\n';
const NO_DOMAIN = 'Bootstrap failed: 125: Domain does not support specified action\n';

let world: DoubleWorld;
let launchd: LaunchdControl;
let program: string;

beforeEach(() => {
  world = createDoubleWorld();
  launchd = new LaunchdControl(world.doubleState);
  program = writeJobProgram(world.root);
});

afterEach(async () => {
  await launchd.killAll();
  assert.deepEqual(launchd.livePids(), []);
  world.cleanup();
});

function launchctl(...args: string[]): Promise<CommandResult> {
  return runCommand(world.commands.launchctl, args, {
    timeoutMs: 30_000,
    env: { ...world.env, CALLER_ONLY: 'leak' },
  });
}

interface JobOptions {
  modes?: string[];
  keys?: Record<string, unknown>;
}

function recordPath(label: string): string {
  return join(world.root, `${label}.records`);
}

function writeJob(label: string, options: JobOptions = {}): string {
  const path = join(world.launchAgentsDir, `${label}.plist`);
  const document = {
    Label: label,
    ProgramArguments: [process.execPath, program, recordPath(label), ...(options.modes ?? [])],
    EnvironmentVariables: { FOO: 'bar' },
    WorkingDirectory: world.root,
    StandardOutPath: join(world.root, `${label}.out.log`),
    StandardErrorPath: join(world.root, `${label}.err.log`),
    RunAtLoad: true,
    ThrottleInterval: 1,
    ExitTimeOut: 2,
    ...options.keys,
  };
  writeFileSync(path, plist.build(document as plist.PlistValue), { mode: 0o644 });
  chmodSync(path, 0o644);

  return path;
}

function depthOne(text: string, key: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`\t${key} = `))
    .map((line) => line.slice(key.length + 4));
}

describe('launchctl double: bootstrap', () => {
  it('runs the program of a RunAtLoad job with the environment launchd gives', async () => {
    const path = writeJob('com.test.env');

    const result = await launchctl('bootstrap', `gui/${UID}`, path);

    assert.deepEqual([result.exitCode, result.stdout, result.stderr], [0, '', '']);
    const pid = await launchd.waitForPid('com.test.env');
    assert.ok(isProcessAlive(pid));
    await launchd.waitForJob(
      'com.test.env',
      () => readJobRecords(recordPath('com.test.env')).length > 0,
      'a record',
    );
    const [start] = readJobRecords(recordPath('com.test.env'));
    assert.equal(start!.pid, pid);
    assert.equal(start!.cwd, world.root);
    assert.deepEqual(start!.env, {
      PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
      HOME: world.env.HOME,
      USER: userInfo().username,
      XPC_SERVICE_NAME: 'com.test.env',
      // The doubles' shared state stands for the machine, so every job can reach the other doubles.
      WORKBENCH_DOUBLE_STATE: world.doubleState,
      FOO: 'bar',
    });
    await launchd.waitForJob(
      'com.test.env',
      () => existsSync(join(world.root, 'com.test.env.err.log')),
      'a stderr log',
    );
    const print = await launchctl('print', `gui/${UID}/com.test.env`);
    assert.deepEqual(depthOne(print.stdout, 'state'), ['running']);
    assert.deepEqual(depthOne(print.stdout, 'pid'), [String(pid)]);
    assert.deepEqual(depthOne(print.stdout, 'runs'), ['1']);
    assert.deepEqual(depthOne(print.stdout, 'last exit code'), ['(never exited)']);
  });

  it('appends to existing log files instead of replacing them', async () => {
    const out = join(world.root, 'append.out.log');
    writeFileSync(out, 'earlier line\n');
    const path = writeJob('com.test.append', { keys: { StandardOutPath: out } });

    await launchctl('bootstrap', `gui/${UID}`, path);
    const pid = await launchd.waitForPid('com.test.append');

    await launchd.waitForJob(
      'com.test.append',
      () => readFileSync(out, 'utf8').includes('job stdout'),
      'stdout written',
    );
    assert.equal(readFileSync(out, 'utf8'), `earlier line\njob stdout ${pid}\n`);
  });

  it('answers 125 for the domain of another user and for gui/0 as root', async () => {
    const path = writeJob('com.test.domain');
    launchd.configure({ uid: 501 });

    const other = await launchctl('bootstrap', 'gui/502', path);
    launchd.configure({ uid: 501, root: true });
    const rootSession = await launchctl('bootstrap', 'gui/0', path);

    assert.deepEqual([other.exitCode, other.stderr], [125, NO_DOMAIN]);
    assert.deepEqual([rootSession.exitCode, rootSession.stderr], [125, NO_DOMAIN]);
    assert.equal(launchd.job('com.test.domain'), null);
  });

  it('answers 125 when the caller is in the Background session', async () => {
    const path = writeJob('com.test.background');
    launchd.configure({ managerName: 'Background' });

    const name = await launchctl('managername');
    const result = await launchctl('bootstrap', `gui/${UID}`, path);

    assert.equal(name.stdout, 'Background\n');
    assert.deepEqual([result.exitCode, result.stderr], [125, NO_DOMAIN]);
  });

  it('refuses a disabled label with EIO, and with 119 as root', async () => {
    const path = writeJob('com.test.disabled');
    const disable = await launchctl('disable', `gui/${UID}/com.test.disabled`);

    const asUser = await launchctl('bootstrap', `gui/${UID}`, path);
    launchd.configure({ root: true, uid: 501 });
    const asRoot = await launchctl('bootstrap', 'gui/501', path);

    assert.deepEqual([disable.exitCode, disable.stdout, disable.stderr], [0, '', '']);
    assert.deepEqual([asUser.exitCode, asUser.stderr], [5, EIO]);
    assert.deepEqual(
      [asRoot.exitCode, asRoot.stderr],
      [119, `${path}: Service is disabled\nBootstrap failed: 119: Service is disabled\n`],
    );
  });

  it('refuses a label switched off in Login Items even after enable', async () => {
    const path = writeJob('com.test.login-item');
    launchd.setLoginItemAllowed('com.test.login-item', false);

    await launchctl('enable', `gui/${UID}/com.test.login-item`);
    const result = await launchctl('bootstrap', `gui/${UID}`, path);

    assert.deepEqual([result.exitCode, result.stderr], [5, EIO]);
  });

  it('refuses a label that is already loaded with EIO, and with 37 as root', async () => {
    const path = writeJob('com.test.twice');
    await launchctl('bootstrap', `gui/${UID}`, path);

    const asUser = await launchctl('bootstrap', `gui/${UID}`, path);
    launchd.configure({ root: true, uid: 501 });
    const asRoot = await launchctl('bootstrap', 'gui/501', path);

    assert.deepEqual([asUser.exitCode, asUser.stderr], [5, EIO]);
    assert.deepEqual(
      [asRoot.exitCode, asRoot.stderr],
      [37, 'Bootstrap failed: 37: Operation already in progress\n'],
    );
    assert.equal(launchd.job('com.test.twice')!.runs, 1);
  });

  it('refuses a group-writable plist and a plist owned by someone else', async () => {
    const writable = writeJob('com.test.writable');
    chmodSync(writable, 0o664);
    const foreign = writeJob('com.test.foreign');
    chownSync(foreign, UID + 1, 0);

    const first = await launchctl('bootstrap', `gui/${UID}`, writable);
    const second = await launchctl('bootstrap', `gui/${UID}`, foreign);

    const text = (path: string) =>
      `${path}: Path had bad ownership/permissions\nBootstrap failed: 5: Input/output error\n`;
    assert.deepEqual([first.exitCode, first.stderr], [5, text(writable)]);
    assert.deepEqual([second.exitCode, second.stderr], [5, text(foreign)]);
  });

  it('refuses a plist without ProgramArguments and one that is not a valid plist', async () => {
    const noProgram = join(world.launchAgentsDir, 'none.plist');
    writeFileSync(noProgram, plist.build({ Label: 'com.test.none' }), { mode: 0o644 });
    const broken = join(world.launchAgentsDir, 'broken.plist');
    writeFileSync(broken, '<plist><dict><key>Label</key></dict></plist>', { mode: 0o644 });

    const first = await launchctl('bootstrap', `gui/${UID}`, noProgram);
    const second = await launchctl('bootstrap', `gui/${UID}`, broken);

    assert.deepEqual([first.exitCode, first.stderr], [5, EIO]);
    assert.deepEqual([second.exitCode, second.stderr], [5, EIO]);
  });

  it('records 78: EX_CONFIG when the folder of a log file does not exist', async () => {
    const path = writeJob('com.test.no-log-folder', {
      keys: { StandardOutPath: join(world.root, 'missing', 'out.log') },
    });

    const result = await launchctl('bootstrap', `gui/${UID}`, path);
    const job = launchd.job('com.test.no-log-folder')!;

    assert.equal(result.exitCode, 0);
    assert.deepEqual([job.lastExitCode, job.jobState, job.pid], [78, 'spawn failed', null]);
    assert.deepEqual(readJobRecords(recordPath('com.test.no-log-folder')), []);
  });

  it('loads a job whose program is missing and records 78: EX_CONFIG', async () => {
    const path = writeJob('com.test.missing', {
      keys: { ProgramArguments: ['/nonexistent/program', '--flag'] },
    });

    const result = await launchctl('bootstrap', `gui/${UID}`, path);
    const print = await launchctl('print', `gui/${UID}/com.test.missing`);
    const list = await launchctl('list');

    assert.equal(result.exitCode, 0);
    assert.deepEqual(depthOne(print.stdout, 'state'), ['not running']);
    assert.deepEqual(depthOne(print.stdout, 'last exit code'), ['78: EX_CONFIG']);
    assert.deepEqual(depthOne(print.stdout, 'job state'), ['spawn failed']);
    assert.deepEqual(depthOne(print.stdout, 'pid'), []);
    assert.equal(list.stdout, 'PID\tStatus\tLabel\n-\t78\tcom.test.missing\n');
  });

  it('keeps every bootstrap of several concurrent calls', async () => {
    const labels = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => `com.test.many-${name}`);
    const paths = labels.map((label) => writeJob(label, { keys: { RunAtLoad: false } }));

    const results = await Promise.all(
      paths.map((path) => launchctl('bootstrap', `gui/${UID}`, path)),
    );
    const list = await launchctl('list');

    assert.deepEqual(
      results.map((result) => result.exitCode),
      [0, 0, 0, 0, 0, 0],
    );
    assert.deepEqual(
      list.stdout.split('\n').slice(1, -1).sort(),
      labels.map((label) => `-\t0\t${label}`),
    );
  });
});

describe('launchctl double: KeepAlive', () => {
  it('respawns a job that exits, but not sooner than ThrottleInterval after its last spawn', async () => {
    const path = writeJob('com.test.flap', {
      modes: ['exit=3'],
      keys: { KeepAlive: true, ThrottleInterval: 1 },
    });

    await launchctl('bootstrap', `gui/${UID}`, path);
    const scheduled = await launchd.waitForState('com.test.flap', 'spawn scheduled');
    const print = await launchctl('print', `gui/${UID}/com.test.flap`);
    const job = await launchd.waitForRuns('com.test.flap', 3);

    assert.equal(scheduled.pid, null);
    assert.ok(['spawn scheduled', 'running'].includes(depthOne(print.stdout, 'state')[0]!));
    const times = job.spawns.map((spawn) => spawn.at);
    for (let index = 1; index < times.length; index += 1) {
      assert.ok(
        times[index]! - times[index - 1]! >= 1000,
        `spawn ${index} came ${times[index]! - times[index - 1]!} ms after the previous one`,
      );
    }
    await launchd.waitForJob(
      'com.test.flap',
      () => readJobRecords(recordPath('com.test.flap')).length >= 3,
      'three records',
    );
    const pids = readJobRecords(recordPath('com.test.flap')).map((record) => record.pid);
    assert.equal(new Set(pids).size, pids.length);
  });

  it('respawns a job killed by a signal and shows the signal until then', async () => {
    const path = writeJob('com.test.killed', { keys: { KeepAlive: true, ThrottleInterval: 2 } });
    await launchctl('bootstrap', `gui/${UID}`, path);
    const first = await launchd.waitForPid('com.test.killed');

    const kill = await launchctl('kill', 'SIGKILL', `gui/${UID}/com.test.killed`);
    await launchd.waitForState('com.test.killed', 'spawn scheduled');
    const print = await launchctl('print', `gui/${UID}/com.test.killed`);
    const second = await launchd.waitForPid('com.test.killed', { notPid: first });

    assert.equal(kill.exitCode, 0);
    assert.deepEqual(depthOne(print.stdout, 'last terminating signal'), ['Killed: 9']);
    assert.deepEqual(depthOne(print.stdout, 'last exit code'), []);
    assert.notEqual(second, first);
    assert.equal(isProcessAlive(first), false);
  });
});

describe('launchctl double: bootout', () => {
  it('sends SIGTERM to the process group, then SIGKILL after ExitTimeOut', async () => {
    const path = writeJob('com.test.stubborn', {
      modes: ['ignore-term', 'grandchild'],
      keys: { ExitTimeOut: 2 },
    });
    await launchctl('bootstrap', `gui/${UID}`, path);
    const pid = await launchd.waitForPid('com.test.stubborn');
    const records = () => readJobRecords(recordPath('com.test.stubborn'));
    await launchd.waitForJob(
      'com.test.stubborn',
      () => records().some((record) => record.event === 'grandchild'),
      'grandchild',
    );
    const grandchild = records().find((record) => record.event === 'grandchild')!.child!;

    const result = await launchctl('bootout', `gui/${UID}/com.test.stubborn`);
    await launchd.waitForJob(
      'com.test.stubborn',
      () => records().some((record) => record.event === 'term'),
      'TERM seen',
    );
    const whileStopping = await launchctl('print', `gui/${UID}/com.test.stubborn`);
    const aliveAfterTerm = isProcessAlive(pid);
    await launchd.waitForUnloaded('com.test.stubborn');
    const after = await launchctl('print', `gui/${UID}/com.test.stubborn`);

    assert.deepEqual([result.exitCode, result.stdout, result.stderr], [0, '', '']);
    assert.equal(whileStopping.exitCode, 0);
    assert.equal(aliveAfterTerm, true);
    assert.equal(isProcessAlive(pid), false);
    assert.equal(isProcessAlive(grandchild), false);
    assert.equal(after.exitCode, 113);
  });

  it('answers 3 for a label that is not loaded, and 5 for a plist path that is not loaded', async () => {
    const path = writeJob('com.test.absent');

    const byLabel = await launchctl('bootout', `gui/${UID}/com.test.absent`);
    const byPath = await launchctl('bootout', `gui/${UID}`, path);

    assert.deepEqual(
      [byLabel.exitCode, byLabel.stderr],
      [3, 'Boot-out failed: 3: No such process\n'],
    );
    assert.deepEqual(
      [byPath.exitCode, byPath.stderr],
      [5, 'Boot-out failed: 5: Input/output error\n'],
    );
  });

  it('unloads by plist path', async () => {
    const path = writeJob('com.test.by-path');
    await launchctl('bootstrap', `gui/${UID}`, path);
    const pid = await launchd.waitForPid('com.test.by-path');

    const result = await launchctl('bootout', `gui/${UID}`, path);
    await launchd.waitForUnloaded('com.test.by-path');

    assert.equal(result.exitCode, 0);
    assert.equal(isProcessAlive(pid), false);
  });

  it('keeps the job visible to print and refuses bootstrap during the draining window', async () => {
    launchd.configure({ drainingMs: 3000 });
    const path = writeJob('com.test.drain');
    await launchctl('bootstrap', `gui/${UID}`, path);
    const pid = await launchd.waitForPid('com.test.drain');

    await launchctl('bootout', `gui/${UID}/com.test.drain`);
    await launchd.waitForJob('com.test.drain', () => !isProcessAlive(pid), 'process gone');
    const print = await launchctl('print', `gui/${UID}/com.test.drain`);
    const early = await launchctl('bootstrap', `gui/${UID}`, path);
    await launchd.waitForUnloaded('com.test.drain');
    const later = await launchctl('bootstrap', `gui/${UID}`, path);

    assert.equal(print.exitCode, 0);
    assert.deepEqual(depthOne(print.stdout, 'state'), ['not running']);
    assert.deepEqual(depthOne(print.stdout, 'last terminating signal'), ['Terminated: 15']);
    assert.deepEqual([early.exitCode, early.stderr], [5, EIO]);
    assert.equal(later.exitCode, 0);
  });

  it('answers 36 once when told to, and the job still stops', async () => {
    launchd.configure({ bootoutInProgressOnce: true });
    const path = writeJob('com.test.in-progress');
    await launchctl('bootstrap', `gui/${UID}`, path);
    const pid = await launchd.waitForPid('com.test.in-progress');

    const first = await launchctl('bootout', `gui/${UID}/com.test.in-progress`);
    await launchd.waitForUnloaded('com.test.in-progress');
    const second = await launchctl('bootout', `gui/${UID}/com.test.in-progress`);

    assert.deepEqual(
      [first.exitCode, first.stderr],
      [36, 'Boot-out failed: 36: Operation now in progress\n'],
    );
    assert.equal(isProcessAlive(pid), false);
    assert.equal(second.exitCode, 3);
  });
});

describe('launchctl double: print and list', () => {
  it('prints the TAB-indented layout with nested blocks', async () => {
    const path = writeJob('com.test.print', {
      keys: { KeepAlive: true, ThrottleInterval: 7, ExitTimeOut: 9 },
    });
    await launchctl('bootstrap', `gui/${UID}`, path);
    const pid = await launchd.waitForPid('com.test.print');

    const { stdout, exitCode } = await launchctl('print', `gui/${UID}/com.test.print`);
    const lines = stdout.split('\n');

    assert.equal(exitCode, 0);
    assert.equal(lines[0], `gui/${UID}/com.test.print = {`);
    assert.deepEqual(lines.slice(-2), ['}', '']);
    assert.deepEqual(depthOne(stdout, 'state'), ['running']);
    assert.equal(lines.filter((line) => line === '\t\tstate = active').length, 2);
    assert.equal(lines.filter((line) => line === '\t\tactive count = 1').length, 2);
    assert.deepEqual(depthOne(stdout, 'active count'), ['1']);
    assert.deepEqual(depthOne(stdout, 'path'), [path]);
    assert.deepEqual(depthOne(stdout, 'type'), ['LaunchAgent']);
    assert.deepEqual(depthOne(stdout, 'pid'), [String(pid)]);
    assert.deepEqual(depthOne(stdout, 'minimum runtime'), ['7']);
    assert.deepEqual(depthOne(stdout, 'exit timeout'), ['9']);
    assert.deepEqual(depthOne(stdout, 'properties'), ['keepalive | runatload | inferred program']);
    const argsStart = lines.indexOf('\targuments = {');
    assert.deepEqual(lines.slice(argsStart + 1, argsStart + 4), [
      `\t\t${process.execPath}`,
      `\t\t${program}`,
      `\t\t${recordPath('com.test.print')}`,
    ]);
    assert.ok(lines.includes('\t\tFOO => bar'));
    assert.ok(lines.includes('\t\tPATH => /usr/bin:/bin:/usr/sbin:/sbin'));
  });

  it('answers 113 with Bad request for a label that is not loaded', async () => {
    const result = await launchctl('print', `gui/${UID}/com.test.nothing`);

    assert.deepEqual([result.exitCode, result.stdout], [113, '']);
    assert.equal(
      result.stderr,
      `Bad request.\nCould not find service "com.test.nothing" in domain for user gui: ${UID}\n`,
    );
  });

  it('shows a job stopped by kill with its signal, as a negative status in list', async () => {
    const path = writeJob('com.test.signal');
    await launchctl('bootstrap', `gui/${UID}`, path);
    await launchd.waitForPid('com.test.signal');

    await launchctl('kill', 'SIGTERM', `gui/${UID}/com.test.signal`);
    await launchd.waitForState('com.test.signal', 'not running');
    const print = await launchctl('print', `gui/${UID}/com.test.signal`);
    const list = await launchctl('list');
    const entry = await launchctl('list', 'com.test.signal');

    assert.deepEqual(depthOne(print.stdout, 'last terminating signal'), ['Terminated: 15']);
    assert.deepEqual(depthOne(print.stdout, 'last exit code'), []);
    assert.deepEqual(depthOne(print.stdout, 'pid'), []);
    assert.equal(list.stdout, 'PID\tStatus\tLabel\n-\t-15\tcom.test.signal\n');
    assert.ok(entry.stdout.includes('\t"LastExitStatus" = 15;\n'));
    assert.ok(!entry.stdout.includes('"PID"'));
  });

  it('prints the old-style dictionary for list <label>, or answers 113', async () => {
    const path = writeJob('com.test.entry');
    await launchctl('bootstrap', `gui/${UID}`, path);
    const pid = await launchd.waitForPid('com.test.entry');

    const entry = await launchctl('list', 'com.test.entry');
    const missing = await launchctl('list', 'com.test.other');

    assert.equal(entry.exitCode, 0);
    assert.ok(entry.stdout.startsWith('{\n'));
    assert.ok(entry.stdout.endsWith('};\n'));
    assert.ok(entry.stdout.includes('\t"Label" = "com.test.entry";\n'));
    assert.ok(entry.stdout.includes(`\t"PID" = ${pid};\n`));
    assert.ok(entry.stdout.includes(`\t"ProgramArguments" = (\n\t\t"${process.execPath}";\n`));
    assert.deepEqual(
      [missing.exitCode, missing.stderr],
      [113, 'Could not find service "com.test.other" in domain for port\n'],
    );
  });

  it('lists enable and disable overrides in print-disabled', async () => {
    await launchctl('disable', `gui/${UID}/com.test.off`);
    await launchctl('enable', `gui/${UID}/com.test.on`);

    const result = await launchctl('print-disabled', `gui/${UID}`);

    assert.equal(
      result.stdout,
      'disabled services = {\n\t"com.test.off" => disabled\n\t"com.test.on" => enabled\n}\nlogin item associations = {\n}\n',
    );
  });

  it('says Aqua for managername by default', async () => {
    assert.equal((await launchctl('managername')).stdout, 'Aqua\n');
  });

  it('refuses a target it does not understand with usage', async () => {
    const result = await launchctl('bootout', '--wait', `gui/${UID}/com.test.x`);

    assert.notEqual(result.exitCode, 0);
    assert.ok(
      result.stderr.startsWith('Unrecognized target specifier.\nUsage: launchctl bootout '),
    );
  });
});

describe('launchctl double: kickstart', () => {
  it('replaces a running process with -k and prints the new pid with -p', async () => {
    const path = writeJob('com.test.kick');
    await launchctl('bootstrap', `gui/${UID}`, path);
    const first = await launchd.waitForPid('com.test.kick');

    const result = await launchctl('kickstart', '-k', '-p', `gui/${UID}/com.test.kick`);
    const job = launchd.job('com.test.kick')!;

    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, `${job.pid}\n`);
    assert.notEqual(job.pid, first);
    assert.equal(job.runs, 2);
    assert.equal(isProcessAlive(first), false);
    assert.equal(job.lastSignal, 15);
  });

  it('starts a loaded job that is not running', async () => {
    const path = writeJob('com.test.start', { keys: { RunAtLoad: false } });
    await launchctl('bootstrap', `gui/${UID}`, path);
    const before = launchd.job('com.test.start')!;

    const result = await launchctl('kickstart', `gui/${UID}/com.test.start`);
    const pid = await launchd.waitForPid('com.test.start');

    assert.deepEqual([before.pid, before.runs, result.exitCode], [null, 0, 0]);
    assert.ok(isProcessAlive(pid));
  });

  it('answers 113 for a label that is not loaded', async () => {
    const result = await launchctl('kickstart', `gui/${UID}/com.test.none`);

    assert.deepEqual(
      [result.exitCode, result.stderr],
      [113, `Could not find service "com.test.none" in domain for user gui: ${UID}\n`],
    );
  });
});
