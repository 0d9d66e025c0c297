/**
 * Where things are: the app home and its folders, the launchd agents folder, and the absolute
 * path of every external command. Chosen once from the environment and the settings; the rest
 * of the core asks this module and never looks at `process.platform` itself.
 */
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

import { COMMAND_NAMES, type CommandName } from './command-names.js';
import { WorkbenchError } from './errors.js';

export { COMMAND_NAMES, type CommandName } from './command-names.js';

export type CommandPaths = Record<CommandName, string>;

const DEFAULT_COMMAND_CANDIDATES: Record<CommandName, readonly string[]> = {
  container: ['/usr/local/bin/container', '/opt/homebrew/bin/container'],
  launchctl: ['/bin/launchctl'],
  caffeinate: ['/usr/bin/caffeinate'],
  pmset: ['/usr/bin/pmset'],
  plutil: ['/usr/bin/plutil'],
  sw_vers: ['/usr/bin/sw_vers'],
  sysctl: ['/usr/sbin/sysctl'],
};

export const AGENT_LABEL = 'com.codewhale.workbench';
export const AWAKE_AGENT_LABEL = 'com.codewhale.workbench.keep-awake';

/** The folders and files of one workbench installation. */
export interface WorkbenchPaths {
  home: string;
  config: string;
  envDir: string;
  runtimeEnv: string;
  bridgeEnv: string;
  statusDir: string;
  statusFile: string;
  supervisorLog: string;
  logsDir: string;
  cacheDir: string;
  lockFile: string;
  launchAgentsDir: string;
  agentPlist: string;
  awakePlist: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `WORKBENCH_CONTAINER_PATH`, `WORKBENCH_SW_VERS_PATH`, …: the variable that overrides a command. */
export function commandPathVariable(name: CommandName): string {
  return `WORKBENCH_${name.toUpperCase().replaceAll('-', '_')}_PATH`;
}

/** The app home: `WORKBENCH_HOME`, else the platform's folder for application data. */
export function resolveHome(env: Env = process.env, platform = process.platform): string {
  const fromEnv = env.WORKBENCH_HOME;
  if (fromEnv) {
    if (!isAbsolute(fromEnv)) {
      throw new WorkbenchError(
        `WORKBENCH_HOME must be an absolute path, got ${JSON.stringify(fromEnv)}`,
        {
          hint: 'set it to a full path such as /Users/you/workbench, or unset it',
        },
      );
    }
    return fromEnv;
  }
  const home = env.HOME || homedir();
  if (platform === 'darwin')
    return join(home, 'Library', 'Application Support', 'CodeWhale Workbench');
  const configHome =
    env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : join(home, '.config');

  return join(configHome, 'codewhale-workbench');
}

/** Every path of the installation rooted at `home`. */
export function workbenchPaths(home: string, env: Env = process.env): WorkbenchPaths {
  const envDir = join(home, 'env');
  const statusDir = join(home, 'status');
  const launchAgentsDir =
    env.WORKBENCH_LAUNCH_AGENTS_DIR || join(env.HOME || homedir(), 'Library', 'LaunchAgents');

  return {
    home,
    config: join(home, 'config.json'),
    envDir,
    runtimeEnv: join(envDir, 'runtime.env'),
    bridgeEnv: join(envDir, 'telegram-bridge.env'),
    statusDir,
    statusFile: join(statusDir, 'status.json'),
    supervisorLog: join(statusDir, 'supervisor.log'),
    logsDir: join(home, 'logs'),
    cacheDir: join(home, 'cache'),
    lockFile: join(home, 'action.lock'),
    launchAgentsDir,
    agentPlist: join(launchAgentsDir, `${AGENT_LABEL}.plist`),
    awakePlist: join(launchAgentsDir, `${AWAKE_AGENT_LABEL}.plist`),
  };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of every command: the setting `commands.<name>`, else `WORKBENCH_<NAME>_PATH`,
 * else the first default that exists (the first default when none does, so errors name it).
 */
export function resolveCommandPaths(
  fromSettings: Partial<Record<CommandName, string>> = {},
  env: Env = process.env,
): CommandPaths {
  const entries = COMMAND_NAMES.map((name) => {
    const chosen = fromSettings[name] || env[commandPathVariable(name)];
    if (chosen) {
      if (!isAbsolute(chosen)) {
        throw new WorkbenchError(
          `the path for ${name} must be absolute, got ${JSON.stringify(chosen)}`,
          {
            hint: `set commands.${name} or ${commandPathVariable(name)} to a full path`,
          },
        );
      }
      return [name, chosen] as const;
    }
    const candidates = DEFAULT_COMMAND_CANDIDATES[name];
    const found = candidates.find(isExecutable) ?? candidates[0]!;

    return [name, found] as const;
  });

  return Object.fromEntries(entries) as CommandPaths;
}

/** Where a Node binary for the workbench agent is looked for, after `WORKBENCH_NODE_PATH`. */
export const NODE_CANDIDATES = [
  '/opt/homebrew/bin/node',
  '/usr/local/bin/node',
  '/usr/bin/node',
] as const;

/**
 * The Node binary the workbench agent runs under when the caller is not itself a Node process
 * (the packaged app, whose RunAsNode fuse is off): `WORKBENCH_NODE_PATH`, else the first
 * candidate present, else the first candidate so errors name it.
 */
export function resolveNodePath(
  env: Env = process.env,
  exists: (path: string) => boolean = isExecutable,
): string {
  const chosen = env.WORKBENCH_NODE_PATH;
  if (chosen && isAbsolute(chosen)) return chosen;

  return NODE_CANDIDATES.find(exists) ?? NODE_CANDIDATES[0];
}

/** The numeric user id, for launchd domains (`gui/<uid>`). */
export function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 501;
}
