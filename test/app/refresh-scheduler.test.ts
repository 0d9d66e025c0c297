import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { RefreshScheduler } from '../../src/main/refresh-scheduler.js';
import { ManualClock, settle } from './manual-clock.js';

function setUp() {
  const clock = new ManualClock();
  const times: number[] = [];
  const scheduler = new RefreshScheduler({
    clock,
    refresh: async () => {
      times.push(clock.now());
    },
  });

  return { clock, times, scheduler };
}

describe('RefreshScheduler', () => {
  test('refreshes at once on start and then every 10 s while nothing is open', async () => {
    const { clock, times, scheduler } = setUp();
    scheduler.start();
    await clock.advance(35_000);
    assert.deepEqual(times, [0, 10_000, 20_000, 30_000]);
    scheduler.stop();
    assert.equal(clock.pending, 0);
  });

  test('refreshes every 2 s while the menu is open and slows down when it closes', async () => {
    const { clock, times, scheduler } = setUp();
    scheduler.start();
    await settle();
    scheduler.setActive('menu', true);
    await clock.advance(7_000);
    assert.deepEqual(times, [0, 2_000, 4_000, 6_000]);
    scheduler.setActive('menu', false);
    await clock.advance(10_000);
    assert.deepEqual(times, [0, 2_000, 4_000, 6_000, 16_000]);
    scheduler.stop();
  });

  test('refreshes at once when a window opens after a long idle wait', async () => {
    const { clock, times, scheduler } = setUp();
    scheduler.start();
    await clock.advance(5_000);
    scheduler.setActive('window:status', true);
    await clock.advance(0);
    assert.deepEqual(times, [0, 5_000]);
    await clock.advance(2_000);
    assert.deepEqual(times, [0, 5_000, 7_000]);
    scheduler.stop();
  });

  test('stays quick while any one of several reasons is active', async () => {
    const { clock, scheduler } = setUp();
    scheduler.start();
    scheduler.setActive('menu', true);
    scheduler.setActive('window:env', true);
    scheduler.setActive('menu', false);
    assert.equal(scheduler.intervalMs, 2_000);
    scheduler.setActive('window:env', false);
    assert.equal(scheduler.intervalMs, 10_000);
    await clock.advance(0);
    scheduler.stop();
  });

  test('does nothing while the Mac sleeps and refreshes at once on wake', async () => {
    const { clock, times, scheduler } = setUp();
    scheduler.start();
    await clock.advance(1_000);
    scheduler.suspend();
    scheduler.refreshNow();
    await clock.advance(60_000);
    assert.deepEqual(times, [0]);
    scheduler.resume();
    await settle();
    assert.deepEqual(times, [0, 61_000]);
    await clock.advance(10_000);
    assert.deepEqual(times, [0, 61_000, 71_000]);
    scheduler.stop();
  });

  test('refreshes at once after an action, never two refreshes at the same time', async () => {
    const clock = new ManualClock();
    let running = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const scheduler = new RefreshScheduler({
      clock,
      refresh: () => {
        running += 1;
        most = Math.max(most, running);
        return new Promise<void>((resolve) =>
          releases.push(() => {
            running -= 1;
            resolve();
          }),
        );
      },
    });
    scheduler.start();
    assert.equal(releases.length, 1);
    scheduler.refreshNow();
    scheduler.refreshNow();
    await settle();
    assert.equal(releases.length, 1, 'a second refresh waits for the first');
    releases[0]!();
    await settle();
    assert.equal(releases.length, 2, 'the requested refresh follows at once, only once');
    releases[1]!();
    await settle();
    assert.equal(most, 1);
    assert.equal(clock.pending, 1);
    scheduler.stop();
    assert.equal(clock.pending, 0);
  });

  test('keeps its schedule when a refresh fails', async () => {
    const clock = new ManualClock();
    const times: number[] = [];
    const scheduler = new RefreshScheduler({
      clock,
      refresh: async () => {
        times.push(clock.now());
        throw new Error('container ls timed out');
      },
    });
    scheduler.start();
    await clock.advance(20_000);
    assert.deepEqual(times, [0, 10_000, 20_000]);
    scheduler.stop();
  });
});
