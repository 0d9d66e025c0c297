// Reads a job plist the way launchd does: a strict XML check, then the values through the
// `plist` package, keeping only the keys launchd would act on.
import { readFileSync } from 'node:fs';

import { parseXmlPlist } from './plutil-parser.mjs';

const DEFAULT_THROTTLE = 10;
const DEFAULT_EXIT_TIMEOUT = 5;

let plist = null;

/** Loads the `plist` package; only bootstrap and bootout need it, so other calls start faster. */
export async function preparePlistReader() {
  plist ??= await import('plist');
}

/** A plist launchd refuses to load; bootstrap reports it as 5 (EIO). */
export class JobPlistError extends Error {}

function integerOr(value, fallback) {
  return Number.isInteger(value) && value >= 0 ? value : fallback;
}

function stringEntries(dict) {
  if (!dict || typeof dict !== 'object' || Array.isArray(dict)) return {};

  return Object.fromEntries(Object.entries(dict).filter(([, value]) => typeof value === 'string'));
}

function keepAliveValue(value) {
  if (value === true) return true;
  if (value && typeof value === 'object' && !Array.isArray(value)) return value;

  return false;
}

/** The label and program definition of the plist at `path`; throws JobPlistError when unusable. */
export function readJobPlist(path) {
  if (!plist) throw new Error('launchd double: call preparePlistReader() first');
  const text = readFileSync(path, 'utf8');
  try {
    parseXmlPlist(text);
  } catch (error) {
    throw new JobPlistError(error.message);
  }
  const data = plist.parse(text);
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new JobPlistError('not a dictionary');
  if (typeof data.Label !== 'string' || data.Label === '') throw new JobPlistError('no Label');
  const args = data.ProgramArguments;
  const argsValid =
    Array.isArray(args) && args.length > 0 && args.every((arg) => typeof arg === 'string');
  if (!argsValid && typeof data.Program !== 'string')
    throw new JobPlistError('no ProgramArguments');
  const keepAlive = keepAliveValue(data.KeepAlive);

  return {
    label: data.Label,
    program: {
      argv: argsValid ? args : [data.Program],
      env: stringEntries(data.EnvironmentVariables),
      cwd: typeof data.WorkingDirectory === 'string' ? data.WorkingDirectory : null,
      stdoutPath: typeof data.StandardOutPath === 'string' ? data.StandardOutPath : null,
      stderrPath: typeof data.StandardErrorPath === 'string' ? data.StandardErrorPath : null,
      // KeepAlive's SuccessfulExit condition implies RunAtLoad.
      runAtLoad:
        data.RunAtLoad === true || (typeof keepAlive === 'object' && 'SuccessfulExit' in keepAlive),
      keepAlive,
      throttle: integerOr(data.ThrottleInterval, DEFAULT_THROTTLE),
      exitTimeout: integerOr(data.ExitTimeOut, DEFAULT_EXIT_TIMEOUT),
      umask: Number.isInteger(data.Umask) ? data.Umask : null,
      abandonProcessGroup: data.AbandonProcessGroup === true,
    },
  };
}
