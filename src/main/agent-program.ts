/**
 * The program launchd runs for the workbench agent: a Node binary and the bundled CLI, with
 * `agent run` appended by the core. The app's own binary cannot serve, because the packaged app
 * has the RunAsNode fuse off; and launchd needs files on disk, so the CLI comes from the
 * unpacked part of the archive.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** Where a Node binary is looked for, in order, after `WORKBENCH_NODE_PATH`. */
export const NODE_CANDIDATES = ['/opt/homebrew/bin/node', '/usr/local/bin/node', '/usr/bin/node'] as const;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Node binary for the agent: `WORKBENCH_NODE_PATH`, else the first candidate present. */
export function findNodeBinary(env: NodeJS.ProcessEnv, exists: (path: string) => boolean = isExecutable): string {
  const chosen = env.WORKBENCH_NODE_PATH;
  if (chosen && chosen.startsWith('/')) return chosen;

  return NODE_CANDIDATES.find(exists) ?? NODE_CANDIDATES[0];
}

/** The folder holding files that must exist on disk: `app.asar.unpacked` when packaged. */
export function unpackedRoot(appPath: string): string {
  return appPath.endsWith('.asar') ? `${appPath}.unpacked` : appPath;
}

/** `[node, <app>/dist/cli.js]`: the argv prefix of the workbench agent. */
export function agentProgramPrefix(appPath: string, env: NodeJS.ProcessEnv): string[] {
  return [findNodeBinary(env), join(unpackedRoot(appPath), 'dist', 'cli.js')];
}
