/**
 * The project's speed and memory figures, each printed beside its target. Measured on the
 * doubles and the stand-in runtime and bridge, with the real core, CLI and supervisor bundles.
 * Run with `npm run bench` (it builds first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { containerElementSchema } from '../src/core/container-client.js';
import { readEnvStatus, saveEnvChanges } from '../src/core/env/index.js';
import { parseListOutput } from '../src/core/launch-agent.js';
import { AGENT_LABEL, AWAKE_AGENT_LABEL } from '../src/core/platform.js';
import { commandStats, runCommand } from '../src/core/run-command.js';
import { setUpEnvFiles } from '../src/core/setup.js';
import { buildStatus, type StatusObservation } from '../src/core/status-model.js';
import { judgeHeartbeat, readStatusFile, staleAfterMs } from '../src/core/supervisor-status.js';
import { RefreshScheduler, type SchedulerClock } from '../src/main/refresh-scheduler.js';
import { createWorkbenchWorld, type WorkbenchWorld } from '../test/helpers/workbench-world.js';
import {
  measureRestart,
  measureStatusLatency,
  measureSupervisorResources,
  type BenchPaths,
} from './bench-supervisor.js';

interface Figure {
  name: string;
  value: string;
  target: string;
  met: boolean;
}

const figures: Figure[] = [];

function record(name: string, value: number, unit: string, limit: number, digits = 1): void {
  figures.push({
    name,
    value: `${value.toFixed(digits)} ${unit}`,
    target: `≤ ${limit} ${unit}`,
    met: value <= limit,
  });
  console.log(`  ${name}: ${value.toFixed(digits)} ${unit} (target ≤ ${limit} ${unit})`);
}

async function averageOf(
  count: number,
  work: () => Promise<unknown>,
): Promise<{ wallMs: number; cpuMs: number; processes: number }> {
  const startedProcesses = commandStats.started;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let index = 0; index < count; index += 1) await work();
  const wallMs = (performance.now() - started) / count;
  const used = process.cpuUsage(cpu);

  return {
    wallMs,
    cpuMs: (used.user + used.system) / 1000 / count,
    processes: (commandStats.started - startedProcesses) / count,
  };
}

/** The observation a refresh of a running workbench makes, from outputs captured once. */
async function captureRefreshInputs(world: WorkbenchWorld) {
  const ls = await runCommand(world.commands.container, ['ls', '--all', '--format', 'json'], {
    timeoutMs: 10_000,
    env: world.env,
  });
  const list = await runCommand(world.commands.launchctl, ['list'], {
    timeoutMs: 10_000,
    env: world.env,
  });

  return { lsStdout: ls.stdout, listStdout: list.stdout };
}

/** The core's own work for one refresh, with the command outputs already in hand. */
function processRefresh(
  world: WorkbenchWorld,
  inputs: { lsStdout: string; listStdout: string },
): void {
  const paths = world.paths();
  const elements = (JSON.parse(inputs.lsStdout) as unknown[]).map((element) =>
    containerElementSchema.parse(element),
  );
  const rows = parseListOutput(inputs.listStdout);
  const read = readStatusFile(paths.statusFile);
  const stale = read.ok
    ? judgeHeartbeat(read.status, null, Date.now(), staleAfterMs(read.status)).stale
    : false;
  const observation: StatusObservation = {
    now: new Date(),
    containerName: 'codewhale-workbench',
    image: 'codewhale-workbench:latest',
    system: { installed: true, running: true, version: '1.2.2' },
    systemError: null,
    container:
      elements.length > 0
        ? { state: 'running', image: 'i', startedAt: null, cpus: 4, memoryBytes: 1 }
        : null,
    imagePresent: null,
    supervisor: { read, stale },
    launchAgent: {
      label: AGENT_LABEL,
      installed: true,
      loaded: rows.has(AGENT_LABEL),
      pid: rows.get(AGENT_LABEL)?.pid ?? null,
      lastExit: null,
    },
    keepAwake: { enabled: true, active: rows.get(AWAKE_AGENT_LABEL)?.pid != null },
    envFiles: readEnvStatus(paths.envDir),
    action: null,
  };
  buildStatus(observation);
}

async function benchStatusRefresh(): Promise<void> {
  console.log('Status refresh (core on the doubles)');
  const world = await createWorkbenchWorld();
  try {
    const workbench = world.workbench();
    await workbench.setAgentEnabled(true);
    await workbench.setKeepAwake(true);
    await workbench.start({ wait: true });
    await workbench.status();
    const running = await averageOf(10, () => workbench.status());
    record(
      'processes per refresh, running (agent and keep-awake on)',
      running.processes,
      'processes',
      2,
      0,
    );

    const inputs = await captureRefreshInputs(world);
    for (let index = 0; index < 20; index += 1) processRefresh(world, inputs);
    const own = await averageOf(200, async () => processRefresh(world, inputs));
    record("core's own work per refresh, apart from waiting on processes", own.wallMs, 'ms', 5, 2);
    record(
      'whole refresh, CPU time of this process (spawning included)',
      running.cpuMs,
      'ms',
      50,
      1,
    );

    await workbench.setAgentEnabled(false);
    await workbench.setKeepAwake(false);
    await workbench.stop();
    await workbench.status();
    const stopped = await averageOf(10, () => workbench.status());
    record('processes per refresh, stopped (no agent)', stopped.processes, 'processes', 1, 0);
  } finally {
    await world.dispose();
  }
}

async function benchEnvFiles(): Promise<void> {
  console.log('Env files');
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-env-'));
  try {
    const envDir = join(dir, 'env');
    setUpEnvFiles(envDir);
    let counter = 0;
    const save = () =>
      saveEnvChanges(envDir, 'bridge', {
        TELEGRAM_CHAT_ALLOWLIST: String(100_000 + (counter += 1)),
      });
    for (let index = 0; index < 5; index += 1) save();
    const result = await averageOf(50, async () => save());
    record('validate both files and save one (fsync included)', result.wallMs, 'ms', 20, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchSupervisor(): Promise<void> {
  console.log('Supervisor (real bundle, stand-in runtime and bridge)');
  const root = join(import.meta.dirname, '..');
  const paths: BenchPaths = {
    supervisorScript: join(root, 'dist', 'supervisor.js'),
    fakeCodewhale: join(root, 'test', 'fixtures', 'fake-codewhale.mjs'),
    fakeBridge: join(root, 'test', 'fixtures', 'fake-bridge.mjs'),
    fakeBridgeCore: join(root, 'test', 'fixtures', 'fake-bridge-core.mjs'),
  };
  const delay = 1000;
  const runtime = await measureRestart(paths, { service: 'runtime', restartDelayMs: delay });
  record(
    'crashed runtime running again (restart delay 1000 ms)',
    runtime.recoveredMs,
    'ms',
    delay + 200,
    0,
  );
  const bridge = await measureRestart(paths, { service: 'bridge', restartDelayMs: delay });
  record(
    'crashed bridge running again (restart delay 1000 ms)',
    bridge.recoveredMs,
    'ms',
    delay + 200,
    0,
  );
  const latency = await measureStatusLatency(paths);
  record('status.json reflects a state change', latency.latencyMs, 'ms', 100, 1);
  const resources = await measureSupervisorResources(paths, { idleMs: 10_000 });
  record('supervisor resident memory, idle', resources.rssBytes / 1024 ** 2, 'MB', 60, 1);
  record('supervisor CPU, idle over 10 s', resources.cpuPercent, '%', 1, 2);
}

async function benchAppIdle(): Promise<void> {
  console.log('App refresh schedule (scheduler on a simulated clock)');
  let now = 0;
  const timers: { at: number; callback: () => void }[] = [];
  const clock: SchedulerClock = {
    now: () => now,
    setTimer: (callback, ms) => {
      const timer = { at: now + ms, callback };
      timers.push(timer);
      return timer;
    },
    clearTimer: (handle) => {
      const index = timers.indexOf(handle as (typeof timers)[number]);
      if (index >= 0) timers.splice(index, 1);
    },
  };
  let refreshes = 0;
  const scheduler = new RefreshScheduler({ clock, refresh: async () => void (refreshes += 1) });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  scheduler.start();
  const end = 10 * 60_000;
  await settle();
  while (timers.length > 0) {
    timers.sort((a, b) => a.at - b.at);
    const next = timers.shift()!;
    if (next.at >= end) break;
    now = next.at;
    next.callback();
    await settle();
  }
  scheduler.stop();
  record(
    'refreshes per 10 s over 10 idle minutes, menu closed',
    refreshes / (end / 10_000),
    'refreshes',
    1,
    2,
  );
}

// `npm run bench -- env app` runs only the sections named.
const sections: Record<string, () => Promise<void>> = {
  status: benchStatusRefresh,
  env: benchEnvFiles,
  supervisor: benchSupervisor,
  app: benchAppIdle,
};
const chosen = process.argv.slice(2);
for (const [name, run] of Object.entries(sections)) {
  if (chosen.length === 0 || chosen.includes(name)) await run();
}

const missed = figures.filter((figure) => !figure.met);
console.log('');
console.log(
  missed.length === 0
    ? `All ${figures.length} figures meet their targets.`
    : `${missed.length} of ${figures.length} figures miss their targets:`,
);
for (const figure of missed)
  console.log(`  ${figure.name}: ${figure.value} (target ${figure.target})`);
