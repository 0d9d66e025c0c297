/**
 * What each IPC channel does: validate the argument against the contract, call the core through
 * the facade, validate the value, and answer `{ ok, value }` or `{ ok: false, error }` with a
 * sentence for the user. No Electron here; the sender check happens before this is called.
 */
import type { z } from 'zod';

import { checkEnvKey, checkEnvValue } from '../core/env/document.js';
import { describeError } from '../core/errors.js';
import type { ActionOutcome, WorkbenchApi } from '../core/workbench-api.js';
import { CHANNELS, type ChannelKey, type Result, type WindowName } from '../ipc/channels.js';
import { channelKeyOf, parseArg, parseValue, type Contract } from '../ipc/contract.js';
import type { SettingsAccess } from './settings-access.js';
import type { ActionName } from './tray-menu.js';

/** The facade, plus first-run setup where the core offers it. */
export interface AppCore extends WorkbenchApi {
  setup?(options: { image?: string }): Promise<ActionOutcome>;
}

/** The app's own login item (`app.setLoginItemSettings`), apart from the workbench agent. */
export interface LoginItemAccess {
  read(): boolean;
  write(openAtLogin: boolean): boolean;
}

/** Everything the handlers call. */
export interface RequestServices {
  core: AppCore;
  settings: SettingsAccess;
  loginItem: LoginItemAccess;
  /** Runs one action at a time, keeping the menu and the status in step with it. */
  runAction(name: ActionName, work: () => Promise<ActionOutcome>): Promise<ActionOutcome>;
  openWindow(name: WindowName): void;
}

type Handlers = { [K in ChannelKey]: (arg: z.output<Contract[K]['arg']>) => unknown };

/** The sentence for a setup request when the core has no setup. */
export const SETUP_UNAVAILABLE =
  'Setup is not available in this build; run `workbench setup` in Terminal.';

function handlersFor(services: RequestServices): Handlers {
  const { core, runAction } = services;

  return {
    status: () => core.status(),
    start: (arg) => runAction('start', () => core.start(arg ?? {})),
    stop: () => runAction('stop', () => core.stop()),
    restart: () => runAction('restart', () => core.restart()),
    setAgent: (arg) => runAction('agent', () => core.setAgentEnabled(arg.enabled)),
    setAwake: (arg) => runAction('awake', () => core.setKeepAwake(arg.enabled)),
    readEnv: (arg) => core.readEnvFile(arg.name),
    revealEnv: (arg) => core.revealEnvValue(arg.name, arg.key),
    saveEnv: (arg) => core.saveEnvFile(arg.name, arg.changes),
    checkEnv: (arg) => checkEntry(arg.key, arg.value),
    runDoctor: () => core.runDoctor(),
    readLogs: (arg) => core.readLogs(arg),
    readSettings: () => services.settings.read(),
    saveSettings: (arg) => services.settings.save(arg.change),
    readLoginItem: () => ({ openAtLogin: services.loginItem.read() }),
    setLoginItem: (arg) => ({ openAtLogin: services.loginItem.write(arg.openAtLogin) }),
    runSetup: (arg) => {
      const setup = core.setup?.bind(core);
      if (!setup) throw new Error(SETUP_UNAVAILABLE);

      return runAction('setup', () => setup(arg));
    },
    openWindow: (arg) => {
      services.openWindow(arg.name);
      return null;
    },
  };
}

/** The grammar's findings for one entry the editor is about to save. */
function checkEntry(key: string, value: string) {
  const found = checkEnvKey(key);
  const problems = found.length > 0 ? found : checkEnvValue(key, value);

  return problems.map(({ code, severity, message, fix }) => ({ code, severity, message, fix }));
}

/** The text a window shows for a failure: one sentence, first letter upper-case. */
export function sentenceOf(error: unknown): string {
  const text = describeError(error).trim() || 'Something went wrong.';

  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A function answering one request: the channel name and the raw argument from the window. */
export type RequestHandler = (channel: string, raw: unknown) => Promise<Result<unknown>>;

/** Builds the handler for every channel of the contract. */
export function createRequestHandler(services: RequestServices): RequestHandler {
  const handlers = handlersFor(services);

  return async (channel, raw) => {
    const key = channelKeyOf(channel);
    if (!key) return { ok: false, error: `There is no channel named ${JSON.stringify(channel)}.` };
    const arg = parseArg(key, raw);
    if (!arg.ok) return arg;
    try {
      const handler = handlers[key] as (arg: unknown) => unknown;
      const value = await handler(arg.value);

      return parseValue(key, value);
    } catch (error) {
      return { ok: false, error: sentenceOf(error) };
    }
  };
}

/** Every channel name the main process answers. */
export const REQUEST_CHANNELS: readonly string[] = Object.values(CHANNELS);
