/**
 * The app's view of `config.json`: electron-store in the app, conf in tests (electron-store is a
 * thin subclass of conf), both opened with the core's `storeOptions(home)` and checked with the
 * core's settings schema on every read and before every write.
 */
import { parseSettings, type Settings } from '../core/settings.js';

/** The part of a conf or electron-store instance the app uses. */
export interface SettingsStoreLike {
  store: Record<string, unknown>;
  readonly path: string;
}

/** Reads and writes validated settings. */
export interface SettingsAccess {
  read(): Settings;
  save(change: Partial<Settings>): Settings;
}

/** Settings read and written through a conf-like store; nothing invalid is ever written. */
export function createSettingsAccess(store: SettingsStoreLike): SettingsAccess {
  return {
    read: () => parseSettings(store.store, store.path),
    save(change) {
      const next = parseSettings({ ...store.store, ...change }, store.path);
      store.store = next as unknown as Record<string, unknown>;

      return next;
    },
  };
}
