/**
 * What the two env files hold: the keys each program reads, their legacy names, which are
 * booleans, and the placeholder rule shared by the bridge and doctor.
 */
import type { EnvFileName } from './document.js';

/** The runtime token's key; the one value both files must hold alike. */
export const RUNTIME_TOKEN_KEY = 'CODEWHALE_RUNTIME_TOKEN';

export const DEFAULT_RUNTIME_PORT = 7878;
export const DEFAULT_RUNTIME_URL = `http://127.0.0.1:${DEFAULT_RUNTIME_PORT}`;
export const DEFAULT_WORKSPACE_ROOT = '/opt/whalebro';

/** Canonical key → legacy names read after it, in order, per file (`A | B | C` of the readers). */
export const ALIASES: Record<EnvFileName, Readonly<Record<string, readonly string[]>>> = {
  runtime: {
    CODEWHALE_RUNTIME_TOKEN: ['DEEPSEEK_RUNTIME_TOKEN'],
    CODEWHALE_RUNTIME_PORT: ['DEEPSEEK_RUNTIME_PORT'],
    CODEWHALE_RUNTIME_WORKERS: ['DEEPSEEK_RUNTIME_WORKERS'],
    CODEWHALE_PROVIDER: ['DEEPSEEK_PROVIDER'],
    CODEWHALE_MODEL: ['DEEPSEEK_MODEL'],
    CODEWHALE_CONFIG_PATH: ['DEEPSEEK_CONFIG_PATH'],
    CODEWHALE_TASKS_DIR: ['DEEPSEEK_TASKS_DIR'],
    CODEWHALE_RUNTIME_DIR: ['DEEPSEEK_RUNTIME_DIR'],
    CODEWHALE_AUTOMATIONS_DIR: ['DEEPSEEK_AUTOMATIONS_DIR'],
    CODEWHALE_CORS_ORIGINS: ['DEEPSEEK_CORS_ORIGINS'],
    CODEWHALE_LOG_LEVEL: ['DEEPSEEK_LOG_LEVEL'],
  },
  bridge: {
    CODEWHALE_RUNTIME_URL: ['DEEPSEEK_RUNTIME_URL'],
    CODEWHALE_RUNTIME_TOKEN: ['DEEPSEEK_RUNTIME_TOKEN'],
    CODEWHALE_WORKSPACE: ['DEEPSEEK_WORKSPACE'],
    CODEWHALE_MODEL: ['DEEPSEEK_MODEL'],
    CODEWHALE_MODE: ['DEEPSEEK_MODE'],
    CODEWHALE_ALLOW_SHELL: ['DEEPSEEK_ALLOW_SHELL'],
    CODEWHALE_TRUST_MODE: ['DEEPSEEK_TRUST_MODE'],
    CODEWHALE_AUTO_APPROVE: ['DEEPSEEK_AUTO_APPROVE'],
    CODEWHALE_TURN_TIMEOUT_MS: ['DEEPSEEK_TURN_TIMEOUT_MS'],
    TELEGRAM_CHAT_ALLOWLIST: ['CODEWHALE_CHAT_ALLOWLIST', 'DEEPSEEK_CHAT_ALLOWLIST'],
    TELEGRAM_ALLOW_UNLISTED: ['CODEWHALE_ALLOW_UNLISTED', 'DEEPSEEK_ALLOW_UNLISTED'],
  },
};

/** Canonical keys whose values the bridge reads as booleans. */
export const BOOLEAN_KEYS: readonly string[] = [
  'CODEWHALE_ALLOW_SHELL',
  'CODEWHALE_TRUST_MODE',
  'CODEWHALE_AUTO_APPROVE',
  'TELEGRAM_ALLOW_UNLISTED',
  'TELEGRAM_ALLOW_GROUPS',
  'TELEGRAM_REQUIRE_PREFIX_IN_GROUP',
];

/** The names a canonical key may be read from in a file: itself first, then its legacy names. */
export function namesOf(file: EnvFileName, key: string): readonly string[] {
  return [key, ...(ALIASES[file][key] ?? [])];
}

/** The canonical key a legacy name stands for in a file, or null. */
export function canonicalOf(file: EnvFileName, legacy: string): string | null {
  for (const [key, names] of Object.entries(ALIASES[file])) if (names.includes(legacy)) return key;

  return null;
}

/**
 * True for a value that was never filled in: empty, containing `replace-with` or `xxxxxxxx`, or
 * equal to `changeme` (case-insensitive, after trimming), as the bridge and doctor judge it.
 */
export function isPlaceholder(value: string): boolean {
  const text = value.trim().toLowerCase();

  return (
    text === '' || text.includes('replace-with') || text.includes('xxxxxxxx') || text === 'changeme'
  );
}

/** How the bridge reads a boolean: true only for 1, true, yes, on (any case, trimmed). */
export function readBridgeBoolean(value: string | undefined, fallback: boolean): boolean {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '') return fallback;

  return ['1', 'true', 'yes', 'on'].includes(text);
}

/** `DEEPSEEK_API_KEY` for provider `deepseek`: the provider's own key variable. */
export function providerKeyName(provider: string): string {
  return `${provider
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')}_API_KEY`;
}
