/**
 * Prepares the mount points before the services start, when the supervisor runs as root: a
 * fresh named volume is owned by root, and the services (UID 1000) could not write to it.
 * Only the mount point itself is changed, never what is inside it.
 */
import { chownSync, lstatSync, mkdirSync } from 'node:fs';

import type { Logger } from '../core/logger.js';
import type { RunAs } from './config.js';

/** Creates each folder (0700) and gives it to `runAs`; skips symlinks and reports failures. */
export function prepareMountPoints(dirs: readonly string[], runAs: RunAs, logger: Logger): void {
  for (const dir of dirs) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stat = lstatSync(dir);
      if (!stat.isDirectory()) {
        logger.warn('mount point is not a folder, left as it is', { path: dir });
        continue;
      }
      if (stat.uid === runAs.uid && stat.gid === runAs.gid) continue;
      chownSync(dir, runAs.uid, runAs.gid);
      logger.info('mount point handed to the service user', {
        path: dir,
        owner: `${runAs.uid}:${runAs.gid}`,
      });
    } catch (error) {
      logger.warn('cannot prepare mount point', {
        path: dir,
        error: (error as NodeJS.ErrnoException).code ?? String(error),
      });
    }
  }
}
