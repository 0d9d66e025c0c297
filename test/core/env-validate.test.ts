import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  formatEnvProblem,
  parseEnvDocument,
  type EnvDocument,
} from '../../src/core/env/document.js';
import { isPlaceholder } from '../../src/core/env/keys.js';
import {
  generateRuntimeToken,
  renderTemplates,
  templateText,
} from '../../src/core/env/templates.js';
import {
  validateBridgeEnv,
  validateEnvPair,
  validateRuntimeEnv,
} from '../../src/core/env/validate.js';

const TOKEN = 'a'.repeat(32) + 'b'.repeat(32);
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';

const GOOD_RUNTIME = [
  `CODEWHALE_RUNTIME_TOKEN=${TOKEN}`,
  'CODEWHALE_RUNTIME_PORT=7878',
  'CODEWHALE_RUNTIME_WORKERS=2',
  'CODEWHALE_PROVIDER=deepseek',
  'DEEPSEEK_API_KEY=sk-0123456789abcdef',
  'CODEWHALE_MODEL=auto',
];

const GOOD_BRIDGE = [
  `TELEGRAM_BOT_TOKEN=${BOT_TOKEN}`,
  'CODEWHALE_RUNTIME_URL=http://127.0.0.1:7878',
  `CODEWHALE_RUNTIME_TOKEN=${TOKEN}`,
  'CODEWHALE_WORKSPACE=/opt/whalebro',
  'CODEWHALE_ALLOW_SHELL=true',
  'TELEGRAM_CHAT_ALLOWLIST=123456789',
  'TELEGRAM_ALLOW_UNLISTED=false',
  'TELEGRAM_ALLOW_GROUPS=false',
  'TELEGRAM_MAX_REPLY_CHARS=3500',
  'TELEGRAM_POLL_TIMEOUT_SECONDS=25',
  'CODEWHALE_TURN_TIMEOUT_MS=900000',
  'TELEGRAM_THREAD_MAP_PATH=/var/lib/codewhale-telegram-bridge/thread-map.json',
];

type Edits = Record<string, string | null>;

/** A document from good lines with some keys replaced (null deletes, a new key is appended). */
function documentOf(
  lines: readonly string[],
  edits: Edits,
  extra: readonly string[] = [],
): EnvDocument {
  const document = parseEnvDocument(`${lines.join('\n')}\n`);
  for (const [key, value] of Object.entries(edits)) {
    if (value === null) document.delete(key);
    else document.set(key, value);
  }

  return extra.length === 0
    ? document
    : parseEnvDocument(`${document.serialize()}${extra.join('\n')}\n`);
}

function pairProblems(
  runtime: Edits = {},
  bridge: Edits = {},
  extra: { runtime?: string[]; bridge?: string[] } = {},
): string[] {
  const problems = validateEnvPair(
    documentOf(GOOD_RUNTIME, runtime, extra.runtime),
    documentOf(GOOD_BRIDGE, bridge, extra.bridge),
  );

  return problems.map((found) => formatEnvProblem(found));
}

const TOKEN_FIX =
  'set the same random token in both files: `workbench env set runtime CODEWHALE_RUNTIME_TOKEN` ' +
  'and `workbench env set bridge CODEWHALE_RUNTIME_TOKEN` (64 hex characters, e.g. from `openssl rand -hex 32`)';

describe('env validation: a good pair', () => {
  test('finds nothing wrong with a complete, paired configuration', () => {
    assert.deepEqual(pairProblems(), []);
  });

  test('reports a missing file as missing', () => {
    const problems = validateEnvPair(null, documentOf(GOOD_BRIDGE, {})).map((found) =>
      formatEnvProblem(found),
    );
    assert.deepEqual(problems, [
      'runtime.env: error: runtime.env does not exist — run `workbench setup` to create it from the template',
    ]);
  });
});

describe('env validation: runtime.env', () => {
  test('requires the runtime token', () => {
    assert.deepEqual(
      validateRuntimeEnv(documentOf(GOOD_RUNTIME, { CODEWHALE_RUNTIME_TOKEN: null })).map((p) =>
        formatEnvProblem(p),
      ),
      [
        'runtime.env: error: CODEWHALE_RUNTIME_TOKEN is not set in runtime.env; the runtime would make up a token ' +
          `nobody knows — ${TOKEN_FIX}`,
      ],
    );
  });

  test('refuses a placeholder runtime token', () => {
    assert.deepEqual(pairProblems({ CODEWHALE_RUNTIME_TOKEN: 'replace-with-long-random-token' }), [
      `runtime.env:1: error: CODEWHALE_RUNTIME_TOKEN in runtime.env is still a placeholder — ${TOKEN_FIX}`,
    ]);
  });

  test('warns about a short runtime token without showing it', () => {
    const problems = pairProblems(
      { CODEWHALE_RUNTIME_TOKEN: 'shorttoken' },
      { CODEWHALE_RUNTIME_TOKEN: 'shorttoken' },
    );
    assert.deepEqual(problems, [
      `runtime.env:1: warning: CODEWHALE_RUNTIME_TOKEN in runtime.env is only 10 characters long — ${TOKEN_FIX}`,
    ]);
  });

  test('refuses a port outside 1..65535', () => {
    const expected = (got: string) => [
      `runtime.env:2: error: CODEWHALE_RUNTIME_PORT must be a whole number from 1 to 65535, got ${got} — ` +
        'set CODEWHALE_RUNTIME_PORT to a whole number from 1 to 65535',
    ];
    assert.deepEqual(pairProblems({ CODEWHALE_RUNTIME_PORT: '0' }), expected('"0"'));
    assert.deepEqual(pairProblems({ CODEWHALE_RUNTIME_PORT: '65536' }), expected('"65536"'));
    assert.deepEqual(pairProblems({ CODEWHALE_RUNTIME_PORT: '78a' }), expected('"78a"'));
  });

  test('refuses workers outside 1..8', () => {
    assert.deepEqual(pairProblems({ CODEWHALE_RUNTIME_WORKERS: '9' }), [
      'runtime.env:3: error: CODEWHALE_RUNTIME_WORKERS must be a whole number from 1 to 8, got "9" — ' +
        'set CODEWHALE_RUNTIME_WORKERS to a whole number from 1 to 8',
    ]);
    assert.deepEqual(pairProblems({ CODEWHALE_RUNTIME_WORKERS: '8' }), []);
  });

  test('warns when no provider is set', () => {
    assert.deepEqual(pairProblems({ CODEWHALE_PROVIDER: null }), [
      'runtime.env: warning: CODEWHALE_PROVIDER is not set in runtime.env; the runtime falls back to its own default ' +
        'provider — set CODEWHALE_PROVIDER, e.g. CODEWHALE_PROVIDER=deepseek, and its API key',
    ]);
  });

  test("refuses the provider's key while it is a placeholder", () => {
    assert.deepEqual(pairProblems({ DEEPSEEK_API_KEY: 'replace-with-deepseek-key' }), [
      'runtime.env:5: error: DEEPSEEK_API_KEY, the API key of provider "deepseek", is still a placeholder — ' +
        'paste the key on stdin: `workbench env set runtime DEEPSEEK_API_KEY`',
    ]);
  });

  test("warns when the provider's key is missing, naming the key of that provider", () => {
    assert.deepEqual(pairProblems({ CODEWHALE_PROVIDER: 'open-router' }), [
      'runtime.env: warning: OPEN_ROUTER_API_KEY, the API key of provider "open-router", is not set in runtime.env — ' +
        'paste the key on stdin: `workbench env set runtime OPEN_ROUTER_API_KEY`',
    ]);
  });

  test('refuses a relative CODEWHALE_HOME', () => {
    assert.deepEqual(pairProblems({ CODEWHALE_HOME: 'state' }), [
      'runtime.env:7: error: CODEWHALE_HOME must be an absolute path or start with "~", got "state" — ' +
        'set CODEWHALE_HOME to a path that starts with "/", or delete it to use ~/.codewhale',
    ]);
    assert.deepEqual(pairProblems({ CODEWHALE_HOME: '~/.codewhale' }), []);
  });

  test('warns about legacy DEEPSEEK_* names that duplicate or shadow canonical keys', () => {
    assert.deepEqual(pairProblems({ DEEPSEEK_MODEL: 'other' }), [
      'runtime.env:7: warning: DEEPSEEK_MODEL duplicates CODEWHALE_MODEL, which takes precedence, so DEEPSEEK_MODEL ' +
        'is ignored — delete DEEPSEEK_MODEL',
    ]);
    assert.deepEqual(pairProblems({ CODEWHALE_MODEL: '', DEEPSEEK_MODEL: 'other' }), [
      'runtime.env:7: warning: CODEWHALE_MODEL is blank, so the legacy DEEPSEEK_MODEL is used instead — ' +
        'put the value into CODEWHALE_MODEL and delete DEEPSEEK_MODEL',
    ]);
    assert.deepEqual(
      pairProblems({ CODEWHALE_RUNTIME_PORT: null, DEEPSEEK_RUNTIME_PORT: '7878' }),
      [
        'runtime.env:6: warning: DEEPSEEK_RUNTIME_PORT is a legacy name of CODEWHALE_RUNTIME_PORT — ' +
          'rename it to CODEWHALE_RUNTIME_PORT',
      ],
    );
  });

  test('reads the legacy token when the canonical one is blank', () => {
    const problems = pairProblems({ CODEWHALE_RUNTIME_TOKEN: '', DEEPSEEK_RUNTIME_TOKEN: TOKEN });
    assert.deepEqual(problems, [
      'runtime.env:7: warning: CODEWHALE_RUNTIME_TOKEN is blank, so the legacy DEEPSEEK_RUNTIME_TOKEN is used ' +
        'instead — put the value into CODEWHALE_RUNTIME_TOKEN and delete DEEPSEEK_RUNTIME_TOKEN',
    ]);
  });

  test('warns about the bot token in runtime.env', () => {
    assert.deepEqual(pairProblems({ TELEGRAM_BOT_TOKEN: BOT_TOKEN }), [
      'runtime.env:7: warning: TELEGRAM_BOT_TOKEN is in runtime.env; only the bridge needs it — ' +
        'delete it from runtime.env; it belongs in telegram-bridge.env',
    ]);
  });
});

describe('env validation: telegram-bridge.env', () => {
  test('requires the bot token and the runtime token', () => {
    const problems = validateBridgeEnv(
      documentOf(GOOD_BRIDGE, { TELEGRAM_BOT_TOKEN: null, CODEWHALE_RUNTIME_TOKEN: '' }),
    );
    assert.deepEqual(
      problems.map((p) => formatEnvProblem(p)),
      [
        'telegram-bridge.env: error: TELEGRAM_BOT_TOKEN is not set in telegram-bridge.env; the bridge does not start ' +
          'without it — paste the value on stdin: `workbench env set bridge TELEGRAM_BOT_TOKEN`',
        'telegram-bridge.env:2: error: CODEWHALE_RUNTIME_TOKEN is not set in telegram-bridge.env; the bridge does not ' +
          'start without it — paste the value on stdin: `workbench env set bridge CODEWHALE_RUNTIME_TOKEN`',
      ],
    );
    assert.deepEqual(
      problems.map((p) => p.code),
      ['missing_required', 'missing_required'],
    );
  });

  test('refuses placeholders, whatever their case and padding', () => {
    for (const value of [
      'replace-with-telegram-bot-token',
      'REPLACE-WITH-x',
      'xxxxxxxxxxxx',
      'ChangeMe',
    ]) {
      assert.deepEqual(pairProblems({}, { TELEGRAM_BOT_TOKEN: value }), [
        'telegram-bridge.env:1: error: TELEGRAM_BOT_TOKEN in telegram-bridge.env is still a placeholder — ' +
          'paste the value on stdin: `workbench env set bridge TELEGRAM_BOT_TOKEN`',
      ]);
    }
    assert.ok(isPlaceholder('  changeme  '));
    assert.ok(!isPlaceholder('changeme2'));
  });

  test('warns about a bot token that does not look like one from @BotFather', () => {
    assert.deepEqual(pairProblems({}, { TELEGRAM_BOT_TOKEN: 'not-a-bot-token' }), [
      'telegram-bridge.env:1: warning: TELEGRAM_BOT_TOKEN does not look like a token from @BotFather (digits, ":", ' +
        'then about 35 letters, digits, "_" or "-") — copy the whole token that @BotFather gave for the bot',
    ]);
  });

  test('refuses a runtime URL that is not http(s)', () => {
    assert.deepEqual(pairProblems({}, { CODEWHALE_RUNTIME_URL: 'ftp://127.0.0.1:7878' }), [
      'telegram-bridge.env:2: error: CODEWHALE_RUNTIME_URL must be an http:// or https:// URL, got ' +
        '"ftp://127.0.0.1:7878" — set CODEWHALE_RUNTIME_URL=http://127.0.0.1:7878 (with the port of runtime.env)',
    ]);
    assert.deepEqual(
      pairProblems({}, { CODEWHALE_RUNTIME_URL: 'localhost:7878/x' }).map(
        (line) => line.split(' — ')[0],
      ),
      [
        'telegram-bridge.env:2: error: CODEWHALE_RUNTIME_URL must be an http:// or https:// URL, got "localhost:7878/x"',
      ],
    );
  });

  test('refuses a runtime URL off the loopback', () => {
    assert.deepEqual(pairProblems({}, { CODEWHALE_RUNTIME_URL: 'http://192.168.64.3:7878' }), [
      'telegram-bridge.env:2: error: CODEWHALE_RUNTIME_URL points at "192.168.64.3"; the runtime listens only on ' +
        '127.0.0.1 inside the container — set CODEWHALE_RUNTIME_URL=http://127.0.0.1:7878 (with the port of runtime.env)',
    ]);
    for (const url of ['http://localhost:7878', 'http://[::1]:7878', 'https://127.0.0.1:7878/']) {
      assert.deepEqual(pairProblems({}, { CODEWHALE_RUNTIME_URL: url }), [], url);
    }
  });

  test('refuses a runtime URL whose port differs from the runtime port', () => {
    assert.deepEqual(pairProblems({}, { CODEWHALE_RUNTIME_URL: 'http://127.0.0.1:9999' }), [
      'telegram-bridge.env:2: error: CODEWHALE_RUNTIME_URL uses port 9999 but CODEWHALE_RUNTIME_PORT in runtime.env ' +
        'is 7878 — set CODEWHALE_RUNTIME_URL=http://127.0.0.1:7878',
    ]);
    assert.deepEqual(
      pairProblems({ CODEWHALE_RUNTIME_PORT: '8000' }, { CODEWHALE_RUNTIME_URL: null }),
      [
        'telegram-bridge.env: error: CODEWHALE_RUNTIME_URL is not set, so the bridge uses port 7878, but ' +
          'CODEWHALE_RUNTIME_PORT in runtime.env is 8000 — set CODEWHALE_RUNTIME_URL=http://127.0.0.1:8000',
      ],
    );
    assert.deepEqual(
      pairProblems({ CODEWHALE_RUNTIME_PORT: null }, { CODEWHALE_RUNTIME_URL: null }),
      [],
    );
  });

  test('refuses tokens that differ between the files, without showing either', () => {
    assert.deepEqual(pairProblems({}, { CODEWHALE_RUNTIME_TOKEN: 'c'.repeat(64) }), [
      'telegram-bridge.env:3: error: CODEWHALE_RUNTIME_TOKEN in telegram-bridge.env differs from the one in ' +
        'runtime.env; the runtime would refuse every call of the bridge — set the same token in both files with ' +
        '`workbench env set runtime|bridge CODEWHALE_RUNTIME_TOKEN`',
    ]);
  });

  test('refuses relative workspace and thread-map paths', () => {
    assert.deepEqual(pairProblems({}, { CODEWHALE_WORKSPACE: 'work' }), [
      'telegram-bridge.env:4: error: CODEWHALE_WORKSPACE must be an absolute path, got "work" — ' +
        'set CODEWHALE_WORKSPACE to a path that starts with "/"',
    ]);
    assert.deepEqual(pairProblems({}, { TELEGRAM_THREAD_MAP_PATH: 'map.json' }), [
      'telegram-bridge.env:12: error: TELEGRAM_THREAD_MAP_PATH must be an absolute path, got "map.json" — ' +
        'set it to a path under /var/lib/codewhale-telegram-bridge, or delete it to use the default',
    ]);
  });

  test('warns about a workspace outside the workspace volume', () => {
    assert.deepEqual(pairProblems({}, { CODEWHALE_WORKSPACE: '/tmp/work' }), [
      'telegram-bridge.env:4: warning: CODEWHALE_WORKSPACE "/tmp/work" is outside the workspace volume /opt/whalebro — ' +
        'use /opt/whalebro or a folder under it',
    ]);
    assert.deepEqual(pairProblems({}, { CODEWHALE_WORKSPACE: '/opt/whalebro/project' }), []);
    assert.deepEqual(pairProblems({}, { CODEWHALE_WORKSPACE: '/opt/whalebrother' }).length, 1);
  });

  test('accepts only true and false as booleans, saying how the bridge reads the rest', () => {
    assert.deepEqual(pairProblems({}, { CODEWHALE_ALLOW_SHELL: 'ture' }), [
      'telegram-bridge.env:5: error: CODEWHALE_ALLOW_SHELL must be true or false, got "ture" (the bridge reads it ' +
        'as false) — write CODEWHALE_ALLOW_SHELL=false or CODEWHALE_ALLOW_SHELL=true',
    ]);
    assert.deepEqual(pairProblems({}, { TELEGRAM_ALLOW_GROUPS: 'yes' }), [
      'telegram-bridge.env:8: error: TELEGRAM_ALLOW_GROUPS must be true or false, got "yes" (the bridge reads it ' +
        'as true) — write TELEGRAM_ALLOW_GROUPS=true or TELEGRAM_ALLOW_GROUPS=false',
    ]);
    assert.deepEqual(pairProblems({}, { CODEWHALE_TRUST_MODE: '' }), []);
  });

  test('refuses groups together with unlisted chats', () => {
    const problems = validateEnvPair(
      documentOf(GOOD_RUNTIME, {}),
      documentOf(GOOD_BRIDGE, { TELEGRAM_ALLOW_GROUPS: 'true', TELEGRAM_ALLOW_UNLISTED: 'true' }),
    );
    assert.deepEqual(
      problems.map((found) => [found.code, found.severity]),
      [
        ['open_group_control', 'error'],
        ['pairing_mode_open', 'warning'],
      ],
    );
    assert.equal(
      formatEnvProblem(problems[0]!),
      'telegram-bridge.env:7: error: TELEGRAM_ALLOW_GROUPS=true together with TELEGRAM_ALLOW_UNLISTED=true lets every ' +
        'group that adds the bot control the agent — set TELEGRAM_ALLOW_UNLISTED=false (pair your chat first) or ' +
        'TELEGRAM_ALLOW_GROUPS=false',
    );
  });

  test('warns about groups without the prefix', () => {
    assert.deepEqual(
      pairProblems(
        {},
        { TELEGRAM_ALLOW_GROUPS: 'true', TELEGRAM_REQUIRE_PREFIX_IN_GROUP: 'false' },
      ),
      [
        'telegram-bridge.env:13: warning: group control is on without the /cw prefix, so every message in an allowed ' +
          'group goes to the agent — set TELEGRAM_REQUIRE_PREFIX_IN_GROUP=true',
      ],
    );
  });

  test('warns that an empty allowlist means not paired, and says how to pair', () => {
    assert.deepEqual(pairProblems({}, { TELEGRAM_CHAT_ALLOWLIST: '' }), [
      'telegram-bridge.env:6: warning: TELEGRAM_CHAT_ALLOWLIST is empty, so the bot answers no chat. To pair: set ' +
        'TELEGRAM_ALLOW_UNLISTED=true and restart, DM /status to the bot, copy the chat_id from its reply into ' +
        'TELEGRAM_CHAT_ALLOWLIST, then set TELEGRAM_ALLOW_UNLISTED=false and restart. — pair a chat as described, ' +
        'then `workbench restart`',
    ]);
    assert.deepEqual(pairProblems({}, { TELEGRAM_CHAT_ALLOWLIST: ',,' }).length, 1);
  });

  test('warns while pairing mode is open', () => {
    assert.deepEqual(
      pairProblems({}, { TELEGRAM_CHAT_ALLOWLIST: '', TELEGRAM_ALLOW_UNLISTED: 'true' }),
      [
        'telegram-bridge.env:7: warning: TELEGRAM_ALLOW_UNLISTED=true: anyone who finds the bot can control the agent ' +
          '(pairing mode) — DM /status to the bot, copy the chat_id into TELEGRAM_CHAT_ALLOWLIST, set ' +
          'TELEGRAM_ALLOW_UNLISTED=false and restart',
      ],
    );
  });

  test('checks the ranges the bridge itself does not enforce', () => {
    assert.deepEqual(pairProblems({}, { TELEGRAM_MAX_REPLY_CHARS: '99' }), [
      'telegram-bridge.env:9: error: TELEGRAM_MAX_REPLY_CHARS must be a whole number from 100 to 4096, got "99" — ' +
        'set TELEGRAM_MAX_REPLY_CHARS to a whole number from 100 to 4096',
    ]);
    assert.deepEqual(pairProblems({}, { TELEGRAM_MAX_REPLY_CHARS: '4096' }), []);
    assert.deepEqual(pairProblems({}, { TELEGRAM_POLL_TIMEOUT_SECONDS: '61' }), [
      'telegram-bridge.env:10: error: TELEGRAM_POLL_TIMEOUT_SECONDS must be a whole number from 1 to 60, got "61" — ' +
        'set TELEGRAM_POLL_TIMEOUT_SECONDS to a whole number from 1 to 60',
    ]);
    assert.deepEqual(pairProblems({}, { CODEWHALE_TURN_TIMEOUT_MS: '999' }), [
      'telegram-bridge.env:11: error: CODEWHALE_TURN_TIMEOUT_MS must be a whole number of at least 1000, got "999" — ' +
        'set CODEWHALE_TURN_TIMEOUT_MS to a whole number of at least 1000',
    ]);
  });

  test('reports the rule and the grammar for a value with an inline comment', () => {
    const problems = validateEnvPair(
      documentOf(GOOD_RUNTIME, {}),
      documentOf(GOOD_BRIDGE, {}, ['TELEGRAM_MAX_REPLY_CHARS=3500 # max']),
    );
    assert.deepEqual(
      problems.map((found) => [found.code, found.file, found.line]),
      [
        ['inline_comment', 'bridge', 13],
        ['duplicate_key', 'bridge', 13],
        ['invalid_max_reply_chars', 'bridge', 13],
      ],
    );
  });

  test('warns about a provider key in the bridge file', () => {
    assert.deepEqual(pairProblems({}, { DEEPSEEK_API_KEY: 'sk-0123456789abcdef' }), [
      'telegram-bridge.env:13: warning: DEEPSEEK_API_KEY is in telegram-bridge.env; the bridge needs no provider key — ' +
        'delete it from telegram-bridge.env; it belongs in runtime.env',
    ]);
  });

  test('never puts a secret value into a message', () => {
    const secret = 'S3cr3tValueThatMustNotLeak';
    const problems = validateEnvPair(
      documentOf(GOOD_RUNTIME, {
        CODEWHALE_RUNTIME_TOKEN: secret,
        DEEPSEEK_API_KEY: secret,
        CODEWHALE_PROVIDER: 'deepseek',
      }),
      documentOf(
        GOOD_BRIDGE,
        { TELEGRAM_BOT_TOKEN: secret, CODEWHALE_RUNTIME_TOKEN: `${secret}x` },
        [`DEEPSEEK_RUNTIME_TOKEN=${secret}`],
      ),
    );
    assert.ok(problems.length >= 3);
    for (const found of problems)
      assert.ok(!`${found.message} ${found.fix}`.includes(secret), found.message);
  });
});

describe('env templates', () => {
  test('parse without grammar problems and share one fresh 64-hex token', () => {
    const texts = renderTemplates();
    const runtime = parseEnvDocument(texts.runtime);
    const bridge = parseEnvDocument(texts.bridge);
    assert.deepEqual([...runtime.problems, ...bridge.problems], []);
    const token = runtime.get('CODEWHALE_RUNTIME_TOKEN')!;
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.equal(bridge.get('CODEWHALE_RUNTIME_TOKEN'), token);
    assert.notEqual(renderTemplates().runtime, texts.runtime);
    assert.notEqual(generateRuntimeToken(), generateRuntimeToken());
  });

  test('leave only the placeholders the user must fill and the pairing warning', () => {
    const texts = renderTemplates();
    const problems = validateEnvPair(
      parseEnvDocument(texts.runtime),
      parseEnvDocument(texts.bridge),
    );
    assert.deepEqual(
      problems.map((found) => `${found.file}:${found.code}:${found.key}`),
      [
        'runtime:placeholder_provider_key:DEEPSEEK_API_KEY',
        'bridge:placeholder_value:TELEGRAM_BOT_TOKEN',
        'bridge:not_paired:TELEGRAM_CHAT_ALLOWLIST',
      ],
    );
  });

  test('hold every key the runtime and the bridge read', () => {
    const runtime = templateText('runtime');
    const bridge = templateText('bridge');
    for (const key of [
      'CODEWHALE_RUNTIME_TOKEN',
      'CODEWHALE_RUNTIME_PORT',
      'CODEWHALE_RUNTIME_WORKERS',
      'CODEWHALE_PROVIDER',
      'DEEPSEEK_API_KEY',
      'CODEWHALE_MODEL',
      'RUST_LOG',
      'CODEWHALE_HOME',
      'CODEWHALE_CONFIG_PATH',
      'CODEWHALE_TASKS_DIR',
      'CODEWHALE_RUNTIME_DIR',
      'CODEWHALE_AUTOMATIONS_DIR',
      'CODEWHALE_CORS_ORIGINS',
      'CODEWHALE_LOG_LEVEL',
      'CODEWHALE_RUNTIME_HOST',
    ]) {
      assert.match(runtime, new RegExp(`^#?${key}=`, 'm'), key);
    }
    for (const key of [
      'TELEGRAM_BOT_TOKEN',
      'TELEGRAM_API_BASE',
      'CODEWHALE_RUNTIME_URL',
      'CODEWHALE_RUNTIME_TOKEN',
      'CODEWHALE_WORKSPACE',
      'CODEWHALE_MODEL',
      'CODEWHALE_MODE',
      'CODEWHALE_ALLOW_SHELL',
      'CODEWHALE_TRUST_MODE',
      'CODEWHALE_AUTO_APPROVE',
      'TELEGRAM_CHAT_ALLOWLIST',
      'TELEGRAM_ALLOW_UNLISTED',
      'TELEGRAM_THREAD_MAP_PATH',
      'TELEGRAM_ALLOW_GROUPS',
      'TELEGRAM_REQUIRE_PREFIX_IN_GROUP',
      'TELEGRAM_GROUP_PREFIX',
      'TELEGRAM_MAX_REPLY_CHARS',
      'TELEGRAM_POLL_TIMEOUT_SECONDS',
      'CODEWHALE_TURN_TIMEOUT_MS',
      'TELEGRAM_UPDATE_OFFSET',
    ]) {
      assert.match(bridge, new RegExp(`^#?${key}=`, 'm'), key);
    }
    assert.doesNotMatch(bridge, /_API_KEY=/);
  });
});
