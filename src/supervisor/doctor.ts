/**
 * The in-container doctor: the checks of upstream's doctor.sh, in its order and with its
 * `[ok]` / `[warn]` / `[fail]` lines, changed for a container with this supervisor instead of
 * systemd. Secrets stay in this process: the token probe sends it in a header, never in argv.
 */
import { accessSync, constants, existsSync, lstatSync, readFileSync, type Stats } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  fileNameOf,
  readEnvFileForSupervisor,
  type EnvDocument,
  type EnvFileName,
  type EnvProblem,
} from '../core/env/document.js';
import { validateEnvPair } from '../core/env/validate.js';
import { runCommand } from '../core/run-command.js';
import { readStatusFile, staleAfterMs, type ServiceStatus } from '../core/supervisor-status.js';
import {
  BRIDGE_ENV_FILE,
  DEFAULT_PATHS,
  RUNTIME_ENV_FILE,
  type SupervisorConfig,
} from './config.js';
import { getLocal } from './http-probe.js';
import { isLoopback, listProcesses, readListeners } from './proc.js';
import { DEFAULT_RUNTIME_PORT, childIdentity, firstValue, type EnvValues } from './service-env.js';
import { STATUS_FILE } from './status-writer.js';

export type CheckLevel = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  id: string;
  level: CheckLevel;
  message: string;
  /** The heading the check is printed under. */
  section: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  failures: number;
  warnings: number;
}

export interface DoctorOptions {
  config: SupervisorConfig;
  /** `/proc`, or a folder standing in for it. */
  procRoot: string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

const COMMAND_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 3000;
const RUNTIME_STATE_SUBFOLDERS = ['threads', 'turns', 'items', 'events', 'goals', 'agent-mail'];
const TOKEN_KEYS = ['CODEWHALE_RUNTIME_TOKEN', 'DEEPSEEK_RUNTIME_TOKEN'];

/** What the checks share: the configuration and both env files as read once. */
interface Context {
  config: SupervisorConfig;
  procRoot: string;
  env: NodeJS.ProcessEnv;
  now: Date;
  serviceUid: number;
  serviceGid: number;
  runtime: EnvDocument | null;
  bridge: EnvDocument | null;
  port: number;
  checks: DoctorCheck[];
  section: string;
}

function add(context: Context, id: string, level: CheckLevel, message: string): void {
  context.checks.push({ id, level, message, section: context.section });
}

function valuesOf(document: EnvDocument | null): EnvValues {
  return document?.values() ?? new Map();
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** Whether `uid`/`gid` may create entries in a folder, by its owner and mode bits (root always may). */
export function canWriteFolder(stat: Stats, uid: number, gid: number): boolean {
  if (uid === 0) return true;
  if (stat.uid === uid) return (stat.mode & 0o300) === 0o300;
  if (stat.gid === gid) return (stat.mode & 0o030) === 0o030;

  return (stat.mode & 0o003) === 0o003;
}

function describeOwner(stat: Stats): string {
  return `${stat.uid}:${stat.gid}:${(stat.mode & 0o7777).toString(8).padStart(4, '0')}`;
}

// ---- tools ----------------------------------------------------------------------------------

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }

  return null;
}

async function versionOf(command: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  try {
    const options = { timeoutMs: COMMAND_TIMEOUT_MS, env: { PATH: env.PATH ?? '' } };
    const result = await runCommand(command, ['--version'], options);
    return result.exitCode === 0 ? (result.stdout.trim().split('\n')[0] ?? '') : null;
  } catch {
    return null;
  }
}

async function checkTools(context: Context): Promise<void> {
  context.section = 'Tools';
  const { config, env } = context;
  const node = await versionOf(config.nodeBin, env);
  const major = Number(/^v(\d+)/.exec(node ?? '')?.[1] ?? 0);
  if (node === null)
    add(
      context,
      'node',
      'fail',
      `node does not run at ${config.nodeBin}; the bridge needs Node 18 or later`,
    );
  else if (major < 18)
    add(
      context,
      'node',
      'fail',
      `node ${node} is too old; the bridge needs Node 18 or later (22 preferred)`,
    );
  else add(context, 'node', 'ok', `node ${node} at ${config.nodeBin}`);

  const git = findOnPath('git', env);
  const gitVersion = git === null ? null : await versionOf(git, env);
  if (gitVersion === null)
    add(context, 'git', 'warn', 'git is not installed; workspace status and agent work need it');
  else add(context, 'git', 'ok', gitVersion);

  const codewhale = await versionOf(config.codewhaleBin, env);
  if (codewhale === null)
    add(
      context,
      'codewhale',
      'fail',
      `\`${config.codewhaleBin} --version\` does not run; the image must ship the codewhale binary`,
    );
  else add(context, 'codewhale', 'ok', `codewhale version: ${codewhale}`);
}

// ---- workspace and state folders ---------------------------------------------------------------

function checkWritableFolder(
  context: Context,
  id: string,
  path: string,
  level: CheckLevel,
  what: string,
): void {
  const stat = lstatOrNull(path);
  const who = `UID ${context.serviceUid}`;
  if (stat === null) return add(context, id, level, `${what} ${path} does not exist`);
  if (stat.isSymbolicLink()) return add(context, id, level, `${what} ${path} is a symlink`);
  if (!stat.isDirectory()) return add(context, id, level, `${what} ${path} is not a folder`);
  if (!canWriteFolder(stat, context.serviceUid, context.serviceGid)) {
    return add(
      context,
      id,
      level,
      `${what} ${path} is not writable by ${who} (${describeOwner(stat)}) — chown it to ${context.serviceUid}:${context.serviceGid}`,
    );
  }
  add(context, id, 'ok', `${what} ${path} is writable by ${who}`);
}

function runtimeHomeOf(context: Context): string {
  const home = firstValue(valuesOf(context.runtime), ['CODEWHALE_HOME']);
  const userHome = childIdentity(context.config.runAs, context.env).HOME;
  if (home) return home.startsWith('~') ? join(userHome, home.slice(1)) : home;

  return join(userHome, '.codewhale');
}

function runtimeStateDirOf(context: Context): string {
  const values = valuesOf(context.runtime);
  const direct = firstValue(values, ['CODEWHALE_RUNTIME_DIR', 'DEEPSEEK_RUNTIME_DIR']);
  if (direct) return direct;
  const tasks =
    firstValue(values, ['CODEWHALE_TASKS_DIR', 'DEEPSEEK_TASKS_DIR']) ??
    join(runtimeHomeOf(context), 'tasks');

  return join(tasks, 'runtime');
}

function checkFolders(context: Context): void {
  context.section = 'Workspace and state';
  checkWritableFolder(context, 'workspace', context.config.workspace, 'fail', 'workspace');
  checkWritableFolder(
    context,
    'runtime-home',
    runtimeHomeOf(context),
    'warn',
    'runtime state folder',
  );
  const mapPath = valuesOf(context.bridge).get('TELEGRAM_THREAD_MAP_PATH');
  const bridgeState = mapPath ? dirname(mapPath) : DEFAULT_PATHS.bridgeState;
  checkWritableFolder(context, 'bridge-state', bridgeState, 'warn', 'bridge state folder');

  const stateDir = runtimeStateDirOf(context);
  const linked = RUNTIME_STATE_SUBFOLDERS.filter((name) =>
    lstatOrNull(join(stateDir, name))?.isSymbolicLink(),
  );
  if (linked.length > 0) {
    add(
      context,
      'runtime-state-links',
      'fail',
      `runtime state subfolders are symlinks, which the runtime refuses: ${linked.map((name) => join(stateDir, name)).join(', ')}`,
    );
  } else {
    add(
      context,
      'runtime-state-links',
      'ok',
      `no symlinked runtime state subfolders under ${stateDir}`,
    );
  }
}

// ---- env files ------------------------------------------------------------------------------

function readEnvForDoctor(
  context: Context,
  name: EnvFileName,
  fileName: string,
): EnvDocument | null {
  const path = join(context.config.envDir, fileName);
  const id = `env-${name}`;
  const stat = lstatOrNull(path);
  if (stat === null) {
    add(
      context,
      id,
      'fail',
      `${fileName} is missing at ${path} — run \`workbench setup\` on the Mac`,
    );
    return null;
  }
  const read = readEnvFileForSupervisor(path);
  if (read.document === null) {
    add(context, id, 'fail', read.error ?? `${path} cannot be read`);
    return null;
  }
  if ((stat.mode & 0o004) !== 0) {
    add(
      context,
      id,
      'fail',
      `${fileName} is world-readable (${describeOwner(stat)}) — run \`workbench env check --fix\` on the Mac`,
    );
  } else {
    add(
      context,
      id,
      'ok',
      `${fileName} present, not world-readable (${describeOwner(stat)} as seen inside)`,
    );
  }

  return read.document;
}

function checkEnvFiles(context: Context): void {
  context.section = 'Environment';
  context.runtime = readEnvForDoctor(context, 'runtime', RUNTIME_ENV_FILE);
  context.bridge = readEnvForDoctor(context, 'bridge', BRIDGE_ENV_FILE);
  if (context.runtime === null || context.bridge === null) return;
  const problems = validateEnvPair(context.runtime, context.bridge, {
    workspaceRoot: context.config.workspace,
  });
  const seen = new Map<string, number>();
  for (const found of problems) {
    const base = `env-${found.file ?? 'pair'}-${found.code}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    add(
      context,
      count === 1 ? base : `${base}-${count}`,
      found.severity === 'error' ? 'fail' : 'warn',
      describeProblem(found),
    );
  }
  if (problems.length === 0)
    add(context, 'env-rules', 'ok', 'both env files pass the shared rules');
}

/** `telegram-bridge.env:4: <message> — <fix>`; the level already says error or warning. */
function describeProblem(found: EnvProblem): string {
  const where = found.file === null ? 'env' : fileNameOf(found.file);

  return `${where}${found.line === null ? '' : `:${found.line}`}: ${found.message} — ${found.fix}`;
}

function readPort(values: EnvValues): number {
  const port = Number(
    firstValue(values, ['CODEWHALE_RUNTIME_PORT', 'DEEPSEEK_RUNTIME_PORT']) ?? DEFAULT_RUNTIME_PORT,
  );

  return Number.isInteger(port) && port >= 1 && port <= 65_535 ? port : DEFAULT_RUNTIME_PORT;
}

// ---- bridge install -------------------------------------------------------------------------

/** Relative `import … from './x.mjs'` and `import './x.mjs'` specifiers of a module's text. */
export function relativeImportsOf(source: string): string[] {
  const pattern = /(?:^|[\s;])(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;

  return [...source.matchAll(pattern)].map((match) => match[1]!);
}

async function nodeSucceeds(context: Context, args: string[]): Promise<string | null> {
  try {
    const options = { timeoutMs: COMMAND_TIMEOUT_MS, env: { PATH: context.env.PATH ?? '' } };
    const result = await runCommand(context.config.nodeBin, args, options);
    if (result.exitCode === 0) return null;
    const lines = result.stderr
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);

    return (
      lines.find((line) => /Error|error:/.test(line)) ??
      lines[0] ??
      `exited with code ${result.exitCode}`
    );
  } catch (error) {
    return (error as Error).message;
  }
}

async function checkBridgeInstall(context: Context): Promise<void> {
  context.section = 'Bridge install';
  const entry = context.config.bridgeEntry;
  const bridgeDir = dirname(dirname(entry));
  const coreLib = join(dirname(bridgeDir), 'bridge-core', 'src', 'lib.mjs');
  if (!existsSync(entry)) {
    add(context, 'bridge-files', 'fail', `the bridge entry ${entry} is missing`);
    return;
  }
  if (!existsSync(join(bridgeDir, 'package.json')))
    add(context, 'bridge-package', 'warn', `${join(bridgeDir, 'package.json')} is missing`);
  if (!existsSync(coreLib)) {
    add(
      context,
      'bridge-files',
      'fail',
      `bridge-core is missing beside telegram-bridge (${coreLib}); the bridge would exit with ERR_MODULE_NOT_FOUND`,
    );
  } else {
    add(context, 'bridge-files', 'ok', `bridge at ${bridgeDir}, bridge-core beside it`);
  }

  const missing = relativeImportsOf(readFileSync(entry, 'utf8'))
    .map((specifier) => resolve(dirname(entry), specifier))
    .filter((path) => !existsSync(path));
  if (missing.length > 0)
    add(
      context,
      'bridge-imports',
      'fail',
      `the bridge imports files that do not exist: ${missing.join(', ')}`,
    );
  else add(context, 'bridge-imports', 'ok', 'every relative import of the bridge entry exists');

  const syntax = await nodeSucceeds(context, ['--check', entry]);
  if (syntax === null)
    add(context, 'bridge-syntax', 'ok', '`node --check` passes on the bridge entry');
  else
    add(context, 'bridge-syntax', 'fail', `\`node --check\` fails on the bridge entry: ${syntax}`);

  if (!existsSync(coreLib)) return;
  // Importing the entry itself would start polling Telegram; bridge-core has no side effects.
  const importArgs = [
    '--input-type=module',
    '-e',
    'await import(process.argv[1]);',
    pathToFileURL(coreLib).href,
  ];
  const imported = await nodeSucceeds(context, importArgs);
  if (imported === null) add(context, 'bridge-core-import', 'ok', 'bridge-core loads in Node');
  else add(context, 'bridge-core-import', 'fail', `bridge-core does not load: ${imported}`);
}

// ---- supervisor's services ------------------------------------------------------------------

function describeUptime(startedAt: string | null, now: Date): string {
  if (startedAt === null) return '';
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(startedAt)) / 1000));
  if (seconds < 60) return `, up ${seconds}s`;
  if (seconds < 3600) return `, up ${Math.floor(seconds / 60)}m`;

  return `, up ${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

function describeService(name: string, service: ServiceStatus, now: Date): string {
  const pid = service.pid === null ? '' : `, pid ${service.pid}`;
  const exit = service.lastExit
    ? `, last exit ${service.lastExit.signal ?? `code ${service.lastExit.code}`} at ${service.lastExit.at}`
    : '';
  const detail = service.detail ? ` — ${service.detail}` : '';

  const uptime = describeUptime(service.startedAt, now);

  return `${name} ${service.state}${pid}${uptime}, ${service.restarts} restart(s)${exit}${detail}`;
}

/** ok: running, alive and healthy; warn: on its way, or running with a complaint; fail: down. */
function serviceLevel(service: ServiceStatus, alive: boolean): CheckLevel {
  if (service.state === 'starting' || service.state === 'restarting') return 'warn';
  if (service.state !== 'running' || !alive || service.healthy === false) return 'fail';

  return service.detail === null ? 'ok' : 'warn';
}

function checkServices(context: Context): void {
  context.section = 'Services';
  const read = readStatusFile(join(context.config.statusDir, STATUS_FILE));
  if (!read.ok) {
    add(context, 'supervisor', 'fail', `cannot read the supervisor's status: ${read.detail}`);
    return;
  }
  const { supervisor, services } = read.status;
  const alive = (pid: number | null) =>
    pid !== null && existsSync(join(context.procRoot, String(pid)));
  const age = context.now.getTime() - Date.parse(supervisor.updatedAt);
  // updatedAt is cut to whole seconds, so the write may have come up to a second after it.
  const ageAtLeast = age - 1000;
  if (!alive(supervisor.pid)) {
    add(
      context,
      'supervisor',
      'fail',
      `the supervisor (pid ${supervisor.pid}) is not running; status.json is from ${supervisor.updatedAt}`,
    );
  } else if (ageAtLeast > staleAfterMs(read.status)) {
    add(
      context,
      'supervisor',
      'warn',
      `status.json was last written ${Math.round(age / 1000)} s ago (heartbeat ${supervisor.heartbeat})`,
    );
  } else {
    add(
      context,
      'supervisor',
      'ok',
      `supervisor running, pid ${supervisor.pid}, heartbeat ${supervisor.heartbeat}`,
    );
  }
  for (const name of ['runtime', 'bridge'] as const) {
    const service = services[name];
    add(
      context,
      `service-${name}`,
      serviceLevel(service, alive(service.pid)),
      describeService(name, service, context.now),
    );
  }

  const zombies = listProcesses(context.procRoot).filter(
    (info) => info.state === 'Z' && info.ppid === supervisor.pid,
  );
  if (zombies.length > 0 && supervisor.pid === 1) {
    add(
      context,
      'zombies',
      'warn',
      `${zombies.length} zombie process(es) wait for PID 1 to reap them — run the container with \`--init\``,
    );
  } else {
    add(context, 'zombies', 'ok', 'no zombie processes left to the supervisor');
  }
}

// ---- runtime API ------------------------------------------------------------------------------

function checkListener(context: Context): void {
  const listeners = readListeners(context.procRoot).filter(
    (listener) => listener.port === context.port,
  );
  const shown = listeners
    .map((listener) => (listener.family === 6 ? `[${listener.address}]` : listener.address))
    .join(', ');
  if (listeners.length === 0)
    add(context, 'runtime-listen', 'fail', `nothing listens on port ${context.port}`);
  else if (listeners.some((listener) => !isLoopback(listener.address))) {
    add(
      context,
      'runtime-listen',
      'fail',
      `port ${context.port} is bound to ${shown}, reachable from outside the container — bind 127.0.0.1 only`,
    );
  } else {
    add(context, 'runtime-listen', 'ok', `port ${context.port} is bound to ${shown} only`);
  }
}

async function probe(context: Context, path: string, headers?: Record<string, string>) {
  try {
    return await getLocal(context.port, path, {
      timeoutMs: PROBE_TIMEOUT_MS,
      ...(headers ? { headers } : {}),
    });
  } catch (error) {
    return { status: 0, body: (error as Error).message };
  }
}

async function checkRuntimeApi(context: Context): Promise<void> {
  context.section = 'Runtime API';
  checkListener(context);
  const health = await probe(context, '/health');
  if (health.status !== 200) {
    add(
      context,
      'runtime-health',
      'fail',
      `GET /health on 127.0.0.1:${context.port} ${health.status === 0 ? `failed: ${health.body}` : `answered ${health.status}`}`,
    );
    add(
      context,
      'runtime-token',
      'warn',
      'the runtime token was not checked: the runtime does not answer',
    );
    return;
  }
  add(context, 'runtime-health', 'ok', `GET /health on 127.0.0.1:${context.port} answered 200`);

  const info = await probe(context, '/v1/runtime/info');
  const parsed = safeJson(info.body) as { bind_host?: unknown; auth_required?: unknown } | null;
  if (info.status === 200 && parsed?.bind_host === '127.0.0.1' && parsed.auth_required === true) {
    add(
      context,
      'runtime-info',
      'ok',
      'the runtime reports bind_host 127.0.0.1 and auth_required true',
    );
  } else {
    add(
      context,
      'runtime-info',
      'fail',
      `the runtime reports bind_host ${JSON.stringify(parsed?.bind_host)} and auth_required ${JSON.stringify(parsed?.auth_required)}`,
    );
  }
  await checkToken(context);
}

async function checkToken(context: Context): Promise<void> {
  const fromBridge = firstValue(valuesOf(context.bridge), TOKEN_KEYS);
  const token = fromBridge ?? firstValue(valuesOf(context.runtime), TOKEN_KEYS);
  if (token === undefined) {
    add(context, 'runtime-token', 'fail', 'neither env file holds a runtime token');
    return;
  }
  const source = fromBridge ? "the bridge's token" : "runtime.env's token";
  const without = await probe(context, '/v1/workspace/status');
  const withToken = await probe(context, '/v1/workspace/status', {
    authorization: `Bearer ${token}`,
  });
  if (without.status !== 401) {
    add(
      context,
      'runtime-token',
      'fail',
      `GET /v1/workspace/status without a token answered ${without.status}, not 401: the runtime does not require its token`,
    );
  } else if (withToken.status !== 200) {
    add(
      context,
      'runtime-token',
      'fail',
      `GET /v1/workspace/status with ${source} answered ${withToken.status}: the runtime does not accept it (a different token, or none reached the runtime)`,
    );
  } else {
    add(
      context,
      'runtime-token',
      'ok',
      `GET /v1/workspace/status: 401 without a token, 200 with ${source}`,
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// ---- report ---------------------------------------------------------------------------------

/** Runs every check in doctor.sh's order. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const gid = typeof process.getgid === 'function' ? process.getgid() : 0;
  const context: Context = {
    config: options.config,
    procRoot: options.procRoot,
    env,
    now: (options.now ?? (() => new Date()))(),
    serviceUid: options.config.runAs?.uid ?? uid,
    serviceGid: options.config.runAs?.gid ?? gid,
    runtime: null,
    bridge: null,
    port: DEFAULT_RUNTIME_PORT,
    checks: [],
    section: '',
  };

  await checkTools(context);
  checkEnvFiles(context);
  context.port = readPort(valuesOf(context.runtime));
  checkFolders(context);
  await checkBridgeInstall(context);
  checkServices(context);
  await checkRuntimeApi(context);

  return summarize(context.checks);
}

// doctor.sh's order; the env files are read before the folders they name are checked.
const SECTION_ORDER = [
  'Tools',
  'Workspace and state',
  'Environment',
  'Bridge install',
  'Services',
  'Runtime API',
];

function summarize(found: DoctorCheck[]): DoctorReport {
  const checks = [...found].sort(
    (a, b) => SECTION_ORDER.indexOf(a.section) - SECTION_ORDER.indexOf(b.section),
  );

  return {
    checks,
    failures: checks.filter((check) => check.level === 'fail').length,
    warnings: checks.filter((check) => check.level === 'warn').length,
  };
}

/** The `--json` form: `{ checks: [{ id, level, message }], failures, warnings }`. */
export function doctorJson(report: DoctorReport): string {
  const checks = report.checks.map(({ id, level, message }) => ({ id, level, message }));

  return `${JSON.stringify({ checks, failures: report.failures, warnings: report.warnings }, null, 2)}\n`;
}

/** The terminal form: sections, `[ok]`/`[warn]`/`[fail]` lines and a summary. */
export function doctorText(report: DoctorReport): string {
  const lines = ['CodeWhale Workbench doctor (inside the container)'];
  let section = '';
  for (const check of report.checks) {
    if (check.section !== section) {
      section = check.section;
      lines.push('', `== ${section} ==`);
    }
    lines.push(`[${check.level}] ${check.message}`);
  }
  lines.push('', '== Summary ==', `${report.failures} failure(s), ${report.warnings} warning(s)`);

  return `${lines.join('\n')}\n`;
}
