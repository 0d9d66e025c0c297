import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { buildStatus } from '../../src/core/status-model.js';
import { decideNotifications } from '../../src/main/notification-rules.js';
import { observation, statusFor } from './status-fixtures.js';

const failedBridge = () =>
  buildStatus(
    observation(
      {},
      {
        bridge: {
          state: 'failed',
          restarts: 5,
          detail: 'another poller uses this bot token (409 Conflict)',
        },
      },
    ),
  );

describe('decideNotifications', () => {
  test('raises nothing for the first status seen', () => {
    assert.deepEqual(decideNotifications(null, statusFor('stopped'), null), []);
  });

  test('announces a service that has just failed, with its detail', () => {
    assert.deepEqual(decideNotifications(statusFor('running'), failedBridge(), null), [
      {
        id: 'bridge-failed',
        title: 'The Telegram bridge failed',
        body: 'another poller uses this bot token (409 Conflict)',
      },
    ]);
  });

  test('announces a failed service only once', () => {
    assert.deepEqual(decideNotifications(failedBridge(), failedBridge(), null), []);
  });

  test('says where to look when a failed service gives no detail', () => {
    const next = buildStatus(observation({}, { runtime: { state: 'failed', detail: null } }));
    assert.deepEqual(decideNotifications(statusFor('running'), next, null), [
      {
        id: 'runtime-failed',
        title: 'The CodeWhale runtime failed',
        body: 'The supervisor gave up restarting it. Open Status & Logs for details.',
      },
    ]);
  });

  test('announces a workbench that stopped without being asked', () => {
    assert.deepEqual(decideNotifications(statusFor('running'), statusFor('stopped'), null), [
      {
        id: 'workbench-stopped',
        title: 'The workbench stopped',
        body: 'It stopped without being asked to. Open Status & Logs to see why.',
      },
    ]);
    assert.deepEqual(
      decideNotifications(statusFor('degraded'), statusFor('stopped'), 'agent').map(
        (notice) => notice.id,
      ),
      ['workbench-stopped'],
    );
  });

  test('stays quiet when this app stopped or restarted the workbench', () => {
    assert.deepEqual(decideNotifications(statusFor('running'), statusFor('stopped'), 'stop'), []);
    assert.deepEqual(
      decideNotifications(statusFor('running'), statusFor('stopped'), 'restart'),
      [],
    );
  });

  test('stays quiet when another process was seen stopping the workbench', () => {
    assert.deepEqual(decideNotifications(statusFor('running'), statusFor('stopping'), null), []);
    assert.deepEqual(decideNotifications(statusFor('stopping'), statusFor('stopped'), null), []);
  });

  test('announces an error that ends a running workbench, with the summary', () => {
    assert.deepEqual(decideNotifications(statusFor('running'), statusFor('error'), null), [
      {
        id: 'workbench-error',
        title: 'The workbench stopped with an error',
        body: 'Error · container ls timed out after 10 s',
      },
    ]);
  });

  test('raises nothing for a workbench that was already stopped', () => {
    assert.deepEqual(decideNotifications(statusFor('stopped'), statusFor('error'), null), []);
    assert.deepEqual(decideNotifications(statusFor('stopped'), statusFor('running'), 'start'), []);
  });
});
