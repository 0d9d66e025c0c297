import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { Ajv } from 'ajv';

import { REPO_ROOT } from '../helpers/double-env.js';

const require = createRequire(import.meta.url);
// js-yaml comes with electron-builder, which parses this file with it.
const yaml = require('js-yaml') as { load(text: string): unknown };

type Config = Record<string, any>;

function readConfig(): Config {
  return yaml.load(readFileSync(join(REPO_ROOT, 'electron-builder.yml'), 'utf8')) as Config;
}

describe('electron-builder.yml', () => {
  test('passes the schema electron-builder validates with', () => {
    const schema = require('app-builder-lib/scheme.json') as object;
    const ajv = new Ajv({ allErrors: true, coerceTypes: true, strict: false });
    const validate = ajv.compile(schema);
    const valid = validate(readConfig());
    assert.equal(valid, true, JSON.stringify(validate.errors, null, 2));
  });

  test('refuses a misspelled key, so the schema check can fail', () => {
    const schema = require('app-builder-lib/scheme.json') as object;
    const validate = new Ajv({ allErrors: true, coerceTypes: true, strict: false }).compile(schema);
    const config = readConfig();
    assert.equal(validate({ ...config, mac: { ...config.mac, hardendRuntime: true } }), false);
  });

  test('builds a dmg and a zip for arm64 only', () => {
    const targets = readConfig().mac.target as Array<{ target: string; arch: string[] }>;
    assert.deepEqual(targets, [
      { target: 'dmg', arch: ['arm64'] },
      { target: 'zip', arch: ['arm64'] },
    ]);
  });

  test('makes a menu-bar app with the hardened runtime, entitlements and notarization', () => {
    const mac = readConfig().mac;
    assert.equal(mac.extendInfo.LSUIElement, true);
    assert.equal(mac.hardenedRuntime, true);
    assert.equal(mac.notarize, true);
    assert.equal(mac.entitlements, 'build/entitlements.mac.plist');
    assert.equal(mac.entitlementsInherit, 'build/entitlements.mac.plist');
    const entitlements = readFileSync(join(REPO_ROOT, mac.entitlements), 'utf8');
    assert.match(entitlements, /<key>com\.apple\.security\.cs\.allow-jit<\/key>\s*<true\/>/);
    assert.doesNotMatch(
      entitlements,
      /disable-library-validation|allow-unsigned-executable-memory/,
    );
  });

  test('keeps notarization credentials out of the file', () => {
    const text = readFileSync(join(REPO_ROOT, 'electron-builder.yml'), 'utf8');
    const keys = JSON.stringify(readConfig());
    assert.doesNotMatch(keys, /appleId|appleIdPassword|teamId|apiKey/i);
    assert.doesNotMatch(text, /^\s*(APPLE_[A-Z_]+)\s*:/m);
  });

  test('sets every fuse to its hardened value', () => {
    assert.deepEqual(readConfig().electronFuses, {
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  test('packs the built code, the container assets and the icons, with the agent program on disk', () => {
    const config = readConfig();
    for (const pattern of ['dist/**', 'assets/container/**', 'assets/icons/*.png']) {
      assert.ok(config.files.includes(pattern), `files include ${pattern}`);
    }
    for (const pattern of ['dist/cli.js', 'assets/container/**']) {
      assert.ok(config.asarUnpack.includes(pattern), `asarUnpack includes ${pattern}`);
    }
  });
});
