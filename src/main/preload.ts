/**
 * The one preload of every window: exposes `window.workbench`, one named method per channel,
 * through contextBridge. `ipcRenderer` itself never reaches the page.
 */
import { contextBridge, ipcRenderer } from 'electron';

import { createBridge } from '../ipc/bridge.js';
import { STATUS_EVENT } from '../ipc/channels.js';

const bridge = createBridge(
  (channel, arg) => ipcRenderer.invoke(channel, arg),
  (listener) => {
    const forward = (_event: unknown, status: unknown) => listener(status);
    ipcRenderer.on(STATUS_EVENT, forward);
    return () => void ipcRenderer.removeListener(STATUS_EVENT, forward);
  },
);

contextBridge.exposeInMainWorld('workbench', bridge);
