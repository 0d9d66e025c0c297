// Types of the launchctl double's shared state, for the typed control module.

export interface LaunchdProgram {
  argv: string[];
  env: Record<string, string>;
  cwd: string | null;
  stdoutPath: string | null;
  stderrPath: string | null;
  runAtLoad: boolean;
  keepAlive: boolean | Record<string, unknown>;
  /** ThrottleInterval in seconds. */
  throttle: number;
  /** ExitTimeOut in seconds. */
  exitTimeout: number;
  umask: number | null;
  abandonProcessGroup: boolean;
}

export interface LaunchdJob {
  label: string;
  uid: number;
  plistPath: string;
  program: LaunchdProgram;
  home: string;
  user: string;
  asid: number;
  coalitionId: number;
  loadId: string;
  loadedAt: number;
  monitor: { token: string; pid: number | null; ready: boolean } | null;
  pid: number | null;
  status: 'running' | 'not running' | 'spawn scheduled';
  runs: number;
  execs: number;
  /** null until the first exit, and while the last run ended by a signal. */
  lastExitCode: number | null;
  /** The macOS number of the signal that ended the last run. */
  lastSignal: number | null;
  jobState: 'exited' | 'spawn failed' | null;
  lastSpawnAt: number | null;
  spawns: { pid: number | null; at: number }[];
  kickstart: { seq: number; kill: boolean };
  bootout: { at: number; drainingUntil: number } | null;
}

export interface LaunchdConfig {
  uid: number | null;
  root: boolean;
  managerName: 'Aqua' | 'Background' | 'System';
  drainingMs: number;
  bootoutInProgressOnce: boolean;
  loginItemsOff: string[];
  home: string | null;
  user: string | null;
}

export interface LaunchdState {
  version: number;
  config: LaunchdConfig;
  overrides: Record<string, 'enabled' | 'disabled'>;
  jobs: Record<string, LaunchdJob>;
  nextAsid: number;
}

export const LAUNCHD_PATH: string;
export const DEFAULT_CONFIG: Readonly<LaunchdConfig>;
export function launchdDir(stateRoot: string): string;
export function readState(stateRoot: string): LaunchdState;
export function withState<T>(stateRoot: string, change: (state: LaunchdState) => T): T;
export function isAlive(pid: number | null | undefined): boolean;
export function loadedJob(state: LaunchdState, label: string): LaunchdJob | null;
export function expectedUid(config: LaunchdConfig): number;
