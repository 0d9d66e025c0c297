/**
 * What the host is: the macOS version, whether it is Apple silicon and whether this process runs
 * under Rosetta, the CPU name, core count and memory. Read with sw_vers and sysctl by absolute path.
 */
import { ensureSuccess, runCommand } from './run-command.js';

export interface HostInfo {
  /** `sw_vers -productVersion`, e.g. `26.0` or `15.1`. */
  macosVersion: string;
  /** `hw.optional.arm64` is 1: Apple silicon hardware, also when this process is translated. */
  appleSilicon: boolean;
  /** `sysctl.proc_translated` is 1: this process runs under Rosetta. */
  rosetta: boolean;
  cpuBrand: string | null;
  cpus: number | null;
  memoryBytes: number | null;
}

export interface HostInfoCommands {
  sw_vers: string;
  sysctl: string;
}

export interface HostInfoOptions {
  /** Limit for each command; 5 s when not given. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TIMEOUT_MS = 5000;

function positiveNumber(text: string | undefined): number | null {
  const value = Number(text?.trim());

  return Number.isSafeInteger(value) && value > 0 ? value : null;
}

/** The major version as a number: `15.1` → 15, `26.0` → 26; NaN when unreadable. */
export function macosMajor(version: string): number {
  return Number.parseInt(version.split('.')[0] ?? '', 10);
}

/** Reads the host facts; the four commands run at once. Rejects when sw_vers fails. */
export async function readHostInfo(
  commands: HostInfoCommands,
  options: HostInfoOptions = {},
): Promise<HostInfo> {
  const run = (command: string, args: string[]) =>
    runCommand(command, args, {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      env: options.env,
    });
  const calls = [
    run(commands.sw_vers, ['-productVersion']),
    run(commands.sysctl, ['-in', 'sysctl.proc_translated']),
    run(commands.sysctl, ['-in', 'hw.optional.arm64']),
    // Present on every Mac, so one call can read all three, one value per line.
    run(commands.sysctl, ['-n', 'machdep.cpu.brand_string', 'hw.ncpu', 'hw.memsize']),
  ] as const;
  // When one command cannot start, the others are still waited for, so no child outlives the call.
  await Promise.allSettled(calls);
  const [version, translated, arm64, cpu] = await Promise.all(calls);
  ensureSuccess(version, 'reading the macOS version');
  const [brand, cpus, memory] = cpu.exitCode === 0 ? cpu.stdout.split('\n') : [];

  return {
    macosVersion: version.stdout.trim(),
    appleSilicon: arm64.stdout.trim() === '1',
    rosetta: translated.stdout.trim() === '1',
    cpuBrand: brand?.trim() || null,
    cpus: positiveNumber(cpus),
    memoryBytes: positiveNumber(memory),
  };
}
