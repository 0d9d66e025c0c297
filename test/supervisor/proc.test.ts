import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isLoopback, parseProcNetTcp, parseProcStat } from '../../src/supervisor/proc.js';
import { relativeImportsOf } from '../../src/supervisor/doctor.js';

const TCP_HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const TCP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue';

describe('parseProcNetTcp', () => {
  it('decodes listening IPv4 sockets and skips the others', () => {
    const text = [
      TCP_HEADER,
      '   0: 0100007F:1EC6 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1',
      '   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0 0 2',
      '   2: 0100007F:1EC6 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000 0 3',
    ].join('\n');
    assert.deepEqual(parseProcNetTcp(text, 4), [
      { address: '127.0.0.1', port: 7878, family: 4 },
      { address: '0.0.0.0', port: 22, family: 4 },
    ]);
  });

  it('decodes IPv6 loopback, any and IPv4-mapped addresses', () => {
    const text = [
      TCP6_HEADER,
      '   0: 00000000000000000000000001000000:1EC6 00000000000000000000000000000000:0000 0A 0',
      '   1: 00000000000000000000000000000000:1EC6 00000000000000000000000000000000:0000 0A 0',
      '   2: 0000000000000000FFFF00000100007F:1EC6 00000000000000000000000000000000:0000 0A 0',
    ].join('\n');
    assert.deepEqual(
      parseProcNetTcp(text, 6).map((listener) => listener.address),
      ['::1', '::', '::ffff:127.0.0.1'],
    );
    assert.deepEqual(['::1', '::', '::ffff:127.0.0.1', '127.0.0.53', '0.0.0.0'].map(isLoopback), [
      true,
      false,
      true,
      true,
      false,
    ]);
  });
});

describe('parseProcStat', () => {
  it('reads the state and parent of a process whose name holds spaces and parentheses', () => {
    assert.deepEqual(parseProcStat('4242 (node (x) y) Z 1 4242 4242 0 -1'), {
      pid: 4242,
      state: 'Z',
      ppid: 1,
    });
  });
});

describe('relativeImportsOf', () => {
  it('finds the relative imports of a module, bridge-core included', () => {
    const source =
      "import { a } from '../../bridge-core/src/lib.mjs';\nimport './side.mjs';\nimport fs from 'node:fs';\nexport { b } from \"./b.mjs\";";
    assert.deepEqual(relativeImportsOf(source), [
      '../../bridge-core/src/lib.mjs',
      './side.mjs',
      './b.mjs',
    ]);
  });
});
