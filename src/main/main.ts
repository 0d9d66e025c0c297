/**
 * The Electron entry point: the only file that imports Electron and electron-store. It builds the
 * core for this user and hands both to `startApp`.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as electron from 'electron';
import ElectronStore from 'electron-store';

import { describeError } from '../core/errors.js';
import { fileSink, Logger } from '../core/logger.js';
import { resolveHome, workbenchPaths } from '../core/platform.js';
import { storeOptions } from '../core/settings.js';
import { Workbench } from '../core/workbench.js';
import { agentProgramPrefix } from './agent-program.js';
import { startApp } from './app.js';
import { createSettingsAccess } from './settings-access.js';

const here = dirname(fileURLToPath(import.meta.url));

function createLogger(logsDir: string): Logger {
  try {
    return new Logger('app', { sinks: [fileSink(join(logsDir, 'app.log'))] });
  } catch {
    return new Logger('app', { sinks: [] });
  }
}

function openSettingsStore(home: string) {
  const { configName, projectName: _projectName, ...options } = storeOptions(home);

  return new ElectronStore<Record<string, unknown>>({ ...options, name: configName });
}

async function main(): Promise<void> {
  const home = resolveHome();
  const paths = workbenchPaths(home);
  const logger = createLogger(paths.logsDir);
  const appPath = electron.app.getAppPath();
  const core = new Workbench({
    agentProgram: agentProgramPrefix(appPath, process.env),
    logger,
    persistCache: false,
  });

  await startApp(electron, core, {
    appRoot: appPath,
    rendererDir: join(here, '..', 'renderer'),
    preloadPath: join(here, 'preload.cjs'),
    settings: createSettingsAccess(openSettingsStore(home)),
    logger,
  });
}

main().catch((error: unknown) => {
  electron.dialog.showErrorBox('CodeWhale Workbench cannot start', describeError(error));
  electron.app.quit();
});
