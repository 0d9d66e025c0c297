/**
 * First-run setup and teardown. Setup creates what the workbench needs and never overwrites:
 * the env folder and both env files from the templates (one fresh runtime token shared by the
 * two), the three named volumes, and the image. Teardown stops the workbench and removes the
 * agents and the container; volumes and env files only when asked.
 */
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { fileNameOf, parseEnvDocument, type EnvFileName, type EnvProblem } from './env/document.js';
import { EnvFileError } from './env/errors.js';
import { isPlaceholder, RUNTIME_TOKEN_KEY } from './env/keys.js';
import { ensureSecretFolder } from './env/secret-file.js';
import { checkEnvFiles, createEnvFile, ENV_FILES, readEnvFile } from './env/store.js';
import { generateRuntimeToken, renderTemplate } from './env/templates.js';
import { WorkbenchError } from './errors.js';
import type { Logger } from './logger.js';
import { AGENT_LABEL, AWAKE_AGENT_LABEL, type WorkbenchPaths } from './platform.js';
import type { Settings } from './settings.js';

/** The named volumes of the workbench and where the container mounts them. */
export const WORKBENCH_VOLUMES = [
  'codewhale-workbench-workspace',
  'codewhale-workbench-home',
  'codewhale-workbench-bridge',
] as const;

/** The Containerfile, relative to the package root. */
export const CONTAINERFILE = join('assets', 'container', 'Containerfile');

/** What setup and teardown need of the container client. */
export interface SetupContainer {
  systemStatus(): Promise<{ state: string }>;
  systemStart(): Promise<unknown>;
  volumeCreate(name: string): Promise<'created' | 'exists'>;
  volumeDelete(name: string): Promise<'deleted' | 'missing'>;
  imageExists(ref: string): Promise<boolean>;
  build(options: { tag: string; file: string; context: string }): Promise<unknown>;
  delete(name: string, options?: { force?: boolean }): Promise<'deleted' | 'missing'>;
}

/** What setup and teardown need of the settings store. */
export interface SetupSettings {
  read(): Settings;
  update(change: Partial<Settings>): unknown;
}

export interface SetupDeps {
  paths: WorkbenchPaths;
  container: SetupContainer;
  settings: SetupSettings;
  /** The folder holding `assets/container/Containerfile`: the build context. */
  packageRoot: string;
  logger?: Logger;
}

export interface SetupOptions {
  /** Use this existing image instead of building one. */
  image?: string;
}

export type TokenSource =
  'generated' | 'copied from runtime.env' | 'copied from telegram-bridge.env' | 'kept';

export interface SetupReport {
  envFolder: { path: string; action: 'created' | 'kept'; repairs: string[] };
  files: Record<EnvFileName, { path: string; action: 'created' | 'kept' }>;
  /** Where the runtime token of the new files came from; `kept` when no file was created. */
  token: TokenSource;
  volumes: Record<string, 'created' | 'exists'>;
  image: { ref: string; action: 'built' | 'existing' };
  /** What is still wrong in the env files (the keys only the user can fill in). */
  problems: EnvProblem[];
}

/** The first folder at or above `start` that holds the Containerfile, or null. */
export function findPackageRoot(
  start: string = dirname(fileURLToPath(import.meta.url)),
): string | null {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, CONTAINERFILE))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The runtime token of an existing file, when it holds a real one. */
function existingToken(envDir: string, name: EnvFileName): string | null {
  const state = readEnvFile(envDir, name);
  if (state.refused) throw state.refused;
  const value = state.document
    ?.entries()
    .filter((entry) => entry.key === RUNTIME_TOKEN_KEY)
    .at(-1)
    ?.value.trim();

  return value && !isPlaceholder(value) ? value : null;
}

/** The token for files about to be created: the other file's real one, else a fresh one. */
function chooseToken(
  envDir: string,
  missing: readonly EnvFileName[],
): { token: string; source: TokenSource } {
  if (missing.length !== 1) {
    return { token: generateRuntimeToken(), source: missing.length === 0 ? 'kept' : 'generated' };
  }
  const other: EnvFileName = missing[0] === 'runtime' ? 'bridge' : 'runtime';
  const token = existingToken(envDir, other);
  if (token === null) return { token: generateRuntimeToken(), source: 'generated' };

  return {
    token,
    source: other === 'runtime' ? 'copied from runtime.env' : 'copied from telegram-bridge.env',
  };
}

/** Creates the env folder and the missing env files; never replaces an existing file. */
export function setUpEnvFiles(envDir: string): Pick<SetupReport, 'envFolder' | 'files' | 'token'> {
  const folderExisted = existsSync(envDir);
  const repairs = ensureSecretFolder(envDir);
  const missing = ENV_FILES.filter((name) => !readEnvFile(envDir, name, { repair: false }).exists);
  const { token, source } = chooseToken(envDir, missing);

  const files = {} as SetupReport['files'];
  for (const name of ENV_FILES) {
    const text = renderTemplate(name, token);
    // The template must parse cleanly; a broken template is a bug, not a user error.
    if (!parseEnvDocument(text).ok)
      throw new WorkbenchError(`the ${fileNameOf(name)} template does not parse`);
    const action = createEnvFile(envDir, name, text);
    files[name] = { path: join(envDir, fileNameOf(name)), action };
  }

  return {
    envFolder: { path: envDir, action: folderExisted ? 'kept' : 'created', repairs },
    files,
    token: source,
  };
}

async function setUpImage(deps: SetupDeps, options: SetupOptions): Promise<SetupReport['image']> {
  const { container, settings, logger } = deps;
  if (options.image !== undefined) {
    if (!(await container.imageExists(options.image))) {
      throw new WorkbenchError(`the image ${options.image} does not exist`, {
        hint:
          `pull or build it first (e.g. \`container image pull ${options.image}\`), ` +
          'or run `workbench setup` without --image to build one',
      });
    }
    settings.update({ image: options.image });
    return { ref: options.image, action: 'existing' };
  }
  const tag = settings.read().image;
  const file = join(deps.packageRoot, CONTAINERFILE);
  if (!existsSync(file)) {
    throw new WorkbenchError(`cannot build the image: ${file} does not exist`, {
      hint: 'reinstall the workbench package, or pass --image REF to use an existing image',
    });
  }
  logger?.info('building the workbench image', { tag, file });
  await container.build({ tag, file, context: deps.packageRoot });

  return { ref: tag, action: 'built' };
}

/** `workbench setup`: env folder and files, volumes, image; idempotent and never overwriting. */
export async function runSetup(deps: SetupDeps, options: SetupOptions = {}): Promise<SetupReport> {
  const envFiles = setUpEnvFiles(deps.paths.envDir);

  // Volumes and builds need the container system service.
  if ((await deps.container.systemStatus()).state !== 'running') {
    deps.logger?.info('starting the container system service');
    await deps.container.systemStart();
  }
  const volumes: SetupReport['volumes'] = {};
  for (const name of WORKBENCH_VOLUMES) volumes[name] = await deps.container.volumeCreate(name);

  const image = await setUpImage(deps, options);
  deps.settings.update({ setupComplete: true });
  const problems = checkEnvFiles(deps.paths.envDir).problems;

  return { ...envFiles, volumes, image, problems };
}

// ---------------------------------------------------------------------------------------------
// Teardown

export interface TeardownDeps {
  paths: WorkbenchPaths;
  container: SetupContainer;
  settings: SetupSettings;
  /** Stops the workbench (through launchd when the agent is loaded). */
  stop(): Promise<{ message: string }>;
  launchd: { uninstall(label: string, plistPath: string): Promise<void> };
  logger?: Logger;
}

export interface TeardownOptions {
  volumes?: boolean;
  env?: boolean;
}

export interface TeardownReport {
  stopped: string;
  agents: string[];
  container: 'deleted' | 'absent';
  volumes: string[];
  envFolder: 'deleted' | 'kept' | 'absent';
}

async function deleteVolumes(deps: TeardownDeps): Promise<string[]> {
  const deleted: string[] = [];
  for (const name of WORKBENCH_VOLUMES) {
    if ((await deps.container.volumeDelete(name)) === 'deleted') deleted.push(name);
  }

  return deleted;
}

function deleteEnvFolder(envDir: string): TeardownReport['envFolder'] {
  let stat;
  try {
    stat = lstatSync(envDir);
  } catch {
    return 'absent';
  }
  if (!stat.isDirectory()) {
    throw new EnvFileError(`refusing to delete ${envDir}: it is not a folder`, {
      path: envDir,
      code: stat.isSymbolicLink() ? 'symlink' : 'not_regular',
      hint: 'remove it by hand if it is yours',
    });
  }
  rmSync(envDir, { recursive: true, force: true });

  return 'deleted';
}

/**
 * `workbench teardown`: stops the workbench, removes both launchd agents and the container; the
 * volumes and the env folder only when asked. Safe to run again.
 */
export async function runTeardown(
  deps: TeardownDeps,
  options: TeardownOptions = {},
): Promise<TeardownReport> {
  const stopped = (await deps.stop()).message;

  // Stopping unloads a loaded workbench agent first, so KeepAlive cannot bring the container back.
  const agents: string[] = [];
  const plists = [
    [AGENT_LABEL, deps.paths.agentPlist],
    [AWAKE_AGENT_LABEL, deps.paths.awakePlist],
  ] as const;
  for (const [label, plist] of plists) {
    if (existsSync(plist)) agents.push(label);
    await deps.launchd.uninstall(label, plist);
  }
  const container =
    (await deps.container.delete(deps.settings.read().containerName, { force: true })) === 'deleted'
      ? 'deleted'
      : 'absent';
  const volumes = options.volumes ? await deleteVolumes(deps) : [];
  const kept = existsSync(deps.paths.envDir) ? 'kept' : 'absent';
  const envFolder = options.env ? deleteEnvFolder(deps.paths.envDir) : kept;
  deps.settings.update({ setupComplete: false });
  deps.logger?.info('torn down', {
    agents: agents.join(','),
    container,
    volumes: volumes.join(','),
    envFolder,
  });

  return { stopped, agents, container, volumes, envFolder };
}
