import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CONFLICT_DETAIL,
  NO_TOKEN_DETAIL,
  classifyExit,
  classifyRunningLine,
} from '../../src/supervisor/classify.js';

describe('classifyExit', () => {
  it('reads a bind address the runtime refuses as a fatal configuration error', () => {
    const lines = [
      "error: Invalid bind address 'localhost:7878'",
      '  caused by: invalid socket address syntax',
    ];
    assert.deepEqual(classifyExit('runtime', lines, 1, null), {
      detail:
        "Invalid bind address 'localhost:7878' — the runtime must bind an IP literal such as 127.0.0.1",
      fatal: true,
    });
  });

  it('reads a port in use as a failure worth retrying, with its cause', () => {
    const lines = [
      'error: Failed to bind 127.0.0.1:7878',
      '  caused by: Address already in use (os error 98)',
    ];
    assert.deepEqual(classifyExit('runtime', lines, 1, null), {
      detail:
        'Failed to bind 127.0.0.1:7878: Address already in use (os error 98) — is something else using the port?',
      fatal: false,
    });
  });

  it('reads the generated-token line as a runtime that no token reached', () => {
    const lines = [
      'Runtime API listening on http://127.0.0.1:7878',
      'Runtime API auth: generated bearer token for this process (not printed).',
    ];
    assert.deepEqual(classifyExit('runtime', lines, 143, null), {
      detail: NO_TOKEN_DETAIL,
      fatal: true,
    });
    assert.deepEqual(classifyRunningLine('runtime', lines[1]!), {
      detail: NO_TOKEN_DETAIL,
      fatal: true,
    });
  });

  it('reads the 409 conflict message as fatal, so the bridge is not restarted into the same conflict', () => {
    const lines = [
      'file:///opt/codewhale/telegram-bridge/src/index.mjs:120',
      'Error: Telegram getUpdates conflict; another bridge is polling this bot token. Stop the other bridge process or use a different token.',
      '    at file:///opt/codewhale/telegram-bridge/src/index.mjs:120:13',
      'Node.js v22.11.0',
    ];
    assert.deepEqual(classifyExit('bridge', lines, 1, null), {
      detail: CONFLICT_DETAIL,
      fatal: true,
    });
  });

  it('names a missing module that is not bridge-core', () => {
    const lines = [
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/opt/codewhale/telegram-bridge/src/store.mjs' imported from /x.mjs",
    ];
    assert.deepEqual(classifyExit('bridge', lines, 1, null), {
      detail:
        'a module is missing (ERR_MODULE_NOT_FOUND: /opt/codewhale/telegram-bridge/src/store.mjs) — reinstall the bridge',
      fatal: true,
    });
  });

  it('describes an unknown crash by its status and last error line, not by the Node version line', () => {
    const lines = [
      'TypeError: Cannot read properties of undefined',
      '    at main (x.mjs:1:1)',
      '',
      'Node.js v20.20.2',
    ];
    assert.deepEqual(classifyExit('bridge', lines, 1, null), {
      detail: 'exited with code 1: TypeError: Cannot read properties of undefined',
      fatal: false,
    });
    assert.deepEqual(classifyExit('runtime', [], null, 'SIGKILL'), {
      detail: 'killed by SIGKILL',
      fatal: false,
    });
  });

  it('keeps a detail within what status.json allows', () => {
    const detail = classifyExit('runtime', [`error: ${'x'.repeat(2000)}`], 1, null).detail;
    assert.equal(detail.length, 480);
    assert.ok(detail.endsWith('…'));
  });
});

describe('classifyRunningLine', () => {
  it('shows a Telegram poll failure and a conflict retry as details, not as failures', () => {
    assert.deepEqual(
      classifyRunningLine('bridge', 'Telegram poll failed: fetch failed. Retrying in 3s.'),
      {
        detail: 'Telegram poll failed: fetch failed',
        fatal: false,
      },
    );
    assert.deepEqual(
      classifyRunningLine(
        'bridge',
        'Telegram getUpdates conflict; another bridge is polling this bot. Retrying in 25s.',
      ),
      {
        detail: 'another bridge is polling this bot token; retrying in 25s',
        fatal: false,
      },
    );
    assert.equal(classifyRunningLine('bridge', 'Starting CodeWhale Telegram bridge'), null);
  });
});
