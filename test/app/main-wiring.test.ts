import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';

import Conf from 'conf';

import { silentLogger } from '../../src/core/logger.js';
import { storeOptions } from '../../src/core/settings.js';
import { CHANNELS, STATUS_EVENT } from '../../src/ipc/channels.js';
import { startApp, type RunningApp } from '../../src/main/app.js';
import { createSettingsAccess } from '../../src/main/settings-access.js';
import { createDoubleWorld, REPO_ROOT, type DoubleWorld } from '../helpers/double-env.js';
import { BAD_TOKEN_DETAIL, HarnessWorkbench } from '../renderer/harness-core.js';
import { createFakeElectron, world, type FakeElectron, type FakeMenu } from './fake-electron.js';
import { ManualClock, settle } from './manual-clock.js';

const GOOD_BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';

interface Started {
  fake: FakeElectron;
  core: HarnessWorkbench;
  app: RunningApp;
  clock: ManualClock;
  doubles: DoubleWorld;
  rendererDir: string;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function start(): Promise<Started> {
  const doubles = createDoubleWorld();
  const core = new HarnessWorkbench(doubles.home, doubles.env);
  core.createEnvFiles();
  await core.saveEnvFile('bridge', { TELEGRAM_BOT_TOKEN: GOOD_BOT_TOKEN });
  core.calls.length = 0;
  const rendererDir = join(doubles.root, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'status.html'), '<!doctype html><title>status</title>');
  writeFileSync(join(doubles.root, 'secret.html'), 'outside');
  const fake = createFakeElectron();
  const clock = new ManualClock();
  const app = await startApp(fake.surface, core, {
    appRoot: REPO_ROOT,
    rendererDir,
    preloadPath: join(REPO_ROOT, 'dist', 'main', 'preload.cjs'),
    settings: createSettingsAccess(new Conf<Record<string, unknown>>(storeOptions(doubles.home))),
    logger: silentLogger,
    clock,
  });
  assert.ok(app);
  cleanups.push(() => {
    app.scheduler.stop();
    doubles.cleanup();
  });
  await settle();

  return { fake, core, app, clock, doubles, rendererDir };
}

function trayMenu(): FakeMenu {
  const menu = world.trays[0]?.menu;
  assert.ok(menu, 'the tray has a menu');

  return menu;
}

/** Waits until the app has finished what a click started (it runs on promises only). */
async function settleAll(): Promise<void> {
  for (let round = 0; round < 20; round += 1) await settle();
}

describe('the main process wiring', () => {
  test('shows the tray, starts the workbench from the menu and shows it running', async () => {
    const { core } = await start();
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
    await settleAll();

    assert.deepEqual(core.calls, ['start']);
    assert.equal(trayMenu().item('status.workbench').label, 'Workbench Running');
    assert.equal(trayMenu().item('status.runtime').label, 'Runtime: up 0s');
    assert.equal(trayMenu().item('action.start').enabled, false);
    assert.equal(trayMenu().item('action.stop').enabled, true);
    assert.match(tray.image.path, /tray-runningTemplate\.png$/);
    assert.match(tray.toolTip, /^CodeWhale Workbench — Workbench running · runtime up \d+s · bridge up \d+s$/);
    assert.equal(trayMenu().item('app.quit').label, 'Quit (Workbench Keeps Running)');
    assert.ok(trayMenu().item('status.workbench').icon, 'status rows carry a dot');
    assert.deepEqual(world.notifications, []);
  });

  test('notifies when a service fails but not when the app stops the workbench', async () => {
    const { core, app } = await start();
    await app.clickMenuItem('action.start');
    await core.saveEnvFile('bridge', { TELEGRAM_BOT_TOKEN: 'replace-with-telegram-bot-token' });
    await app.clickMenuItem('action.restart');
    assert.deepEqual(world.notifications, [{ title: 'The Telegram bridge failed', body: BAD_TOKEN_DETAIL }]);
    await app.clickMenuItem('action.stop');
    assert.equal(world.notifications.length, 1);
    assert.equal(trayMenu().item('status.workbench').label, 'Workbench Stopped');
  });

  test('answers IPC only from its own windows on its own origin', async () => {
    const { fake } = await start();
    const handler = fake.ipc.get(CHANNELS.status)!;
    assert.deepEqual([...fake.ipc.keys()].sort(), Object.values(CHANNELS).sort());

    const stranger = await handler({ sender: { id: 999 }, senderFrame: { url: 'workbench://app/status.html' } }, undefined);
    assert.deepEqual(stranger, { ok: false, error: 'The request came from a page that is not part of the app.' });

    const window = world.windows[0] ?? (await openStatusWindow(fake));
    const foreign = await handler({ sender: { id: window.webContents.id }, senderFrame: { url: 'https://example.com/' } }, undefined);
    assert.equal((foreign as { ok: boolean }).ok, false);

    const own = await handler({ sender: { id: window.webContents.id }, senderFrame: { url: 'workbench://app/status.html' } }, undefined);
    assert.equal((own as { ok: boolean; value: { overall: string } }).value.overall, 'stopped');

    const bad = await fake.ipc.get(CHANNELS.readEnv)!({ sender: { id: window.webContents.id }, senderFrame: { url: 'workbench://app/env.html' } }, { name: '../../etc/passwd' });
    assert.deepEqual(bad, { ok: false, error: 'The request to env/read was refused: name Invalid option: expected one of "runtime"|"bridge".' });
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
    assert.deepEqual(fake.privilegedSchemes.map((entry) => entry.scheme), ['workbench']);
    const serve = fake.protocolHandlers.get('workbench')!;

    const page = await serve(new Request('workbench://app/status.html'));
    assert.equal(page.status, 200);
    assert.equal(await page.text(), '<!doctype html><title>status</title>');
    assert.equal(
      page.headers.get('content-security-policy'),
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    for (const url of ['workbench://app/../secret.html', 'workbench://app/%2e%2e/secret.html', 'workbench://other/status.html', 'workbench://app/missing.html']) {
      assert.equal((await serve(new Request(url))).status, 404, url);
    }
  });

  test('stops refreshing while the Mac sleeps and refreshes on wake', async () => {
    const { fake, clock, core } = await start();
    fake.powerMonitor.emit('suspend');
    assert.equal(clock.pending, 0);
    await core.start();
    fake.powerMonitor.emit('resume');
    await settleAll();
    assert.equal(trayMenu().item('status.workbench').label, 'Workbench Running');
  });

  test('quits the app alone: the tray goes, the workbench keeps running', async () => {
    const { fake, app, core } = await start();
    await app.clickMenuItem('action.start');
    trayMenu().item('app.quit').click!({} as never, undefined, {} as never);
    assert.equal(fake.app.quits, 1);
    fake.app.emit('before-quit');
    assert.equal(world.trays[0]!.destroyed, true);
    assert.equal((await core.status()).overall, 'running');
    assert.equal(core.calls.includes('stop'), false);
  });

  test('gives way to an instance that already runs', async () => {
    const fake = createFakeElectron({ lock: false });
    const doubles = createDoubleWorld();
    cleanups.push(() => doubles.cleanup());
    const app = await startApp(fake.surface, new HarnessWorkbench(doubles.home, doubles.env), {
      appRoot: REPO_ROOT,
      rendererDir: doubles.root,
      preloadPath: '/nowhere/preload.cjs',
      settings: createSettingsAccess(new Conf<Record<string, unknown>>(storeOptions(doubles.home))),
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
