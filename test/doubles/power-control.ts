/**
 * Typed control of the caffeinate and pmset doubles for tests: pmset settings, power source and
 * battery, the other processes' assertions, the live caffeinate assertions, and a way to end
 * every caffeinate the double started.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { DOUBLES_BIN } from '../helpers/double-env.js';

export type SettingValue = string | number | boolean;
export type PowerSource = 'ac' | 'battery' | 'ups' | null;
export type BatteryState =
  'charging' | 'discharging' | 'charged' | 'finishing charge' | 'AC attached; not charging';

export interface BatteryInfo {
  name: string;
  id: number;
  percent: number;
  state: BatteryState;
  /** `H:MM`, or null for `(no estimate)`. */
  remaining: string | null;
  /** `<health>/<confidence>` when the health is not Good. */
  health?: string;
}

/** An assertion of another process, listed by `pmset -g assertions` as it is. */
export interface OtherAssertion {
  pid: number;
  process: string;
  id: string;
  type: string;
  name: string;
  ageSeconds: number;
  details: string | null;
}

export interface PowerSettings {
  powerSource: PowerSource;
  hasBattery: boolean;
  battery: BatteryInfo;
  batteryWarning: 'Early' | 'Final' | null;
  sleepDisabled: 0 | 1 | null;
  /** `pmset -g` rows in print order. */
  live: [string, SettingValue][];
  custom: { battery?: [string, SettingValue][]; ac?: [string, SettingValue][] };
  otherAssertions: OtherAssertion[];
  /** Other process names appended to `sleep … (sleep prevented by …)`. */
  otherSleepPreventers: string[];
  idleSleepPreventers: string[];
}

/** An assertion held by a running caffeinate double. */
export interface LiveAssertion {
  pid: number;
  process: 'caffeinate';
  id: string;
  type: string;
  name: string;
  details: string;
  createdAt: number;
  timeoutSecs: number | null;
  timeoutAt: number | null;
  acOnly: boolean;
}

interface CaffeinateRecord {
  pid: number;
  argv: string[];
  createdAt: number;
  onBehalfOf: number | null;
  startTicks: string | null;
  assertions: Omit<LiveAssertion, 'pid' | 'process'>[];
}

interface PowerStateLib {
  readPowerSettings(env: NodeJS.ProcessEnv): PowerSettings;
  updatePowerSettings(
    change: (settings: PowerSettings) => PowerSettings,
    env: NodeJS.ProcessEnv,
  ): PowerSettings;
  readLiveAssertions(env: NodeJS.ProcessEnv): LiveAssertion[];
  readCaffeinateRecords(env: NodeJS.ProcessEnv): CaffeinateRecord[];
  isRecordAlive(record: CaffeinateRecord): boolean;
}

interface PowerStoreLib {
  isProcessAlive(pid: number, startTicks?: string | null): boolean;
}

const LIB = join(DOUBLES_BIN, '..', 'lib');
const stateLib = (await import(pathToFileURL(join(LIB, 'power-state.mjs')).href)) as PowerStateLib;
const storeLib = (await import(pathToFileURL(join(LIB, 'power-store.mjs')).href)) as PowerStoreLib;
const CAFFEINATE_BIN = join(DOUBLES_BIN, 'caffeinate');

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readEnviron(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function readCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function setRow(
  rows: [string, SettingValue][],
  name: string,
  value: SettingValue | null,
): [string, SettingValue][] {
  const kept = rows.filter(([key]) => key !== name);
  if (value === null) return kept;
  const at = rows.findIndex(([key]) => key === name);
  if (at === -1) return [...kept, [name, value]];

  return rows.map(([key, old]) => [key, key === name ? value : old]);
}

/** Test-side handle on the power doubles of one world (its WORKBENCH_DOUBLE_STATE). */
export class PowerControl {
  readonly stateRoot: string;
  readonly #env: NodeJS.ProcessEnv;

  constructor(world: string | { doubleState: string }) {
    this.stateRoot = typeof world === 'string' ? world : world.doubleState;
    this.#env = { WORKBENCH_DOUBLE_STATE: this.stateRoot };
  }

  /** The whole pmset state, defaults filled in. */
  readSettings(): PowerSettings {
    return stateLib.readPowerSettings(this.#env);
  }

  /** Changes the stored pmset state with `change`. */
  update(change: (settings: PowerSettings) => PowerSettings): PowerSettings {
    return stateLib.updatePowerSettings(change, this.#env);
  }

  /** Sets `pmset -g` rows (`sleep`, `displaysleep`, `autorestart`, `womp`, …); null removes one. */
  setLiveSettings(values: Record<string, SettingValue | null>): void {
    this.update((settings) => ({
      ...settings,
      live: Object.entries(values).reduce(
        (rows, [name, value]) => setRow(rows, name, value),
        settings.live,
      ),
    }));
  }

  /** Sets rows of one `pmset -g custom` profile; null removes one. */
  setCustomSettings(profile: 'ac' | 'battery', values: Record<string, SettingValue | null>): void {
    this.update((settings) => {
      const rows = Object.entries(values).reduce(
        (acc, [name, value]) => setRow(acc, name, value),
        settings.custom[profile] ?? [],
      );

      return { ...settings, custom: { ...settings.custom, [profile]: rows } };
    });
  }

  /** `SleepDisabled` in the system-wide block, or null to leave the line out. */
  setSleepDisabled(value: 0 | 1 | null): void {
    this.update((settings) => ({ ...settings, sleepDisabled: value }));
  }

  /**
   * The machine and where its power comes from: a laptop on AC or battery, a desktop Mac (AC and
   * no battery), or no power source information at all.
   */
  setPowerSource(kind: 'ac' | 'battery' | 'desktop' | 'none'): void {
    this.update((settings) => {
      if (kind === 'desktop') return { ...settings, powerSource: 'ac', hasBattery: false };
      if (kind === 'none') return { ...settings, powerSource: null, hasBattery: false };
      const state: BatteryState = kind === 'ac' ? 'charging' : 'discharging';

      return {
        ...settings,
        powerSource: kind,
        hasBattery: true,
        battery: { ...settings.battery, state },
      };
    });
  }

  /** Changes the battery line of `pmset -g batt`. */
  setBattery(battery: Partial<BatteryInfo>, warning: 'Early' | 'Final' | null = null): void {
    this.update((settings) => ({
      ...settings,
      battery: { ...settings.battery, ...battery },
      batteryWarning: warning,
    }));
  }

  /** Replaces the other processes' assertions (powerd's by default); `[]` lists none. */
  setOtherAssertions(assertions: OtherAssertion[]): void {
    this.update((settings) => ({ ...settings, otherAssertions: assertions }));
  }

  /** The assertions of caffeinate doubles that still run, as pmset would list them now. */
  readLiveAssertions(): LiveAssertion[] {
    return stateLib.readLiveAssertions(this.#env);
  }

  /** Waits until the live assertions satisfy `accept`; rejects after `timeoutMs`. */
  async waitForAssertions(
    accept: (assertions: LiveAssertion[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<LiveAssertion[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const assertions = this.readLiveAssertions();
      if (accept(assertions)) return assertions;
      if (Date.now() > deadline) {
        throw new Error(
          `caffeinate assertions did not reach the expected state: ${JSON.stringify(assertions)}`,
        );
      }
      await sleep(25);
    }
  }

  /**
   * Pids of every running caffeinate double of this world: those with a record, and those in
   * the process table with this world's state folder (one that has not written its record yet).
   */
  findCaffeinatePids(): number[] {
    const fromRecords = stateLib
      .readCaffeinateRecords(this.#env)
      .filter((record) => stateLib.isRecordAlive(record))
      .map((record) => record.pid);
    const fromTable = this.#scanProcessTable();

    return [...new Set([...fromRecords, ...fromTable])].sort((a, b) => a - b);
  }

  #scanProcessTable(): number[] {
    const marker = `WORKBENCH_DOUBLE_STATE=${this.stateRoot}`;
    let names: string[];
    try {
      names = readdirSync('/proc');
    } catch {
      return [];
    }

    return names
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter(
        (pid) => readCmdline(pid).includes(CAFFEINATE_BIN) && readEnviron(pid).includes(marker),
      )
      .filter((pid) => storeLib.isProcessAlive(pid));
  }

  /** Ends every caffeinate double of this world (TERM, then KILL) and waits until all are gone. */
  async killAllCaffeinates(timeoutMs = 5000): Promise<number[]> {
    const pids = this.findCaffeinatePids();
    signalAll(pids, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    let remaining = pids;
    while (remaining.length > 0) {
      await sleep(25);
      remaining = remaining.filter((pid) => storeLib.isProcessAlive(pid));
      if (Date.now() > deadline) {
        signalAll(remaining, 'SIGKILL');
        await sleep(50);
        break;
      }
    }

    return pids;
  }
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

/** True while `pid` runs (a zombie counts as gone). */
export function isProcessAlive(pid: number): boolean {
  return storeLib.isProcessAlive(pid);
}
