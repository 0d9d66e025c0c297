/**
 * The settings schema and its store. The same file, `WORKBENCH_HOME/config.json`, is read by the
 * CLI through conf and by the app through electron-store (a thin subclass of conf), so both share
 * this one schema and these defaults.
 */
import Conf from 'conf';
import { isAbsolute } from 'node:path';
import { z } from 'zod';

import { SettingsError } from './errors.js';
import { COMMAND_NAMES, type CommandName } from './platform.js';

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const MEMORY = /^[1-9][0-9]*[MG]$/;

const absolutePath = z.string().refine(isAbsolute, { message: 'must be an absolute path' });

const commandsShape = Object.fromEntries(
  COMMAND_NAMES.map((name) => [name, absolutePath.optional()]),
) as Record<CommandName, z.ZodOptional<typeof absolutePath>>;

export const settingsSchema = z.object({
  schemaVersion: z.literal(1).default(1),
  containerName: z
    .string()
    .max(63)
    .regex(CONTAINER_ID, {
      message: 'must start with a letter or digit and use only letters, digits, _ . -',
    })
    .default('codewhale-workbench'),
  image: z.string().min(1).max(255).default('codewhale-workbench:latest'),
  cpus: z.number().int().min(1).max(64).default(4),
  memory: z
    .string()
    .regex(MEMORY, { message: 'must be a size such as 16G or 8192M' })
    .default('16G'),
  /** Seconds `container stop` waits before SIGKILL; covers the supervisor's own stop budget. */
  stopTimeoutSeconds: z.number().int().min(5).max(300).default(30),
  commands: z.object(commandsShape).partial().default({}),
  setupComplete: z.boolean().default(false),
});

export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});

/** The options both conf and electron-store are given, so they read the file the same way. */
export function storeOptions(home: string) {
  return {
    cwd: home,
    configName: 'config',
    projectName: 'codewhale-workbench',
    configFileMode: 0o600,
    clearInvalidConfig: false,
  } as const;
}

/** Memory setting in bytes: `16G` → 17179869184. */
export function memoryBytes(memory: string): number {
  const amount = Number.parseInt(memory, 10);

  return memory.endsWith('G') ? amount * 1024 ** 3 : amount * 1024 ** 2;
}

/** Validates raw settings, naming the first bad key, its value and what it must be. */
export function parseSettings(raw: unknown, source: string): Settings {
  const result = settingsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path.join('.');
  const value = key
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], raw);

  throw new SettingsError(
    `setting ${key} in ${source} ${issue.message} (got ${JSON.stringify(value)})`,
    {
      hint: `fix or remove "${key}" in ${source}`,
    },
  );
}

/** Reads and writes the settings file with conf; every read is validated by the schema. */
export class SettingsStore {
  readonly #conf: Conf<Record<string, unknown>>;
  readonly path: string;

  constructor(home: string) {
    try {
      this.#conf = new Conf<Record<string, unknown>>(storeOptions(home));
    } catch (error) {
      throw new SettingsError(
        `cannot read the settings in ${home}/config.json: ${(error as Error).message}`,
        {
          hint: 'fix the JSON in config.json or move the file away to start from the defaults',
          cause: error,
        },
      );
    }
    this.path = this.#conf.path;
  }

  /** The current settings, defaults filled in. */
  read(): Settings {
    return parseSettings(this.#conf.store, this.path);
  }

  /** Validates and stores a change; nothing is written when the result would be invalid. */
  update(change: Partial<Settings>): Settings {
    const next = parseSettings({ ...this.#conf.store, ...change }, this.path);
    this.#conf.store = next as unknown as Record<string, unknown>;

    return next;
  }
}
