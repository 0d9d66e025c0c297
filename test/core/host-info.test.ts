import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';

import { CommandError } from '../../src/core/errors.js';
import { macosMajor, readHostInfo } from '../../src/core/host-info.js';
import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';
import { HostControl } from '../doubles/host-control.js';

let world: DoubleWorld;
let host: HostControl;
const worlds: DoubleWorld[] = [];

beforeEach(() => {
  world = createDoubleWorld();
  worlds.push(world);
  host = new HostControl(world);
});

after(() => {
  for (const each of worlds) each.cleanup();
});

function read() {
  return readHostInfo(world.commands, { env: world.env, timeoutMs: 20_000 });
}

describe('readHostInfo', () => {
  test('reads a native Apple-silicon Mac on macOS 26', async () => {
    assert.deepEqual(await read(), {
      macosVersion: '26.0',
      appleSilicon: true,
      rosetta: false,
      cpuBrand: 'Apple M2 Pro',
      cpus: 12,
      memoryBytes: 34359738368,
    });
  });

  test('tells Rosetta from native Apple silicon', async () => {
    host.setArch('rosetta');
    const info = await read();

    assert.equal(info.appleSilicon, true);
    assert.equal(info.rosetta, true);
  });

  test('reads an Intel Mac on macOS 15.1 as neither Apple silicon nor Rosetta', async () => {
    host.setArch('intel');
    host.setMacosVersion('15.1');
    const info = await read();

    assert.equal(info.macosVersion, '15.1');
    assert.equal(info.appleSilicon, false);
    assert.equal(info.rosetta, false);
    assert.equal(info.cpuBrand, 'Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz');
  });

  test('rejects with a CommandError naming sw_vers when it is missing', async () => {
    const commands = { ...world.commands, sw_vers: '/nonexistent/sw_vers' };

    await assert.rejects(readHostInfo(commands, { env: world.env }), (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.equal(error.message, 'sw_vers is not installed at /nonexistent/sw_vers');
      return true;
    });
  });

  test('waits for the sysctl calls before rejecting for a missing sw_vers', async () => {
    // A sysctl that answers late and leaves a mark once it has finished.
    const marks = join(world.root, 'sysctl-finished');
    const slowSysctl = join(world.root, 'slow-sysctl');
    writeFileSync(slowSysctl, `#!/bin/sh\nsleep 0.3\necho done >> '${marks}'\n`, { mode: 0o755 });
    const commands = { sysctl: slowSysctl, sw_vers: '/nonexistent/sw_vers' };

    await assert.rejects(readHostInfo(commands, { env: world.env }), CommandError);

    assert.equal(readFileSync(marks, 'utf8'), 'done\ndone\ndone\n');
  });

  test('takes the major version from two- and three-part versions', () => {
    assert.deepEqual(['26.0', '15.1', '14.2.1', ''].map(macosMajor), [26, 15, 14, Number.NaN]);
  });
});
