/**
 * Typed control of the sw_vers and sysctl doubles for tests: the macOS version, the hardware
 * (Apple silicon, Rosetta, Intel), the CPU name, core count and memory.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { DOUBLES_BIN } from '../helpers/double-env.js';

export type HostArch = 'apple-silicon' | 'rosetta' | 'intel';

export interface HostState {
  productName: string;
  productVersion: string;
  buildVersion: string;
  arch: HostArch;
  cpuBrand: string;
  ncpu: number;
  memsize: number;
}

interface HostStateLib {
  readHost(env: NodeJS.ProcessEnv): HostState;
  updateHost(change: (host: HostState) => HostState, env: NodeJS.ProcessEnv): HostState;
}

const hostLib = (await import(
  pathToFileURL(join(DOUBLES_BIN, '..', 'lib', 'host-state.mjs')).href
)) as HostStateLib;

const INTEL_BRAND = 'Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz';
const APPLE_BRAND = 'Apple M2 Pro';

/** Test-side handle on the host doubles of one world (its WORKBENCH_DOUBLE_STATE). */
export class HostControl {
  readonly stateRoot: string;
  readonly #env: NodeJS.ProcessEnv;

  constructor(world: string | { doubleState: string }) {
    this.stateRoot = typeof world === 'string' ? world : world.doubleState;
    this.#env = { WORKBENCH_DOUBLE_STATE: this.stateRoot };
  }

  /** The host the doubles report, defaults filled in. */
  read(): HostState {
    return hostLib.readHost(this.#env);
  }

  /** Changes any field of the stored host. */
  set(change: Partial<HostState>): HostState {
    return hostLib.updateHost((host) => ({ ...host, ...change }), this.#env);
  }

  /** What `sw_vers -productVersion` (and `-buildVersion`) print. */
  setMacosVersion(version: string, build?: string): void {
    this.set(
      build === undefined
        ? { productVersion: version }
        : { productVersion: version, buildVersion: build },
    );
  }

  /**
   * The hardware: Apple silicon running natively, Apple silicon under Rosetta, or an Intel Mac
   * (which also gets an Intel CPU name unless `cpuBrand` is given).
   */
  setArch(arch: HostArch, cpuBrand?: string): void {
    const brand = cpuBrand ?? (arch === 'intel' ? INTEL_BRAND : APPLE_BRAND);
    this.set({ arch, cpuBrand: brand });
  }

  /** `machdep.cpu.brand_string`, `hw.ncpu` and `hw.memsize`. */
  setCpu(cpu: { brand?: string; cpus?: number; memoryBytes?: number }): void {
    this.set({
      ...(cpu.brand === undefined ? {} : { cpuBrand: cpu.brand }),
      ...(cpu.cpus === undefined ? {} : { ncpu: cpu.cpus }),
      ...(cpu.memoryBytes === undefined ? {} : { memsize: cpu.memoryBytes }),
    });
  }
}
