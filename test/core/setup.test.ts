import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';

import { parseEnvDocument } from '../../src/core/env/document.js';
import { writeSecretFile } from '../../src/core/env/secret-file.js';
import { findPackageRoot, setUpEnvFiles } from '../../src/core/setup.js';
import { ContainerDouble } from '../doubles/container-control.js';
import { createDoubleWorld, REPO_ROOT, type DoubleWorld } from '../helpers/double-env.js';

const root = mkdtempSync(join(tmpdir(), 'wb-setup-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function freshEnvDir(): string {
  counter += 1;

  return join(root, `home-${counter}`, 'env');
}

function tokenOf(path: string): string | undefined {
  return parseEnvDocument(readFileSync(path)).get('CODEWHALE_RUNTIME_TOKEN');
}

describe('setup: env files', () => {
  test('creates the folder 0700 and both files 0600 with one fresh token', () => {
    const envDir = freshEnvDir();
    const report = setUpEnvFiles(envDir);
    const runtime = join(envDir, 'runtime.env');
    const bridge = join(envDir, 'telegram-bridge.env');

    assert.deepEqual(report, {
      envFolder: { path: envDir, action: 'created', repairs: [] },
      files: {
        runtime: { path: runtime, action: 'created' },
        bridge: { path: bridge, action: 'created' },
      },
      token: 'generated',
    });
    assert.equal(statSync(envDir).mode & 0o777, 0o700);
    assert.equal(statSync(runtime).mode & 0o777, 0o600);
    assert.equal(statSync(bridge).mode & 0o777, 0o600);
    assert.match(tokenOf(runtime)!, /^[0-9a-f]{64}$/);
    assert.equal(tokenOf(bridge), tokenOf(runtime));
  });

  test('never overwrites an existing file and keeps its token', () => {
    const envDir = freshEnvDir();
    setUpEnvFiles(envDir);
    const runtime = join(envDir, 'runtime.env');
    writeSecretFile(runtime, `${readFileSync(runtime, 'utf8')}# my note\n`);
    const before = readFileSync(runtime, 'utf8');
    const bridgeBefore = readFileSync(join(envDir, 'telegram-bridge.env'), 'utf8');

    const again = setUpEnvFiles(envDir);
    assert.equal(again.envFolder.action, 'kept');
    assert.deepEqual(
      [again.files.runtime.action, again.files.bridge.action, again.token],
      ['kept', 'kept', 'kept'],
    );
    assert.equal(readFileSync(runtime, 'utf8'), before);
    assert.equal(readFileSync(join(envDir, 'telegram-bridge.env'), 'utf8'), bridgeBefore);
  });

  test("gives a re-created file the other file's token", () => {
    const envDir = freshEnvDir();
    setUpEnvFiles(envDir);
    const runtime = join(envDir, 'runtime.env');
    const bridge = join(envDir, 'telegram-bridge.env');
    const token = tokenOf(runtime);
    rmSync(bridge);

    const report = setUpEnvFiles(envDir);
    assert.deepEqual(
      [report.files.runtime.action, report.files.bridge.action, report.token],
      ['kept', 'created', 'copied from runtime.env'],
    );
    assert.equal(tokenOf(bridge), token);
  });

  test('generates a token when the kept file still holds the placeholder', () => {
    const envDir = freshEnvDir();
    setUpEnvFiles(envDir);
    const bridge = join(envDir, 'telegram-bridge.env');
    writeSecretFile(bridge, 'CODEWHALE_RUNTIME_TOKEN=replace-with-same-token-as-runtime-env\n');
    rmSync(join(envDir, 'runtime.env'));

    const report = setUpEnvFiles(envDir);
    assert.equal(report.token, 'generated');
    assert.match(tokenOf(join(envDir, 'runtime.env'))!, /^[0-9a-f]{64}$/);
  });

  test('repairs a folder that was opened up by hand', () => {
    const envDir = freshEnvDir();
    setUpEnvFiles(envDir);
    chmodSync(envDir, 0o755);
    assert.deepEqual(setUpEnvFiles(envDir).envFolder.repairs, ['folder env was 0755, now 0700']);
    assert.equal(statSync(envDir).mode & 0o777, 0o700);
  });

  test('refuses to create a file where a symlink stands', () => {
    const envDir = freshEnvDir();
    setUpEnvFiles(envDir);
    const target = join(root, `target-${counter}`);
    writeFileSync(target, 'untouched\n');
    rmSync(join(envDir, 'telegram-bridge.env'));
    symlinkSync(target, join(envDir, 'telegram-bridge.env'));

    assert.throws(() => setUpEnvFiles(envDir), { name: 'EnvFileError', code: 'symlink' });
    assert.equal(readFileSync(target, 'utf8'), 'untouched\n');
  });
});

describe('setup: package root', () => {
  test('finds the folder that holds the Containerfile', (t) => {
    if (!existsSync(join(REPO_ROOT, 'assets', 'container', 'Containerfile'))) {
      t.skip('the Containerfile is not in this checkout');
      return;
    }
    assert.equal(findPackageRoot(join(REPO_ROOT, 'src', 'core')), REPO_ROOT);
    assert.equal(findPackageRoot(root), null);
  });
});

describe('workbench setup and teardown', () => {
  const CLI = join(REPO_ROOT, 'dist', 'cli.js');
  const VOLUMES = [
    'codewhale-workbench-bridge',
    'codewhale-workbench-home',
    'codewhale-workbench-workspace',
  ];

  function workbench(
    world: DoubleWorld,
    args: string[],
  ): { code: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      env: world.env,
      encoding: 'utf8',
      timeout: 60_000,
      input: '',
    });

    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function newWorld(t: TestContext): { world: DoubleWorld; double: ContainerDouble } {
    const world = createDoubleWorld();
    const double = new ContainerDouble(world.doubleState);
    t.after(async () => {
      await double.killAll();
      world.cleanup();
    });

    return { world, double };
  }

  test('creates the env files, the volumes and the image, and keeps them on a second run', (t) => {
    const { world, double } = newWorld(t);
    double.setSystem('not running');
    const envDir = join(world.home, 'env');

    const first = workbench(world, ['setup', '--yes']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(
      first.stdout.split('\n').slice(0, 8).join('\n'),
      [
        `env folder ${envDir}: created (mode 0700)`,
        `${join(envDir, 'runtime.env')}: created`,
        `${join(envDir, 'telegram-bridge.env')}: created`,
        'runtime token: generated (the same in both files)',
        'volume codewhale-workbench-workspace: created',
        'volume codewhale-workbench-home: created',
        'volume codewhale-workbench-bridge: created',
        'image codewhale-workbench:latest: built',
      ].join('\n'),
    );
    assert.match(first.stdout, /^Setup complete\. Still to do in the env files:$/m);
    assert.match(
      first.stdout,
      /^ {2}telegram-bridge\.env:11: error: TELEGRAM_BOT_TOKEN in telegram-bridge\.env is still a placeholder/m,
    );
    assert.deepEqual(
      double
        .volumes()
        .map((volume) => volume.name)
        .sort(),
      VOLUMES,
    );
    assert.ok(
      double.images().some((image) => image.reference.endsWith('codewhale-workbench:latest')),
    );
    assert.equal(double.system().state, 'running');
    assert.equal(statSync(join(envDir, 'runtime.env')).mode & 0o777, 0o600);
    const token = tokenOf(join(envDir, 'runtime.env'));

    const second = workbench(world, ['setup', '--yes']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^env folder .*: kept \(mode 0700\)$/m);
    assert.match(second.stdout, /^volume codewhale-workbench-home: exists$/m);
    assert.doesNotMatch(second.stdout, /runtime token/);
    assert.equal(tokenOf(join(envDir, 'runtime.env')), token);
  });

  test('uses an existing image given with --image and refuses a missing one', (t) => {
    const { world, double } = newWorld(t);
    double.addImage('example.com/workbench:1', { Entrypoint: ['/bin/true'] }, { local: true });

    const missing = workbench(world, ['setup', '--image', 'example.com/nothing:1']);
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr.split('\n')[0],
      'workbench: the image example.com/nothing:1 does not exist',
    );

    const used = workbench(world, ['setup', '--image', 'example.com/workbench:1']);
    assert.equal(used.code, 0, used.stderr);
    assert.match(used.stdout, /^image example\.com\/workbench:1: exists, now in use$/m);
    assert.equal(
      JSON.parse(readFileSync(join(world.home, 'config.json'), 'utf8')).image,
      'example.com/workbench:1',
    );
  });

  test('refuses to tear down without --yes', (t) => {
    const { world } = newWorld(t);
    const run = workbench(world, ['teardown', '--volumes']);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      'workbench: teardown: refusing to tear down without --yes\n' +
        '  run `workbench teardown --yes` (add --volumes and --env to delete those too)\n',
    );
  });

  test('keeps the volumes and env files unless asked, and deletes them when asked', (t) => {
    const { world, double } = newWorld(t);
    const envDir = join(world.home, 'env');
    assert.equal(workbench(world, ['setup', '--yes']).code, 0);

    const plain = workbench(world, ['teardown', '--yes']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^kept the env folder .* \(use --env to delete it\)$/m);
    assert.deepEqual(
      double
        .volumes()
        .map((volume) => volume.name)
        .sort(),
      VOLUMES,
    );
    assert.ok(existsSync(join(envDir, 'runtime.env')));

    const full = workbench(world, ['teardown', '--yes', '--volumes', '--env']);
    assert.equal(full.code, 0, full.stderr);
    assert.match(
      full.stdout,
      /^deleted volumes: codewhale-workbench-workspace, codewhale-workbench-home, codewhale-workbench-bridge$/m,
    );
    assert.match(
      full.stdout,
      new RegExp(`^deleted the env folder ${envDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
    );
    assert.deepEqual(double.volumes(), []);
    assert.equal(existsSync(envDir), false);
  });
});
