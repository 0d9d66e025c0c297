// Types of the parts of container-state.mjs that the typed control module uses.

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  startTime: string;
}

/** Reads the state document without the lock; a fresh default when none exists. */
export function readState(root: string): unknown;
/** Runs `change(state)` under the lock and writes the result atomically. */
export function updateState<S, T>(root: string, change: (state: S) => T): T;
/** The folder of one container. */
export function containerDir(root: string, id: string): string;
/** The host folder that backs a named volume. */
export function volumeDataDir(root: string, name: string): string;
/** True while a process exists and is not a zombie. */
export function isAlive(pid: number): boolean;
/** True when the pid still belongs to the registered process. */
export function isSameProcess(pid: number, startTime: string | null): boolean;
/** Every process below the given pids. */
export function descendantsOf(pids: number[]): ProcStat[];
/** Sends a signal to a process or its group; false when it is gone. */
export function signalProcess(
  pid: number,
  signal: NodeJS.Signals,
  options?: { group?: boolean },
): boolean;
