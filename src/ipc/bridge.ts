/**
 * The API the preload exposes to every window as `window.workbench`: one named method per
 * channel of the contract, each answering a `Result`. Built from two functions (send a request,
 * subscribe to the status event) so the preload and the page tests share this one definition.
 */
import { CHANNELS, type ChannelKey, type Result, type WindowName } from './channels.js';
import type { ArgOf, SettingsChange, StatusView, ValueOf } from './contract.js';

type Answer<K extends ChannelKey> = Promise<Result<ValueOf<K>>>;

/** `window.workbench` in every page. */
export interface WorkbenchBridge {
  status(): Answer<'status'>;
  start(options?: { wait?: boolean }): Answer<'start'>;
  stop(): Answer<'stop'>;
  restart(): Answer<'restart'>;
  setAgent(enabled: boolean): Answer<'setAgent'>;
  setAwake(enabled: boolean): Answer<'setAwake'>;
  readEnv(name: 'runtime' | 'bridge'): Answer<'readEnv'>;
  revealEnv(name: 'runtime' | 'bridge', key: string): Answer<'revealEnv'>;
  saveEnv(name: 'runtime' | 'bridge', changes: Record<string, string | null>): Answer<'saveEnv'>;
  /** The grammar's problems with one key and value, before anything is saved. */
  checkEnv(name: 'runtime' | 'bridge', key: string, value: string): Answer<'checkEnv'>;
  runDoctor(): Answer<'runDoctor'>;
  readLogs(lines: number, supervisor: boolean): Answer<'readLogs'>;
  readSettings(): Answer<'readSettings'>;
  saveSettings(change: SettingsChange): Answer<'saveSettings'>;
  readLoginItem(): Answer<'readLoginItem'>;
  setLoginItem(openAtLogin: boolean): Answer<'setLoginItem'>;
  runSetup(image?: string): Answer<'runSetup'>;
  openWindow(name: WindowName): Answer<'openWindow'>;
  /** Calls `listener` with every status the main process pushes; returns the unsubscribe. */
  onStatus(listener: (status: StatusView) => void): () => void;
}

/** Sends one request on a channel and resolves with its answer. */
export type Invoke = (channel: string, arg: unknown) => Promise<unknown>;
/** Subscribes to the status event; returns the unsubscribe. */
export type Subscribe = (listener: (status: unknown) => void) => () => void;

/** Builds `window.workbench` from a request function and a status subscription. */
export function createBridge(invoke: Invoke, subscribe: Subscribe): WorkbenchBridge {
  const call = <K extends ChannelKey>(key: K, arg?: ArgOf<K>) =>
    invoke(CHANNELS[key], arg) as Answer<K>;

  return {
    status: () => call('status'),
    start: (options) => call('start', options === undefined ? undefined : { ...options }),
    stop: () => call('stop'),
    restart: () => call('restart'),
    setAgent: (enabled) => call('setAgent', { enabled }),
    setAwake: (enabled) => call('setAwake', { enabled }),
    readEnv: (name) => call('readEnv', { name }),
    revealEnv: (name, key) => call('revealEnv', { name, key }),
    saveEnv: (name, changes) => call('saveEnv', { name, changes }),
    checkEnv: (name, key, value) => call('checkEnv', { name, key, value }),
    runDoctor: () => call('runDoctor'),
    readLogs: (lines, supervisor) => call('readLogs', { lines, supervisor }),
    readSettings: () => call('readSettings'),
    saveSettings: (change) => call('saveSettings', { change }),
    readLoginItem: () => call('readLoginItem'),
    setLoginItem: (openAtLogin) => call('setLoginItem', { openAtLogin }),
    runSetup: (image) => call('runSetup', image === undefined ? {} : { image }),
    openWindow: (name) => call('openWindow', { name }),
    onStatus: (listener) => subscribe((status) => listener(status as StatusView)),
  };
}
