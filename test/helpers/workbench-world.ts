/**
 * A whole workbench on the doubles: a double world (home, doubles' state, command paths), the
 * image registered in the container double with the real supervisor bundle as its entrypoint,
 * the stand-in runtime and bridge installed the way the image lays them out, a mock Telegram
 * API, and env files that point the bridge at it. `cleanup` ends every process it started.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { setUpEnvFiles } from '../../src/core/setup.js';
import { saveEnvChanges } from '../../src/core/env/index.js';
import { workbenchPaths, type WorkbenchPaths } from '../../src/core/platform.js';
import { Workbench } from '../../src/core/workbench.js';
import { ContainerDouble } from '../doubles/container-control.js';
import { LaunchdControl } from '../doubles/launchd-control.js';
import {
  freePort,
  startMockTelegram,
  type MockTelegram,
  type TelegramMode,
} from '../supervisor/harness.js';
import {
  createDoubleWorld,
  REPO_ROOT,
  type DoubleWorld,
  type DoubleWorldOptions,
} from './double-env.js';

export const IMAGE = 'codewhale-workbench:latest';
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const SUPERVISOR_BUNDLE = join(REPO_ROOT, 'dist', 'supervisor.js');
export const CLI_BUNDLE = join(REPO_ROOT, 'dist', 'cli.js');
export const DOCTOR_BUNDLE = join(REPO_ROOT, 'dist', 'doctor.js');

export interface WorkbenchWorld extends DoubleWorld {
  containerDouble: ContainerDouble;
  launchdDouble: LaunchdControl;
  telegram: MockTelegram;
  port: number;
  botToken: string;
  /** A facade on this world, as the CLI builds it. */
  workbench(): Workbench;
  paths(): WorkbenchPaths;
  /** Ends every process of the world, then removes its folders. */
  dispose(): Promise<void>;
}

export interface WorkbenchWorldOptions extends DoubleWorldOptions {
  telegramMode?: TelegramMode;
  /** Skip `setup`'s env files (for "not set up" cases). */
  withoutEnvFiles?: boolean;
  withoutImage?: boolean;
}

function installBridge(root: string): string {
  const bridgeDir = join(root, 'opt', 'codewhale', 'telegram-bridge', 'src');
  const coreDir = join(root, 'opt', 'codewhale', 'bridge-core', 'src');
  mkdirSync(bridgeDir, { recursive: true });
  mkdirSync(coreDir, { recursive: true });
  copyFileSync(join(FIXTURES, 'fake-bridge.mjs'), join(bridgeDir, 'index.mjs'));
  copyFileSync(join(FIXTURES, 'fake-bridge-core.mjs'), join(coreDir, 'lib.mjs'));
  writeFileSync(
    join(bridgeDir, '..', 'package.json'),
    '{ "name": "codewhale-telegram-bridge", "type": "module" }\n',
  );

  return join(bridgeDir, 'index.mjs');
}

/** `workbench-doctor` on the image's PATH, as the Containerfile links it into /usr/local/bin. */
function installDoctor(root: string): string {
  const binDir = join(root, 'image-bin');
  mkdirSync(binDir, { recursive: true });
  const doctor = join(binDir, 'workbench-doctor');
  writeFileSync(doctor, `#!/bin/sh\nexec '${process.execPath}' '${DOCTOR_BUNDLE}' "$@"\n`, {
    mode: 0o755,
  });

  return binDir;
}

/** The image as the double runs it: the supervisor with the stand-ins and fast timers. */
function registerImage(double: ContainerDouble, root: string): void {
  const runtimeHome = join(root, 'runtime-home');
  mkdirSync(runtimeHome, { recursive: true });
  double.addImage(IMAGE, {
    Entrypoint: [process.execPath, SUPERVISOR_BUNDLE],
    Env: [
      `PATH=${installDoctor(root)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      `HOME=${runtimeHome}`,
      'WORKBENCH_ENV_DIR=${mount:/etc/codewhale}',
      'WORKBENCH_STATUS_DIR=${mount:/run/workbench}',
      'WORKBENCH_WORKSPACE=${mount:/opt/whalebro}',
      `CODEWHALE_BIN=${join(FIXTURES, 'fake-codewhale.mjs')}`,
      `WORKBENCH_BRIDGE_ENTRY=${installBridge(root)}`,
      `WORKBENCH_NODE_BIN=${process.execPath}`,
      'WORKBENCH_RUN_AS=none',
      'WORKBENCH_FAST_TIMERS=1',
      'WORKBENCH_RESTART_DELAY_MS=200',
      'WORKBENCH_HEARTBEAT_MS=200',
      'WORKBENCH_HEALTH_INTERVAL_MS=100',
      'WORKBENCH_VOLUME_DIRS=',
    ],
    WorkingDir: '/',
  });
}

/** Creates a world with the env files set up and the image present; `dispose()` in `after`. */
export async function createWorkbenchWorld(
  options: WorkbenchWorldOptions = {},
): Promise<WorkbenchWorld> {
  for (const bundle of [SUPERVISOR_BUNDLE, CLI_BUNDLE, DOCTOR_BUNDLE]) {
    if (!existsSync(bundle))
      throw new Error(`${bundle} is missing: run \`node scripts/build.mjs\` first`);
  }
  const world = createDoubleWorld(options);
  const containerDouble = new ContainerDouble(world.doubleState);
  const launchdDouble = new LaunchdControl(world.doubleState);
  const telegram = await startMockTelegram(options.telegramMode ?? 'ok');
  const port = await freePort();
  const botToken = `7${randomBytes(4).readUInt32BE()}:${randomBytes(27).toString('base64url')}`;
  if (!options.withoutImage) registerImage(containerDouble, world.root);

  if (!options.withoutEnvFiles) {
    const envDir = join(world.home, 'env');
    setUpEnvFiles(envDir);
    saveEnvChanges(envDir, 'runtime', {
      CODEWHALE_RUNTIME_PORT: String(port),
      DEEPSEEK_API_KEY: `sk-${randomBytes(16).toString('hex')}`,
    });
    saveEnvChanges(envDir, 'bridge', {
      TELEGRAM_BOT_TOKEN: botToken,
      CODEWHALE_RUNTIME_URL: `http://127.0.0.1:${port}`,
      TELEGRAM_CHAT_ALLOWLIST: '123456789',
      TELEGRAM_API_BASE: telegram.url,
      TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
      TELEGRAM_THREAD_MAP_PATH: join(world.root, 'bridge-state', 'thread-map.json'),
      FAKE_BRIDGE_BACKOFF_SCALE: '0.001',
    });
  }
  mkdirSync(join(world.home, 'status'), { recursive: true, mode: 0o700 });
  chmodSync(join(world.home, 'status'), 0o700);

  return {
    ...world,
    containerDouble,
    launchdDouble,
    telegram,
    port,
    botToken,
    workbench: () =>
      new Workbench({ env: world.env, agentProgram: [process.execPath, CLI_BUNDLE] }),
    paths: () => workbenchPaths(world.home, world.env),
    async dispose() {
      await launchdDouble.killAll();
      await containerDouble.killAll();
      await telegram.close();
      world.cleanup();
    },
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js …` as a real process in the world's environment. */
export function runWorkbenchCli(world: WorkbenchWorld, args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
      env: world.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
