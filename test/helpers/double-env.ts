/**
 * A throwaway world for one test: a temp home, a temp folder for the doubles' state, and an
 * environment that points every command path of the core at the doubles in test/doubles/bin.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { COMMAND_NAMES, commandPathVariable, type CommandPaths } from '../../src/core/platform.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DOUBLES_BIN = join(REPO_ROOT, 'test', 'doubles', 'bin');

export interface DoubleWorld {
  /** The temp folder holding everything below. */
  root: string;
  /** WORKBENCH_HOME for the test. */
  home: string;
  /** WORKBENCH_DOUBLE_STATE: where the doubles keep their state. */
  doubleState: string;
  launchAgentsDir: string;
  commands: CommandPaths;
  /** The environment to pass to spawned CLIs and to the core's functions. */
  env: NodeJS.ProcessEnv;
  /** Removes the temp folder. Stop the processes you started before calling it. */
  cleanup(): void;
}

export interface DoubleWorldOptions {
  /** A name put into the temp path, e.g. one with spaces, quotes, `&` and non-ASCII letters. */
  homeName?: string;
}

/** Creates a fresh world; call `cleanup()` in an `after` hook. */
export function createDoubleWorld(options: DoubleWorldOptions = {}): DoubleWorld {
  const root = mkdtempSync(join(tmpdir(), 'wb-test-'));
  const home = join(root, options.homeName ?? 'home', 'CodeWhale Workbench');
  const doubleState = join(root, 'doubles');
  const launchAgentsDir = join(root, options.homeName ?? 'home', 'LaunchAgents');
  for (const dir of [home, doubleState, launchAgentsDir]) mkdirSync(dir, { recursive: true });

  const commands = Object.fromEntries(
    COMMAND_NAMES.map((name) => [name, join(DOUBLES_BIN, name)]),
  ) as CommandPaths;
  const commandEnv = Object.fromEntries(
    COMMAND_NAMES.map((name) => [commandPathVariable(name), commands[name]]),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: join(root, options.homeName ?? 'home'),
    WORKBENCH_HOME: home,
    WORKBENCH_DOUBLE_STATE: doubleState,
    WORKBENCH_LAUNCH_AGENTS_DIR: launchAgentsDir,
    ...commandEnv,
  };

  return {
    root,
    home,
    doubleState,
    launchAgentsDir,
    commands,
    env,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
