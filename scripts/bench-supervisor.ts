/**
 * Measurements of the supervisor for the benchmark script: how soon a crashed child runs again,
 * how soon status.json shows a change, and the supervisor's memory and idle CPU. Each one starts
 * the real supervisor bundle in a temp folder with the stand-in runtime and bridge, and a local
 * Telegram mock that holds long polls like the real API, and removes everything afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { SupervisorStatus } from '../src/core/supervisor-status.js';

/** Where the programs under test are. */
export interface BenchPaths {
  /** The built supervisor, e.g. dist/supervisor.js. */
  supervisorScript: string;
  /** test/fixtures/fake-codewhale.mjs */
  fakeCodewhale: string;
  /** test/fixtures/fake-bridge.mjs */
  fakeBridge: string;
  /** test/fixtures/fake-bridge-core.mjs */
  fakeBridgeCore: string;
}

export interface BenchWorkbench {
  supervisorPid: number;
  /** status.json as it is now, or null while it is missing or being replaced. */
  readStatus(): SupervisorStatus | null;
  /** Polls status.json every millisecond until `predicate` holds; resolves the time it took. */
  waitForStatus(
    predicate: (status: SupervisorStatus) => boolean,
    timeoutMs?: number,
  ): Promise<number>;
  stop(): Promise<void>;
}

const POLL_SECONDS = 25;

async function startTelegramMock(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    const reply = () => {
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, result: req.url?.endsWith('setMyCommands') ? true : [] }));
    };
    if (req.url?.endsWith('getUpdates')) setTimeout(reply, POLL_SECONDS * 1000).unref();
    else reply();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));

  return port;
}

function writeEnv(path: string, values: Record<string, string>): void {
  writeFileSync(
    path,
    `${Object.entries(values)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
}

/** Starts a supervisor with production timings except `env` overrides. */
export async function startBenchWorkbench(
  paths: BenchPaths,
  env: Record<string, string> = {},
): Promise<BenchWorkbench> {
  const root = mkdtempSync(join(tmpdir(), 'wb-bench-'));
  const dirs = {
    env: join(root, 'env'),
    status: join(root, 'status'),
    workspace: join(root, 'workspace'),
    state: join(root, 'state'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const bridgeEntry = join(root, 'telegram-bridge', 'src', 'index.mjs');
  mkdirSync(join(root, 'telegram-bridge', 'src'), { recursive: true });
  mkdirSync(join(root, 'bridge-core', 'src'), { recursive: true });
  copyFileSync(paths.fakeBridge, bridgeEntry);
  copyFileSync(paths.fakeBridgeCore, join(root, 'bridge-core', 'src', 'lib.mjs'));

  const telegram = await startTelegramMock();
  const port = await freePort();
  const token = randomBytes(32).toString('hex');
  writeEnv(join(dirs.env, 'runtime.env'), {
    CODEWHALE_RUNTIME_TOKEN: token,
    CODEWHALE_RUNTIME_PORT: String(port),
  });
  writeEnv(join(dirs.env, 'telegram-bridge.env'), {
    TELEGRAM_BOT_TOKEN: `100000:${randomBytes(27).toString('base64url')}`,
    CODEWHALE_RUNTIME_TOKEN: token,
    CODEWHALE_RUNTIME_URL: `http://127.0.0.1:${port}`,
    TELEGRAM_API_BASE: telegram.url,
    TELEGRAM_POLL_TIMEOUT_SECONDS: String(POLL_SECONDS),
    TELEGRAM_THREAD_MAP_PATH: join(dirs.state, 'thread-map.json'),
  });

  const child: ChildProcess = spawn(process.execPath, [paths.supervisorScript], {
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH,
      HOME: root,
      WORKBENCH_ENV_DIR: dirs.env,
      WORKBENCH_STATUS_DIR: dirs.status,
      WORKBENCH_WORKSPACE: dirs.workspace,
      CODEWHALE_BIN: paths.fakeCodewhale,
      WORKBENCH_BRIDGE_ENTRY: bridgeEntry,
      WORKBENCH_NODE_BIN: process.execPath,
      WORKBENCH_RUN_AS: 'none',
      WORKBENCH_VOLUME_DIRS: '',
      ...env,
    },
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const statusFile = join(dirs.status, 'status.json');
  const readStatus = (): SupervisorStatus | null => {
    try {
      return JSON.parse(readFileSync(statusFile, 'utf8')) as SupervisorStatus;
    } catch {
      return null;
    }
  };

  return {
    supervisorPid: child.pid!,
    readStatus,
    async waitForStatus(predicate, timeoutMs = 30_000) {
      const started = performance.now();
      for (;;) {
        const status = readStatus();
        if (status && predicate(status)) return performance.now() - started;
        if (performance.now() - started > timeoutMs)
          throw new Error('status.json did not reach the expected state');
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      telegram.server.closeAllConnections();
      await new Promise<void>((resolve) => telegram.server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const bothRunning = (status: SupervisorStatus) =>
  status.services.runtime.state === 'running' && status.services.bridge.state === 'running';

/**
 * Kills the runtime (or the bridge) with SIGKILL and times how long until status.json shows a
 * new process of it running. Target: at most `restartDelayMs` + 200 ms.
 */
export async function measureRestart(
  paths: BenchPaths,
  options: { service?: 'runtime' | 'bridge'; restartDelayMs?: number } = {},
): Promise<{ service: string; restartDelayMs: number; recoveredMs: number }> {
  const service = options.service ?? 'runtime';
  const restartDelayMs = options.restartDelayMs ?? 1000;
  const bench = await startBenchWorkbench(paths, {
    WORKBENCH_RESTART_DELAY_MS: String(restartDelayMs),
  });
  try {
    await bench.waitForStatus(bothRunning);
    const pid = bench.readStatus()!.services[service].pid!;
    const started = performance.now();
    process.kill(pid, 'SIGKILL');
    await bench.waitForStatus(
      (status) =>
        status.services[service].state === 'running' && status.services[service].pid !== pid,
    );

    return { service, restartDelayMs, recoveredMs: performance.now() - started };
  } finally {
    await bench.stop();
  }
}

/** Kills the bridge and times how long until status.json no longer shows it running. Target: 100 ms. */
export async function measureStatusLatency(paths: BenchPaths): Promise<{ latencyMs: number }> {
  const bench = await startBenchWorkbench(paths);
  try {
    await bench.waitForStatus(bothRunning);
    const pid = bench.readStatus()!.services.bridge.pid!;
    const started = performance.now();
    process.kill(pid, 'SIGKILL');
    await bench.waitForStatus((status) => status.services.bridge.pid !== pid);

    return { latencyMs: performance.now() - started };
  } finally {
    await bench.stop();
  }
}

function readCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');

  // utime and stime: fields 14 and 15 of the whole line, 12 and 13 after the command name.
  return Number(fields[11]) + Number(fields[12]);
}

function readRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));

  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * The supervisor's resident memory (target < 60 MB) and its CPU use while both services run
 * idle, over `idleMs` (Linux only: reads /proc; 100 clock ticks a second assumed).
 */
export async function measureSupervisorResources(
  paths: BenchPaths,
  options: { idleMs?: number } = {},
): Promise<{ rssBytes: number; cpuPercent: number }> {
  const idleMs = options.idleMs ?? 10_000;
  const bench = await startBenchWorkbench(paths);
  try {
    await bench.waitForStatus(bothRunning);
    const before = readCpuTicks(bench.supervisorPid);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const ticks = readCpuTicks(bench.supervisorPid) - before;
    const seconds = (performance.now() - started) / 1000;

    return {
      rssBytes: readRssBytes(bench.supervisorPid),
      cpuPercent: (ticks / 100 / seconds) * 100,
    };
  } finally {
    await bench.stop();
  }
}
