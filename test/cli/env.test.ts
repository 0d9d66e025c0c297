import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { parseEnvDocument } from '../../src/core/env/document.js';
import { writeSecretFile } from '../../src/core/env/secret-file.js';
import { renderTemplates } from '../../src/core/env/templates.js';
import { createDoubleWorld, REPO_ROOT, type DoubleWorld } from '../helpers/double-env.js';

const CLI = join(REPO_ROOT, 'dist', 'cli.js');
const TOKEN = '0123456789abcdef'.repeat(4);
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
const PROVIDER_KEY = 'sk-abcdef0123456789';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let world: DoubleWorld;
let envDir: string;

before(() => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run node scripts/build.mjs first`);
  world = createDoubleWorld({ homeName: 'home with space & "quotes"' });
  envDir = join(world.home, 'env');
});

after(() => world.cleanup());

/** Runs `node dist/cli.js …args` with `input` on stdin and waits for it to end. */
function workbench(args: string[], input = '', env: NodeJS.ProcessEnv = world.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

function path(name: 'runtime' | 'bridge'): string {
  return join(envDir, name === 'runtime' ? 'runtime.env' : 'telegram-bridge.env');
}

/** Both files from the templates, sharing TOKEN, with the placeholders left in. */
function writeTemplates(): void {
  const texts = renderTemplates(TOKEN);
  writeSecretFile(path('runtime'), texts.runtime);
  writeSecretFile(path('bridge'), texts.bridge);
}

function valueIn(name: 'runtime' | 'bridge', key: string): string | undefined {
  return parseEnvDocument(readFileSync(path(name))).get(key);
}

describe('workbench env check', () => {
  test('fails and names both files when they do not exist', async (t) => {
    const empty = createDoubleWorld();
    t.after(() => empty.cleanup());
    const run = await workbench(['env', 'check'], '', empty.env);
    assert.equal(run.code, 1);
    const dir = join(empty.home, 'env');
    assert.equal(
      run.stdout,
      [
        `runtime.env (${join(dir, 'runtime.env')}): 1 error`,
        '  runtime.env: error: runtime.env does not exist — run `workbench setup` to create it from the template',
        `telegram-bridge.env (${join(dir, 'telegram-bridge.env')}): 1 error`,
        '  telegram-bridge.env: error: telegram-bridge.env does not exist — run `workbench setup` to create it from the template',
        '',
      ].join('\n'),
    );
  });

  test('reports the placeholders of fresh templates as JSON', async () => {
    writeTemplates();
    const run = await workbench(['env', 'check', '--json']);
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.files.runtime.mode, '0600');
    assert.equal(report.files.bridge.path, path('bridge'));
    assert.deepEqual(
      report.problems.map((found: { code: string; file: string; line: number }) => [
        found.code,
        found.file,
        found.line,
      ]),
      [
        ['placeholder_provider_key', 'runtime', 23],
        ['placeholder_value', 'bridge', 11],
        ['not_paired', 'bridge', 35],
      ],
    );
    assert.deepEqual(report.repairs, []);
  });

  test('reports a file made 0644 as an error and repairs it with --fix', async () => {
    writeTemplates();
    chmodSync(path('runtime'), 0o644);
    const check = await workbench(['env', 'check']);
    assert.equal(check.code, 1);
    assert.match(
      check.stdout,
      /^ {2}runtime\.env: error: runtime\.env is 0644, should be 0600 — run `workbench env check --fix`$/m,
    );
    assert.equal(statSync(path('runtime')).mode & 0o777, 0o644);

    const fix = await workbench(['env', 'check', '--fix']);
    assert.match(fix.stdout, /^repaired: runtime\.env was 0644, now 0600$/m);
    assert.equal(statSync(path('runtime')).mode & 0o777, 0o600);
    assert.doesNotMatch(fix.stdout, /should be 0600/);
  });
});

describe('workbench env set', () => {
  test('reads a secret from stdin, saves it with mode 0600 and never prints it', async () => {
    writeTemplates();
    const run = await workbench(['env', 'set', 'bridge', 'TELEGRAM_BOT_TOKEN'], `${BOT_TOKEN}\n`);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      'set TELEGRAM_BOT_TOKEN in telegram-bridge.env to a secret value (mode 0600)\n',
    );
    assert.equal(
      run.stderr,
      'workbench: the env files still have 1 error; run `workbench env check`\n',
    );
    assert.equal(valueIn('bridge', 'TELEGRAM_BOT_TOKEN'), BOT_TOKEN);
    assert.equal(statSync(path('bridge')).mode & 0o777, 0o600);
    assert.ok(!run.stdout.includes(BOT_TOKEN) && !run.stderr.includes(BOT_TOKEN));
  });

  test('changes only the line of the key it sets', async () => {
    writeTemplates();
    const before = readFileSync(path('runtime'), 'utf8').split('\n');
    const run = await workbench(['env', 'set', 'runtime', 'DEEPSEEK_API_KEY'], PROVIDER_KEY);
    assert.equal(run.code, 0, run.stderr);
    const afterLines = readFileSync(path('runtime'), 'utf8').split('\n');
    const changed = afterLines.flatMap((line, index) =>
      line === before[index] ? [] : [index + 1],
    );
    assert.deepEqual(changed, [23]);
    assert.equal(afterLines[22], `DEEPSEEK_API_KEY=${PROVIDER_KEY}`);
  });

  test('drops exactly one trailing newline from stdin', async () => {
    writeTemplates();
    assert.equal(
      (await workbench(['env', 'set', 'bridge', 'CODEWHALE_MODEL'], 'deepseek-chat\r\n')).code,
      0,
    );
    assert.equal(valueIn('bridge', 'CODEWHALE_MODEL'), 'deepseek-chat');
    const run = await workbench(['env', 'set', 'bridge', 'CODEWHALE_MODEL'], 'two\n\n');
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      [
        `workbench: refusing to set CODEWHALE_MODEL in ${path('bridge')}: the value of CODEWHALE_MODEL contains U+000A (a control character)`,
        '  remove the control character; values are single lines of printable text',
        '',
      ].join('\n'),
    );
    assert.equal(valueIn('bridge', 'CODEWHALE_MODEL'), 'deepseek-chat');
  });

  test('refuses a value with an inline comment and leaves the file as it was', async () => {
    writeTemplates();
    const before = readFileSync(path('bridge'), 'utf8');
    const run = await workbench(
      ['env', 'set', 'bridge', 'TELEGRAM_MAX_REPLY_CHARS'],
      '3500 # max\n',
    );
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      [
        `workbench: refusing to set TELEGRAM_MAX_REPLY_CHARS in ${path('bridge')}: the value of TELEGRAM_MAX_REPLY_CHARS has an ` +
          'inline comment ("3500 # max"); every loader keeps it as part of the value',
        '  move the comment to a line of its own that starts with "#"',
        '',
      ].join('\n'),
    );
    assert.equal(readFileSync(path('bridge'), 'utf8'), before);
  });

  test('refuses a secret value in quotes without echoing it', async () => {
    writeTemplates();
    const run = await workbench(['env', 'set', 'bridge', 'TELEGRAM_BOT_TOKEN'], `"${BOT_TOKEN}"`);
    assert.equal(run.code, 1);
    assert.ok(!run.stderr.includes(BOT_TOKEN));
    assert.match(
      run.stderr,
      /the value of TELEGRAM_BOT_TOKEN is quoted; some loaders remove the quotes/,
    );
  });

  test('refuses an unknown file name and a bad key as usage errors', async () => {
    const file = await workbench(['env', 'set', 'other', 'KEY'], 'x');
    assert.equal(file.code, 2);
    assert.equal(
      file.stderr,
      'workbench: env set: unknown env file "other"\n  use runtime (runtime.env) or bridge (telegram-bridge.env)\n',
    );
    const key = await workbench(['env', 'set', 'bridge', 'BAD-KEY'], 'x');
    assert.equal(key.code, 2);
    assert.equal(
      key.stderr,
      'workbench: env set: "BAD-KEY" is not a valid key\n' +
        '  keys use the letters A-Z and a-z, the digits 0-9 and "_", and do not start with a digit\n',
    );
    const missing = await workbench(['env', 'set', 'bridge']);
    assert.equal(missing.code, 2);
  });

  test('passes a check once every value is filled in', async () => {
    writeTemplates();
    assert.equal(
      (await workbench(['env', 'set', 'runtime', 'DEEPSEEK_API_KEY'], PROVIDER_KEY)).code,
      0,
    );
    assert.equal(
      (await workbench(['env', 'set', 'bridge', 'TELEGRAM_BOT_TOKEN'], BOT_TOKEN)).code,
      0,
    );
    const last = await workbench(
      ['env', 'set', 'bridge', 'TELEGRAM_CHAT_ALLOWLIST'],
      '123456789\n',
    );
    assert.equal(
      last.stdout,
      'set TELEGRAM_CHAT_ALLOWLIST in telegram-bridge.env to "123456789" (mode 0600)\n',
    );
    assert.equal(last.stderr, '');
    const check = await workbench(['env', 'check']);
    assert.equal(check.code, 0, check.stdout);
    assert.equal(
      check.stdout,
      [
        `runtime.env (${path('runtime')}, mode 0600): ok`,
        `telegram-bridge.env (${path('bridge')}, mode 0600): ok`,
        '',
      ].join('\n'),
    );
  });
});

describe('workbench env show', () => {
  test('masks secret values unless --reveal is given', async () => {
    writeTemplates();
    await workbench(['env', 'set', 'bridge', 'TELEGRAM_BOT_TOKEN'], BOT_TOKEN);
    const shown = await workbench(['env', 'show', 'bridge']);
    assert.equal(shown.code, 0);
    assert.ok(!shown.stdout.includes(BOT_TOKEN) && !shown.stdout.includes(TOKEN));
    assert.match(shown.stdout, /^TELEGRAM_BOT_TOKEN=•••••••• \(45 characters\)$/m);
    assert.match(shown.stdout, /^CODEWHALE_RUNTIME_TOKEN=•••••••• \(64 characters\)$/m);
    assert.match(shown.stdout, /^CODEWHALE_RUNTIME_URL=http:\/\/127\.0\.0\.1:7878$/m);

    const revealed = await workbench(['env', 'show', 'bridge', '--reveal']);
    assert.equal(revealed.stdout, readFileSync(path('bridge'), 'utf8'));
  });

  test('fails on a file that does not exist', async (t) => {
    const empty = createDoubleWorld();
    t.after(() => empty.cleanup());
    const run = await workbench(['env', 'show', 'runtime', '--reveal'], '', empty.env);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `workbench: ${join(empty.home, 'env', 'runtime.env')} does not exist\n` +
        '  run `workbench setup` to create the env files\n',
    );
    assert.equal(existsSync(join(empty.home, 'env')), false);
  });
});
