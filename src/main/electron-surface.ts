/**
 * The part of Electron the app uses, as narrow structural types. `main.ts` passes the real
 * module; the wiring test passes a small fake. Nothing here imports Electron at run time.
 */
import type { MenuItemConstructorOptions, NativeImage } from 'electron';

/**
 * A native image: the tray icons and the menu's status dots. Electron's own type, because the
 * Tray constructor takes nothing narrower; a fake casts its images to it.
 */
export type ImageLike = NativeImage;

export interface MenuLike {
  on(event: 'menu-will-show' | 'menu-will-close', listener: () => void): unknown;
}

export interface TrayLike {
  setImage(image: ImageLike): void;
  setToolTip(toolTip: string): void;
  setContextMenu(menu: MenuLike | null): void;
  destroy(): void;
}

/** An event that can be refused, with the URL it is about. */
export interface PreventableEvent {
  preventDefault(): void;
}

/** What the hardening needs of every web contents, windows or not. */
export interface ContentsLike {
  on(
    event: 'will-navigate' | 'will-redirect',
    listener: (event: PreventableEvent, url: string) => void,
  ): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface WindowContentsLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
}

export interface WindowLike {
  readonly webContents: WindowContentsLike;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  isDestroyed(): boolean;
  on(event: 'closed' | 'ready-to-show', listener: () => void): unknown;
}

export interface WindowOptions {
  width: number;
  height: number;
  title: string;
  show: boolean;
  resizable: boolean;
  minimizable: boolean;
  fullscreenable: boolean;
  webPreferences: {
    preload: string;
    contextIsolation: true;
    sandbox: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    webviewTag: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    spellcheck: false;
    disableBlinkFeatures: 'Auxclick';
  };
}

/** The event of an IPC request: who sent it. */
export interface IpcEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string } | null;
}

export interface AppLike {
  requestSingleInstanceLock(): boolean;
  whenReady(): Promise<unknown>;
  quit(): void;
  getAppPath(): string;
  getLoginItemSettings(): { openAtLogin: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean }): void;
  on(event: 'second-instance' | 'window-all-closed' | 'before-quit', listener: () => void): unknown;
  on(
    event: 'web-contents-created',
    listener: (event: unknown, contents: ContentsLike) => void,
  ): unknown;
  readonly dock?: { show(): Promise<void>; hide(): void } | undefined;
}

export type PermissionRequestHandler = (
  contents: unknown,
  permission: string,
  callback: (granted: boolean) => void,
) => void;

/** The surface `startApp` is given. */
export interface ElectronSurface {
  app: AppLike;
  Tray: new (image: ImageLike) => TrayLike;
  Menu: { buildFromTemplate(template: MenuItemConstructorOptions[]): MenuLike };
  BrowserWindow: new (options: WindowOptions) => WindowLike;
  ipcMain: {
    handle(
      channel: string,
      listener: (event: IpcEventLike, arg: unknown) => Promise<unknown>,
    ): void;
  };
  nativeImage: { createFromPath(path: string): ImageLike };
  powerMonitor: { on(event: 'suspend' | 'resume', listener: () => void): unknown };
  protocol: {
    registerSchemesAsPrivileged(
      schemes: Array<{ scheme: string; privileges: Record<string, boolean> }>,
    ): void;
    handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
  };
  session: {
    defaultSession: {
      setPermissionRequestHandler(handler: PermissionRequestHandler | null): void;
      setPermissionCheckHandler(handler: ((...args: unknown[]) => boolean) | null): void;
    };
  };
  Notification: {
    new (options: { title: string; body: string }): { show(): void };
    isSupported(): boolean;
  };
}
