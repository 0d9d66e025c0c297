import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';

import Conf from 'conf';

import { silentLogger } from '../../src/core/logger.js';
import { storeOptions } from '../../src/core/settings.js';
import type { Workbench } from '../../src/core/workbench.js';
import { CHANNELS, STATUS_EVENT } from '../../src/ipc/channels.js';
import { startApp, type RunningApp } from '../../src/main/app.js';
import { createSettingsAccess } from '../../src/main/settings-access.js';
import { REPO_ROOT } from '../helpers/double-env.js';
import {
  createWorkbenchWorld,
  type WorkbenchWorld,
  type WorkbenchWorldOptions,
} from '../helpers/workbench-world.js';
import { createFakeElectron, world, type FakeElectron, type FakeMenu } from './fake-electron.js';
import { ManualClock, settle } from './manual-clock.js';

const CONTAINER = 'codewhale-workbench';
/** What the supervisor says when the bridge exits because its bot token is not set. */
const MISSING_TOKEN_DETAIL =
  'missing variable: TELEGRAM_BOT_TOKEN is required — ' +
  'set it in telegram-bridge.env, then restart the workbench';
/** A generous safety limit for the real processes behind an action; no assertion is timed. */
const WAIT_LIMIT_MS = 30_000;

interface Started {
  fake: FakeElectron;
  core: Workbench;
  app: RunningApp;
  clock: ManualClock;
  bench: WorkbenchWorld;
  rendererDir: string;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Stops refreshing, lets a refresh that runs finish, then ends the world's processes. */
async function stopApp(app: RunningApp, bench: WorkbenchWorld): Promise<void> {
  app.scheduler.stop();
  while (app.scheduler.refreshing) await pause();
  await bench.dispose();
}

const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 25));

/**
 * Waits until `condition` holds while the core's processes do their work; with `clock`, also lets
 * the scheduler's timers fire, as time passing would.
 */
async function waitUntil(what: string, condition: () => boolean, clock?: ManualClock) {
  const limit = Date.now() + WAIT_LIMIT_MS;
  while (!condition()) {
    if (Date.now() > limit) assert.fail(`gave up waiting until ${what}`);
    if (clock) await clock.advance(2_000);
    await pause();
  }
}

async function start(options: WorkbenchWorldOptions = {}): Promise<Started> {
  const bench = await createWorkbenchWorld(options);
  const core = bench.workbench();
  const rendererDir = join(bench.root, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'status.html'), '<!doctype html><title>status</title>');
  writeFileSync(join(bench.root, 'secret.html'), 'outside');
  const fake = createFakeElectron();
  const clock = new ManualClock();
  const app = await startApp(fake.surface, core, {
    appRoot: REPO_ROOT,
    rendererDir,
    preloadPath: join(REPO_ROOT, 'dist', 'main', 'preload.cjs'),
    settings: createSettingsAccess(new Conf<Record<string, unknown>>(storeOptions(bench.home))),
    logger: silentLogger,
    clock,
  });
  assert.ok(app);
  cleanups.push(() => stopApp(app, bench));
  await waitUntil('the first status is in', () => app.status !== null && !app.scheduler.refreshing);

  return { fake, core, app, clock, bench, rendererDir };
}

function trayMenu(): FakeMenu {
  const menu = world.trays[0]?.menu;
  assert.ok(menu, 'the tray has a menu');

  return menu;
}

function workbenchLabel(): string | undefined {
  return trayMenu().item('status.workbench').label;
}

describe('the main process wiring', () => {
  test('opens the guided setup on a first launch of a Mac that is not set up', async () => {
    await start({ withoutEnvFiles: true });
    assert.equal(world.windows.length, 1);
    assert.equal(world.windows[0]!.url, 'workbench://app/setup.html');
    assert.equal(trayMenu().item('status.workbench').label, 'Workbench Not Set Up');
  });

  test('opens no window at launch when the workbench is set up', async () => {
    await start();
    assert.equal(world.windows.length, 0);
  });

  test('shows the tray, starts the workbench from the menu and shows it running', async () => {
    const { bench, clock } = await start();
    const tray = world.trays[0]!;
    assert.equal(world.trays.length, 1);
    assert.match(tray.image.path, /assets\/icons\/tray-stoppedTemplate\.png$/);
    assert.equal(tray.image.template, true);
    assert.equal(tray.image.isEmpty(), false);
    assert.equal(trayMenu().item('status.workbench').label, 'Workbench Stopped');
    assert.equal(tray.toolTip, 'CodeWhale Workbench — Workbench stopped');

    trayMenu().item('action.start').click!({} as never, undefined, {} as never);
    assert.equal(trayMenu().item('status.workbench').label, 'Starting Workbench…');
    assert.equal(trayMenu().item('action.stop').enabled, false);
    await waitUntil(
      'the menu shows the workbench running',
      () => workbenchLabel() === 'Workbench Running',
      clock,
    );

    assert.equal(bench.containerDouble.container(CONTAINER)?.state, 'running');
    assert.equal(bench.containerDouble.containers().length, 1);
    assert.match(trayMenu().item('status.runtime').label ?? '', /^Runtime: up \d+s$/);
    assert.equal(trayMenu().item('action.start').enabled, false);
    assert.equal(trayMenu().item('action.stop').enabled, true);
    assert.match(tray.image.path, /tray-runningTemplate\.png$/);
    assert.match(
      tray.toolTip,
      /^CodeWhale Workbench — Workbench running · runtime up \d+s · bridge up \d+s$/,
    );
    assert.equal(trayMenu().item('app.quit').label, 'Quit (Workbench Keeps Running)');
    assert.ok(trayMenu().item('status.workbench').icon, 'status rows carry a dot');
    assert.deepEqual(world.notifications, []);
  });

  test('notifies when a service fails but not when the app stops the workbench', async () => {
    const { core, app, clock } = await start();
    await app.clickMenuItem('action.start');
    await waitUntil('the workbench runs', () => workbenchLabel() === 'Workbench Running', clock);
    await core.saveEnvFile('bridge', { TELEGRAM_BOT_TOKEN: null });
    await app.clickMenuItem('action.restart');
    await waitUntil('a notification is shown', () => world.notifications.length > 0, clock);
    assert.deepEqual(world.notifications, [
      { title: 'The Telegram bridge failed', body: MISSING_TOKEN_DETAIL },
    ]);
    assert.equal(app.status?.services?.bridge.state, 'failed');
    await app.clickMenuItem('action.stop');
    assert.equal(world.notifications.length, 1);
    assert.equal(trayMenu().item('status.workbench').label, 'Workbench Stopped');
  });

  test('answers IPC only from its own windows on its own origin', async () => {
    const { fake } = await start();
    const handler = fake.ipc.get(CHANNELS.status)!;
    assert.deepEqual([...fake.ipc.keys()].sort(), Object.values(CHANNELS).sort());

    const stranger = await handler(
      { sender: { id: 999 }, senderFrame: { url: 'workbench://app/status.html' } },
      undefined,
    );
    assert.deepEqual(stranger, {
      ok: false,
      error: 'The request came from a page that is not part of the app.',
    });

    const window = world.windows[0] ?? (await openStatusWindow(fake));
    const foreign = await handler(
      { sender: { id: window.webContents.id }, senderFrame: { url: 'https://example.com/' } },
      undefined,
    );
    assert.equal((foreign as { ok: boolean }).ok, false);

    const own = await handler(
      {
        sender: { id: window.webContents.id },
        senderFrame: { url: 'workbench://app/status.html' },
      },
      undefined,
    );
    assert.equal((own as { ok: boolean; value: { overall: string } }).value.overall, 'stopped');

    const bad = await fake.ipc.get(CHANNELS.readEnv)!(
      { sender: { id: window.webContents.id }, senderFrame: { url: 'workbench://app/env.html' } },
      { name: '../../etc/passwd' },
    );
    assert.deepEqual(bad, {
      ok: false,
      error:
        'The request to env/read was refused: name Invalid option: expected one of "runtime"|"bridge".',
    });
  });

  test('opens hardened windows on the app scheme and shows the Dock only while one is open', async () => {
    const { fake, app } = await start();
    trayMenu().item('window.status').click!({} as never, undefined, {} as never);
    const window = world.windows[0]!;
    assert.equal(window.url, 'workbench://app/status.html');
    assert.deepEqual(window.options.webPreferences, {
      preload: join(REPO_ROOT, 'dist', 'main', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    });
    assert.equal(fake.app.dockShows, 1);
    assert.equal(app.scheduler.intervalMs, 2_000);

    fake.app.emit('second-instance');
    assert.equal(world.windows.length, 1, 'a second launch brings the status window forward');
    assert.equal(window.shown, 1);

    await app.refresh();
    assert.equal(window.webContents.sent.at(-1)?.[0], STATUS_EVENT);

    window.close();
    assert.equal(fake.app.dockHides, 1);
    assert.equal(app.scheduler.intervalMs, 10_000);
  });

  test('refuses navigation, new windows, webviews and permissions for every web contents', async () => {
    const { fake } = await start();
    const contents = fake.createContents();
    assert.equal(contents.navigate('https://example.com/'), true);
    assert.equal(contents.redirect('https://example.com/'), true);
    assert.equal(contents.attachWebview(), true);
    assert.deepEqual(contents.openWindow('https://example.com/'), { action: 'deny' });

    let granted: boolean | null = null;
    fake.permissionHandler()!({}, 'media', (answer) => void (granted = answer));
    assert.equal(granted, false);
    assert.equal(fake.permissionCheck()!({}, 'notifications'), false);
  });

  test('serves pages from its own scheme with the CSP, and nothing outside the renderer folder', async () => {
    const { fake } = await start();
    assert.deepEqual(
      fake.privilegedSchemes.map((entry) => entry.scheme),
      ['workbench'],
    );
    const serve = fake.protocolHandlers.get('workbench')!;

    const page = await serve(new Request('workbench://app/status.html'));
    assert.equal(page.status, 200);
    assert.equal(await page.text(), '<!doctype html><title>status</title>');
    assert.equal(
      page.headers.get('content-security-policy'),
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    for (const url of [
      'workbench://app/../secret.html',
      'workbench://app/%2e%2e/secret.html',
      'workbench://other/status.html',
      'workbench://app/missing.html',
    ]) {
      assert.equal((await serve(new Request(url))).status, 404, url);
    }
  });

  test('stops refreshing while the Mac sleeps and refreshes on wake', async () => {
    const { fake, clock, core } = await start();
    fake.powerMonitor.emit('suspend');
    assert.equal(clock.pending, 0);
    await core.start({ wait: true });
    assert.equal(workbenchLabel(), 'Workbench Stopped', 'no refresh while asleep');
    fake.powerMonitor.emit('resume');
    // The clock stands still: only the refresh on wake can show the new state.
    await waitUntil(
      'the menu shows the workbench running',
      () => workbenchLabel() === 'Workbench Running',
    );
  });

  test('quits the app alone: the tray goes, the workbench keeps running', async () => {
    const { fake, app, bench } = await start();
    await app.clickMenuItem('action.start');
    const pid = bench.containerDouble.container(CONTAINER)?.runtime.pid;
    assert.ok(pid);
    trayMenu().item('app.quit').click!({} as never, undefined, {} as never);
    assert.equal(fake.app.quits, 1);
    fake.app.emit('before-quit');
    assert.equal(world.trays[0]!.destroyed, true);
    await settle();
    const left = bench.containerDouble.container(CONTAINER);
    assert.ok(left);
    assert.equal(left.state, 'running');
    assert.equal(left.runtime.pid, pid, 'the same container keeps running');
  });

  test('gives way to an instance that already runs', async () => {
    const fake = createFakeElectron({ lock: false });
    const bench = await createWorkbenchWorld();
    cleanups.push(() => bench.dispose());
    const app = await startApp(fake.surface, bench.workbench(), {
      appRoot: REPO_ROOT,
      rendererDir: bench.root,
      preloadPath: '/nowhere/preload.cjs',
      settings: createSettingsAccess(new Conf<Record<string, unknown>>(storeOptions(bench.home))),
      logger: silentLogger,
      clock: new ManualClock(),
    });
    assert.equal(app, null);
    assert.equal(fake.app.quits, 1);
    assert.equal(world.trays.length, 0);
  });
});

async function openStatusWindow(fake: FakeElectron) {
  fake.app.emit('second-instance');
  await settle();

  return world.windows[0]!;
}
