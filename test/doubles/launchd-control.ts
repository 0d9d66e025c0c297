/**
 * Typed control of the launchctl double for tests: its settings (uid, root, session type,
 * draining window, faults, disabled labels), the jobs' state as launchd sees it, waits for a
 * job to reach a state, and a clean-up that kills every process the double started.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  isAlive,
  loadedJob,
  readState,
  withState,
  type LaunchdConfig,
  type LaunchdJob,
  type LaunchdState,
} from './lib/launchd-state.mjs';

export type { LaunchdConfig, LaunchdJob, LaunchdState };

/** The settings a test may change; anything left out keeps its value. */
export type LaunchdSettings = Partial<Omit<LaunchdConfig, 'loginItemsOff'>>;

export interface WaitOptions {
  timeoutMs?: number;
}

const POLL_MS = 25;
const DEFAULT_WAIT_MS = 15_000;
const KILL_WAIT_MS = 5000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Control of one launchctl double, named by the doubles' state folder (WORKBENCH_DOUBLE_STATE). */
export class LaunchdControl {
  readonly stateRoot: string;

  constructor(stateRoot: string) {
    this.stateRoot = stateRoot;
  }

  /** Changes settings: `uid`, `root`, `managerName`, `drainingMs`, `bootoutInProgressOnce`, … */
  configure(settings: LaunchdSettings): void {
    withState(this.stateRoot, (state) => {
      Object.assign(state.config, settings);
    });
  }

  /** Sets or clears the persistent override, as `launchctl disable`/`enable` would. */
  setDisabled(label: string, disabled: boolean): void {
    withState(this.stateRoot, (state) => {
      state.overrides[label] = disabled ? 'disabled' : 'enabled';
    });
  }

  /** Switches the label's Login Items entry; off refuses loading and survives `enable`. */
  setLoginItemAllowed(label: string, allowed: boolean): void {
    withState(this.stateRoot, (state) => {
      const others = state.config.loginItemsOff.filter((entry) => entry !== label);
      state.config.loginItemsOff = allowed ? others : [...others, label];
    });
  }

  /** The whole state file. */
  state(): LaunchdState {
    return readState(this.stateRoot);
  }

  /** The job as launchd shows it, or null when it is not loaded. */
  job(label: string): LaunchdJob | null {
    return loadedJob(readState(this.stateRoot), label);
  }

  /** Waits until `check` holds for the job (null when not loaded); returns that job. */
  async waitForJob(
    label: string,
    check: (job: LaunchdJob | null) => boolean,
    description: string,
    options: WaitOptions = {},
  ): Promise<LaunchdJob | null> {
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_WAIT_MS);
    for (;;) {
      const job = this.job(label);
      if (check(job)) return job;
      if (Date.now() > deadline) {
        throw new Error(
          `launchd double: ${label} did not reach "${description}"; last state: ${JSON.stringify(job)}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** Waits for the job's `state` line (`running`, `not running`, `spawn scheduled`). */
  async waitForState(
    label: string,
    status: LaunchdJob['status'],
    options?: WaitOptions,
  ): Promise<LaunchdJob> {
    const job = await this.waitForJob(
      label,
      (current) => current?.status === status,
      `state ${status}`,
      options,
    );

    return job!;
  }

  /** Waits until the job runs with a live pid other than `notPid`; returns the pid. */
  async waitForPid(
    label: string,
    options: WaitOptions & { notPid?: number } = {},
  ): Promise<number> {
    const job = await this.waitForJob(
      label,
      (current) => current?.pid != null && current.pid !== options.notPid && isAlive(current.pid),
      options.notPid ? `a pid other than ${options.notPid}` : 'a live pid',
      options,
    );

    return job!.pid!;
  }

  /** Waits until the job has been spawned at least `runs` times. */
  async waitForRuns(label: string, runs: number, options?: WaitOptions): Promise<LaunchdJob> {
    const job = await this.waitForJob(
      label,
      (current) => (current?.runs ?? 0) >= runs,
      `runs >= ${runs}`,
      options,
    );

    return job!;
  }

  /** Waits until the job has left the domain (print would answer 113). */
  async waitForUnloaded(label: string, options?: WaitOptions): Promise<void> {
    await this.waitForJob(label, (current) => current === null, 'unloaded', options);
  }

  /** Every live process the double started: monitors and job processes. */
  livePids(): number[] {
    const pids = Object.values(readState(this.stateRoot).jobs).flatMap((job) => [
      job.monitor?.pid ?? null,
      job.pid,
      ...job.spawns.map((spawn) => spawn.pid),
    ]);

    return [...new Set(pids)].filter((pid): pid is number => pid !== null && isAlive(pid));
  }

  /** Kills every monitor and job process group, unloads every job, and waits until all are gone. */
  async killAll(): Promise<void> {
    const jobs = Object.values(readState(this.stateRoot).jobs);
    for (const job of jobs) killQuietly(job.monitor?.pid ?? null, 'SIGKILL');
    const groups = new Set<number>();
    for (const job of Object.values(readState(this.stateRoot).jobs)) {
      if (job.pid !== null) groups.add(job.pid);
      for (const spawn of job.spawns) if (spawn.pid !== null) groups.add(spawn.pid);
    }
    for (const pid of groups) {
      killQuietly(-pid, 'SIGKILL');
      killQuietly(pid, 'SIGKILL');
    }
    const deadline = Date.now() + KILL_WAIT_MS;
    while (this.livePids().length > 0 && Date.now() < deadline) await sleep(POLL_MS);
    withState(this.stateRoot, (state) => {
      state.jobs = {};
    });
  }
}

function killQuietly(pid: number | null, signal: NodeJS.Signals): void {
  if (pid === null || pid === 0) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** True while `pid` names a live process (zombies count as gone). */
export function isProcessAlive(pid: number): boolean {
  return isAlive(pid);
}

const JOB_PROGRAM = `// A job for the launchctl double's tests: records each start, then behaves as told.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

const [record, ...modes] = process.argv.slice(2);
const note = (entry) => appendFileSync(record, JSON.stringify({ pid: process.pid, at: Date.now(), ...entry }) + '\\n');
note({ event: 'start', cwd: process.cwd(), env: process.env, argv: process.argv.slice(2) });
process.stdout.write('job stdout ' + process.pid + '\\n');
process.stderr.write('job stderr ' + process.pid + '\\n');
if (modes.includes('ignore-term')) process.on('SIGTERM', () => note({ event: 'term' }));
if (modes.includes('grandchild')) {
  const child = spawn(process.execPath, ['-e', 'process.on("SIGTERM",()=>{});setInterval(()=>{},1000)'], { stdio: 'ignore' });
  note({ event: 'grandchild', child: child.pid });
}
const exit = modes.find((mode) => mode.startsWith('exit='));
if (exit) process.exit(Number(exit.slice(5)));
setInterval(() => {}, 1000);
`;

/** One line of a job program's record file. */
export interface JobRecord {
  pid: number;
  at: number;
  event: 'start' | 'term' | 'grandchild';
  cwd?: string;
  env?: Record<string, string>;
  argv?: string[];
  child?: number;
}

/**
 * Writes a small Node program for jobs into `dir` and returns its path. Run it as
 * `[node, path, <record file>, ...modes]`; modes: `ignore-term`, `grandchild`, `exit=<code>`.
 */
export function writeJobProgram(dir: string): string {
  const path = join(dir, 'job-program.mjs');
  writeFileSync(path, JOB_PROGRAM, { mode: 0o755 });

  return path;
}

/** The records a job program wrote so far (an empty list before the first start). */
export function readJobRecords(recordPath: string): JobRecord[] {
  if (!existsSync(recordPath)) return [];

  return readFileSync(recordPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JobRecord);
}
