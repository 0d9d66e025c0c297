import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { SettingsError } from '../../src/core/errors.js';
import {
  DEFAULT_SETTINGS,
  memoryBytes,
  parseSettings,
  SettingsStore,
} from '../../src/core/settings.js';

const root = mkdtempSync(join(tmpdir(), 'wb-settings-'));
after(() => rmSync(root, { recursive: true, force: true }));

function freshHome(name: string): string {
  return join(root, name);
}

describe('settings', () => {
  it('fills in the defaults of the specification', () => {
    assert.deepEqual(DEFAULT_SETTINGS, {
      schemaVersion: 1,
      containerName: 'codewhale-workbench',
      image: 'codewhale-workbench:latest',
      cpus: 4,
      memory: '16G',
      stopTimeoutSeconds: 30,
      commands: {},
      setupComplete: false,
    });
    assert.equal(memoryBytes('16G'), 17179869184);
    assert.equal(memoryBytes('512M'), 536870912);
  });

  it('names the key, the bad value and the fix', () => {
    assert.throws(
      () => parseSettings({ memory: '16 GB' }, '/h/config.json'),
      (error: unknown) => {
        assert.ok(error instanceof SettingsError);
        assert.equal(
          error.message,
          'setting memory in /h/config.json must be a size such as 16G or 8192M (got "16 GB")',
        );
        assert.equal(error.hint, 'fix or remove "memory" in /h/config.json');
        return true;
      },
    );
  });

  it('refuses a relative command path and an invalid container name', () => {
    assert.throws(() => parseSettings({ commands: { container: 'container' } }, 'c'), {
      message: 'setting commands.container in c must be an absolute path (got "container")',
    });
    assert.throws(() => parseSettings({ containerName: 'x' }, 'c'), SettingsError);
  });

  it('stores changes in WORKBENCH_HOME/config.json with mode 0600', () => {
    const home = freshHome('store');
    const store = new SettingsStore(home);
    assert.equal(store.path, join(home, 'config.json'));
    store.update({ cpus: 6, commands: { container: '/opt/homebrew/bin/container' } });
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    const onDisk = JSON.parse(readFileSync(store.path, 'utf8'));
    assert.equal(onDisk.cpus, 6);
    assert.equal(new SettingsStore(home).read().commands.container, '/opt/homebrew/bin/container');
  });

  it('writes nothing when a change would be invalid', () => {
    const home = freshHome('invalid-change');
    const store = new SettingsStore(home);
    store.update({ cpus: 2 });
    assert.throws(() => store.update({ cpus: 0 }), SettingsError);
    assert.equal(store.read().cpus, 2);
  });

  it('reports a config.json that is not JSON with the fix, not a stack', () => {
    const home = freshHome('broken');
    new SettingsStore(home).update({ cpus: 2 });
    writeFileSync(join(home, 'config.json'), '{ "cpus": ');
    assert.throws(
      () => new SettingsStore(home),
      (error: unknown) => {
        assert.ok(error instanceof SettingsError);
        assert.match(error.message, /^cannot read the settings in .*config\.json: /);
        assert.equal(
          error.hint,
          'fix the JSON in config.json or move the file away to start from the defaults',
        );
        return true;
      },
    );
  });
});
