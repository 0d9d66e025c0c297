import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { build } from 'esbuild';

import {
  readSecretFile,
  writeSecretFile,
  type SecretFileIo,
} from '../../src/core/env/secret-file.js';

const SOURCE = join(import.meta.dirname, '..', '..', 'src', 'core', 'env', 'secret-file.ts');
const root = fs.mkdtempSync(join(tmpdir(), 'wb-secret-'));
const children = new Set<ChildProcess>();
let writerScript = '';

/** A plain-Node writer program (bundled once, so it starts fast) for umask and crash tests. */
const WRITER_ENTRY = `
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeSecretFile } from ${JSON.stringify(SOURCE)};

const [command, ...args] = process.argv.slice(2);
if (command === 'umask') {
  const [mask, path] = args;
  process.umask(Number.parseInt(mask, 8));
  writeSecretFile(path, 'first\\n');
  const created = { file: statSync(path).mode & 0o777, dir: statSync(dirname(path)).mode & 0o777 };
  writeSecretFile(path, 'second\\n');
  const rewritten = { file: statSync(path).mode & 0o777, dir: statSync(dirname(path)).mode & 0o777 };
  process.stdout.write(JSON.stringify({ created, rewritten }));
} else if (command === 'loop') {
  const [path, a, b] = args;
  const contents = [readFileSync(a), readFileSync(b)];
  process.stdout.write('ready\\n');
  for (let index = 0; ; index += 1) writeSecretFile(path, contents[index % 2]);
}
`;

before(async () => {
  const entry = join(root, 'writer-entry.ts');
  fs.writeFileSync(entry, WRITER_ENTRY);
  writerScript = join(root, 'writer.mjs');
  await build({
    entryPoints: [entry],
    outfile: writerScript,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
});

after(() => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

let counter = 0;
/** A fresh env folder (0700) under the test root. */
function freshDir(): string {
  counter += 1;
  const dir = join(root, `case-${counter}`, 'env');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);

  return dir;
}

function modeOf(path: string): number {
  return fs.lstatSync(path).mode & 0o777;
}

function tempFilesIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.includes('.tmp-'));
}

describe('secret files: modes', () => {
  test('creates the folder 0700 and the file 0600 under umask 000 and 077', () => {
    for (const mask of ['000', '077']) {
      const path = join(root, `umask-${mask}`, 'nested', 'env', 'runtime.env');
      const result = spawnSync(process.execPath, [writerScript, 'umask', mask, path], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(
        JSON.parse(result.stdout),
        { created: { file: 0o600, dir: 0o700 }, rewritten: { file: 0o600, dir: 0o700 } },
        mask,
      );
      assert.equal(fs.readFileSync(path, 'utf8'), 'second\n');
    }
  });

  test('reports and repairs a file made 0644 and a folder made 0755 by hand', () => {
    const dir = freshDir();
    const path = join(dir, 'runtime.env');
    writeSecretFile(path, 'A=1\n');
    fs.chmodSync(path, 0o644);
    fs.chmodSync(dir, 0o755);

    const read = readSecretFile(path);
    assert.deepEqual(read.repairs, [
      'folder env was 0755, now 0700',
      'runtime.env was 0644, now 0600',
    ]);
    assert.equal(read.mode, '0600');
    assert.equal(Buffer.from(read.bytes!).toString(), 'A=1\n');
    assert.equal(modeOf(path), 0o600);
    assert.equal(modeOf(dir), 0o700);
    assert.deepEqual(readSecretFile(path).repairs, []);
  });

  test('only reports wrong modes when told not to repair', () => {
    const dir = freshDir();
    const path = join(dir, 'runtime.env');
    writeSecretFile(path, 'A=1\n');
    fs.chmodSync(path, 0o640);

    const read = readSecretFile(path, { repair: false });
    assert.deepEqual(read.wrongModes, ['runtime.env is 0640, should be 0600']);
    assert.deepEqual(read.repairs, []);
    assert.equal(read.mode, '0640');
    assert.equal(modeOf(path), 0o640);
  });

  test('makes a rewritten 0644 file 0600 again', () => {
    const dir = freshDir();
    const path = join(dir, 'telegram-bridge.env');
    fs.writeFileSync(path, 'A=1\n', { mode: 0o644 });
    fs.chmodSync(path, 0o644);
    writeSecretFile(path, 'A=2\n');
    assert.equal(modeOf(path), 0o600);
  });

  test('says a missing file does not exist without creating it', () => {
    const dir = freshDir();
    const read = readSecretFile(join(dir, 'runtime.env'));
    assert.deepEqual([read.exists, read.bytes, read.mode], [false, null, null]);
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

describe('secret files: refusals', () => {
  test('refuses to write through a symlinked env file and leaves its target untouched', () => {
    const dir = freshDir();
    const target = join(root, `target-${counter}.txt`);
    fs.writeFileSync(target, 'precious\n', { mode: 0o644 });
    const path = join(dir, 'runtime.env');
    fs.symlinkSync(target, path);

    assert.throws(() => writeSecretFile(path, 'A=1\n'), {
      name: 'EnvFileError',
      code: 'symlink',
      message: `refusing to use ${path}: it is a symlink`,
      hint: `replace the symlink with a real file (move the target to ${path}); it was left untouched`,
    });
    assert.throws(() => readSecretFile(path), { code: 'symlink' });
    assert.equal(fs.readFileSync(target, 'utf8'), 'precious\n');
    assert.equal(modeOf(target), 0o644);
    assert.ok(fs.lstatSync(path).isSymbolicLink());
    assert.deepEqual(tempFilesIn(dir), []);
  });

  test('refuses a dangling symlink without creating its target', () => {
    const dir = freshDir();
    const target = join(root, `missing-${counter}.txt`);
    const path = join(dir, 'runtime.env');
    fs.symlinkSync(target, path);
    assert.throws(() => writeSecretFile(path, 'A=1\n'), { code: 'symlink' });
    assert.equal(fs.existsSync(target), false);
  });

  test('refuses a symlinked env folder', () => {
    const real = freshDir();
    const linked = join(root, `linked-${counter}`);
    fs.symlinkSync(real, linked);
    const path = join(linked, 'runtime.env');
    assert.throws(() => writeSecretFile(path, 'A=1\n'), {
      code: 'symlink',
      message: `refusing to use ${linked}: it is a symlink`,
      hint: `replace the symlink with a real folder (move the target to ${linked}); it was left untouched`,
    });
    assert.throws(() => readSecretFile(path), { code: 'symlink' });
    assert.deepEqual(fs.readdirSync(real), []);
  });

  test('refuses a path that is not a regular file', () => {
    const dir = freshDir();
    const path = join(dir, 'runtime.env');
    fs.mkdirSync(path);
    assert.throws(() => writeSecretFile(path, 'A=1\n'), {
      code: 'not_regular',
      message: `refusing to use ${path}: it is not a regular file`,
      hint: 'move it away so a file can take its place; it was left untouched',
    });
    const fifo = join(dir, 'telegram-bridge.env');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    assert.throws(() => readSecretFile(fifo), { code: 'not_regular' });
    assert.ok(fs.lstatSync(fifo).isFIFO());
  });

  test(
    'refuses a file owned by someone else',
    { skip: process.getuid?.() !== 0 && 'needs root to chown' },
    () => {
      const dir = freshDir();
      const path = join(dir, 'runtime.env');
      writeSecretFile(path, 'A=1\n');
      fs.chownSync(path, 4242, 4242);
      fs.chmodSync(path, 0o644);
      assert.throws(() => readSecretFile(path), {
        code: 'foreign_owner',
        message: `refusing to use ${path}: it belongs to user id 4242, not to you (0)`,
        hint: `change its owner: sudo chown 0 ${JSON.stringify(path)}`,
      });
      assert.throws(() => writeSecretFile(path, 'B=2\n'), { code: 'foreign_owner' });
      assert.equal(fs.readFileSync(path, 'utf8'), 'A=1\n');
      assert.equal(modeOf(path), 0o644);
    },
  );
});

describe('secret files: failures and crashes', () => {
  test('leaves the old file when the disk fills up during a write', () => {
    const dir = freshDir();
    const path = join(dir, 'runtime.env');
    writeSecretFile(path, 'OLD=1\n');
    let written = 0;
    const fullDisk: SecretFileIo = {
      writeSync: (fd, buffer, offset, length) => {
        if (written > 0)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
            code: 'ENOSPC',
          });
        written = fs.writeSync(fd, buffer, offset, Math.min(length, 10));
        return written;
      },
      fsyncSync: (fd) => fs.fsyncSync(fd),
    };

    assert.throws(() => writeSecretFile(path, 'NEW=2\n'.repeat(1000), { io: fullDisk }), {
      name: 'EnvFileError',
      code: 'enospc',
      message: `cannot write ${path}: no space left on the disk`,
      hint: 'free some disk space and try again; the file was left as it was',
    });
    assert.equal(written, 10);
    assert.equal(fs.readFileSync(path, 'utf8'), 'OLD=1\n');
    assert.equal(modeOf(path), 0o600);
    assert.deepEqual(tempFilesIn(dir), []);
  });

  test('leaves the old file when the flush fails', () => {
    const dir = freshDir();
    const path = join(dir, 'runtime.env');
    writeSecretFile(path, 'OLD=1\n');
    const failingSync: SecretFileIo = {
      writeSync: (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, length),
      fsyncSync: () => {
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      },
    };
    assert.throws(() => writeSecretFile(path, 'NEW=2\n', { io: failingSync }), { code: 'eio' });
    assert.equal(fs.readFileSync(path, 'utf8'), 'OLD=1\n');
    assert.deepEqual(tempFilesIn(dir), []);
  });

  test('removes the temp files of writers that died, and keeps those of live writers', async (t) => {
    const dir = freshDir();
    const path = join(dir, 'runtime.env');
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      stdio: 'ignore',
    });
    children.add(sleeper);
    t.after(() => {
      sleeper.kill('SIGKILL');
      children.delete(sleeper);
    });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const stale = `.runtime.env.tmp-${dead.stdout}-0123456789ab`;
    const live = `.runtime.env.tmp-${sleeper.pid}-0123456789ab`;
    const other = '.telegram-bridge.env.tmp-1-0123456789ab';
    for (const name of [stale, live, other]) fs.writeFileSync(join(dir, name), 'partial');

    const result = writeSecretFile(path, 'A=1\n');
    assert.deepEqual(result.removedTempFiles, [stale]);
    assert.deepEqual(tempFilesIn(dir).sort(), [live, other].sort());
  });

  test('always leaves the complete old or new content when a writer is killed at random points', async () => {
    const dir = freshDir();
    const path = join(dir, 'runtime.env');
    const contentA = `A=${'a'.repeat(200_000)}\n`;
    const contentB = `B=${'b'.repeat(300_000)}\n`;
    fs.writeFileSync(join(root, 'a.txt'), contentA);
    fs.writeFileSync(join(root, 'b.txt'), contentB);
    writeSecretFile(path, contentA);

    const rounds = 200;
    let interruptedWrites = 0;
    for (let round = 0; round < rounds; round += 1) {
      await runAndKill(path, join(root, 'a.txt'), join(root, 'b.txt'), Math.random() * 12);
      const content = fs.readFileSync(path, 'utf8');
      assert.ok(
        content === contentA || content === contentB,
        `round ${round}: torn content of ${content.length} bytes`,
      );
      assert.equal(modeOf(path), 0o600);
      if (tempFilesIn(dir).length > 0) interruptedWrites += 1;

      writeSecretFile(path, content);
      assert.deepEqual(tempFilesIn(dir), [], `round ${round}: a temp file survived the next write`);
    }
    // The kills must have landed inside writes, or the test proves nothing.
    assert.ok(interruptedWrites > 0, 'no kill interrupted a write');
  });
});

/** Starts the looping writer, kills it with SIGKILL `delayMs` after it is ready, and waits for its end. */
function runAndKill(path: string, a: string, b: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writerScript, 'loop', path, a, b], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout!.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}
