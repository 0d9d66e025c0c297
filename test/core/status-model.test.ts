import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildStatus, formatUptime, type StatusObservation } from '../../src/core/status-model.js';
import { sampleStatus } from '../helpers/samples.js';

const NOW = new Date('2026-12-03T11:00:00Z');

function envView(exists = true) {
  return { path: '/h/env/x.env', exists, mode: exists ? '0600' : null, ok: exists, problems: [] };
}

function observation(overrides: Partial<StatusObservation> = {}): StatusObservation {
  return {
    now: NOW,
    containerName: 'codewhale-workbench',
    image: 'codewhale-workbench:latest',
    system: { installed: true, running: true, version: '1.2.2' },
    systemError: null,
    container: {
      state: 'running',
      image: 'codewhale-workbench:latest',
      startedAt: '2026-12-03T08:00:00Z',
      cpus: 4,
      memoryBytes: 17179869184,
    },
    imagePresent: null,
    supervisor: { read: { ok: true, status: sampleStatus() }, stale: false },
    launchAgent: {
      label: 'com.codewhale.workbench',
      installed: true,
      loaded: true,
      pid: 311,
      lastExit: null,
    },
    keepAwake: { enabled: true, active: true },
    envFiles: { runtime: envView(), bridge: envView() },
    action: null,
    ...overrides,
  };
}

describe('buildStatus', () => {
  it('reports a healthy workbench as running with both uptimes', () => {
    const status = buildStatus(observation());
    assert.equal(status.overall, 'running');
    assert.equal(status.summary, 'Workbench running · runtime up 3h · bridge up 3h');
    assert.deepEqual(status.services?.runtime, {
      state: 'running',
      pid: 42,
      restarts: 0,
      healthy: true,
      since: '2026-12-03T08:00:00Z',
      lastExit: null,
      detail: null,
    });
    assert.deepEqual(status.launchAgent, {
      label: 'com.codewhale.workbench',
      installed: true,
      loaded: true,
      running: true,
      pid: 311,
      lastExit: null,
    });
  });

  it('reports a failed bridge as degraded with its detail as the reason', () => {
    const supervisor = sampleStatus();
    supervisor.services.bridge = {
      ...supervisor.services.bridge,
      state: 'failed',
      pid: null,
      restarts: 5,
      detail: 'another bridge is polling this bot token',
    };
    const status = buildStatus(
      observation({ supervisor: { read: { ok: true, status: supervisor }, stale: false } }),
    );
    assert.equal(status.overall, 'degraded');
    assert.equal(status.summary, 'Workbench degraded · runtime up 3h · bridge failed');
    assert.equal(status.reason, 'another bridge is polling this bot token');
  });

  it('reports an unhealthy runtime as degraded', () => {
    const supervisor = sampleStatus();
    supervisor.services.runtime = { ...supervisor.services.runtime, healthy: false };
    assert.equal(
      buildStatus(
        observation({ supervisor: { read: { ok: true, status: supervisor }, stale: false } }),
      ).overall,
      'degraded',
    );
  });

  it('reports services on their first start as starting', () => {
    const supervisor = sampleStatus();
    supervisor.services.bridge = { ...supervisor.services.bridge, state: 'starting', pid: null };
    assert.equal(
      buildStatus(
        observation({ supervisor: { read: { ok: true, status: supervisor }, stale: false } }),
      ).overall,
      'starting',
    );
  });

  it('reports a stale heartbeat as degraded and says why', () => {
    const status = buildStatus(
      observation({ supervisor: { read: { ok: true, status: sampleStatus() }, stale: true } }),
    );
    assert.equal(status.overall, 'degraded');
    assert.equal(
      status.reason,
      'the supervisor stopped updating status.json (heartbeat unchanged)',
    );
  });

  for (const [reason, detail] of [
    ['missing', 'the supervisor has not written status.json yet'],
    ['too-large', 'status.json is 10485760 bytes, over the 65536-byte limit'],
    ['invalid', 'status.json fails its schema at services.runtime.state'],
  ] as const) {
    it(`reports an old container with status.json ${reason} as degraded, not as a crash`, () => {
      const status = buildStatus(
        observation({ supervisor: { read: { ok: false, reason, detail }, stale: false } }),
      );
      assert.equal(status.overall, 'degraded');
      assert.equal(status.reason, detail);
      assert.equal(status.services, null);
    });
  }

  it('reports a young container without status.json yet as starting', () => {
    const container = {
      state: 'running' as const,
      image: 'i',
      startedAt: '2026-12-03T10:59:50Z',
      cpus: 4,
      memoryBytes: 1,
    };
    const status = buildStatus(
      observation({
        container,
        supervisor: { read: { ok: false, reason: 'missing', detail: 'x' }, stale: false },
      }),
    );
    assert.equal(status.overall, 'starting');
  });

  it('reports a missing container with env files as stopped', () => {
    const status = buildStatus(
      observation({
        container: null,
        supervisor: null,
        launchAgent: { label: 'l', installed: false, loaded: false, pid: null, lastExit: null },
      }),
    );
    assert.equal(status.overall, 'stopped');
    assert.equal(status.container.state, 'missing');
    assert.equal(status.services, null);
  });

  it('reports missing env files as not set up', () => {
    const status = buildStatus(
      observation({
        container: null,
        supervisor: null,
        envFiles: { runtime: envView(false), bridge: envView() },
      }),
    );
    assert.equal(status.overall, 'not-set-up');
    assert.equal(status.summary, 'Workbench not set up · run `workbench setup`');
  });

  it('reports a missing image as not set up', () => {
    const status = buildStatus(
      observation({ container: null, supervisor: null, imagePresent: false }),
    );
    assert.equal(status.overall, 'not-set-up');
    assert.equal(status.reason, 'the image codewhale-workbench:latest does not exist');
  });

  it('reports a missing container command as an error', () => {
    const status = buildStatus(
      observation({
        system: { installed: false, running: false, version: null },
        container: null,
        supervisor: null,
      }),
    );
    assert.equal(status.overall, 'error');
    assert.equal(status.summary, 'Error · container is not installed');
  });

  it('reports a command that failed as an error naming it', () => {
    const status = buildStatus(
      observation({
        systemError: 'container ls did not answer within 10 s',
        container: null,
        supervisor: null,
      }),
    );
    assert.equal(status.overall, 'error');
    assert.equal(status.summary, 'Error · container ls did not answer within 10 s');
    assert.equal(status.container.state, 'unknown');
  });

  it('reports a stopped container system service as stopped with the reason', () => {
    const status = buildStatus(
      observation({
        system: { installed: true, running: false, version: '1.2.2' },
        container: null,
        supervisor: null,
        launchAgent: { label: 'l', installed: false, loaded: false, pid: null, lastExit: null },
      }),
    );
    assert.equal(status.overall, 'stopped');
    assert.equal(status.summary, 'Workbench stopped · container system service not running');
  });

  it('reports an action under way from the lock as starting or stopping', () => {
    assert.equal(
      buildStatus(observation({ action: 'start', container: null })).overall,
      'starting',
    );
    assert.equal(buildStatus(observation({ action: 'stop' })).overall, 'stopping');
  });

  it('reports a container in stopping as stopping', () => {
    const container = {
      state: 'stopping' as const,
      image: 'i',
      startedAt: null,
      cpus: 4,
      memoryBytes: 1,
    };
    assert.equal(buildStatus(observation({ container })).overall, 'stopping');
  });

  it('reports a loaded agent with a live program but no container yet as starting', () => {
    assert.equal(
      buildStatus(observation({ container: null, supervisor: null })).overall,
      'starting',
    );
  });
});

describe('formatUptime', () => {
  it('rounds down to the largest unit', () => {
    assert.equal(formatUptime('2026-12-03T10:59:20Z', NOW), '40s');
    assert.equal(formatUptime('2026-12-03T10:48:00Z', NOW), '12m');
    assert.equal(formatUptime('2026-12-01T10:00:00Z', NOW), '2d');
    assert.equal(formatUptime(null, NOW), '');
  });
});
