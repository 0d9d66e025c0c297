/**
 * The main process: the core wired to the tray, the menu, the windows and IPC. It takes the
 * Electron surface as a parameter so the wiring runs under a fake in tests; `main.ts` passes the
 * real module. All logic lives in the core and in the pure modules beside this one.
 */
import { join } from 'node:path';

import { WorkbenchError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { WorkbenchStatus } from '../core/status-model.js';
import type { ActionOutcome } from '../core/workbench-api.js';
import {
  APP_HOST,
  APP_ORIGIN,
  APP_SCHEME,
  STATUS_EVENT,
  type WindowName,
} from '../ipc/channels.js';
import { parseValue } from '../ipc/contract.js';
import type {
  ContentsLike,
  ElectronSurface,
  IpcEventLike,
  TrayLike,
  WindowLike,
} from './electron-surface.js';
import {
  createRequestHandler,
  REQUEST_CHANNELS,
  sentenceOf,
  type AppCore,
  type RequestHandler,
} from './ipc-handlers.js';
import { decideNotifications } from './notification-rules.js';
import { SCHEME_PRIVILEGES, servePage } from './page-protocol.js';
import { RefreshScheduler, systemClock, type SchedulerClock } from './refresh-scheduler.js';
import type { SettingsAccess } from './settings-access.js';
import {
  buildTrayMenu,
  trayIconName,
  trayTooltip,
  type ActionName,
  type MenuItemId,
  type MenuItemTemplate,
} from './tray-menu.js';
import { buildElectronMenu, type DotImages } from './menu-adapter.js';

export interface StartAppOptions {
  /** Where `assets/icons` lies: the app's root (the asar archive when packaged). */
  appRoot: string;
  /** The built pages, `dist/renderer`. */
  rendererDir: string;
  /** The built preload, `dist/main/preload.cjs`. */
  preloadPath: string;
  settings: SettingsAccess;
  logger: Logger;
  clock?: SchedulerClock;
  now?: () => Date;
}

/** A handle on the running app, for the entry point and the wiring test. */
export interface RunningApp {
  /** The status last seen, or null before the first refresh. */
  readonly status: WorkbenchStatus | null;
  readonly scheduler: RefreshScheduler;
  /** Does what a click on the menu item with this id does. */
  clickMenuItem(id: MenuItemId): Promise<void>;
  openWindow(name: WindowName): WindowLike;
  /** Refreshes the status now and waits for it. */
  refresh(): Promise<void>;
}

const WINDOW_SIZES: Record<WindowName, { width: number; height: number; title: string }> = {
  status: { width: 760, height: 680, title: 'Status & Logs' },
  env: { width: 780, height: 700, title: 'Env Files' },
  doctor: { width: 720, height: 640, title: 'Doctor' },
  settings: { width: 600, height: 620, title: 'Settings' },
  setup: { width: 720, height: 720, title: 'Set Up CodeWhale Workbench' },
};

const MENU_WINDOWS: Partial<Record<MenuItemId, WindowName>> = {
  'window.env': 'env',
  'window.status': 'status',
  'window.doctor': 'doctor',
  'window.settings': 'settings',
  'action.setup': 'setup',
};

/** Refuses navigation, new windows, webviews and permission requests everywhere. */
function hardenContents(contents: ContentsLike): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** True for a frame URL on the app's own scheme and host. */
export function isAppUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

class App implements RunningApp {
  readonly scheduler: RefreshScheduler;
  readonly #electron: ElectronSurface;
  readonly #core: AppCore;
  readonly #options: StartAppOptions;
  readonly #log: Logger;
  readonly #windows = new Map<WindowName, WindowLike>();
  readonly #handleRequest: RequestHandler;
  #tray: TrayLike | null = null;
  #status: WorkbenchStatus | null = null;
  #action: ActionName | null = null;
  #menuKey = '';
  #iconName = '';
  #dots: DotImages | null = null;

  constructor(electron: ElectronSurface, core: AppCore, options: StartAppOptions) {
    this.#electron = electron;
    this.#core = core;
    this.#options = options;
    this.#log = options.logger.child('app');
    this.scheduler = new RefreshScheduler({
      refresh: () => this.refresh(),
      clock: options.clock ?? systemClock,
    });
    this.#handleRequest = createRequestHandler({
      core,
      settings: options.settings,
      loginItem: {
        read: () => electron.app.getLoginItemSettings().openAtLogin,
        write: (openAtLogin) => {
          electron.app.setLoginItemSettings({ openAtLogin });
          return electron.app.getLoginItemSettings().openAtLogin;
        },
      },
      runAction: (name, work) => this.runAction(name, work),
      openWindow: (name) => void this.openWindow(name),
    });
  }

  get status(): WorkbenchStatus | null {
    return this.#status;
  }

  /** Called once Electron is ready: pages, permissions, IPC, tray, refreshes. */
  setUp(): void {
    const { protocol, session, powerMonitor } = this.#electron;
    protocol.handle(APP_SCHEME, (request) => servePage(this.#options.rendererDir, request));
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
      callback(false),
    );
    session.defaultSession.setPermissionCheckHandler(() => false);
    this.#registerIpc();

    this.#dots = this.#loadDots();
    this.#tray = new this.#electron.Tray(this.#trayImage('stopped'));
    this.#tray.setToolTip('CodeWhale Workbench — checking…');
    this.#renderTray();

    powerMonitor.on('suspend', () => this.scheduler.suspend());
    powerMonitor.on('resume', () => this.scheduler.resume());
    this.scheduler.start();
  }

  /** Stops refreshing and removes the tray icon; the workbench itself keeps running. */
  tearDown(): void {
    this.scheduler.stop();
    this.#tray?.destroy();
    this.#tray = null;
  }

  async refresh(): Promise<void> {
    try {
      this.#statusChanged(await this.#core.status(), null);
    } catch (error) {
      this.#log.error('status refresh failed', { error: sentenceOf(error) });
    }
  }

  /** Runs one action at a time and shows it in the menu while it runs. */
  async runAction(name: ActionName, work: () => Promise<ActionOutcome>): Promise<ActionOutcome> {
    if (this.#action) {
      throw new WorkbenchError(`another action (${this.#action}) is still running`, {
        hint: 'wait for it to finish',
      });
    }
    this.#action = name;
    this.#renderTray();
    this.#log.info('action started', { action: name });
    try {
      const outcome = await work();
      this.#log.info('action finished', { action: name, message: outcome.message });
      this.#action = null;
      this.#statusChanged(outcome.status, name);

      return outcome;
    } catch (error) {
      this.#log.warn('action failed', { action: name, error: sentenceOf(error) });
      throw error;
    } finally {
      this.#action = null;
      this.#renderTray();
      this.scheduler.refreshNow();
    }
  }

  async clickMenuItem(id: MenuItemId): Promise<void> {
    const window = MENU_WINDOWS[id];
    if (window) {
      this.openWindow(window);
      return;
    }
    if (id === 'app.quit') {
      this.#electron.app.quit();
      return;
    }
    const work = this.#menuAction(id);
    if (!work) return;
    try {
      await this.runAction(work.name, work.run);
    } catch (error) {
      this.#notify('The action did not finish', sentenceOf(error));
    }
  }

  openWindow(name: WindowName): WindowLike {
    const open = this.#windows.get(name);
    if (open && !open.isDestroyed()) {
      open.show();
      open.focus();
      return open;
    }
    const { BrowserWindow } = this.#electron;
    const window = new BrowserWindow({
      ...WINDOW_SIZES[name],
      show: false,
      resizable: true,
      minimizable: true,
      fullscreenable: false,
      webPreferences: {
        preload: this.#options.preloadPath,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webviewTag: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        spellcheck: false,
        // A middle click must not open a link in a new window either.
        disableBlinkFeatures: 'Auxclick',
      },
    });
    this.#windows.set(name, window);
    window.on('ready-to-show', () => window.show());
    window.on('closed', () => this.#windowClosed(name, window));
    void window.loadURL(`${APP_ORIGIN}/${name}.html`);
    // A menu-bar app has no Dock icon, except while one of its windows is open.
    void this.#electron.app.dock?.show();
    this.scheduler.setActive(`window:${name}`, true);

    return window;
  }

  #windowClosed(name: WindowName, window: WindowLike): void {
    if (this.#windows.get(name) === window) this.#windows.delete(name);
    this.scheduler.setActive(`window:${name}`, false);
    if (this.#windows.size === 0) this.#electron.app.dock?.hide();
  }

  #menuAction(id: MenuItemId): { name: ActionName; run: () => Promise<ActionOutcome> } | null {
    const core = this.#core;
    const status = this.#status;
    switch (id) {
      case 'action.start':
        return { name: 'start', run: () => core.start({}) };
      case 'action.stop':
        return { name: 'stop', run: () => core.stop() };
      case 'action.restart':
        return { name: 'restart', run: () => core.restart() };
      case 'toggle.agent':
        return {
          name: 'agent',
          run: () => core.setAgentEnabled(!(status?.launchAgent.installed ?? false)),
        };
      case 'toggle.awake':
        return {
          name: 'awake',
          run: () => core.setKeepAwake(!(status?.keepAwake.enabled ?? false)),
        };
      default:
        return null;
    }
  }

  #registerIpc(): void {
    for (const channel of REQUEST_CHANNELS) {
      this.#electron.ipcMain.handle(channel, async (event, arg) => {
        if (!this.#isOwnSender(event)) {
          this.#log.warn('IPC request refused', {
            channel,
            sender: event.senderFrame?.url ?? null,
          });
          return { ok: false, error: 'The request came from a page that is not part of the app.' };
        }
        return this.#handleRequest(channel, arg);
      });
    }
  }

  /** Only the app's own windows, showing the app's own pages, may ask anything. */
  #isOwnSender(event: IpcEventLike): boolean {
    const ownContents = [...this.#windows.values()].some(
      (window) => !window.isDestroyed() && window.webContents.id === event.sender.id,
    );

    return ownContents && isAppUrl(event.senderFrame?.url);
  }

  #statusChanged(next: WorkbenchStatus, lastAction: ActionName | null): void {
    const notices = decideNotifications(this.#status, next, lastAction);
    const first = this.#status === null;
    this.#status = next;
    // A first launch on a Mac that is not set up yet opens the guided setup.
    if (first && next.overall === 'not-set-up') this.openWindow('setup');
    for (const notice of notices) this.#notify(notice.title, notice.body);
    this.#renderTray();
    this.#broadcast(next);
  }

  #broadcast(status: WorkbenchStatus): void {
    const checked = parseValue('status', status);
    if (!checked.ok) {
      this.#log.error('status does not match the IPC contract', { error: checked.error });
      return;
    }
    for (const window of this.#windows.values()) {
      if (!window.isDestroyed()) window.webContents.send(STATUS_EVENT, checked.value);
    }
  }

  #notify(title: string, body: string): void {
    this.#log.info('notification', { title });
    const { Notification } = this.#electron;
    if (Notification.isSupported()) new Notification({ title, body }).show();
  }

  #renderTray(): void {
    const tray = this.#tray;
    if (!tray) return;
    const ui = { action: this.#action, now: (this.#options.now ?? (() => new Date()))() };
    const status = this.#status;
    const template: MenuItemTemplate[] = status ? buildTrayMenu(status, ui) : loadingMenu();
    const iconName = status ? trayIconName(status) : 'stopped';
    if (iconName !== this.#iconName) {
      tray.setImage(this.#trayImage(iconName));
      this.#iconName = iconName;
    }
    if (status) tray.setToolTip(trayTooltip(status, ui));
    const key = JSON.stringify(template);
    if (key === this.#menuKey) return;
    this.#menuKey = key;
    const menu = buildElectronMenu(
      this.#electron.Menu,
      template,
      this.#dots,
      (id) => void this.clickMenuItem(id),
    );
    menu.on('menu-will-show', () => this.scheduler.setActive('menu', true));
    menu.on('menu-will-close', () => this.scheduler.setActive('menu', false));
    tray.setContextMenu(menu);
  }

  #trayImage(name: string) {
    const image = this.#electron.nativeImage.createFromPath(
      join(this.#iconsDir(), `tray-${name}Template.png`),
    );
    image.setTemplateImage(true);
    if (image.isEmpty()) this.#log.warn('tray icon missing', { name });

    return image;
  }

  #loadDots(): DotImages {
    const load = (color: string) =>
      this.#electron.nativeImage.createFromPath(join(this.#iconsDir(), `dot-${color}.png`));

    return { green: load('green'), amber: load('amber'), red: load('red'), grey: load('grey') };
  }

  #iconsDir(): string {
    return join(this.#options.appRoot, 'assets', 'icons');
  }
}

function loadingMenu(): MenuItemTemplate[] {
  return [
    { id: 'status.workbench', type: 'normal', label: 'Checking Workbench…', enabled: false },
    { id: 'separator.1', type: 'separator' },
    { id: 'app.quit', type: 'normal', label: 'Quit', enabled: true, accelerator: 'Command+Q' },
  ];
}

/**
 * Starts the menu-bar app: one instance only (a second launch opens the status window), every
 * web contents hardened, then tray, IPC and refreshes once Electron is ready. Resolves with a
 * handle, or with null when another instance already runs.
 */
export async function startApp(
  electron: ElectronSurface,
  core: AppCore,
  options: StartAppOptions,
): Promise<RunningApp | null> {
  const { app, protocol } = electron;
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: SCHEME_PRIVILEGES }]);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  const running = new App(electron, core, options);

  app.on('second-instance', () => void running.openWindow('status'));
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  // Closing the last window leaves the menu-bar app running.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', () => running.tearDown());

  await app.whenReady();
  running.setUp();

  return running;
}
