import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';

import { runCommand } from '../../src/core/run-command.js';
import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';
import { HostControl } from './host-control.js';

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

function run(command: 'sw_vers' | 'sysctl', args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCommand(world.commands[command], args, {
    timeoutMs: 20_000,
    env: { ...world.env, ...env },
  });
}

describe('sw_vers double', () => {
  test('prints the three-line form without arguments', async () => {
    const result = await run('sw_vers', []);

    assert.equal(result.exitCode, 0);
    assert.equal(
      result.stdout,
      'ProductName:\t\tmacOS\nProductVersion:\t\t26.0\nBuildVersion:\t\t25A354\n',
    );
  });

  test('prints the configured version for -productVersion and --productVersion', async () => {
    host.setMacosVersion('15.1', '24B83');

    assert.equal((await run('sw_vers', ['-productVersion'])).stdout, '15.1\n');
    assert.equal((await run('sw_vers', ['--productVersion'])).stdout, '15.1\n');
    assert.equal((await run('sw_vers', ['-buildVersion'])).stdout, '24B83\n');
  });

  test('reports 10.16 when SYSTEM_VERSION_COMPAT is 1', async () => {
    assert.equal(
      (await run('sw_vers', ['-productVersion'], { SYSTEM_VERSION_COMPAT: '1' })).stdout,
      '10.16\n',
    );
  });

  test('refuses an unknown option with its usage, exit 1', async () => {
    const result = await run('sw_vers', ['-bogus']);

    assert.equal(result.exitCode, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^Usage: sw_vers/);
  });
});

describe('sysctl double', () => {
  const CASES = [
    { arch: 'apple-silicon', translated: '0\n', arm64: '1\n' },
    { arch: 'rosetta', translated: '1\n', arm64: '1\n' },
    { arch: 'intel', translated: '', arm64: '' },
  ] as const;

  for (const { arch, translated, arm64 } of CASES) {
    test(`answers the Rosetta and arm64 questions for ${arch}`, async () => {
      host.setArch(arch);
      const rosetta = await run('sysctl', ['-in', 'sysctl.proc_translated']);
      const hardware = await run('sysctl', ['-in', 'hw.optional.arm64']);

      assert.deepEqual([rosetta.exitCode, rosetta.stdout], [0, translated]);
      assert.deepEqual([hardware.exitCode, hardware.stdout], [0, arm64]);
    });
  }

  test('prints the CPU name, core count and memory for -n', async () => {
    host.setCpu({ brand: 'Apple M4 Max', cpus: 16, memoryBytes: 64 * 1024 ** 3 });

    assert.equal(
      (await run('sysctl', ['-n', 'machdep.cpu.brand_string'])).stdout,
      'Apple M4 Max\n',
    );
    assert.equal((await run('sysctl', ['-n', 'hw.ncpu'])).stdout, '16\n');
    assert.equal((await run('sysctl', ['-n', 'hw.memsize'])).stdout, '68719476736\n');
  });

  test('prints an Intel CPU name on an Intel Mac', async () => {
    host.setArch('intel');

    assert.equal(
      (await run('sysctl', ['-n', 'machdep.cpu.brand_string'])).stdout,
      'Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz\n',
    );
  });

  test('prints name and value without -n', async () => {
    assert.equal((await run('sysctl', ['hw.ncpu'])).stdout, 'hw.ncpu: 12\n');
  });

  test('fails on an unknown name without -i', async () => {
    host.setArch('intel');
    const result = await run('sysctl', ['-n', 'hw.optional.arm64']);

    assert.equal(result.exitCode, 1);
    assert.equal(result.stderr, "sysctl: unknown oid 'hw.optional.arm64'\n");
  });
});
