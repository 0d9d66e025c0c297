/**
 * The program launchd runs for the workbench agent: a Node binary and the bundled CLI, with
 * `agent run` appended by the core. The app's own binary cannot serve, because the packaged app
 * has the RunAsNode fuse off; and launchd needs files on disk, so the CLI comes from the
 * unpacked part of the archive.
 */
import { join } from 'node:path';

import { resolveNodePath } from '../core/platform.js';

/** The folder holding files that must exist on disk: `app.asar.unpacked` when packaged. */
export function unpackedRoot(appPath: string): string {
  return appPath.endsWith('.asar') ? `${appPath}.unpacked` : appPath;
}

/** `[node, <app>/dist/cli.js]`: the argv prefix of the workbench agent. */
export function agentProgramPrefix(appPath: string, env: NodeJS.ProcessEnv): string[] {
  return [resolveNodePath(env), join(unpackedRoot(appPath), 'dist', 'cli.js')];
}
