/**
 * A throwaway workbench for supervisor tests: env files, status folder, workspace, the stand-in
 * bridge installed with bridge-core beside it, a mock Telegram API, and the supervisor and doctor
 * bundles built into a private folder (so a concurrent build of dist/ cannot pull them away).
 * Every process started here carries a per-world marker in its environment, which is how
 * `leftoverProcesses` finds whatever outlived the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

import { parseStatusText, type SupervisorStatus } from '../../src/core/supervisor-status.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const FAKE_CODEWHALE = join(FIXTURES, 'fake-codewhale.mjs');
export const MARKER_KEY = 'FAKE_TEST_MARKER';

let bundles: Promise<{ supervisor: string; doctor: string; dir: string }> | null = null;

/** Builds dist-like bundles of the supervisor and the doctor once per test file. */
export function buildBundles(): Promise<{ supervisor: string; doctor: string; dir: string }> {
  bundles ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-bundle-'));
    const entries = {
      supervisor: 'src/supervisor/main.ts',
      doctor: 'src/supervisor/doctor-main.ts',
    };
    for (const [name, entry] of Object.entries(entries)) {
      await build({
        entryPoints: [join(REPO_ROOT, entry)],
        outfile: join(dir, `${name}.js`),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'esm',
        logLevel: 'warning',
        banner: {
          js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        },
      });
    }
    return { supervisor: join(dir, 'supervisor.js'), doctor: join(dir, 'doctor.js'), dir };
  })();

  return bundles;
}

/** A free TCP port on 127.0.0.1 (free when asked; tests use it at once). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));

  return port;
}

export type TelegramMode = 'ok' | 'conflict' | 'unauthorized';

/** A mock of the Telegram Bot API: long polls held for at most `holdMs`, or errors by mode. */
export interface MockTelegram {
  url: string;
  mode: TelegramMode;
  calls: { getUpdates: number; setMyCommands: number };
  close(): Promise<void>;
}

export async function startMockTelegram(mode: TelegramMode, holdMs = 300): Promise<MockTelegram> {
  const mock = { mode, calls: { getUpdates: 0, setMyCommands: 0 } } as MockTelegram;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => answerTelegram(mock, req, res, holdMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  mock.url = `http://127.0.0.1:${port}`;
  mock.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  return mock;
}

function answerTelegram(
  mock: MockTelegram,
  req: IncomingMessage,
  res: ServerResponse,
  holdMs: number,
): void {
  const method = (req.url ?? '').split('/').pop() ?? '';
  const reply = (status: number, body: unknown) => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (method === 'setMyCommands') {
    mock.calls.setMyCommands += 1;
    return reply(200, { ok: true, result: true });
  }
  mock.calls.getUpdates += 1;
  if (mock.mode === 'conflict') {
    return reply(409, {
      ok: false,
      error_code: 409,
      description:
        'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    });
  }
  if (mock.mode === 'unauthorized')
    return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
  setTimeout(() => reply(200, { ok: true, result: [] }), holdMs);
}

export interface Workbench {
  root: string;
  envDir: string;
  statusDir: string;
  workspace: string;
  bridgeEntry: string;
  stateDir: string;
  controlFile: string;
  runtimeEvents: string;
  bridgeEvents: string;
  marker: string;
  port: number;
  runtimeToken: string;
  botToken: string;
  providerKey: string;
  telegram: MockTelegram;
  /** Writes runtime.env: the defaults below, then `extra` (a null value drops a key). */
  writeRuntimeEnv(extra?: Record<string, string | null>): void;
  writeBridgeEnv(extra?: Record<string, string | null>): void;
  /** The JSON file both stand-ins read at each start (its keys win over their environment). */
  writeControl(controls: Record<string, string>): void;
  /** The supervisor's environment: this world's folders, the stand-ins, fast timers. */
  supervisorEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export interface WorkbenchOptions {
  telegramMode?: TelegramMode;
  /** Install bridge-core beside the bridge (the default). */
  withBridgeCore?: boolean;
}

function envText(values: Record<string, string | null>): string {
  const lines = Object.entries(values)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key}=${value}`);

  return `# written by the supervisor tests\n${lines.join('\n')}\n`;
}

function writeEnvFile(path: string, values: Record<string, string | null>): void {
  writeFileSync(path, envText(values), { mode: 0o600 });
  chmodSync(path, 0o600);
}

function installBridge(root: string, withCore: boolean): string {
  const bridgeDir = join(root, 'opt', 'codewhale', 'telegram-bridge');
  mkdirSync(join(bridgeDir, 'src'), { recursive: true });
  copyFileSync(join(FIXTURES, 'fake-bridge.mjs'), join(bridgeDir, 'src', 'index.mjs'));
  writeFileSync(
    join(bridgeDir, 'package.json'),
    '{ "name": "codewhale-telegram-bridge", "type": "module", "private": true }\n',
  );
  if (withCore) {
    const coreDir = join(root, 'opt', 'codewhale', 'bridge-core', 'src');
    mkdirSync(coreDir, { recursive: true });
    copyFileSync(join(FIXTURES, 'fake-bridge-core.mjs'), join(coreDir, 'lib.mjs'));
  }

  return join(bridgeDir, 'src', 'index.mjs');
}

/** Creates a world; call `cleanup()` in an `after` hook (it also ends leftover processes). */
export async function createWorkbench(options: WorkbenchOptions = {}): Promise<Workbench> {
  const root = mkdtempSync(join(tmpdir(), 'wb-sup-'));
  const envDir = join(root, 'env');
  const statusDir = join(root, 'status');
  const workspace = join(root, 'workspace');
  const stateDir = join(root, 'bridge-state');
  const runtimeHome = join(root, 'runtime-home');
  for (const dir of [envDir, statusDir, workspace, stateDir, runtimeHome])
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  const telegram = await startMockTelegram(options.telegramMode ?? 'ok');
  const port = await freePort();
  const world: Workbench = {
    root,
    envDir,
    statusDir,
    workspace,
    stateDir,
    telegram,
    port,
    bridgeEntry: installBridge(root, options.withBridgeCore ?? true),
    controlFile: join(root, 'control.json'),
    runtimeEvents: join(root, 'runtime-events.jsonl'),
    bridgeEvents: join(root, 'bridge-events.jsonl'),
    marker: randomBytes(8).toString('hex'),
    runtimeToken: randomBytes(32).toString('hex'),
    botToken: `7${randomBytes(4).readUInt32BE()}:${randomBytes(27).toString('base64url')}`,
    providerKey: `sk-${randomBytes(24).toString('hex')}`,
    writeRuntimeEnv(extra = {}) {
      writeEnvFile(join(envDir, 'runtime.env'), {
        CODEWHALE_RUNTIME_TOKEN: world.runtimeToken,
        CODEWHALE_RUNTIME_PORT: String(port),
        CODEWHALE_RUNTIME_WORKERS: '2',
        CODEWHALE_PROVIDER: 'deepseek',
        DEEPSEEK_API_KEY: world.providerKey,
        CODEWHALE_HOME: runtimeHome,
        [MARKER_KEY]: world.marker,
        FAKE_CONTROL_FILE: world.controlFile,
        FAKE_CODEWHALE_EVENTS_FILE: world.runtimeEvents,
        ...extra,
      });
    },
    writeBridgeEnv(extra = {}) {
      writeEnvFile(join(envDir, 'telegram-bridge.env'), {
        TELEGRAM_BOT_TOKEN: world.botToken,
        CODEWHALE_RUNTIME_TOKEN: world.runtimeToken,
        CODEWHALE_RUNTIME_URL: `http://127.0.0.1:${port}`,
        CODEWHALE_WORKSPACE: workspace,
        TELEGRAM_CHAT_ALLOWLIST: '123456789',
        TELEGRAM_API_BASE: telegram.url,
        TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
        TELEGRAM_THREAD_MAP_PATH: join(stateDir, 'thread-map.json'),
        [MARKER_KEY]: world.marker,
        FAKE_CONTROL_FILE: world.controlFile,
        FAKE_BRIDGE_EVENTS_FILE: world.bridgeEvents,
        FAKE_BRIDGE_BACKOFF_SCALE: '0.001',
        ...extra,
      });
    },
    writeControl(controls) {
      writeFileSync(world.controlFile, JSON.stringify(controls));
    },
    supervisorEnv(extra = {}) {
      return {
        PATH: process.env.PATH,
        HOME: root,
        USER: 'tester',
        WORKBENCH_ENV_DIR: envDir,
        WORKBENCH_STATUS_DIR: statusDir,
        WORKBENCH_WORKSPACE: workspace,
        CODEWHALE_BIN: FAKE_CODEWHALE,
        WORKBENCH_BRIDGE_ENTRY: world.bridgeEntry,
        WORKBENCH_NODE_BIN: process.execPath,
        WORKBENCH_RUN_AS: 'none',
        WORKBENCH_FAST_TIMERS: '1',
        WORKBENCH_RESTART_DELAY_MS: '200',
        WORKBENCH_HEARTBEAT_MS: '200',
        WORKBENCH_HEALTH_INTERVAL_MS: '100',
        WORKBENCH_VOLUME_DIRS: '',
        [MARKER_KEY]: world.marker,
        ...extra,
      };
    },
    async cleanup() {
      await killLeftovers(world.marker);
      await telegram.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  world.writeRuntimeEnv();
  world.writeBridgeEnv();
  world.writeControl({});

  return world;
}

export interface RunningSupervisor {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts `node supervisor.js` for the world. */
export async function startSupervisor(
  world: Workbench,
  extraEnv: Record<string, string> = {},
): Promise<RunningSupervisor> {
  const { supervisor } = await buildBundles();
  const child = spawn(process.execPath, [supervisor], {
    env: world.supervisorEnv(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });

  return { child, pid: child.pid!, exited, output: () => output };
}

/** Runs the doctor bundle for the world and returns its JSON report and exit code. */
export async function runDoctorBundle(
  world: Workbench,
  extraEnv: Record<string, string> = {},
  args = ['--json'],
) {
  const { doctor } = await buildBundles();
  const child = spawn(process.execPath, [doctor, ...args], {
    env: world.supervisorEnv(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) =>
    child.on('exit', (exitCode) => resolve(exitCode)),
  );

  return { code, stdout, stderr };
}

/** Reads and checks status.json against the host's strict schema; throws when it does not pass. */
export function readStatus(world: Workbench): SupervisorStatus {
  const read = parseStatusText(readFileSync(join(world.statusDir, 'status.json'), 'utf8'));
  if (!read.ok) throw new Error(`status.json is invalid: ${read.detail}`);

  return read.status;
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  describe: string,
  probe: () => T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${describe}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until status.json satisfies `predicate`, and returns it. */
export function waitForStatus(
  world: Workbench,
  describe: string,
  predicate: (status: SupervisorStatus) => boolean,
  timeoutMs?: number,
) {
  return waitFor(
    describe,
    () => {
      if (!existsSync(join(world.statusDir, 'status.json'))) return undefined;
      const status = readStatus(world);

      return predicate(status) ? status : undefined;
    },
    timeoutMs,
  );
}

/** The JSON lines a stand-in appended to its events file. */
export function readEvents(
  path: string,
): Array<Record<string, unknown> & { event: string; pid: number; at: number }> {
  if (!existsSync(path)) return [];

  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** The keys of a process's environment, from /proc/<pid>/environ. */
export function environOf(pid: number): Map<string, string> {
  const text = readFileSync(`/proc/${pid}/environ`, 'utf8');

  return new Map(
    text
      .split('\0')
      .filter(Boolean)
      .map((entry) => {
        const at = entry.indexOf('=');
        return [entry.slice(0, at), entry.slice(at + 1)] as [string, string];
      }),
  );
}

/** The argv of a process, from /proc/<pid>/cmdline. */
export function cmdlineOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '').split('\0').join(' ');
}

/** Live processes (zombies excluded) whose environment carries the marker. */
export function leftoverProcesses(marker: string): number[] {
  const needle = `${MARKER_KEY}=${marker}`;

  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(needle);
      } catch {
        return false;
      }
    });
}

async function killLeftovers(marker: string): Promise<void> {
  for (const pid of leftoverProcesses(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  await waitFor('leftover processes to end', () => leftoverProcesses(marker).length === 0, 5000);
}

/** Sends SIGTERM to a supervisor still running and waits for it; for `after` hooks. */
export async function stopSupervisor(running: RunningSupervisor | undefined): Promise<void> {
  if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 20_000);
  await running.exited;
  clearTimeout(timer);
}

/** The supervisor's log file. */
export function readSupervisorLog(world: Workbench): string {
  const path = join(world.statusDir, 'supervisor.log');

  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
