// State of the sw_vers and sysctl doubles: $WORKBENCH_DOUBLE_STATE/host/host.json.
import { join } from 'node:path';

import { readJson, stateDir, updateJson } from './power-store.mjs';

/** Hardware kinds the sysctl double can play. */
export const ARCHES = ['apple-silicon', 'rosetta', 'intel'];

/** A fresh state: macOS 26 on an Apple M2 Pro with 12 cores and 32 GiB, running natively. */
export function defaultHost() {
  return {
    productName: 'macOS',
    productVersion: '26.0',
    buildVersion: '25A354',
    arch: 'apple-silicon',
    cpuBrand: 'Apple M2 Pro',
    ncpu: 12,
    memsize: 32 * 1024 ** 3,
  };
}

function hostPath(env) {
  return join(stateDir('host', env), 'host.json');
}

/** The host as the doubles report it, defaults filled in. */
export function readHost(env = process.env) {
  return { ...defaultHost(), ...readJson(hostPath(env), {}) };
}

/** Applies `change` to the stored host under the lock. */
export function updateHost(change, env = process.env) {
  return updateJson(hostPath(env), {}, (stored) => change({ ...defaultHost(), ...stored }));
}

/** The sysctl names and values of `host`; names the hardware lacks are absent. */
export function sysctlValues(host) {
  const values = {
    'machdep.cpu.brand_string': host.cpuBrand,
    'hw.ncpu': String(host.ncpu),
    'hw.logicalcpu': String(host.ncpu),
    'hw.memsize': String(host.memsize),
    'kern.osproductversion': host.productVersion,
  };
  // proc_translated exists on Apple silicon only: 1 under Rosetta, 0 natively; Intel lacks it,
  // and hw.optional.arm64 as well.
  if (host.arch !== 'intel') {
    values['sysctl.proc_translated'] = host.arch === 'rosetta' ? '1' : '0';
    values['hw.optional.arm64'] = '1';
  }

  return values;
}
