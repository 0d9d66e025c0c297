import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';

import {
  formatDoctorReport,
  parseInnerReport,
  runHostDoctor,
  type HostDoctorDeps,
} from '../../src/core/doctor/host-doctor.js';
import { parseEnvDocument, renderTemplates } from '../../src/core/env/index.js';
import { KeepAwake } from '../../src/core/keep-awake.js';
import { LaunchAgentManager } from '../../src/core/launch-agent.js';
import {
  AGENT_LABEL,
  currentUid,
  workbenchPaths,
  type CommandPaths,
  type WorkbenchPaths,
} from '../../src/core/platform.js';
import { runCommand } from '../../src/core/run-command.js';
import { DEFAULT_SETTINGS } from '../../src/core/settings.js';
import type { DoctorReport } from '../../src/core/workbench-api.js';
import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';
import { ContainerDouble } from '../doubles/container-control.js';
import { HostControl } from '../doubles/host-control.js';
import { LaunchdControl } from '../doubles/launchd-control.js';
import { PowerControl } from '../doubles/power-control.js';

const INNER_REPORT = {
  checks: [
    { id: 'runtime.health', level: 'ok', message: 'runtime answers GET /health' },
    { id: 'bridge.process', level: 'ok', message: 'bridge is running' },
  ],
  failures: 0,
  warnings: 0,
};

let world: DoubleWorld;
let paths: WorkbenchPaths;
let host: HostControl;
let power: PowerControl;
let launchd: LaunchdControl;
let containers: ContainerDouble;
let fixtureBin: string;
const worlds: DoubleWorld[] = [];

beforeEach(() => {
  world = createDoubleWorld();
  worlds.push(world);
  paths = workbenchPaths(world.home, world.env);
  host = new HostControl(world);
  power = new PowerControl(world);
  launchd = new LaunchdControl(world.doubleState);
  containers = new ContainerDouble(world.doubleState);
  fixtureBin = join(world.root, 'image-bin');
  mkdirSync(fixtureBin);
});

afterEach(async () => {
  await launchd.killAll();
  await containers.killAll();
  await power.killAllCaffeinates();
});

after(() => {
  for (const each of worlds) each.cleanup();
});

function writeScript(path: string, body: string): string {
  writeFileSync(path, `#!${process.execPath}\n${body}\n`);
  chmodSync(path, 0o755);

  return path;
}

function writeEnvFiles(): void {
  mkdirSync(paths.envDir, { recursive: true, mode: 0o700 });
  chmodSync(paths.envDir, 0o700);
  const templates = renderTemplates();
  const runtime = parseEnvDocument(templates.runtime);
  runtime.set('DEEPSEEK_API_KEY', 'sk-test-0123456789abcdef');
  const bridge = parseEnvDocument(templates.bridge);
  bridge.set('TELEGRAM_BOT_TOKEN', '123456:ABCdefGhIJKlmnoPQRstuvWXyz0123456789');
  bridge.set('TELEGRAM_CHAT_ALLOWLIST', '12345');
  writeFileSync(paths.runtimeEnv, runtime.serialize(), { mode: 0o600 });
  writeFileSync(paths.bridgeEnv, bridge.serialize(), { mode: 0o600 });
}

async function container(...args: string[]) {
  const result = await runCommand(world.commands.container, args, {
    timeoutMs: 30_000,
    env: world.env,
  });
  assert.equal(result.exitCode, 0, result.stderr);

  return result;
}

/** The workbench image (an idle process with an in-container doctor on its PATH), running. */
async function runWorkbenchContainer(
  extraArgs: string[] = ['--cpus', '4', '--memory', '16G'],
): Promise<void> {
  const idle = writeScript(
    join(world.root, 'idle.mjs'),
    'process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1 << 30);',
  );
  containers.addImage(DEFAULT_SETTINGS.image, {
    Entrypoint: [idle],
    Env: [`PATH=${fixtureBin}:/usr/bin:/bin`],
  });
  await container(
    'run',
    '-d',
    '--name',
    DEFAULT_SETTINGS.containerName,
    ...extraArgs,
    DEFAULT_SETTINGS.image,
  );
  await containers.waitForState(DEFAULT_SETTINGS.containerName, 'running');
}

function writeInnerDoctor(report: unknown = INNER_REPORT): void {
  writeScript(
    join(fixtureBin, 'workbench-doctor'),
    `process.stdout.write(${JSON.stringify(JSON.stringify(report))});`,
  );
}

async function installWorkbenchAgent(): Promise<void> {
  const idle = writeScript(join(world.root, 'agent-idle.mjs'), 'setInterval(() => {}, 1 << 30);');
  mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 });
  const manager = new LaunchAgentManager({
    launchctlPath: world.commands.launchctl,
    uid: currentUid(),
    env: world.env,
  });
  await manager.install(
    {
      label: AGENT_LABEL,
      programArguments: [idle],
      environment: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' },
      workingDirectory: world.home,
      stdoutPath: join(paths.logsDir, 'agent.out.log'),
      stderrPath: join(paths.logsDir, 'agent.err.log'),
      runAtLoad: true,
      keepAlive: true,
      throttleInterval: 10,
      exitTimeOut: 5,
    },
    paths.agentPlist,
  );
  await launchd.waitForPid(AGENT_LABEL);
}

async function enableKeepAwake(commands: CommandPaths = world.commands): Promise<void> {
  mkdirSync(paths.logsDir, { recursive: true });
  await new KeepAwake({
    paths,
    commands,
    uid: currentUid(),
    env: world.env,
    timeouts: { activeWaitMs: 500 },
  }).enable();
}

/** Everything in order: the baseline each test breaks in one place. */
async function setUpHealthyHost(): Promise<void> {
  writeEnvFiles();
  writeInnerDoctor();
  power.setLiveSettings({ autorestart: 1 });
  await runWorkbenchContainer();
  await installWorkbenchAgent();
  await enableKeepAwake();
}

function doctor(overrides: Partial<HostDoctorDeps> = {}): Promise<DoctorReport> {
  return runHostDoctor({
    paths,
    commands: world.commands,
    settings: DEFAULT_SETTINGS,
    uid: currentUid(),
    env: world.env,
    ...overrides,
  });
}

function levels(report: DoctorReport): [string, string][] {
  return report.checks.map((check) => [check.id, check.level]);
}

function checkOf(report: DoctorReport, id: string) {
  const found = report.checks.find((check) => check.id === id);
  assert.ok(found, `no check ${id} in ${JSON.stringify(levels(report))}`);

  return found;
}

function notOk(report: DoctorReport): [string, string][] {
  return levels(report).filter(([, level]) => level !== 'ok');
}

describe('host doctor', () => {
  test('passes every check on a healthy host and merges the in-container checks', async () => {
    await setUpHealthyHost();
    const report = await doctor();

    assert.deepEqual(levels(report), [
      ['host.arch', 'ok'],
      ['host.macos', 'ok'],
      ['container.installed', 'ok'],
      ['container.service', 'ok'],
      ['container.versions', 'ok'],
      ['container.image', 'ok'],
      ['env.files', 'ok'],
      ['agent.plist', 'ok'],
      ['agent.launchd', 'ok'],
      ['awake.held', 'ok'],
      ['power.sleep', 'ok'],
      ['power.autorestart', 'ok'],
      ['power.womp', 'ok'],
      ['container.resources', 'ok'],
      ['container.ports', 'ok'],
      ['inside.runtime.health', 'ok'],
      ['inside.bridge.process', 'ok'],
    ]);
    assert.deepEqual([report.failures, report.warnings], [0, 0]);
    assert.equal(
      checkOf(report, 'host.arch').message,
      'Apple silicon (Apple M2 Pro), running natively',
    );
    assert.equal(
      checkOf(report, 'container.resources').message,
      'container has 4 CPUs and 16 GiB, as set',
    );
  });

  test('fails the architecture check under Rosetta', async () => {
    await setUpHealthyHost();
    host.setArch('rosetta');
    const report = await doctor();

    assert.deepEqual(notOk(report), [['host.arch', 'fail']]);
    assert.deepEqual(checkOf(report, 'host.arch'), {
      id: 'host.arch',
      level: 'fail',
      message: 'running under Rosetta on Apple M2 Pro: container and its VMs need native arm64',
      fix: 'start the app or Terminal natively (Get Info › untick "Open using Rosetta") and use an arm64 Node',
    });
  });

  test('fails the architecture check on an Intel Mac', async () => {
    await setUpHealthyHost();
    host.setArch('intel');
    const report = await doctor();

    assert.equal(
      checkOf(report, 'host.arch').message,
      'container needs Apple silicon; this Mac has an Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz',
    );
    assert.equal(report.failures, 1);
  });

  test('warns on macOS 15 and names its networking limits', async () => {
    await setUpHealthyHost();
    host.setMacosVersion('15.1');
    const report = await doctor();

    assert.deepEqual(notOk(report), [['host.macos', 'warn']]);
    assert.equal(
      checkOf(report, 'host.macos').message,
      'macOS 15.1: container works with limits: containers cannot reach one another over the network, ' +
        'only the default network exists (--network fails), and its subnet is known only once a container runs',
    );
    assert.deepEqual([report.failures, report.warnings], [0, 1]);
  });

  test('fails on macOS 14', async () => {
    await setUpHealthyHost();
    host.setMacosVersion('14.2.1');
    const report = await doctor();

    assert.deepEqual(checkOf(report, 'host.macos'), {
      id: 'host.macos',
      level: 'fail',
      message: 'macOS 14.2.1 is not supported by container',
      fix: 'upgrade to macOS 26 (macOS 15 works with networking limits)',
    });
  });

  test('fails once and skips the container checks when container is not installed', async () => {
    await setUpHealthyHost();
    const missing = join(world.root, 'no-such', 'container');
    const report = await doctor({ commands: { ...world.commands, container: missing } });

    assert.deepEqual(notOk(report), [['container.installed', 'fail']]);
    assert.equal(
      checkOf(report, 'container.installed').message,
      `container is not installed at ${missing}`,
    );
    assert.equal(
      report.checks.some(
        (check) => check.id.startsWith('inside.') || check.id === 'container.service',
      ),
      false,
    );
  });

  test('fails when the container system service is not running', async () => {
    await setUpHealthyHost();
    containers.setSystem('not running');
    const report = await doctor();

    assert.deepEqual(notOk(report), [['container.service', 'fail']]);
    assert.deepEqual(checkOf(report, 'container.service'), {
      id: 'container.service',
      level: 'fail',
      message: 'container system service is not running (not running)',
      fix: 'run `workbench start`, or `container system start --enable-kernel-install`',
    });
  });

  test('fails when the workbench agent plist does not lint', async () => {
    await setUpHealthyHost();
    writeFileSync(
      paths.agentPlist,
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>Label</key></dict></plist>\n',
    );
    const report = await doctor();

    assert.deepEqual(notOk(report), [['agent.plist', 'fail']]);
    assert.match(
      checkOf(report, 'agent.plist').message,
      new RegExp(
        `^the plist ${paths.agentPlist.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is invalid: `,
      ),
    );
  });

  test('fails when keep-awake is on but pmset lists no assertion for its caffeinate', async () => {
    writeEnvFiles();
    writeInnerDoctor();
    power.setLiveSettings({ autorestart: 1 });
    await runWorkbenchContainer();
    await installWorkbenchAgent();
    const silent = writeScript(
      join(world.root, 'caffeinate-without-assertion'),
      'setInterval(() => {}, 1 << 30);',
    );
    const commands = { ...world.commands, caffeinate: silent };
    await enableKeepAwake(commands);
    const pid = launchd.job('com.codewhale.workbench.keep-awake')?.pid;
    const report = await doctor({ commands });

    assert.deepEqual(notOk(report), [
      ['awake.held', 'fail'],
      ['power.sleep', 'warn'],
    ]);
    assert.equal(
      checkOf(report, 'awake.held').message,
      `keep-awake is on but pmset lists no assertion of caffeinate (pid ${pid})`,
    );
    assert.equal(
      checkOf(report, 'power.sleep').message,
      'the Mac sleeps after 1 min idle, pausing the workbench',
    );
  });

  test('gives power advice when keep-awake is off and autorestart and womp are off', async () => {
    await setUpHealthyHost();
    await new KeepAwake({
      paths,
      commands: world.commands,
      uid: currentUid(),
      env: world.env,
    }).disable();
    power.setLiveSettings({ sleep: 10, autorestart: 0, womp: 0 });
    const report = await doctor();

    assert.deepEqual(notOk(report), [
      ['awake.held', 'info'],
      ['power.sleep', 'warn'],
      ['power.autorestart', 'warn'],
      ['power.womp', 'info'],
    ]);
    assert.equal(
      checkOf(report, 'power.autorestart').fix,
      'run `sudo pmset -a autorestart 1` so it restarts and the agents come back',
    );
  });

  test('warns when running on battery', async () => {
    await setUpHealthyHost();
    power.setPowerSource('battery');
    const report = await doctor();

    assert.deepEqual(notOk(report), [['power.source', 'warn']]);
  });

  test('reports resources that differ from the settings and published ports', async () => {
    writeInnerDoctor();
    await runWorkbenchContainer(['--cpus', '2', '--memory', '1G', '-p', '127.0.0.1:8080:7878']);
    const report = await doctor();

    assert.equal(
      checkOf(report, 'container.resources').message,
      'container has 2 CPUs and 1 GiB, but the settings ask for 4 CPUs and 16 GiB',
    );
    assert.deepEqual(checkOf(report, 'container.ports'), {
      id: 'container.ports',
      level: 'fail',
      message: 'container publishes ports to the network: 127.0.0.1:8080->7878/tcp',
      fix: 'run `workbench restart`: the workbench recreates its container without -p/--publish',
    });
  });

  test('turns a failing in-container doctor into one check of its own', async () => {
    await setUpHealthyHost();
    writeScript(
      join(fixtureBin, 'workbench-doctor'),
      'process.stderr.write("Error: cannot read /etc/codewhale\\n"); process.exit(3);',
    );
    const report = await doctor();

    assert.deepEqual(notOk(report), [['inside.doctor', 'fail']]);
    assert.equal(
      checkOf(report, 'inside.doctor').message,
      'the in-container doctor failed in codewhale-workbench: cannot read /etc/codewhale',
    );
  });

  test('keeps the in-container failures and counts them in the merged report', async () => {
    await setUpHealthyHost();
    writeInnerDoctor({
      checks: [
        { id: 'env.runtime', level: 'fail', message: 'runtime.env: DEEPSEEK_API_KEY is empty' },
      ],
      failures: 1,
      warnings: 0,
    });
    const report = await doctor();

    assert.deepEqual(notOk(report), [['inside.env.runtime', 'fail']]);
    assert.deepEqual([report.failures, report.warnings], [1, 0]);
  });

  test('skips the in-container doctor when the container is missing', async () => {
    writeEnvFiles();
    const report = await doctor();

    assert.deepEqual(checkOf(report, 'container.state'), {
      id: 'container.state',
      level: 'info',
      message: 'container codewhale-workbench does not exist; in-container checks skipped',
      fix: 'run `workbench start`',
    });
    assert.equal(
      report.checks.some((check) => check.id.startsWith('inside.')),
      false,
    );
  });
});

describe('parseInnerReport', () => {
  test('refuses output that is not the doctor JSON shape', () => {
    assert.equal(parseInnerReport('not json'), null);
    assert.equal(
      parseInnerReport(
        JSON.stringify({
          checks: [{ id: 'x', level: 'bad', message: '' }],
          failures: 0,
          warnings: 0,
        }),
      ),
      null,
    );
    assert.equal(parseInnerReport(JSON.stringify({ checks: 'x', failures: 0, warnings: 0 })), null);
  });

  test('prefixes ids and blanks control characters from the container', () => {
    const text = JSON.stringify({
      checks: [{ id: 'a', level: 'warn', message: 'line\n[ok] forged\u001b[2J' }],
      failures: 0,
      warnings: 1,
    });

    assert.deepEqual(parseInnerReport(text), [
      { id: 'inside.a', level: 'warn', message: 'line [ok] forged [2J' },
    ]);
  });
});

describe('formatDoctorReport', () => {
  test('prints one line per check, the fix below it and the summary', () => {
    const text = formatDoctorReport({
      checks: [
        { id: 'host.arch', level: 'ok', message: 'Apple silicon (Apple M2 Pro), running natively' },
        {
          id: 'host.macos',
          level: 'warn',
          message: 'macOS 15.1: limits',
          fix: 'upgrade to macOS 26',
        },
        {
          id: 'container.service',
          level: 'fail',
          message: 'container system service is not running',
          fix: 'run `workbench start`',
        },
        { id: 'awake.held', level: 'info', message: 'keep-awake is off' },
      ],
      failures: 1,
      warnings: 1,
    });

    assert.equal(
      text,
      [
        '[ok] Apple silicon (Apple M2 Pro), running natively',
        '[warn] macOS 15.1: limits',
        '       fix: upgrade to macOS 26',
        '[fail] container system service is not running',
        '       fix: run `workbench start`',
        '[info] keep-awake is off',
        '',
        '1 failure(s), 1 warning(s)',
        '',
      ].join('\n'),
    );
  });
});
