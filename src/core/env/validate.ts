/**
 * The rules the two env files must meet beyond the grammar: required keys, placeholders, ranges,
 * loopback URL, strict booleans, pairing, legacy names, and the values both files must share.
 * Codes follow the bridge's own validator where it has one (`missing_required`, `token_mismatch`,
 * `not_paired`, …); the rest are ours. No message contains a secret value.
 */
import { isAbsolute } from 'node:path';

import { isSecretKey } from '../secrets.js';
import {
  fileNameOf,
  type EnvDocument,
  type EnvFileName,
  type EnvProblem,
  type EnvSeverity,
} from './document.js';
import {
  BOOLEAN_KEYS,
  DEFAULT_RUNTIME_PORT,
  DEFAULT_RUNTIME_URL,
  DEFAULT_WORKSPACE_ROOT,
  RUNTIME_TOKEN_KEY,
  canonicalOf,
  isPlaceholder,
  namesOf,
  providerKeyName,
  readBridgeBoolean,
} from './keys.js';

export interface EnvValidationOptions {
  /** Where the bridge's workspace should lie; `/opt/whalebro` in the image. */
  workspaceRoot?: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const BOT_TOKEN_SHAPE = /^[0-9]{3,}:[A-Za-z0-9_-]{30,}$/;
const MIN_TOKEN_LENGTH = 32;
const SHOWN_LIMIT = 60;

/** A value read the way the programs read it: the first non-blank of a key and its legacy names. */
interface Resolved {
  /** The name the value came from (the canonical key or a legacy one). */
  name: string;
  value: string;
  line: number | null;
}

/** The rules' view of one file: its values (valid lines or not) and a place to report problems. */
class FileCheck {
  readonly file: EnvFileName;
  readonly label: string;
  readonly problems: EnvProblem[] = [];
  readonly #values = new Map<string, { value: string; line: number }>();

  constructor(file: EnvFileName, document: EnvDocument) {
    this.file = file;
    this.label = fileNameOf(file);
    for (const entry of document.entries())
      this.#values.set(entry.key, { value: entry.value, line: entry.line });
  }

  /** Every key present in the file. */
  keys(): string[] {
    return [...this.#values.keys()];
  }

  raw(name: string): { value: string; line: number } | undefined {
    return this.#values.get(name);
  }

  /** The first non-blank value of `key` and its legacy names, trimmed; null when all are blank. */
  resolve(key: string): Resolved | null {
    for (const name of namesOf(this.file, key)) {
      const found = this.#values.get(name);
      if (found && found.value.trim() !== '')
        return { name, value: found.value.trim(), line: found.line };
    }

    return null;
  }

  lineOf(key: string): number | null {
    for (const name of namesOf(this.file, key)) {
      const found = this.#values.get(name);
      if (found) return found.line;
    }

    return null;
  }

  report(
    code: string,
    severity: EnvSeverity,
    key: string | null,
    line: number | null,
    message: string,
    fix: string,
  ): void {
    this.problems.push({ code, severity, file: this.file, line, key, message, fix });
  }
}

/** `"value"` for a key that is not secret, shortened; never the value of a secret key. */
function quoted(key: string, value: string): string {
  if (isSecretKey(key)) return 'a secret value';
  const cut = value.length > SHOWN_LIMIT ? `${value.slice(0, SHOWN_LIMIT)}…` : value;

  return JSON.stringify(cut);
}

function parseWholeNumber(value: string): number | null {
  return /^[0-9]{1,15}$/.test(value) ? Number(value) : null;
}

// ---------------------------------------------------------------------------------------------
// Rules shared by both files

function checkLegacyKeys(check: FileCheck): void {
  for (const name of check.keys()) {
    const canonical = canonicalOf(check.file, name);
    if (canonical === null) continue;
    const line = check.raw(name)!.line;
    const canonicalValue = check.raw(canonical);
    if (canonicalValue === undefined) {
      check.report(
        'legacy_key',
        'warning',
        name,
        line,
        `${name} is a legacy name of ${canonical}`,
        `rename it to ${canonical}`,
      );
    } else if (canonicalValue.value.trim() === '') {
      check.report(
        'legacy_key',
        'warning',
        name,
        line,
        `${canonical} is blank, so the legacy ${name} is used instead`,
        `put the value into ${canonical} and delete ${name}`,
      );
    } else {
      check.report(
        'legacy_key',
        'warning',
        name,
        line,
        `${name} duplicates ${canonical}, which takes precedence, so ${name} is ignored`,
        `delete ${name}`,
      );
    }
  }
}

function checkWholeNumber(
  check: FileCheck,
  key: string,
  code: string,
  min: number,
  max: number | null,
): number | null {
  const found = check.resolve(key);
  if (found === null) return null;
  const number = parseWholeNumber(found.value);
  if (number !== null && number >= min && (max === null || number <= max)) return number;
  const range = max === null ? `of at least ${min}` : `from ${min} to ${max}`;
  check.report(
    code,
    'error',
    found.name,
    found.line,
    `${found.name} must be a whole number ${range}, got ${quoted(found.name, found.value)}`,
    `set ${found.name} to a whole number ${range}`,
  );

  return null;
}

function checkAbsolutePath(check: FileCheck, key: string, code: string): Resolved | null {
  const found = check.resolve(key);
  if (found === null || isAbsolute(found.value)) return found;
  check.report(
    code,
    'error',
    found.name,
    found.line,
    `${found.name} must be an absolute path, got ${quoted(found.name, found.value)}`,
    `set ${found.name} to a path that starts with "/"`,
  );

  return null;
}

// ---------------------------------------------------------------------------------------------
// runtime.env

function checkRuntimeToken(check: FileCheck): void {
  const found = check.resolve(RUNTIME_TOKEN_KEY);
  const fix =
    'set the same random token in both files: `workbench env set runtime CODEWHALE_RUNTIME_TOKEN` ' +
    'and `workbench env set bridge CODEWHALE_RUNTIME_TOKEN` (64 hex characters, e.g. from `openssl rand -hex 32`)';
  if (found === null) {
    check.report(
      'missing_runtime_token',
      'error',
      RUNTIME_TOKEN_KEY,
      check.lineOf(RUNTIME_TOKEN_KEY),
      `${RUNTIME_TOKEN_KEY} is not set in runtime.env; the runtime would make up a token nobody knows`,
      fix,
    );
  } else if (isPlaceholder(found.value)) {
    check.report(
      'placeholder_runtime_token',
      'error',
      found.name,
      found.line,
      `${found.name} in runtime.env is still a placeholder`,
      fix,
    );
  } else if (found.value.length < MIN_TOKEN_LENGTH) {
    check.report(
      'short_runtime_token',
      'warning',
      found.name,
      found.line,
      `${found.name} in runtime.env is only ${found.value.length} characters long`,
      fix,
    );
  }
}

function checkProvider(check: FileCheck): void {
  const provider = check.resolve('CODEWHALE_PROVIDER');
  if (provider === null) {
    check.report(
      'missing_provider',
      'warning',
      'CODEWHALE_PROVIDER',
      check.lineOf('CODEWHALE_PROVIDER'),
      'CODEWHALE_PROVIDER is not set in runtime.env; the runtime falls back to its own default provider',
      'set CODEWHALE_PROVIDER, e.g. CODEWHALE_PROVIDER=deepseek, and its API key',
    );
    return;
  }
  const keyName = providerKeyName(provider.value);
  const key = check.raw(keyName);
  const fix = `paste the key on stdin: \`workbench env set runtime ${keyName}\``;
  if (key === undefined) {
    check.report(
      'missing_provider_key',
      'warning',
      keyName,
      null,
      `${keyName}, the API key of provider ${JSON.stringify(provider.value)}, is not set in runtime.env`,
      fix,
    );
  } else if (isPlaceholder(key.value)) {
    check.report(
      'placeholder_provider_key',
      'error',
      keyName,
      key.line,
      `${keyName}, the API key of provider ${JSON.stringify(provider.value)}, is still a placeholder`,
      fix,
    );
  }
}

function checkCodewhaleHome(check: FileCheck): void {
  const found = check.resolve('CODEWHALE_HOME');
  if (found === null || isAbsolute(found.value) || found.value.startsWith('~')) return;
  check.report(
    'relative_codewhale_home',
    'error',
    found.name,
    found.line,
    `CODEWHALE_HOME must be an absolute path or start with "~", got ${quoted(found.name, found.value)}`,
    'set CODEWHALE_HOME to a path that starts with "/", or delete it to use ~/.codewhale',
  );
}

function checkMisplacedSecrets(check: FileCheck): void {
  for (const name of check.keys()) {
    const line = check.raw(name)!.line;
    if (check.file === 'runtime' && name === 'TELEGRAM_BOT_TOKEN') {
      check.report(
        'misplaced_secret',
        'warning',
        name,
        line,
        'TELEGRAM_BOT_TOKEN is in runtime.env; only the bridge needs it',
        'delete it from runtime.env; it belongs in telegram-bridge.env',
      );
    }
    if (check.file === 'bridge' && name.endsWith('_API_KEY')) {
      check.report(
        'misplaced_secret',
        'warning',
        name,
        line,
        `${name} is in telegram-bridge.env; the bridge needs no provider key`,
        'delete it from telegram-bridge.env; it belongs in runtime.env',
      );
    }
  }
}

/** The runtime file's own rules (grammar included), without the cross-file checks. */
function checkRuntime(document: EnvDocument): { check: FileCheck; port: number | null } {
  const check = new FileCheck('runtime', document);
  checkRuntimeToken(check);
  const port = checkWholeNumber(check, 'CODEWHALE_RUNTIME_PORT', 'invalid_runtime_port', 1, 65535);
  checkWholeNumber(check, 'CODEWHALE_RUNTIME_WORKERS', 'invalid_runtime_workers', 1, 8);
  checkProvider(check);
  checkCodewhaleHome(check);
  checkMisplacedSecrets(check);
  checkLegacyKeys(check);

  return {
    check,
    port: check.resolve('CODEWHALE_RUNTIME_PORT') === null ? DEFAULT_RUNTIME_PORT : port,
  };
}

// ---------------------------------------------------------------------------------------------
// telegram-bridge.env

function checkRequired(check: FileCheck, key: string): Resolved | null {
  const found = check.resolve(key);
  const fix = `paste the value on stdin: \`workbench env set bridge ${key}\``;
  if (found === null) {
    check.report(
      'missing_required',
      'error',
      key,
      check.lineOf(key),
      `${key} is not set in telegram-bridge.env; the bridge does not start without it`,
      fix,
    );
    return null;
  }
  if (isPlaceholder(found.value)) {
    check.report(
      'placeholder_value',
      'error',
      found.name,
      found.line,
      `${found.name} in telegram-bridge.env is still a placeholder`,
      fix,
    );
    return null;
  }

  return found;
}

function checkBotToken(check: FileCheck): void {
  const found = checkRequired(check, 'TELEGRAM_BOT_TOKEN');
  if (found === null || BOT_TOKEN_SHAPE.test(found.value)) return;
  check.report(
    'bot_token_format',
    'warning',
    found.name,
    found.line,
    'TELEGRAM_BOT_TOKEN does not look like a token from @BotFather (digits, ":", then about 35 letters, ' +
      'digits, "_" or "-")',
    'copy the whole token that @BotFather gave for the bot',
  );
}

/** The URL's port, or null when the URL was refused. */
function checkRuntimeUrl(check: FileCheck): number | null {
  const found = check.resolve('CODEWHALE_RUNTIME_URL');
  const text = found?.value ?? DEFAULT_RUNTIME_URL;
  const name = found?.name ?? 'CODEWHALE_RUNTIME_URL';
  const line = found?.line ?? null;
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  const shown = text.includes('@') ? 'a URL with credentials' : quoted(name, text);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    check.report(
      'invalid_runtime_url',
      'error',
      name,
      line,
      `${name} must be an http:// or https:// URL, got ${shown}`,
      `set ${name}=${DEFAULT_RUNTIME_URL} (with the port of runtime.env)`,
    );
    return null;
  }
  if (!LOOPBACK_HOSTS.has(url.hostname)) {
    check.report(
      'remote_runtime_url',
      'error',
      name,
      line,
      `${name} points at ${JSON.stringify(url.hostname)}; the runtime listens only on 127.0.0.1 inside the container`,
      `set ${name}=${DEFAULT_RUNTIME_URL} (with the port of runtime.env)`,
    );
    return null;
  }
  if (url.port !== '') return Number(url.port);

  return url.protocol === 'https:' ? 443 : 80;
}

function checkWorkspace(check: FileCheck, workspaceRoot: string): void {
  const found = checkAbsolutePath(check, 'CODEWHALE_WORKSPACE', 'relative_workspace');
  if (found === null) return;
  const root = workspaceRoot.replace(/\/+$/, '');
  if (found.value === root || found.value.startsWith(`${root}/`)) return;
  check.report(
    'workspace_root',
    'warning',
    found.name,
    found.line,
    `${found.name} ${quoted(found.name, found.value)} is outside the workspace volume ${root}`,
    `use ${root} or a folder under it`,
  );
}

function checkThreadMap(check: FileCheck): void {
  // The bridge uses this path as given, without trimming.
  const found = check.raw('TELEGRAM_THREAD_MAP_PATH');
  if (found === undefined || found.value === '' || isAbsolute(found.value)) return;
  check.report(
    'relative_thread_map',
    'error',
    'TELEGRAM_THREAD_MAP_PATH',
    found.line,
    `TELEGRAM_THREAD_MAP_PATH must be an absolute path, got ${quoted('TELEGRAM_THREAD_MAP_PATH', found.value)}`,
    'set it to a path under /var/lib/codewhale-telegram-bridge, or delete it to use the default',
  );
}

function checkBooleans(check: FileCheck): void {
  for (const key of BOOLEAN_KEYS) {
    for (const name of namesOf(check.file, key)) {
      const found = check.raw(name);
      if (
        found === undefined ||
        found.value === '' ||
        found.value === 'true' ||
        found.value === 'false'
      )
        continue;
      const reads = readBridgeBoolean(found.value, false) ? 'true' : 'false';
      check.report(
        'invalid_boolean',
        'error',
        name,
        found.line,
        `${name} must be true or false, got ${quoted(name, found.value)} (the bridge reads it as ${reads})`,
        `write ${name}=${reads} or ${name}=${reads === 'true' ? 'false' : 'true'}`,
      );
    }
  }
}

function flag(check: FileCheck, key: string, fallback: boolean): boolean {
  return readBridgeBoolean(check.resolve(key)?.value, fallback);
}

const PAIRING_STEPS =
  'To pair: set TELEGRAM_ALLOW_UNLISTED=true and restart, DM /status to the bot, copy the chat_id ' +
  'from its reply into TELEGRAM_CHAT_ALLOWLIST, then set TELEGRAM_ALLOW_UNLISTED=false and restart.';

function checkAccess(check: FileCheck): void {
  const unlisted = flag(check, 'TELEGRAM_ALLOW_UNLISTED', false);
  const groups = flag(check, 'TELEGRAM_ALLOW_GROUPS', false);
  const prefix = flag(check, 'TELEGRAM_REQUIRE_PREFIX_IN_GROUP', true);
  const allowlist = (check.resolve('TELEGRAM_CHAT_ALLOWLIST')?.value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const unlistedLine = check.lineOf('TELEGRAM_ALLOW_UNLISTED');

  if (groups && unlisted) {
    check.report(
      'open_group_control',
      'error',
      'TELEGRAM_ALLOW_UNLISTED',
      unlistedLine,
      'TELEGRAM_ALLOW_GROUPS=true together with TELEGRAM_ALLOW_UNLISTED=true lets every group that adds ' +
        'the bot control the agent',
      'set TELEGRAM_ALLOW_UNLISTED=false (pair your chat first) or TELEGRAM_ALLOW_GROUPS=false',
    );
  }
  if (groups && !prefix) {
    check.report(
      'group_without_prefix',
      'warning',
      'TELEGRAM_REQUIRE_PREFIX_IN_GROUP',
      check.lineOf('TELEGRAM_REQUIRE_PREFIX_IN_GROUP'),
      'group control is on without the /cw prefix, so every message in an allowed group goes to the agent',
      'set TELEGRAM_REQUIRE_PREFIX_IN_GROUP=true',
    );
  }
  if (unlisted) {
    check.report(
      'pairing_mode_open',
      'warning',
      'TELEGRAM_ALLOW_UNLISTED',
      unlistedLine,
      'TELEGRAM_ALLOW_UNLISTED=true: anyone who finds the bot can control the agent (pairing mode)',
      'DM /status to the bot, copy the chat_id into TELEGRAM_CHAT_ALLOWLIST, ' +
        'set TELEGRAM_ALLOW_UNLISTED=false and restart',
    );
  } else if (allowlist.length === 0) {
    check.report(
      'not_paired',
      'warning',
      'TELEGRAM_CHAT_ALLOWLIST',
      check.lineOf('TELEGRAM_CHAT_ALLOWLIST'),
      `TELEGRAM_CHAT_ALLOWLIST is empty, so the bot answers no chat. ${PAIRING_STEPS}`,
      'pair a chat as described, then `workbench restart`',
    );
  }
}

/** The bridge file's own rules (grammar included); returns the URL's port for the pair check. */
function checkBridge(
  document: EnvDocument,
  options: EnvValidationOptions,
): { check: FileCheck; urlPort: number | null } {
  const check = new FileCheck('bridge', document);
  checkBotToken(check);
  checkRequired(check, RUNTIME_TOKEN_KEY);
  const urlPort = checkRuntimeUrl(check);
  checkWorkspace(check, options.workspaceRoot ?? DEFAULT_WORKSPACE_ROOT);
  checkThreadMap(check);
  checkBooleans(check);
  checkAccess(check);
  checkWholeNumber(check, 'TELEGRAM_MAX_REPLY_CHARS', 'invalid_max_reply_chars', 100, 4096);
  checkWholeNumber(check, 'TELEGRAM_POLL_TIMEOUT_SECONDS', 'invalid_poll_timeout', 1, 60);
  checkWholeNumber(check, 'CODEWHALE_TURN_TIMEOUT_MS', 'invalid_turn_timeout', 1000, null);
  checkMisplacedSecrets(check);
  checkLegacyKeys(check);

  return { check, urlPort };
}

// ---------------------------------------------------------------------------------------------
// Both files

function grammarProblems(file: EnvFileName, document: EnvDocument): EnvProblem[] {
  return document.problems.map((found) => ({ ...found, file }));
}

function missingFile(file: EnvFileName): EnvProblem {
  return {
    code: 'missing_file',
    severity: 'error',
    file,
    line: null,
    key: null,
    message: `${fileNameOf(file)} does not exist`,
    fix: 'run `workbench setup` to create it from the template',
  };
}

/** Grammar and rules of runtime.env alone. */
export function validateRuntimeEnv(document: EnvDocument): EnvProblem[] {
  return [...grammarProblems('runtime', document), ...checkRuntime(document).check.problems];
}

/** Grammar and rules of telegram-bridge.env alone. */
export function validateBridgeEnv(
  document: EnvDocument,
  options: EnvValidationOptions = {},
): EnvProblem[] {
  return [...grammarProblems('bridge', document), ...checkBridge(document, options).check.problems];
}

function checkTokensAgree(runtime: FileCheck, bridge: FileCheck, found: EnvProblem[]): void {
  const mine = runtime.resolve(RUNTIME_TOKEN_KEY);
  const theirs = bridge.resolve(RUNTIME_TOKEN_KEY);
  if (mine === null || theirs === null || isPlaceholder(mine.value) || isPlaceholder(theirs.value))
    return;
  if (mine.value === theirs.value) return;
  found.push({
    code: 'token_mismatch',
    severity: 'error',
    file: 'bridge',
    line: theirs.line,
    key: theirs.name,
    message:
      `${theirs.name} in telegram-bridge.env differs from the one in runtime.env; the runtime would ` +
      'refuse every call of the bridge',
    fix: 'set the same token in both files with `workbench env set runtime|bridge CODEWHALE_RUNTIME_TOKEN`',
  });
}

function checkPortsAgree(
  runtimePort: number | null,
  urlPort: number | null,
  bridge: FileCheck,
  found: EnvProblem[],
): void {
  if (runtimePort === null || urlPort === null || runtimePort === urlPort) return;
  const url = bridge.resolve('CODEWHALE_RUNTIME_URL');
  const name = url?.name ?? 'CODEWHALE_RUNTIME_URL';
  const what =
    url === null
      ? `${name} is not set, so the bridge uses port ${urlPort},`
      : `${name} uses port ${urlPort}`;
  found.push({
    code: 'runtime_port_mismatch',
    severity: 'error',
    file: 'bridge',
    line: url?.line ?? null,
    key: name,
    message: `${what} but CODEWHALE_RUNTIME_PORT in runtime.env is ${runtimePort}`,
    fix: `set ${name}=http://127.0.0.1:${runtimePort}`,
  });
}

/**
 * Validates both files: each file's grammar and rules, then what they must share (the runtime
 * token, the runtime's port). A null document stands for a missing file.
 */
export function validateEnvPair(
  runtime: EnvDocument | null,
  bridge: EnvDocument | null,
  options: EnvValidationOptions = {},
): EnvProblem[] {
  const found: EnvProblem[] = [];
  const runtimeResult = runtime === null ? null : checkRuntime(runtime);
  const bridgeResult = bridge === null ? null : checkBridge(bridge, options);

  if (runtime === null) found.push(missingFile('runtime'));
  else found.push(...grammarProblems('runtime', runtime), ...runtimeResult!.check.problems);
  if (bridge === null) found.push(missingFile('bridge'));
  else found.push(...grammarProblems('bridge', bridge), ...bridgeResult!.check.problems);

  if (runtimeResult && bridgeResult) {
    checkTokensAgree(runtimeResult.check, bridgeResult.check, found);
    checkPortsAgree(runtimeResult.port, bridgeResult.urlPort, bridgeResult.check, found);
  }

  return found;
}

/** True when no problem of severity `error` is in the list. */
export function hasErrors(problems: readonly EnvProblem[]): boolean {
  return problems.some((found) => found.severity === 'error');
}
