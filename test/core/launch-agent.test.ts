import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as plist from 'plist';

import {
  AgentDefinitionError,
  buildPlist,
  LaunchAgentManager,
  LaunchdError,
  parseListOutput,
  parsePrintOutput,
  writePlist,
  type AgentDefinition,
} from '../../src/core/launch-agent.js';
import { Logger } from '../../src/core/logger.js';
import { runCommand } from '../../src/core/run-command.js';
import {
  isProcessAlive,
  LaunchdControl,
  readJobRecords,
  writeJobProgram,
} from '../doubles/launchd-control.js';
import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';

const UID = process.getuid!();
const LABEL = 'com.codewhale.test-agent';

let world: DoubleWorld;
let launchd: LaunchdControl;
let logLines: string[];

function startWorld(homeName?: string): void {
  world = createDoubleWorld(homeName === undefined ? {} : { homeName });
  launchd = new LaunchdControl(world.doubleState);
  logLines = [];
}

beforeEach(() => startWorld());

afterEach(async () => {
  await launchd.killAll();
  assert.deepEqual(launchd.livePids(), []);
  world.cleanup();
});

function manager(): LaunchAgentManager {
  const logger = new Logger('launchd', {
    level: 'debug',
    sinks: [{ write: (line) => logLines.push(line) }],
  });

  return new LaunchAgentManager({
    launchctlPath: world.commands.launchctl,
    uid: UID,
    env: world.env,
    logger,
    pollIntervalMs: 50,
    drainDeadlineMs: 20_000,
    timeouts: { bootstrapRetryMs: 10_000 },
  });
}

function definition(overrides: Partial<AgentDefinition> = {}): AgentDefinition {
  const program = writeJobProgram(world.root);

  return {
    label: LABEL,
    programArguments: [process.execPath, program, join(world.root, 'records')],
    environment: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', WORKBENCH_HOME: world.home },
    workingDirectory: world.home,
    stdoutPath: join(world.home, 'agent.out.log'),
    stderrPath: join(world.home, 'agent.err.log'),
    runAtLoad: true,
    keepAlive: true,
    throttleInterval: 1,
    exitTimeOut: 2,
    ...overrides,
  };
}

function plistPath(label = LABEL): string {
  return join(world.launchAgentsDir, `${label}.plist`);
}

async function rejection(promise: Promise<unknown>): Promise<LaunchdError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LaunchdError, `expected a LaunchdError, got ${String(error)}`);
    return error;
  }
  throw new Error('expected a rejection');
}

describe('buildPlist', () => {
  it('builds XML that the plist package parses back to the same values', () => {
    const def = definition({
      programArguments: ['/usr/bin/env', `X=<1>&"q"'s`],
      environment: { NOTE: 'a & b < c' },
    });

    const xml = buildPlist(def);

    assert.ok(xml.includes(`<string>X=&lt;1&gt;&amp;"q"'s</string>`));
    assert.ok(!xml.includes('LimitLoadToSessionType'));
    assert.deepEqual(plist.parse(xml), {
      Label: LABEL,
      ProgramArguments: ['/usr/bin/env', `X=<1>&"q"'s`],
      EnvironmentVariables: { NOTE: 'a & b < c' },
      WorkingDirectory: def.workingDirectory,
      StandardOutPath: def.stdoutPath,
      StandardErrorPath: def.stderrPath,
      RunAtLoad: true,
      KeepAlive: true,
      ThrottleInterval: 1,
      ExitTimeOut: 2,
    });
  });

  it('refuses control characters, naming the field but not the value', () => {
    assert.throws(() => buildPlist(definition({ environment: { NOTE: 'abc\u0001' } })), {
      name: 'AgentDefinitionError',
      message:
        'EnvironmentVariables.NOTE contains the character U+0001 at position 4, which a plist cannot hold',
    });
    assert.throws(() => buildPlist(definition({ programArguments: ['/bin/echo', 'a\u001bb'] })), {
      message:
        'ProgramArguments[1] contains the character U+001B at position 2, which a plist cannot hold',
    });
  });

  it('refuses a secret in the environment, relative paths and a bad label', () => {
    assert.throws(() => buildPlist(definition({ environment: { TELEGRAM_BOT_TOKEN: 'x' } })), {
      message:
        'the environment variable TELEGRAM_BOT_TOKEN looks like a secret, and a plist is no place for one',
    });
    assert.throws(() => buildPlist(definition({ programArguments: ['node', 'x.js'] })), {
      message: 'ProgramArguments[0] must be an absolute path, got "node"',
    });
    assert.throws(() => buildPlist(definition({ label: 'bad/label' })), AgentDefinitionError);
  });
});

describe('writePlist', () => {
  for (const umask of [0o000, 0o077]) {
    it(`writes mode 0644 and creates the agents folder 0755 under umask ${umask.toString(8).padStart(3, '0')}`, () => {
      const path = join(world.root, `agents-${umask}`, `${LABEL}.plist`);
      const previous = process.umask(umask);
      try {
        writePlist(path, definition());
      } finally {
        process.umask(previous);
      }

      assert.equal(statSync(path).mode & 0o777, 0o644);
      assert.equal(statSync(join(world.root, `agents-${umask}`)).mode & 0o777, 0o755);
      assert.equal(
        (plist.parse(readFileSync(path, 'utf8')) as Record<string, unknown>).Label,
        LABEL,
      );
    });
  }
});

describe('LaunchAgentManager', () => {
  it('installs an agent under a home named with spaces, quotes, & and non-ASCII letters', async () => {
    await launchd.killAll();
    world.cleanup();
    startWorld(`Zoë's "dev" & Ünïcode`);
    const agents = manager();
    const def = definition();

    await agents.install(def, plistPath());
    const state = await agents.print(LABEL);

    assert.equal(state!.state, 'running');
    assert.equal(state!.path, plistPath());
    assert.ok(isProcessAlive(state!.pid!));
    await launchd.waitForJob(
      LABEL,
      () => readJobRecords(join(world.root, 'records')).length > 0,
      'a record',
    );
    const [start] = readJobRecords(join(world.root, 'records'));
    assert.equal(start!.cwd, world.home);
    assert.equal(start!.env!.WORKBENCH_HOME, world.home);
    assert.equal(statSync(plistPath()).mode & 0o777, 0o644);
  });

  it('boots an agent out, waits until its process is gone and removes the plist', async () => {
    const agents = manager();
    await agents.install(definition(), plistPath());
    const pid = (await agents.print(LABEL))!.pid!;

    await agents.uninstall(LABEL, plistPath());

    assert.equal(isProcessAlive(pid), false);
    assert.equal(await agents.print(LABEL), null);
    assert.equal(existsSync(plistPath()), false);
  });

  it('waits out the bootout race and bootstraps again on the retry', async () => {
    launchd.configure({ drainingMs: 1500 });
    const agents = manager();
    await agents.install(definition(), plistPath());
    const first = (await agents.print(LABEL))!.pid!;

    const bootout = await runCommand(world.commands.launchctl, ['bootout', `gui/${UID}/${LABEL}`], {
      timeoutMs: 10_000,
      env: world.env,
    });
    await agents.install(definition(), plistPath());
    const second = await launchd.waitForPid(LABEL, { notPid: first });

    assert.equal(bootout.exitCode, 0);
    assert.ok(
      logLines.some((line) =>
        line.includes('launchd refused the agent; waiting for an earlier instance to leave'),
      ),
    );
    assert.ok(isProcessAlive(second));
    assert.equal(isProcessAlive(first), false);
  });

  it('keeps waiting when bootout answers 36 until the agent has left', async () => {
    const agents = manager();
    await agents.install(definition(), plistPath());
    const pid = (await agents.print(LABEL))!.pid!;
    launchd.configure({ bootoutInProgressOnce: true });

    await agents.bootout(LABEL);

    assert.equal(launchd.job(LABEL), null);
    assert.equal(isProcessAlive(pid), false);
  });

  it('treats bootout of an agent that is not loaded as done', async () => {
    await manager().bootout(LABEL);

    assert.ok(logLines.some((line) => line.includes('agent was not loaded')));
  });

  it('explains 125 as a missing GUI session', async () => {
    launchd.configure({ managerName: 'Background' });

    const error = await rejection(manager().install(definition(), plistPath()));

    assert.equal(error.exitCode, 125);
    assert.equal(
      error.message,
      `cannot load ${LABEL}: there is no GUI login session for user ${UID} ` +
        '(launchctl bootstrap exited 125: Domain does not support specified action)',
    );
    assert.equal(
      error.hint,
      'log in at the Mac itself (or through Screen Sharing); launchd agents cannot be loaded from an ssh session alone',
    );
  });

  it('explains 5 as a refusal after the one retry', async () => {
    launchd.setLoginItemAllowed(LABEL, false);

    const error = await rejection(manager().install(definition(), plistPath()));

    assert.equal(error.exitCode, 5);
    assert.equal(
      error.message,
      `launchd refused to load ${LABEL} (launchctl bootstrap exited 5: Input/output error)`,
    );
    assert.equal(
      error.hint,
      'it may be switched off in System Settings › General › Login Items, still stopping from an earlier ' +
        `bootout, or ${plistPath()} may have bad permissions (it must be yours, mode 0644)`,
    );
    assert.equal(launchd.job(LABEL), null);
  });

  it('explains 113 from kickstart as an agent that is not loaded', async () => {
    const error = await rejection(manager().kickstart(LABEL));

    assert.equal(error.exitCode, 113);
    assert.equal(
      error.message,
      `${LABEL} is not loaded in gui/${UID} (launchctl kickstart exited 113: Could not find service)`,
    );
    assert.equal(error.hint, 'install the agent first');
  });

  it('returns null from print for an agent that is not loaded', async () => {
    assert.equal(await manager().print(LABEL), null);
  });

  it('restarts a running agent with kickstart -k', async () => {
    const agents = manager();
    await agents.install(definition(), plistPath());
    const first = (await agents.print(LABEL))!.pid!;

    await agents.kickstart(LABEL, { kill: true });
    const state = await agents.print(LABEL);

    assert.notEqual(state!.pid, first);
    assert.equal(state!.runs, 2);
    assert.equal(state!.lastSignal, 'Terminated: 15');
    assert.equal(isProcessAlive(first), false);
  });

  it('lists every loaded agent with its pid and last status from one call', async () => {
    const agents = manager();
    await agents.install(definition(), plistPath());
    const other = 'com.codewhale.test-idle';
    await agents.install(
      definition({ label: other, runAtLoad: false, keepAlive: false }),
      plistPath(other),
    );
    const pid = (await agents.print(LABEL))!.pid!;

    const rows = await agents.list();

    assert.deepEqual(
      rows,
      new Map([
        [LABEL, { pid, status: 0 }],
        [other, { pid: null, status: 0 }],
      ]),
    );
  });
});

describe('parsePrintOutput', () => {
  it('reads depth-1 fields of the double and ignores the nested state = active lines', async () => {
    const agents = manager();
    await agents.install(definition(), plistPath());
    const printed = await runCommand(world.commands.launchctl, ['print', `gui/${UID}/${LABEL}`], {
      timeoutMs: 10_000,
      env: world.env,
    });

    const state = parsePrintOutput(printed.stdout);

    assert.equal((printed.stdout.match(/state = active/g) ?? []).length, 2);
    assert.equal(state.state, 'running');
    assert.equal(state.activeCount, 1);
    assert.equal(state.runs, 1);
    assert.equal(state.lastExitCode, null);
    assert.equal(state.minimumRuntime, 1);
    assert.equal(state.exitTimeout, 2);
    assert.deepEqual(state.properties, ['keepalive', 'runatload', 'inferred program']);
    assert.equal(state.fields.ID, undefined);
  });

  it('reads a stopped job with a terminating signal and no pid', () => {
    const text = [
      'gui/501/com.example.agent = {',
      '\tactive count = 0',
      '\tpath = /Users/me/Library/LaunchAgents/com.example.agent.plist',
      '\ttype = LaunchAgent',
      '\tstate = spawn scheduled',
      '',
      '\tresource coalition = {',
      '\t\tstate = active',
      '\t\tpid = 99',
      '\t}',
      '',
      '\truns = 311',
      '\tlast terminating signal = Terminated: 15',
      '\tjob state = exited',
      '}',
      '',
    ].join('\n');

    const state = parsePrintOutput(text);

    assert.deepEqual(
      [
        state.state,
        state.pid,
        state.runs,
        state.lastExitCode,
        state.lastSignal,
        state.lastSignalNumber,
        state.jobState,
      ],
      ['spawn scheduled', null, 311, null, 'Terminated: 15', 15, 'exited'],
    );
    assert.equal(state.path, '/Users/me/Library/LaunchAgents/com.example.agent.plist');
  });

  it('keeps the sysexits name of a last exit code', () => {
    const state = parsePrintOutput(
      'gui/501/x = {\n\tstate = not running\n\tlast exit code = 78: EX_CONFIG\n}\n',
    );

    assert.deepEqual([state.lastExitCode, state.lastExitStatus], ['78: EX_CONFIG', 78]);
  });
});

describe('parseListOutput', () => {
  it('maps labels to pid and status, negative for a signal', () => {
    const rows = parseListOutput(
      'PID\tStatus\tLabel\n311\t0\tcom.a\n-\t-15\tcom.b\n-\t78\tcom.c\ngarbage\n',
    );

    assert.deepEqual(
      rows,
      new Map([
        ['com.a', { pid: 311, status: 0 }],
        ['com.b', { pid: null, status: -15 }],
        ['com.c', { pid: null, status: 78 }],
      ]),
    );
  });
});
