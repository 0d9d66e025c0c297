import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { lookupUser, parseRunAs, readSupervisorConfig } from '../../src/supervisor/config.js';
import { RestartPolicy } from '../../src/supervisor/restart-policy.js';

const asUser = { uid: 501, nodeBin: '/usr/local/bin/node' };

describe('readSupervisorConfig', () => {
  it('uses the defaults of the real image', () => {
    const config = readSupervisorConfig({}, asUser);
    assert.deepEqual(
      { ...config },
      {
        envDir: '/etc/codewhale',
        statusDir: '/run/workbench',
        workspace: '/opt/whalebro',
        codewhaleBin: '/usr/local/bin/codewhale',
        bridgeEntry: '/opt/codewhale/telegram-bridge/src/index.mjs',
        nodeBin: '/usr/local/bin/node',
        restartDelayMs: 5000,
        restartMaxDelayMs: 60_000,
        failureWindowMs: 300_000,
        heartbeatMs: 10_000,
        healthIntervalMs: 5000,
        readyTimeoutMs: 120_000,
        bridgeStopGraceMs: 10_000,
        runtimeStopGraceMs: 5000,
        failureLimit: 5,
        runAs: null,
        volumeDirs: [
          '/opt/whalebro',
          '/home/codewhale/.codewhale',
          '/var/lib/codewhale-telegram-bridge',
        ],
      },
    );
  });

  it('keeps the health interval at 5 s or more unless fast timers are allowed', () => {
    assert.equal(
      readSupervisorConfig({ WORKBENCH_HEALTH_INTERVAL_MS: '100' }, asUser).healthIntervalMs,
      5000,
    );
    assert.equal(
      readSupervisorConfig(
        { WORKBENCH_HEALTH_INTERVAL_MS: '100', WORKBENCH_FAST_TIMERS: '1' },
        asUser,
      ).healthIntervalMs,
      100,
    );
  });

  it('names the variable and the bad value when a number is not one', () => {
    assert.throws(() => readSupervisorConfig({ WORKBENCH_RESTART_DELAY_MS: '5s' }, asUser), {
      name: 'SupervisorConfigError',
      message: 'WORKBENCH_RESTART_DELAY_MS must be a whole number, got "5s"',
      hint: 'set WORKBENCH_RESTART_DELAY_MS to a number such as 5000, or unset it',
    });
    assert.throws(() => readSupervisorConfig({ CODEWHALE_BIN: 'codewhale' }, asUser), {
      message: 'CODEWHALE_BIN must be an absolute path, got "codewhale"',
    });
  });
});

describe('parseRunAs', () => {
  it('runs the services as 1000:1000 under root unless told otherwise', () => {
    assert.deepEqual(parseRunAs(undefined, 0), { uid: 1000, gid: 1000 });
    assert.equal(parseRunAs('none', 0), null);
    assert.deepEqual(parseRunAs('1001:1002', 0), { uid: 1001, gid: 1002 });
    assert.equal(parseRunAs(undefined, 1000), null);
  });

  it('refuses another user when not root, and a malformed value', () => {
    assert.throws(() => parseRunAs('1000:1000', 501), {
      message: 'WORKBENCH_RUN_AS is 1000:1000, but only root can run the services as another user',
    });
    assert.throws(() => parseRunAs('codewhale', 0), {
      message: 'WORKBENCH_RUN_AS must be uid:gid or none, got "codewhale"',
    });
  });
});

describe('lookupUser', () => {
  it('finds a name and home folder in a passwd file', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-passwd-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'passwd'),
      'root:x:0:0:root:/root:/bin/bash\ncodewhale:x:1000:1000::/home/codewhale:/bin/bash\n',
    );
    assert.deepEqual(lookupUser(1000, join(dir, 'passwd')), {
      name: 'codewhale',
      home: '/home/codewhale',
    });
    assert.equal(lookupUser(1234, join(dir, 'passwd')), null);
  });
});

describe('RestartPolicy', () => {
  it('doubles the delay up to the cap and gives up at the limit within the window', () => {
    let now = 0;
    const policy = new RestartPolicy(
      { baseDelayMs: 5000, maxDelayMs: 12_000, limit: 4, windowMs: 60_000 },
      () => now,
    );
    const decisions = [0, 1, 2].map(() => {
      now += 1000;
      return policy.recordFailure();
    });
    assert.deepEqual(
      decisions.map((decision) => decision.delayMs),
      [5000, 10_000, 12_000],
    );
    assert.equal(
      decisions.some((decision) => decision.giveUp),
      false,
    );
    now += 1000;
    assert.deepEqual(policy.recordFailure(), { giveUp: true, delayMs: 12_000, failures: 4 });
  });

  it('forgets failures older than the window', () => {
    let now = 0;
    const policy = new RestartPolicy(
      { baseDelayMs: 100, maxDelayMs: 10_000, limit: 2, windowMs: 1000 },
      () => now,
    );
    policy.recordFailure();
    now = 5000;
    assert.deepEqual(policy.recordFailure(), { giveUp: false, delayMs: 100, failures: 1 });
  });
});
