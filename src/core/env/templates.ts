/**
 * The two env files as setup first writes them: every key the runtime and the bridge read, with
 * defaults that suit the workbench container, `replace-with-…` placeholders for what only the
 * user can supply, and one freshly generated runtime token shared by both files.
 */
import { randomBytes } from 'node:crypto';

import { parseEnvDocument, type EnvFileName } from './document.js';
import { RUNTIME_TOKEN_KEY } from './keys.js';

const RUNTIME_TEMPLATE = `# runtime.env: read by the CodeWhale runtime (codewhale serve --http) inside the workbench
# container, where this folder is mounted read-only at /etc/codewhale.
#
# Format: one KEY=value per line. No quotes, no "export", no spaces around "=", no comment after
# a value (it would become part of the value). Comments go on lines of their own.
# Edit with \`workbench env set runtime KEY\` (the value is read from stdin) or the app's editor;
# both keep this file at mode 0600.

# --- Runtime API authentication ---
# Bearer token of the runtime API. telegram-bridge.env must hold the same value.
CODEWHALE_RUNTIME_TOKEN=replace-with-long-random-token

# --- Listener ---
# Port of the runtime API on 127.0.0.1 inside the container (never published to the Mac).
# The bridge's CODEWHALE_RUNTIME_URL must use the same port.
CODEWHALE_RUNTIME_PORT=7878
# Parallel agent workers, 1 to 8.
CODEWHALE_RUNTIME_WORKERS=2

# --- Model provider ---
# The provider, and its API key under the provider's own name (<PROVIDER>_API_KEY).
CODEWHALE_PROVIDER=deepseek
DEEPSEEK_API_KEY=replace-with-deepseek-key
# Default model; auto lets the runtime choose.
CODEWHALE_MODEL=auto

# --- Logging ---
RUST_LOG=info

# --- Optional: remove the "#" to use ---
# State root (absolute, or starting with ~); default ~/.codewhale on the home volume.
#CODEWHALE_HOME=/home/codewhale/.codewhale
#CODEWHALE_CONFIG_PATH=/home/codewhale/.codewhale/config.toml
#CODEWHALE_TASKS_DIR=/home/codewhale/.codewhale/tasks
#CODEWHALE_RUNTIME_DIR=/home/codewhale/.codewhale/runtime
#CODEWHALE_AUTOMATIONS_DIR=/home/codewhale/.codewhale/automations
# Extra CORS origins, comma-separated.
#CODEWHALE_CORS_ORIGINS=
#CODEWHALE_LOG_LEVEL=info
# Shown by the runtime's /setup only; the supervisor always binds 127.0.0.1.
#CODEWHALE_RUNTIME_HOST=127.0.0.1
`;

const BRIDGE_TEMPLATE = `# telegram-bridge.env: read by the Telegram bridge inside the workbench container, where this
# folder is mounted read-only at /etc/codewhale. Provider API keys do not belong here.
#
# Format: one KEY=value per line. No quotes, no "export", no spaces around "=", no comment after
# a value (it would become part of the value). Booleans are true or false.
# Edit with \`workbench env set bridge KEY\` (the value is read from stdin) or the app's editor;
# both keep this file at mode 0600.

# --- Telegram ---
# The token @BotFather gave for the bot.
TELEGRAM_BOT_TOKEN=replace-with-telegram-bot-token

# --- Runtime API ---
# Loopback URL of the runtime; its port must equal CODEWHALE_RUNTIME_PORT in runtime.env.
CODEWHALE_RUNTIME_URL=http://127.0.0.1:7878
# Must be the same value as CODEWHALE_RUNTIME_TOKEN in runtime.env.
CODEWHALE_RUNTIME_TOKEN=replace-with-same-token-as-runtime-env

# --- Agent defaults for new threads ---
# Workspace folder sent with each new thread (on the workspace volume).
CODEWHALE_WORKSPACE=/opt/whalebro
CODEWHALE_MODEL=auto
CODEWHALE_MODE=agent
CODEWHALE_ALLOW_SHELL=true
CODEWHALE_TRUST_MODE=false
CODEWHALE_AUTO_APPROVE=false
# Give up on a turn's event stream after this many milliseconds (at least 1000).
CODEWHALE_TURN_TIMEOUT_MS=900000

# --- Who may talk to the bot ---
# Comma-separated chat ids, user ids or @usernames (exact case). Empty: nobody.
# To pair: set TELEGRAM_ALLOW_UNLISTED=true and restart, DM /status to the bot, copy the
# chat_id from its reply into TELEGRAM_CHAT_ALLOWLIST, set TELEGRAM_ALLOW_UNLISTED=false and
# restart again.
TELEGRAM_CHAT_ALLOWLIST=
TELEGRAM_ALLOW_UNLISTED=false
# Group chats: off by default; when on, messages need the prefix below.
TELEGRAM_ALLOW_GROUPS=false
TELEGRAM_REQUIRE_PREFIX_IN_GROUP=true
TELEGRAM_GROUP_PREFIX=/cw

# --- Polling and replies ---
# Long-poll timeout, 1 to 60 seconds. A stop waits for the current poll, so keep it short.
TELEGRAM_POLL_TIMEOUT_SECONDS=25
# Longest reply chunk, 100 to 4096 characters.
TELEGRAM_MAX_REPLY_CHARS=3500
# The bridge's state file, on the bridge volume.
TELEGRAM_THREAD_MAP_PATH=/var/lib/codewhale-telegram-bridge/thread-map.json

# --- Optional: remove the "#" to use ---
#TELEGRAM_API_BASE=https://api.telegram.org
#TELEGRAM_UPDATE_OFFSET=0
`;

/** The template text of one file, placeholders included. */
export function templateText(name: EnvFileName): string {
  return name === 'runtime' ? RUNTIME_TEMPLATE : BRIDGE_TEMPLATE;
}

/** A fresh runtime token: 32 random bytes as 64 hex characters. */
export function generateRuntimeToken(): string {
  return randomBytes(32).toString('hex');
}

/** The template of one file with the runtime token filled in. */
export function renderTemplate(name: EnvFileName, runtimeToken: string): string {
  const document = parseEnvDocument(templateText(name));
  document.set(RUNTIME_TOKEN_KEY, runtimeToken);

  return document.serialize();
}

/** Both templates sharing one freshly generated runtime token. */
export function renderTemplates(
  runtimeToken = generateRuntimeToken(),
): Record<EnvFileName, string> {
  return {
    runtime: renderTemplate('runtime', runtimeToken),
    bridge: renderTemplate('bridge', runtimeToken),
  };
}
