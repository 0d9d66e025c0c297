import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { parseEnvDocument } from '../../src/core/env/document.js';
import { writeSecretFile } from '../../src/core/env/secret-file.js';
import {
  checkEnvFiles,
  maskedText,
  readEnvStatus,
  revealEnvValue,
  saveEnvChanges,
} from '../../src/core/env/store.js';
import { renderTemplates } from '../../src/core/env/templates.js';

const root = mkdtempSync(join(tmpdir(), 'wb-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

const TOKEN = 'f'.repeat(64);
let counter = 0;

/** An env folder with both templates written, sharing TOKEN. */
function templatedDir(): string {
  counter += 1;
  const dir = join(root, `home-${counter}`, 'env');
  const texts = renderTemplates(TOKEN);
  writeSecretFile(join(dir, 'runtime.env'), texts.runtime);
  writeSecretFile(join(dir, 'telegram-bridge.env'), texts.bridge);

  return dir;
}

describe('env store', () => {
  test('reports a wrong folder mode once and leaves it without repair', () => {
    const dir = templatedDir();
    chmodSync(dir, 0o750);
    const report = checkEnvFiles(dir, { repair: false });
    assert.deepEqual(
      report.problems.filter((found) => found.code === 'wrong_mode').map((found) => found.message),
      ['folder env is 0750, should be 0700'],
    );
    assert.equal(statSync(dir).mode & 0o777, 0o750);
    assert.deepEqual(checkEnvFiles(dir).repairs, ['folder env was 0750, now 0700']);
  });

  test('reports a symlinked file as refused rather than missing', () => {
    const dir = templatedDir();
    const target = join(root, `elsewhere-${counter}.env`);
    writeFileSync(target, 'A=1\n');
    rmSync(join(dir, 'runtime.env'));
    symlinkSync(target, join(dir, 'runtime.env'));
    const report = checkEnvFiles(dir);
    const runtimeProblems = report.problems.filter((found) => found.file === 'runtime');
    assert.deepEqual(
      runtimeProblems.map((found) => found.code),
      ['symlink'],
    );
    assert.equal(report.ok, false);
  });

  test('saves changes to one file and validates both', () => {
    const dir = templatedDir();
    const result = saveEnvChanges(dir, 'bridge', {
      TELEGRAM_BOT_TOKEN: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1',
      TELEGRAM_CHAT_ALLOWLIST: '42',
      TELEGRAM_UPDATE_OFFSET: null,
    });
    assert.deepEqual(
      result.problems.map((found) => `${found.file}:${found.code}`),
      ['runtime:placeholder_provider_key'],
    );
    const saved = parseEnvDocument(readFileSync(join(dir, 'telegram-bridge.env')));
    assert.equal(saved.get('TELEGRAM_CHAT_ALLOWLIST'), '42');
    assert.equal(statSync(join(dir, 'telegram-bridge.env')).mode & 0o777, 0o600);
  });

  test('refuses a bad value before anything is written', () => {
    const dir = templatedDir();
    const path = join(dir, 'runtime.env');
    const before = readFileSync(path, 'utf8');
    assert.throws(
      () => saveEnvChanges(dir, 'runtime', { CODEWHALE_MODEL: 'auto', RUST_LOG: '"debug"' }),
      {
        name: 'EnvFileError',
        code: 'quoted_value',
        message:
          `refusing to set RUST_LOG in ${path}: the value of RUST_LOG is quoted ("\\"debug\\""); some loaders ` +
          'remove the quotes and others keep them',
      },
    );
    assert.equal(readFileSync(path, 'utf8'), before);
  });

  test('refuses to save into a file that does not exist', () => {
    const dir = join(root, 'empty', 'env');
    assert.throws(() => saveEnvChanges(dir, 'runtime', { A: '1' }), {
      code: 'missing_file',
      message: `${join(dir, 'runtime.env')} does not exist`,
      hint: 'run `workbench setup` to create the env files first',
    });
  });

  test('reveals one value on request', () => {
    const dir = templatedDir();
    assert.equal(revealEnvValue(dir, 'runtime', 'CODEWHALE_RUNTIME_TOKEN'), TOKEN);
    assert.equal(revealEnvValue(dir, 'runtime', 'NOT_THERE'), null);
  });

  test('masks secrets, commented-out secrets and unreadable lines when shown', () => {
    const document = parseEnvDocument(
      `# note\nTELEGRAM_BOT_TOKEN=${TOKEN}\n#CODEWHALE_RUNTIME_TOKEN=${TOKEN}\n${TOKEN}\nCODEWHALE_MODEL=auto\n`,
    );
    assert.equal(
      maskedText(document),
      [
        '# note',
        'TELEGRAM_BOT_TOKEN=•••••••• (64 characters)',
        '#CODEWHALE_RUNTIME_TOKEN=•••••••• (64 characters)',
        '# (a line that is not KEY=value is hidden)',
        'CODEWHALE_MODEL=auto',
        '',
      ].join('\n'),
    );
  });

  test('gives the status model one line per problem and the mode', () => {
    const dir = templatedDir();
    chmodSync(join(dir, 'runtime.env'), 0o644);
    const status = readEnvStatus(dir);
    assert.deepEqual(status.runtime, {
      path: join(dir, 'runtime.env'),
      exists: true,
      mode: '0644',
      ok: false,
      problems: [
        'runtime.env: error: runtime.env is 0644, should be 0600 — run `workbench env check --fix`',
        'runtime.env:23: error: DEEPSEEK_API_KEY, the API key of provider "deepseek", is still a placeholder — ' +
          'paste the key on stdin: `workbench env set runtime DEEPSEEK_API_KEY`',
      ],
    });
    assert.equal(statSync(join(dir, 'runtime.env')).mode & 0o777, 0o644);
    assert.equal(readEnvStatus(dir, { repair: true }).runtime.mode, '0600');
  });
});
