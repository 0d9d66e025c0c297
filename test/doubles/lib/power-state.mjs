// State of the power doubles under $WORKBENCH_DOUBLE_STATE/power/:
//   settings.json           what pmset reports (settings, power source, battery, baseline assertions)
//   caffeinate/<pid>.json   one file per running caffeinate double, with its assertions
// Each caffeinate writes only its own file, so concurrent starts never contend for a lock; readers
// drop the files of processes that are gone (a SIGKILLed caffeinate cannot clean up after itself).
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

import {
  isProcessAlive,
  readJson,
  readProcStat,
  stateDir,
  updateJson,
  writeJsonAtomic,
} from './power-store.mjs';

export const ASSERTION_NAME = 'caffeinate command-line tool';
export const LOCALIZED_REASON = 'THE CAFFEINATE TOOL IS PREVENTING SLEEP.';

/** Types that keep the system itself awake, as `sleep … (sleep prevented by …)` reports. */
export const SYSTEM_SLEEP_TYPES = ['PreventUserIdleSystemSleep', 'PreventSystemSleep'];

/** What a fresh state holds: a laptop on AC power with the settings of the reference capture. */
export function defaultPowerSettings() {
  return {
    powerSource: 'ac',
    hasBattery: true,
    battery: {
      name: 'InternalBattery-0',
      id: 1234567,
      percent: 85,
      state: 'charging',
      remaining: '1:23',
    },
    batteryWarning: null,
    sleepDisabled: null,
    live: [
      ['lidwake', 1],
      ['autopoweroff', 1],
      ['standby', 1],
      ['ttyskeepawake', 1],
      ['hibernatemode', 3],
      ['powernap', 1],
      ['hibernatefile', '/var/vm/sleepimage'],
      ['displaysleep', 28],
      ['womp', 1],
      ['autorestart', 0],
      ['sleep', 1],
      ['acwake', 0],
      ['tcpkeepalive', 1],
      ['disksleep', 0],
    ],
    custom: {
      battery: [
        ['lidwake', 1],
        ['displaysleep', 2],
        ['sleep', 1],
        ['disksleep', 10],
      ],
      ac: [
        ['lidwake', 1],
        ['displaysleep', 10],
        ['sleep', 1],
        ['disksleep', 10],
        ['womp', 1],
        ['autorestart', 0],
      ],
    },
    // Other processes' assertions, always listed: powerd's is there on every Mac with the display
    // on, and its type is the one caffeinate -i uses, so a check on the type alone proves nothing.
    otherAssertions: [
      {
        pid: 80,
        process: 'powerd',
        id: '0x00044f2f00019216',
        type: 'PreventUserIdleSystemSleep',
        name: 'Powerd - Prevent sleep while display is on',
        ageSeconds: 1354,
        details: null,
      },
    ],
    otherSleepPreventers: [],
    idleSleepPreventers: ['IODisplayWrangler'],
  };
}

export function powerDir(env = process.env) {
  return stateDir('power', env);
}

function settingsPath(env) {
  return join(powerDir(env), 'settings.json');
}

function caffeinateDir(env) {
  return stateDir(join('power', 'caffeinate'), env);
}

/** The pmset settings, defaults filled in. */
export function readPowerSettings(env = process.env) {
  return { ...defaultPowerSettings(), ...readJson(settingsPath(env), {}) };
}

/** Applies `change` to the stored settings under the lock. */
export function updatePowerSettings(change, env = process.env) {
  return updateJson(settingsPath(env), {}, (stored) =>
    change({ ...defaultPowerSettings(), ...stored }),
  );
}

/** Records a running caffeinate and its assertions; returns the record path. */
export function writeCaffeinateRecord(record, env = process.env) {
  const path = join(caffeinateDir(env), `${record.pid}.json`);
  const startTicks = readProcStat(record.pid)?.startTicks ?? null;
  writeJsonAtomic(path, { ...record, startTicks });

  return path;
}

/** Removes the record of `pid`; quiet when it is already gone. */
export function removeCaffeinateRecord(pid, env = process.env) {
  try {
    unlinkSync(join(caffeinateDir(env), `${pid}.json`));
  } catch {
    // Already removed.
  }
}

/** Every caffeinate record on disk, live or not. */
export function readCaffeinateRecords(env = process.env) {
  const dir = caffeinateDir(env);
  const records = [];
  for (const name of readdirSync(dir)) {
    if (!/^\d+\.json$/.test(name)) continue;
    const record = readJson(join(dir, name), null);
    if (record) records.push(record);
  }

  return records.sort((a, b) => a.createdAt - b.createdAt || a.pid - b.pid);
}

/** True while the caffeinate of `record` still runs. */
export function isRecordAlive(record) {
  return isProcessAlive(record.pid, record.startTicks);
}

/**
 * The assertions pmset would list now: those of running caffeinates whose timeout has not
 * fired, each as { pid, process, id, type, name, details, createdAt, timeoutAt, acOnly }.
 */
export function readLiveAssertions(env = process.env, now = Date.now()) {
  return readCaffeinateRecords(env)
    .filter(isRecordAlive)
    .flatMap((record) =>
      record.assertions.map((assertion) => ({
        pid: record.pid,
        process: 'caffeinate',
        ...assertion,
      })),
    )
    .filter((assertion) => assertion.timeoutAt === null || assertion.timeoutAt > now);
}
