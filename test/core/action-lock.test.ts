import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { readLockHolder, withActionLock } from '../../src/core/action-lock.js';
import { LockError } from '../../src/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'wb-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('withActionLock', () => {
  it('runs actions one after the other, never together', async () => {
    const lock = join(dir, 'serial.lock');
    const events: string[] = [];
    const action = (name: string) =>
      withActionLock(lock, name, { waitMs: 5000, pollMs: 10 }, async () => {
        events.push(`${name}:begin`);
        await sleep(50);
        events.push(`${name}:end`);
      });
    await Promise.all([action('a'), action('b')]);
    assert.ok(
      events.join(',') === 'a:begin,a:end,b:begin,b:end' ||
        events.join(',') === 'b:begin,b:end,a:begin,a:end',
    );
  });

  it('names the holder when another action does not finish in time', async () => {
    const lock = join(dir, 'busy.lock');
    const holder = withActionLock(lock, 'start', { waitMs: 1000 }, () => sleep(400));
    await sleep(20);
    await assert.rejects(
      withActionLock(lock, 'stop', { waitMs: 100, pollMs: 10 }, async () => {}),
      (error: unknown) => {
        assert.ok(error instanceof LockError);
        assert.match(
          error.message,
          new RegExp(
            `^another workbench action is still running: start \\(pid ${process.pid}, since `,
          ),
        );
        return true;
      },
    );
    await holder;
  });

  it('takes over a lock whose owner died', async () => {
    const lock = join(dir, 'stale.lock');
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.on('exit', resolve));
    writeFileSync(
      lock,
      JSON.stringify({ pid: child.pid, action: 'start', since: new Date().toISOString() }),
    );
    assert.equal(readLockHolder(lock), null);
    assert.equal(await withActionLock(lock, 'stop', { waitMs: 1000 }, async () => 'done'), 'done');
  });

  it('takes over a lock file left empty by a writer killed mid-way', async () => {
    const lock = join(dir, 'empty.lock');
    writeFileSync(lock, '');
    assert.equal(await withActionLock(lock, 'start', { waitMs: 1000 }, async () => 'ok'), 'ok');
  });

  it('releases the lock when the action throws', async () => {
    const lock = join(dir, 'throws.lock');
    await assert.rejects(
      withActionLock(lock, 'start', { waitMs: 1000 }, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(readLockHolder(lock), null);
  });
});
