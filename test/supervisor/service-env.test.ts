import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { OutputForwarder } from '../../src/supervisor/output.js';
import {
  childEnvironment,
  redactSecrets,
  runtimeLaunch,
  secretValuesOf,
} from '../../src/supervisor/service-env.js';

describe('service environments', () => {
  it('builds the runtime command line from the port and worker keys, legacy names included', () => {
    const launch = runtimeLaunch(
      new Map([
        ['DEEPSEEK_RUNTIME_TOKEN', 't'],
        ['DEEPSEEK_RUNTIME_PORT', '9000'],
        ['CODEWHALE_RUNTIME_WORKERS', ' '],
      ]),
    );
    assert.deepEqual(launch, {
      ok: true,
      port: 9000,
      args: ['serve', '--http', '--host', '127.0.0.1', '--port', '9000', '--workers', '2'],
    });
    assert.deepEqual(
      runtimeLaunch(
        new Map([
          ['CODEWHALE_RUNTIME_TOKEN', 't'],
          ['CODEWHALE_RUNTIME_PORT', '0'],
        ]),
      ),
      {
        ok: false,
        detail:
          'CODEWHALE_RUNTIME_PORT in runtime.env must be a whole number from 1 to 65535, got "0"',
      },
    );
  });

  it("lets a file's own HOME, PATH or USER win over the supervisor's", () => {
    const env = childEnvironment(
      new Map([
        ['PATH', '/opt/bin'],
        ['A', '1'],
      ]),
      { HOME: '/home/codewhale', PATH: '/usr/bin', USER: 'codewhale' },
    );
    assert.deepEqual(env, { HOME: '/home/codewhale', PATH: '/opt/bin', USER: 'codewhale', A: '1' });
  });

  it('cuts the values of secret keys out of a text', () => {
    const secrets = secretValuesOf(
      new Map([
        ['TELEGRAM_BOT_TOKEN', '123:abcdef'],
        ['CODEWHALE_MODEL', 'auto'],
      ]),
    );
    assert.deepEqual(secrets, ['123:abcdef']);
    assert.equal(
      redactSecrets('GET /bot123:abcdef/getUpdates (auto)', secrets),
      'GET /bot[redacted]/getUpdates (auto)',
    );
  });
});

describe('OutputForwarder', () => {
  it('relays at most its budget of lines a second and says how many it dropped', () => {
    let now = 0;
    const written: string[] = [];
    const forwarder = new OutputForwarder('bridge', {
      perSecond: 2,
      out: { write: (text) => written.push(text) },
      clock: () => now,
    });
    for (let index = 0; index < 5; index += 1) forwarder.forward(`line ${index}\u001b[31m`);
    now = 1000;
    forwarder.forward('later');
    assert.deepEqual(written, [
      '[bridge] line 0\\x1b[31m\n',
      '[bridge] line 1\\x1b[31m\n',
      '[bridge] (3 lines dropped: too much output)\n',
      '[bridge] later\n',
    ]);
  });
});
