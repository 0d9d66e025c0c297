/**
 * A small stand-in for the part of Electron the main process uses, recording what the app does
 * with it: the tray, its menus, windows, IPC handlers, the custom protocol and the hardening.
 */
import { existsSync } from 'node:fs';

import type { MenuItemConstructorOptions } from 'electron';

import type {
  ContentsLike,
  ElectronSurface,
  ImageLike,
  IpcEventLike,
  PermissionRequestHandler,
  WindowOptions,
} from '../../src/main/electron-surface.js';

type Listener = (...args: any[]) => unknown;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }
}

export class FakeImage {
  template = false;
  constructor(readonly path: string) {}
  setTemplateImage(option: boolean): void {
    this.template = option;
  }
  isEmpty(): boolean {
    return !existsSync(this.path);
  }
}

export class FakeMenu extends Emitter {
  constructor(readonly template: MenuItemConstructorOptions[]) {
    super();
  }

  item(id: string): MenuItemConstructorOptions {
    const found = this.template.find((entry) => entry.id === id);
    if (!found) throw new Error(`menu has no item ${id}`);
    return found;
  }
}

export class FakeTray {
  image: FakeImage;
  toolTip = '';
  menu: FakeMenu | null = null;
  destroyed = false;
  constructor(image: ImageLike) {
    this.image = image as unknown as FakeImage;
    world.trays.push(this);
  }
  setImage(image: ImageLike): void {
    this.image = image as unknown as FakeImage;
  }
  setToolTip(toolTip: string): void {
    this.toolTip = toolTip;
  }
  setContextMenu(menu: unknown): void {
    this.menu = menu as FakeMenu;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

let nextContentsId = 1;

export class FakeWindow extends Emitter {
  readonly webContents: {
    id: number;
    sent: Array<[string, unknown]>;
    send(channel: string, payload: unknown): void;
  };
  url = '';
  destroyed = false;
  shown = 0;
  constructor(readonly options: WindowOptions) {
    super();
    const sent: Array<[string, unknown]> = [];
    this.webContents = {
      id: nextContentsId++,
      sent,
      send: (channel, payload) => void sent.push([channel, payload]),
    };
    world.windows.push(this);
  }
  async loadURL(url: string): Promise<void> {
    this.url = url;
  }
  show(): void {
    this.shown += 1;
  }
  focus(): void {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** What the user closing the window does. */
  close(): void {
    this.destroyed = true;
    this.emit('closed');
  }
}

/** Everything the fake saw; reset by `createFakeElectron`. */
export const world = {
  trays: [] as FakeTray[],
  windows: [] as FakeWindow[],
  notifications: [] as Array<{ title: string; body: string }>,
};

export interface FakeElectron {
  surface: ElectronSurface;
  app: Emitter & { quits: number; dockShows: number; dockHides: number; openAtLogin: boolean };
  ipc: Map<string, (event: IpcEventLike, arg: unknown) => Promise<unknown>>;
  powerMonitor: Emitter;
  protocolHandlers: Map<string, (request: Request) => Response | Promise<Response>>;
  privilegedSchemes: Array<{ scheme: string; privileges: Record<string, boolean> }>;
  permissionHandler(): PermissionRequestHandler | null;
  permissionCheck(): ((...args: unknown[]) => boolean) | null;
  /** Fires `web-contents-created` for a new web contents and returns what it recorded. */
  createContents(): {
    navigate(url: string): boolean;
    redirect(url: string): boolean;
    attachWebview(): boolean;
    openWindow(url: string): unknown;
  };
}

/** A fresh fake with the single-instance lock given or refused. */
export function createFakeElectron(options: { lock?: boolean } = {}): FakeElectron {
  world.trays.length = 0;
  world.windows.length = 0;
  world.notifications.length = 0;
  const app = Object.assign(new Emitter(), {
    quits: 0,
    dockShows: 0,
    dockHides: 0,
    openAtLogin: false,
  });
  const ipc = new Map<string, (event: IpcEventLike, arg: unknown) => Promise<unknown>>();
  const powerMonitor = new Emitter();
  const protocolHandlers = new Map<string, (request: Request) => Response | Promise<Response>>();
  const privilegedSchemes: FakeElectron['privilegedSchemes'] = [];
  let permissionHandler: PermissionRequestHandler | null = null;
  let permissionCheck: ((...args: unknown[]) => boolean) | null = null;

  const surface: ElectronSurface = {
    app: Object.assign(app, {
      requestSingleInstanceLock: () => options.lock ?? true,
      whenReady: async () => undefined,
      quit: () => void (app.quits += 1),
      getAppPath: () => '/Applications/CodeWhale Workbench.app/Contents/Resources/app.asar',
      getLoginItemSettings: () => ({ openAtLogin: app.openAtLogin }),
      setLoginItemSettings: (settings: { openAtLogin: boolean }) =>
        void (app.openAtLogin = settings.openAtLogin),
      dock: {
        show: async () => void (app.dockShows += 1),
        hide: () => void (app.dockHides += 1),
      },
    }) as unknown as ElectronSurface['app'],
    Tray: FakeTray as unknown as ElectronSurface['Tray'],
    Menu: { buildFromTemplate: (template) => new FakeMenu(template) },
    BrowserWindow: FakeWindow as unknown as ElectronSurface['BrowserWindow'],
    ipcMain: { handle: (channel, listener) => void ipc.set(channel, listener) },
    nativeImage: { createFromPath: (path) => new FakeImage(path) as unknown as ImageLike },
    powerMonitor: powerMonitor as unknown as ElectronSurface['powerMonitor'],
    protocol: {
      registerSchemesAsPrivileged: (schemes) => void privilegedSchemes.push(...schemes),
      handle: (scheme, handler) => void protocolHandlers.set(scheme, handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler) => void (permissionHandler = handler),
        setPermissionCheckHandler: (handler) => void (permissionCheck = handler),
      },
    },
    Notification: Object.assign(
      class {
        constructor(readonly options: { title: string; body: string }) {}
        show(): void {
          world.notifications.push(this.options);
        }
      },
      { isSupported: () => true },
    ),
  };

  const createContents: FakeElectron['createContents'] = () => {
    const contents = new Emitter();
    let openHandler: ((details: { url: string }) => unknown) | null = null;
    const fake = Object.assign(contents, {
      setWindowOpenHandler: (handler: (details: { url: string }) => unknown) =>
        void (openHandler = handler),
    });
    app.emit('web-contents-created', {}, fake as unknown as ContentsLike);
    const prevented = (event: string, url?: string) => {
      let refused = false;
      contents.emit(event, { preventDefault: () => void (refused = true) }, url);
      return refused;
    };

    return {
      navigate: (url) => prevented('will-navigate', url),
      redirect: (url) => prevented('will-redirect', url),
      attachWebview: () => prevented('will-attach-webview'),
      openWindow: (url) => openHandler?.({ url }),
    };
  };

  return {
    surface,
    app,
    ipc,
    powerMonitor,
    protocolHandlers,
    privilegedSchemes,
    permissionHandler: () => permissionHandler,
    permissionCheck: () => permissionCheck,
    createContents,
  };
}
