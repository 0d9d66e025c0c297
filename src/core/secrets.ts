/**
 * Which keys hold secrets, and how values are masked wherever they are shown or logged.
 */

const SECRET_KEY_PATTERNS: readonly RegExp[] = [
  /^TELEGRAM_BOT_TOKEN$/,
  /_RUNTIME_TOKEN$/,
  /_API_KEY$/,
  /_TOKEN$/,
  /_SECRET$/,
  /^(API_KEY|TOKEN|SECRET|PASSWORD)$/,
  /_PASSWORD$/,
];

/** True for keys whose values are secret: tokens, API keys, secrets and passwords. */
export function isSecretKey(key: string): boolean {
  const upper = key.toUpperCase();

  return SECRET_KEY_PATTERNS.some((pattern) => pattern.test(upper));
}

/** A masked rendering of a secret value that says only whether it is set and how long it is. */
export function maskValue(value: string): string {
  if (value.length === 0) return '(empty)';

  return `•••••••• (${value.length} characters)`;
}

/** The value as it may be shown: masked for secret keys, unchanged otherwise. */
export function displayValue(key: string, value: string): string {
  return isSecretKey(key) ? maskValue(value) : value;
}
