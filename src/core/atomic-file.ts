/**
 * Atomic file replacement: a temp file in the same folder, opened exclusively and never through
 * a symlink, written, flushed, renamed over the target, and the folder flushed. A reader sees the
 * complete old content or the complete new content, never a mix.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
  fchmodSync,
  lstatSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

const TEMP_MARKER = '.tmp-';

/** The temp-file name used for `target`; leftovers match `isTempFileOf`. */
function tempPathFor(target: string): string {
  return join(
    dirname(target),
    `.${basename(target)}${TEMP_MARKER}${randomBytes(6).toString('hex')}`,
  );
}

/** True for a temp file that a write of `target` left behind (for example after SIGKILL). */
export function isTempFileOf(target: string, name: string): boolean {
  return name.startsWith(`.${basename(target)}${TEMP_MARKER}`);
}

/** Removes temp files an interrupted write of `target` left in its folder. */
export function removeStaleTempFiles(target: string): void {
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return;
  }
  for (const name of names) {
    if (!isTempFileOf(target, name)) continue;
    try {
      unlinkSync(join(dirname(target), name));
    } catch {
      // Another writer may have renamed or removed it already.
    }
  }
}

/** Flushes a folder's entries, so a rename inside it survives a power loss. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    // Some file systems refuse fsync on a folder; the rename itself is still atomic.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    closeSync(fd);
  }
}

export interface AtomicWriteOptions {
  /** The mode of the new file, applied with fchmod so the umask cannot reduce it. */
  mode: number;
  /** Skip the fsync calls: for frequently rewritten files whose loss on power failure is harmless. */
  durable?: boolean;
}

/** Replaces `target` with `data` atomically. Refuses a target that is a symlink. */
export function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions,
): void {
  const existing = lstatOrNull(target);
  if (existing?.isSymbolicLink()) {
    throw Object.assign(new Error(`refusing to write through the symlink ${target}`), {
      code: 'ELOOP',
    });
  }
  const durable = options.durable ?? true;
  const temp = tempPathFor(target);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fd = openSync(temp, flags, options.mode);
  try {
    fchmodSync(fd, options.mode);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    if (durable) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkQuietly(temp);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, target);
  } catch (error) {
    unlinkQuietly(temp);
    throw error;
  }
  if (durable) syncDirectory(dirname(target));
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
