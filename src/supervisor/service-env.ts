/**
 * What each service is started with: the variables of its own env file (and nothing of the
 * other's), plus HOME, PATH and USER; for the runtime also its command line, built from the
 * variables that only upstream's systemd unit used to translate into flags.
 */
import { join } from 'node:path';

import { formatEnvProblem, readEnvFileForSupervisor } from '../core/env/document.js';
import { isSecretKey } from '../core/secrets.js';
import { lookupUser, type RunAs } from './config.js';

export const DEFAULT_RUNTIME_PORT = 7878;
export const DEFAULT_RUNTIME_WORKERS = 2;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type EnvValues = ReadonlyMap<string, string>;

/** An env file read for a service: its values and warnings, or why the service cannot use it. */
export type LoadedEnvFile =
  { ok: true; values: EnvValues; warnings: string[] } | { ok: false; detail: string };

/** The identity variables every child gets besides its own file's. */
export interface ChildIdentity {
  HOME: string;
  PATH: string;
  USER: string;
}

/**
 * Reads one env file. A line with an error makes the whole file unusable: loaders read such a
 * line differently (`CODEWHALE_ALLOW_SHELL=false  # no` is "false  # no" to one, nothing to
 * another), so the service is not started on a guess.
 */
export function loadEnvFile(envDir: string, fileName: string): LoadedEnvFile {
  const read = readEnvFileForSupervisor(join(envDir, fileName));
  if (!read.document)
    return { ok: false, detail: `cannot read ${fileName}: ${read.error ?? 'unknown error'}` };
  const problems = read.document.problems;
  const errors = problems.filter((found) => found.severity === 'error');
  if (errors.length > 0) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    return { ok: false, detail: `${formatEnvProblem(errors[0]!, fileName)}${more}` };
  }
  const warnings = problems.map((found) => formatEnvProblem(found, fileName));

  return { ok: true, values: read.document.values(), warnings };
}

/** The first of `keys` whose value is non-blank after trimming, trimmed; as the programs read them. */
export function firstValue(values: EnvValues, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = values.get(key)?.trim();
    if (value) return value;
  }

  return undefined;
}

/** HOME, PATH and USER of the user the services run as. */
export function childIdentity(
  runAs: RunAs | null,
  env: NodeJS.ProcessEnv = process.env,
  passwd?: string,
): ChildIdentity {
  const PATH = env.PATH || DEFAULT_PATH;
  if (runAs === null) {
    const self = typeof process.getuid === 'function' ? lookupUser(process.getuid(), passwd) : null;
    return {
      HOME: env.HOME || self?.home || '/',
      PATH,
      USER: env.USER || self?.name || 'codewhale',
    };
  }
  const user = lookupUser(runAs.uid, passwd);

  return { HOME: user?.home ?? '/home/codewhale', PATH, USER: user?.name ?? String(runAs.uid) };
}

/** A child's whole environment: its file's variables, with HOME, PATH and USER where it sets none. */
export function childEnvironment(
  values: EnvValues,
  identity: ChildIdentity,
): Record<string, string> {
  return { ...identity, ...Object.fromEntries(values) };
}

/** The values of secret keys, longest first, so they can be cut out of any text before it is shown. */
export function secretValuesOf(...files: EnvValues[]): string[] {
  const secrets = new Set<string>();
  for (const values of files) {
    for (const [key, value] of values) {
      if (isSecretKey(key) && value.trim().length >= 4) secrets.add(value.trim());
    }
  }

  return [...secrets].sort((a, b) => b.length - a.length);
}

/** `text` with every secret value replaced by `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('[redacted]');

  return result;
}

function readCount(
  values: EnvValues,
  keys: readonly string[],
  fallback: number,
  max: number,
): number | string {
  const value = firstValue(values, keys);
  if (value === undefined) return fallback;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (number >= 1 && number <= max) return number;

  return `${keys[0]} in runtime.env must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`;
}

/** The runtime's port and command line, or the detail saying which variable is wrong. */
export type RuntimeLaunch =
  { ok: true; port: number; args: string[] } | { ok: false; detail: string };

/**
 * `serve --http --host 127.0.0.1 --port P --workers N`. The token stays in the environment: a
 * `--auth-token` flag would show it to every `ps`. A file without a token would make the runtime
 * generate one that no client knows, so it is refused here.
 */
export function runtimeLaunch(values: EnvValues): RuntimeLaunch {
  if (firstValue(values, ['CODEWHALE_RUNTIME_TOKEN', 'DEEPSEEK_RUNTIME_TOKEN']) === undefined) {
    return {
      ok: false,
      detail:
        'runtime.env sets no CODEWHALE_RUNTIME_TOKEN, so no client could reach the runtime — ' +
        'set it to the same token as in telegram-bridge.env',
    };
  }
  const port = readCount(
    values,
    ['CODEWHALE_RUNTIME_PORT', 'DEEPSEEK_RUNTIME_PORT'],
    DEFAULT_RUNTIME_PORT,
    65_535,
  );
  if (typeof port === 'string') return { ok: false, detail: port };
  const workers = readCount(
    values,
    ['CODEWHALE_RUNTIME_WORKERS', 'DEEPSEEK_RUNTIME_WORKERS'],
    DEFAULT_RUNTIME_WORKERS,
    1024,
  );
  if (typeof workers === 'string') return { ok: false, detail: workers };
  const args = [
    'serve',
    '--http',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    String(workers),
  ];

  return { ok: true, port, args };
}
