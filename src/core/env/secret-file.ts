/**
 * Reading and writing files that hold secrets, with mode 0600 in a 0700 folder whatever the
 * umask. A write goes to a temp file in the same folder (opened exclusively, never through a
 * symlink), is flushed, renamed over the file, and the folder is flushed. A symlink, a file that
 * is not regular, or one owned by another user is refused and left alone. Every read checks the
 * modes and repairs them, and says so.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { MAX_ENV_FILE_BYTES, readAll } from './document.js';
import { EnvFileError } from './errors.js';
import { isProcessAlive } from '../process-alive.js';

export const SECRET_FILE_MODE = 0o600;
export const SECRET_FOLDER_MODE = 0o700;

const TEMP_MARKER = '.tmp-';

/** The file-system calls a write makes that may fail for reasons outside our control (a full disk). */
export interface SecretFileIo {
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
}

const NODE_IO: SecretFileIo = {
  writeSync: (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, length),
  fsyncSync: (fd) => fs.fsyncSync(fd),
};

export interface SecretWriteOptions {
  /** Replaces the write and fsync calls, to test what a failing disk leaves behind. */
  io?: SecretFileIo;
}

export interface SecretWriteResult {
  /** Mode repairs made on the way, e.g. "folder env was 0755, now 0700". */
  repairs: string[];
  /** Temp files of interrupted writes that were removed. */
  removedTempFiles: string[];
}

export interface SecretReadOptions {
  /** Repair wrong modes (the default); false only reports them. */
  repair?: boolean;
}

export interface SecretReadResult {
  path: string;
  exists: boolean;
  /** The content, or null when the file does not exist. */
  bytes: Uint8Array | null;
  /** The mode after any repair, as four octal digits ("0600"), or null when missing. */
  mode: string | null;
  /** Mode repairs made (or, with `repair: false`, needed), e.g. "runtime.env was 0644, now 0600". */
  repairs: string[];
  /** Modes still wrong because `repair` was false. */
  wrongModes: string[];
}

/** `0644` for a mode number. */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function currentUid(): number | null {
  return typeof process.getuid === 'function' ? process.getuid() : null;
}

function lstatOrNull(path: string): fs.Stats | null {
  try {
    return fs.lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw wrapError(error, path, 'cannot inspect');
  }
}

function wrapError(error: unknown, path: string, what: string): EnvFileError {
  if (error instanceof EnvFileError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
  const reason =
    code === 'ENOSPC'
      ? 'no space left on the disk'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : (error as Error).message;
  const hint =
    code === 'ENOSPC'
      ? 'free some disk space and try again; the file was left as it was'
      : 'check the folder and the file, then try again; the file was left as it was';

  return new EnvFileError(`${what} ${path}: ${reason}`, {
    path,
    code: code.toLowerCase(),
    hint,
    cause: error,
  });
}

/** Refuses a symlink, a non-regular file or another user's file; `kind` is "file" or "folder". */
function assertSafeEntry(path: string, stat: fs.Stats, kind: 'file' | 'folder'): void {
  if (stat.isSymbolicLink()) {
    throw new EnvFileError(`refusing to use ${path}: it is a symlink`, {
      path,
      code: 'symlink',
      hint: `replace the symlink with a real ${kind} (move the target to ${path}); it was left untouched`,
    });
  }
  const right = kind === 'file' ? stat.isFile() : stat.isDirectory();
  if (!right) {
    throw new EnvFileError(
      `refusing to use ${path}: it is not a ${kind === 'file' ? 'regular file' : 'folder'}`,
      {
        path,
        code: 'not_regular',
        hint: `move it away so a ${kind} can take its place; it was left untouched`,
      },
    );
  }
  const uid = currentUid();
  if (uid !== null && stat.uid !== uid) {
    throw new EnvFileError(
      `refusing to use ${path}: it belongs to user id ${stat.uid}, not to you (${uid})`,
      {
        path,
        code: 'foreign_owner',
        hint: `change its owner: sudo chown ${uid} ${JSON.stringify(path)}`,
      },
    );
  }
}

function folderLabel(dir: string): string {
  return `folder ${basename(dir)}`;
}

/**
 * Makes sure `dir` is a folder of ours with mode 0700, creating it (and missing parents) when
 * needed. Returns the repairs made.
 */
export function ensureSecretFolder(dir: string): string[] {
  let stat = lstatOrNull(dir);
  if (stat === null) {
    try {
      fs.mkdirSync(dirname(dir), { recursive: true, mode: SECRET_FOLDER_MODE });
      fs.mkdirSync(dir, { mode: SECRET_FOLDER_MODE });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw wrapError(error, dir, 'cannot create');
    }
    stat = lstatOrNull(dir);
    if (stat === null)
      throw new EnvFileError(`cannot create ${dir}`, { path: dir, code: 'enoent' });
    assertSafeEntry(dir, stat, 'folder');
    // mkdir's mode is reduced by the umask; set it outright.
    fs.chmodSync(dir, SECRET_FOLDER_MODE);
    return [];
  }
  assertSafeEntry(dir, stat, 'folder');

  return repairFolderMode(dir, stat, true);
}

function repairFolderMode(dir: string, stat: fs.Stats, repair: boolean): string[] {
  const mode = stat.mode & 0o7777;
  if (mode === SECRET_FOLDER_MODE) return [];
  if (!repair)
    return [
      `${folderLabel(dir)} is ${formatMode(mode)}, should be ${formatMode(SECRET_FOLDER_MODE)}`,
    ];
  try {
    fs.chmodSync(dir, SECRET_FOLDER_MODE);
  } catch (error) {
    throw wrapError(error, dir, 'cannot set the mode of');
  }

  return [`${folderLabel(dir)} was ${formatMode(mode)}, now ${formatMode(SECRET_FOLDER_MODE)}`];
}

/** The temp-file name prefix of writes of `target`; the pid of the writer follows it. */
function tempPrefixOf(target: string): string {
  return `.${basename(target)}${TEMP_MARKER}`;
}

function tempPathFor(target: string): string {
  return join(
    dirname(target),
    `${tempPrefixOf(target)}${process.pid}-${randomBytes(6).toString('hex')}`,
  );
}

/** True while another process with this pid runs: this process's own temp files count as stale. */
function isOtherProcessAlive(pid: number): boolean {
  return pid !== process.pid && isProcessAlive(pid);
}

/**
 * Removes temp files that interrupted writes of `target` left behind: those whose writer is gone.
 * A write in progress in another live process keeps its temp file.
 */
export function removeStaleTempFiles(target: string): string[] {
  const prefix = tempPrefixOf(target);
  let names: string[];
  try {
    names = fs.readdirSync(dirname(target));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (Number.isInteger(pid) && pid > 0 && isOtherProcessAlive(pid)) continue;
    try {
      fs.unlinkSync(join(dirname(target), name));
      removed.push(name);
    } catch {
      // Removed by someone else in the meantime.
    }
  }

  return removed;
}

function syncFolder(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY);
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    // Some file systems refuse fsync on a folder; the rename is atomic all the same.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

function writeTempFile(temp: string, bytes: Uint8Array, io: SecretFileIo): void {
  const flags =
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
  const fd = fs.openSync(temp, flags, SECRET_FILE_MODE);
  try {
    // The mode given to open is reduced by the umask; set it outright.
    fs.fchmodSync(fd, SECRET_FILE_MODE);
    let offset = 0;
    while (offset < bytes.length) offset += io.writeSync(fd, bytes, offset, bytes.length - offset);
    io.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function unlinkQuietly(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * Replaces `path` with `data` atomically, mode 0600, in a folder made or kept 0700. Refuses a
 * symlinked, non-regular or foreign file (or folder) with an EnvFileError and leaves it alone.
 * On failure the old file stays as it was and the temp file is removed.
 */
export function writeSecretFile(
  path: string,
  data: string | Uint8Array,
  options: SecretWriteOptions = {},
): SecretWriteResult {
  const dir = dirname(path);
  const repairs = ensureSecretFolder(dir);
  const existing = lstatOrNull(path);
  if (existing !== null) assertSafeEntry(path, existing, 'file');
  const removedTempFiles = removeStaleTempFiles(path);

  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const temp = tempPathFor(path);
  try {
    writeTempFile(temp, bytes, options.io ?? NODE_IO);
    fs.renameSync(temp, path);
  } catch (error) {
    unlinkQuietly(temp);
    throw wrapError(error, path, 'cannot write');
  }
  try {
    syncFolder(dir);
  } catch (error) {
    throw wrapError(error, dir, 'cannot flush');
  }

  return { repairs, removedTempFiles };
}

/**
 * Reads a secret file after checking it and its folder: refuses a symlink, a non-regular or a
 * foreign file (EnvFileError), and repairs modes other than 0600 and 0700 unless told not to.
 */
export function readSecretFile(path: string, options: SecretReadOptions = {}): SecretReadResult {
  const repair = options.repair ?? true;
  const dir = dirname(path);
  const dirStat = lstatOrNull(dir);
  if (dirStat === null)
    return { path, exists: false, bytes: null, mode: null, repairs: [], wrongModes: [] };
  assertSafeEntry(dir, dirStat, 'folder');
  const folderFindings = repairFolderMode(dir, dirStat, repair);

  const stat = lstatOrNull(path);
  const byRepair = (findings: string[]) =>
    repair ? { repairs: findings, wrongModes: [] } : { repairs: [], wrongModes: findings };
  if (stat === null)
    return { path, exists: false, bytes: null, mode: null, ...byRepair(folderFindings) };
  assertSafeEntry(path, stat, 'file');

  let fd: number;
  try {
    fd = fs.openSync(
      path,
      fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
    );
  } catch (error) {
    throw wrapError(error, path, 'cannot read');
  }
  try {
    const opened = fs.fstatSync(fd);
    // The entry may have been swapped between lstat and open.
    if (opened.ino !== stat.ino || opened.dev !== stat.dev) assertSafeEntry(path, opened, 'file');
    if (opened.size > MAX_ENV_FILE_BYTES) {
      throw new EnvFileError(`${path} is larger than ${MAX_ENV_FILE_BYTES} bytes`, {
        path,
        code: 'too_large',
        hint: 'an env file holds a few lines; replace it with the template',
      });
    }
    const fileFindings = checkFileMode(fd, path, opened, repair);
    const mode = repair ? SECRET_FILE_MODE : opened.mode & 0o7777;
    const bytes = readAll(fd, opened.size);

    return {
      path,
      exists: true,
      bytes,
      mode: formatMode(mode),
      ...byRepair([...folderFindings, ...fileFindings]),
    };
  } catch (error) {
    throw wrapError(error, path, 'cannot read');
  } finally {
    fs.closeSync(fd);
  }
}

function checkFileMode(fd: number, path: string, stat: fs.Stats, repair: boolean): string[] {
  const mode = stat.mode & 0o7777;
  if (mode === SECRET_FILE_MODE) return [];
  const name = basename(path);
  if (!repair) return [`${name} is ${formatMode(mode)}, should be ${formatMode(SECRET_FILE_MODE)}`];
  fs.fchmodSync(fd, SECRET_FILE_MODE);

  return [`${name} was ${formatMode(mode)}, now ${formatMode(SECRET_FILE_MODE)}`];
}
