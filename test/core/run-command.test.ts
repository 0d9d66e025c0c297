import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { CommandError } from '../../src/core/errors.js';
import { ensureSuccess, runCommand } from '../../src/core/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'wb-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);

  return path;
}

describe('runCommand', () => {
  it('returns the exit status and both streams of a command that fails', async () => {
    const path = script('fails', 'echo out; echo "Error: it broke" >&2; exit 3');
    const result = await runCommand(path, [], { timeoutMs: 5000 });
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout, 'out\n');
    assert.equal(result.stderr, 'Error: it broke\n');
  });

  it('passes arguments verbatim, without a shell', async () => {
    const path = script('echo-args', 'for a in "$@"; do printf "[%s]" "$a"; done');
    const result = await runCommand(path, ['a b', '$HOME', "it's", '&;|'], { timeoutMs: 5000 });
    assert.equal(result.stdout, "[a b][$HOME][it's][&;|]");
  });

  it('gives the command a closed stdin unless input is passed', async () => {
    const path = script('reads', 'if read line; then echo "got $line"; else echo eof; fi');
    assert.equal((await runCommand(path, [], { timeoutMs: 5000 })).stdout, 'eof\n');
    assert.equal(
      (await runCommand(path, [], { timeoutMs: 5000, input: 'yes\n' })).stdout,
      'got yes\n',
    );
  });

  it('kills a command that outlives its timeout and says so', async () => {
    const path = script('hangs', 'exec sleep 30');
    await assert.rejects(runCommand(path, ['status'], { timeoutMs: 300 }), (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.equal(error.failure, 'timeout');
      assert.equal(error.message, 'hangs status did not answer within 0.3 s');
      return true;
    });
  });

  it('reports a missing command as not installed at its path', async () => {
    const missing = join(dir, 'nope');
    await assert.rejects(runCommand(missing, [], { timeoutMs: 1000 }), (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.equal(error.failure, 'not-found');
      assert.equal(error.message, `nope is not installed at ${missing}`);
      return true;
    });
  });

  it('refuses a relative command path', async () => {
    await assert.rejects(
      runCommand('container', [], { timeoutMs: 1000 }),
      /the path is not absolute/,
    );
  });
});

describe('ensureSuccess', () => {
  it('names the first Error line of a failed command', async () => {
    const path = script(
      'container',
      'echo "progress 10%" >&2; echo "Error: container with id web already exists" >&2; exit 1',
    );
    const result = await runCommand(path, ['run'], { timeoutMs: 5000 });
    assert.throws(() => ensureSuccess(result, 'starting the workbench'), {
      message: 'starting the workbench failed: container with id web already exists',
    });
  });

  it('passes a successful result through even with output on stderr', async () => {
    const path = script('noisy', 'echo "[1/2] Fetching image 15%" >&2; echo id');
    const result = await runCommand(path, [], { timeoutMs: 5000 });
    assert.equal(ensureSuccess(result).stdout, 'id\n');
  });
});
