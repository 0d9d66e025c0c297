/**
 * The host doctor: checks the Mac (hardware, macOS, power settings), the container runtime, the
 * image, the env files, both launchd agents and the container's real resources, then runs the
 * in-container doctor and merges its findings into one report. A failing probe becomes a check
 * of its own; nothing here throws for an unhealthy host.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';

import {
  checkEnvFiles as checkEnvFolder,
  type EnvCheckReport,
  type EnvProblem,
} from '../env/index.js';
import { describeError, CommandError } from '../errors.js';
import { macosMajor, readHostInfo, type HostInfo } from '../host-info.js';
import { KeepAwake, type KeepAwakeStatus } from '../keep-awake.js';
import { LaunchAgentManager, type AgentState } from '../launch-agent.js';
import { AGENT_LABEL, type CommandPaths, type WorkbenchPaths } from '../platform.js';
import { parsePmsetLive, parsePowerSource, type PmsetLive } from '../power.js';
import { runCommand, type CommandResult } from '../run-command.js';
import { memoryBytes, type Settings } from '../settings.js';
import type { DoctorCheck, DoctorReport } from '../workbench-api.js';
import {
  cliContainerProbe,
  type ContainerFacts,
  type DoctorContainerProbe,
  type ServiceStatus,
} from './container-probe.js';

export type { DoctorCheck, DoctorReport };

export interface HostDoctorTimeouts {
  /** Each host command (sw_vers, sysctl, pmset, plutil, launchctl, container). */
  commandMs: number;
  /** `container exec … workbench-doctor --json`. */
  execMs: number;
}

/** Everything the doctor talks to; each client may be replaced, the rest is built from paths. */
export interface HostDoctorDeps {
  paths: WorkbenchPaths;
  commands: CommandPaths;
  settings: Pick<Settings, 'containerName' | 'image' | 'cpus' | 'memory'>;
  uid: number;
  /** The environment of every command; the caller's own by default. */
  env?: NodeJS.ProcessEnv;
  timeouts?: Partial<HostDoctorTimeouts>;
  container?: DoctorContainerProbe;
  launchd?: LaunchAgentManager;
  keepAwake?: Pick<KeepAwake, 'status'>;
  readHostInfo?: () => Promise<HostInfo>;
  /** Validates both env files without repairing anything. */
  checkEnvFiles?: (envDir: string) => EnvCheckReport;
}

const DEFAULT_TIMEOUTS: HostDoctorTimeouts = { commandMs: 15_000, execMs: 60_000 };
const IN_CONTAINER_DOCTOR = ['workbench-doctor', '--json'] as const;
const MAX_INNER_OUTPUT = 256 * 1024;
const GIB = 1024 ** 3;

interface Context {
  deps: HostDoctorDeps;
  timeouts: HostDoctorTimeouts;
  container: DoctorContainerProbe;
  launchd: LaunchAgentManager;
  checks: DoctorCheck[];
}

type Level = DoctorCheck['level'];

function add(context: Context, level: Level, id: string, message: string, fix?: string): void {
  context.checks.push(fix === undefined ? { id, level, message } : { id, level, message, fix });
}

function run(context: Context, command: string, args: string[]) {
  return runCommand(command, args, {
    timeoutMs: context.timeouts.commandMs,
    env: context.deps.env,
  });
}

function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .find(Boolean);
}

/** Runs every check and returns the merged report. */
export async function runHostDoctor(deps: HostDoctorDeps): Promise<DoctorReport> {
  const context = createContext(deps);

  await checkHost(context);
  const service = await checkContainerRuntime(context);
  if (service) await checkImage(context);
  checkEnvFiles(context);
  await checkWorkbenchAgent(context);
  const awake = await checkKeepAwake(context);
  await checkPowerSettings(context, awake);
  const facts = service ? await checkContainer(context) : null;
  if (facts?.state === 'running') await runInContainerDoctor(context);

  return summarize(context.checks);
}

function createContext(deps: HostDoctorDeps): Context {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const probeOptions = {
    timeoutMs: timeouts.commandMs,
    execTimeoutMs: timeouts.execMs,
    env: deps.env,
  };
  const container = deps.container ?? cliContainerProbe(deps.commands.container, probeOptions);
  const launchd =
    deps.launchd ??
    new LaunchAgentManager({
      launchctlPath: deps.commands.launchctl,
      uid: deps.uid,
      timeouts: { commandMs: timeouts.commandMs },
      ...(deps.env ? { env: deps.env } : {}),
    });

  return { deps, timeouts, container, launchd, checks: [] };
}

/** Counts failures and warnings. */
export function summarize(checks: DoctorCheck[]): DoctorReport {
  return {
    checks,
    failures: checks.filter((check) => check.level === 'fail').length,
    warnings: checks.filter((check) => check.level === 'warn').length,
  };
}

// ---- the Mac ----------------------------------------------------------------------------

async function checkHost(context: Context): Promise<void> {
  const { deps } = context;
  const read =
    deps.readHostInfo ??
    (() => readHostInfo(deps.commands, { timeoutMs: context.timeouts.commandMs, env: deps.env }));
  let info: HostInfo;
  try {
    info = await read();
  } catch (error) {
    add(
      context,
      'fail',
      'host.info',
      `cannot read the macOS version: ${describeError(error)}`,
      'check that sw_vers and sysctl exist at their configured paths',
    );
    return;
  }
  checkArchitecture(context, info);
  checkMacosVersion(context, info.macosVersion);
}

function checkArchitecture(context: Context, info: HostInfo): void {
  const cpu = info.cpuBrand ?? 'unknown CPU';
  if (!info.appleSilicon) {
    add(
      context,
      'fail',
      'host.arch',
      `container needs Apple silicon; this Mac has an ${cpu}`,
      'run the workbench on a Mac with an M-series chip',
    );
  } else if (info.rosetta) {
    add(
      context,
      'fail',
      'host.arch',
      `running under Rosetta on ${cpu}: container and its VMs need native arm64`,
      'start the app or Terminal natively (Get Info › untick "Open using Rosetta") ' +
        'and use an arm64 Node',
    );
  } else {
    add(context, 'ok', 'host.arch', `Apple silicon (${cpu}), running natively`);
  }
}

function checkMacosVersion(context: Context, version: string): void {
  const major = macosMajor(version);
  if (major >= 26) {
    add(context, 'ok', 'host.macos', `macOS ${version}`);
  } else if (major === 15) {
    add(
      context,
      'warn',
      'host.macos',
      `macOS ${version}: container works with limits: containers cannot reach one another ` +
        'over the network, only the default network exists (--network fails), and its subnet ' +
        'is known only once a container runs',
      'upgrade to macOS 26 for full networking support',
    );
  } else {
    add(
      context,
      'fail',
      'host.macos',
      `macOS ${version || '(unknown)'} is not supported by container`,
      'upgrade to macOS 26 (macOS 15 works with networking limits)',
    );
  }
}

// ---- the container runtime ---------------------------------------------------------------

function isMissingCommand(error: unknown): boolean {
  return (
    error instanceof CommandError &&
    (error.failure === 'not-found' || error.failure === 'not-executable')
  );
}

/** True when the system service runs, so the checks that need it can go on. */
async function checkContainerRuntime(context: Context): Promise<boolean> {
  const path = context.deps.commands.container;
  let cliVersion: string;
  try {
    cliVersion = await context.container.cliVersion();
  } catch (error) {
    if (!isMissingCommand(error)) {
      add(
        context,
        'fail',
        'container.installed',
        `cannot run ${path} --version: ${describeError(error)}`,
      );
      return false;
    }
    add(
      context,
      'fail',
      'container.installed',
      `container is not installed at ${path}`,
      'install it from github.com/apple/container/releases (or `brew install container`), ' +
        'or set commands.container',
    );
    return false;
  }
  add(context, 'ok', 'container.installed', `container CLI ${cliVersion} at ${path}`);

  let service: ServiceStatus;
  try {
    service = await context.container.systemStatus();
  } catch (error) {
    add(
      context,
      'fail',
      'container.service',
      `cannot ask the container system service: ${describeError(error)}`,
    );
    return false;
  }
  if (!service.running) {
    add(
      context,
      'fail',
      'container.service',
      `container system service is not running (${service.status})`,
      'run `workbench start`, or `container system start --enable-kernel-install`',
    );
    return false;
  }
  const version = service.version ? ` (${service.version})` : '';
  add(context, 'ok', 'container.service', `container system service running${version}`);
  checkVersionsMatch(context, cliVersion, service.version);

  return true;
}

function checkVersionsMatch(context: Context, cli: string, server: string | null): void {
  if (server === null) {
    add(context, 'warn', 'container.versions', 'cannot read the container system service version');
  } else if (server !== cli) {
    add(
      context,
      'warn',
      'container.versions',
      `container CLI is ${cli} but the running service is ${server}`,
      'run `container system stop`, then `workbench start`, so the installed version runs',
    );
  } else {
    add(context, 'ok', 'container.versions', `container CLI and service are both ${cli}`);
  }
}

async function checkImage(context: Context): Promise<void> {
  const { image } = context.deps.settings;
  try {
    if (await context.container.imageExists(image)) {
      add(context, 'ok', 'container.image', `image ${image} is present`);
    } else {
      add(
        context,
        'fail',
        'container.image',
        `image ${image} is missing`,
        'run `workbench setup` to build it',
      );
    }
  } catch (error) {
    add(
      context,
      'fail',
      'container.image',
      `cannot look up image ${image}: ${describeError(error)}`,
    );
  }
}

// ---- env files ----------------------------------------------------------------------------

function checkEnvFiles(context: Context): void {
  const check =
    context.deps.checkEnvFiles ?? ((envDir: string) => checkEnvFolder(envDir, { repair: false }));
  let report: EnvCheckReport;
  try {
    report = check(context.deps.paths.envDir);
  } catch (error) {
    add(context, 'fail', 'env.files', `cannot check the env files: ${describeError(error)}`);
    return;
  }
  for (const problem of report.problems) {
    const level = problem.severity === 'error' ? 'fail' : 'warn';
    const id = `env.${problem.file ?? 'files'}.${problem.code}`;
    add(context, level, id, describeEnvProblem(report, problem), problem.fix || undefined);
  }
  if (report.problems.length > 0) return;
  const modes = Object.values(report.files)
    .map((state) => `${basename(state.path)} ${state.mode ?? '?'}`)
    .join(', ');
  add(context, 'ok', 'env.files', `env files valid (${modes})`);
}

/** `telegram-bridge.env:4: <message>`; the fix goes on its own line. */
function describeEnvProblem(report: EnvCheckReport, problem: EnvProblem): string {
  const file = problem.file === null ? null : basename(report.files[problem.file].path);
  const where = [file, problem.line === null ? null : String(problem.line)]
    .filter(Boolean)
    .join(':');

  return where === '' ? problem.message : `${where}: ${problem.message}`;
}

// ---- launchd agents ------------------------------------------------------------------------

async function lintPlist(context: Context, id: string, path: string): Promise<boolean> {
  try {
    const result = await run(context, context.deps.commands.plutil, ['-lint', path]);
    if (result.exitCode === 0) return true;
    const detail = firstLine(`${result.stdout}\n${result.stderr}`) ?? `exit ${result.exitCode}`;
    add(
      context,
      'fail',
      id,
      `the plist ${path} is invalid: ${detail}`,
      'turn the agent off and on again to rewrite it',
    );
  } catch (error) {
    add(context, 'fail', id, `cannot lint ${path}: ${describeError(error)}`);
  }

  return false;
}

async function checkWorkbenchAgent(context: Context): Promise<void> {
  const path = context.deps.paths.agentPlist;
  if (!existsSync(path)) {
    add(
      context,
      'info',
      'agent.installed',
      'the workbench agent is off: the workbench does not start at login',
      'run `workbench agent enable` to keep it alive at login',
    );
    return;
  }
  if (!(await lintPlist(context, 'agent.plist', path))) return;
  add(context, 'ok', 'agent.plist', `${basename(path)} is a valid plist`);
  await checkAgentState(context, 'agent.launchd', AGENT_LABEL);
}

async function checkAgentState(context: Context, id: string, label: string): Promise<void> {
  let state: AgentState | null;
  try {
    state = await context.launchd.print(label);
  } catch (error) {
    add(context, 'fail', id, `cannot ask launchd about ${label}: ${describeError(error)}`);
    return;
  }
  if (state === null) {
    add(
      context,
      'warn',
      id,
      `${label} is installed but not loaded`,
      'run `workbench agent enable` (or log out and in)',
    );
  } else if (state.pid !== null) {
    add(context, 'ok', id, `${label} is running (pid ${state.pid}, ${state.runs ?? '?'} run(s))`);
  } else if (state.lastExitStatus === 78 || state.jobState === 'spawn failed') {
    add(
      context,
      'fail',
      id,
      `launchd cannot start ${label} (last exit ${state.lastExitCode ?? '?'})`,
      'a path in the plist is wrong; run `workbench agent disable` and `workbench agent enable`',
    );
  } else {
    const last = state.lastSignal ?? state.lastExitCode ?? 'never exited';
    const what = state.state ?? 'unknown state';
    add(
      context,
      'warn',
      id,
      `${label} is loaded but not running (${what}, last exit ${last})`,
      'see WORKBENCH_HOME/logs/agent.err.log',
    );
  }
}

// ---- keep-awake and power ---------------------------------------------------------------------

async function checkKeepAwake(context: Context): Promise<KeepAwakeStatus | null> {
  const { deps } = context;
  const plist = deps.paths.awakePlist;
  if (existsSync(plist) && !(await lintPlist(context, 'awake.plist', plist))) return null;
  const keepAwake =
    deps.keepAwake ??
    new KeepAwake({
      paths: deps.paths,
      commands: deps.commands,
      uid: deps.uid,
      launchd: context.launchd,
      timeouts: { commandMs: context.timeouts.commandMs },
      ...(deps.env ? { env: deps.env } : {}),
    });
  let status: KeepAwakeStatus;
  try {
    status = await keepAwake.status();
  } catch (error) {
    add(context, 'fail', 'awake.held', `cannot read the keep-awake state: ${describeError(error)}`);
    return null;
  }
  reportKeepAwake(context, status);

  return status;
}

function reportKeepAwake(context: Context, status: KeepAwakeStatus): void {
  const { pid } = status;
  if (!status.enabled && !status.active) {
    add(
      context,
      'info',
      'awake.held',
      'keep-awake is off: the Mac may sleep while idle, and the workbench with it',
      'run `workbench awake on`',
    );
  } else if (!status.active) {
    add(
      context,
      'fail',
      'awake.held',
      `keep-awake is on but caffeinate is not running: ${status.detail ?? 'no pid from launchd'}`,
      'run `workbench awake off`, then `workbench awake on`',
    );
  } else if (status.assertion === false) {
    add(
      context,
      'fail',
      'awake.held',
      `keep-awake is on but pmset lists no assertion of caffeinate (pid ${pid})`,
      `check commands.caffeinate (${context.deps.commands.caffeinate}); ` +
        'then `workbench awake off` and `workbench awake on`',
    );
  } else if (status.assertion === null) {
    add(
      context,
      'warn',
      'awake.held',
      `caffeinate runs (pid ${pid}), but its assertion could not be checked: ${status.detail ?? 'no detail'}`,
    );
  } else {
    add(
      context,
      'ok',
      'awake.held',
      `keep-awake holds: caffeinate (pid ${pid}) prevents idle sleep`,
    );
  }
}

async function readPmset(context: Context, getter: string): Promise<string | null> {
  try {
    const result = await run(context, context.deps.commands.pmset, ['-g', getter]);
    return result.exitCode === 0 ? result.stdout : null;
  } catch {
    return null;
  }
}

async function checkPowerSettings(context: Context, awake: KeepAwakeStatus | null): Promise<void> {
  const [liveText, battText] = await Promise.all([
    readPmset(context, 'live'),
    readPmset(context, 'batt'),
  ]);
  if (liveText === null) {
    add(
      context,
      'warn',
      'power.settings',
      `cannot read the power settings with ${context.deps.commands.pmset} -g`,
    );
    return;
  }
  const live = parsePmsetLive(liveText);
  const held = awake?.active === true && awake.assertion === true;
  checkSleepSetting(context, live, held);
  checkAutorestart(context, live);
  checkWakeOnNetwork(context, live);
  if (battText !== null && parsePowerSource(battText) === 'battery') {
    add(
      context,
      'warn',
      'power.source',
      'running on battery: caffeinate -s has no effect, and closing the lid sleeps the Mac',
      'connect the Mac to power',
    );
  }
}

function checkSleepSetting(context: Context, live: PmsetLive, held: boolean): void {
  const minutes = live.settings.sleep;
  if (minutes === undefined) return;
  if (minutes === '0' || live.sleepDisabled === true) {
    add(context, 'ok', 'power.sleep', 'system sleep is off (pmset sleep 0)');
  } else if (held) {
    add(context, 'ok', 'power.sleep', `idle sleep after ${minutes} min is held off by keep-awake`);
  } else {
    const others = live.sleepPreventedBy.join(', ');
    const by = others ? ` (now prevented by ${others})` : '';
    add(
      context,
      'warn',
      'power.sleep',
      `the Mac sleeps after ${minutes} min idle${by}, pausing the workbench`,
      'run `workbench awake on`, or set sleep to Never with `sudo pmset -a sleep 0`',
    );
  }
}

function checkAutorestart(context: Context, live: PmsetLive): void {
  const value = live.settings.autorestart;
  if (value === undefined) return;
  if (value === '0') {
    add(
      context,
      'warn',
      'power.autorestart',
      'the Mac stays off after a power failure (pmset autorestart 0)',
      'run `sudo pmset -a autorestart 1` so it restarts and the agents come back',
    );
  } else {
    add(context, 'ok', 'power.autorestart', 'the Mac restarts after a power failure');
  }
}

function checkWakeOnNetwork(context: Context, live: PmsetLive): void {
  const value = live.settings.womp;
  if (value === undefined) return;
  if (value === '0') {
    add(
      context,
      'info',
      'power.womp',
      'wake for network access is off (pmset womp 0)',
      'run `sudo pmset -a womp 1` so the Mac can wake for network access if it sleeps',
    );
  } else {
    add(context, 'ok', 'power.womp', 'wake for network access is on');
  }
}

// ---- the container --------------------------------------------------------------------------

async function checkContainer(context: Context): Promise<ContainerFacts | null> {
  const name = context.deps.settings.containerName;
  let facts: ContainerFacts | null;
  try {
    facts = await context.container.inspect(name);
  } catch (error) {
    add(
      context,
      'fail',
      'container.state',
      `cannot inspect container ${name}: ${describeError(error)}`,
    );
    return null;
  }
  if (facts === null) {
    add(
      context,
      'info',
      'container.state',
      `container ${name} does not exist; in-container checks skipped`,
      'run `workbench start`',
    );
    return null;
  }
  checkResources(context, facts);
  checkPorts(context, facts);
  if (facts.state !== 'running') {
    add(
      context,
      'warn',
      'container.state',
      `container ${name} is ${facts.state}; in-container checks skipped`,
      'run `workbench start`',
    );
  }

  return facts;
}

function describeBytes(bytes: number | null): string {
  if (bytes === null) return 'unknown memory';
  const gib = bytes / GIB;

  return Number.isInteger(gib) ? `${gib} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

function checkResources(context: Context, facts: ContainerFacts): void {
  const { cpus, memory } = context.deps.settings;
  const wanted = memoryBytes(memory);
  const got = `${facts.cpus ?? '?'} CPUs and ${describeBytes(facts.memoryBytes)}`;
  if (facts.cpus === cpus && facts.memoryBytes === wanted) {
    add(context, 'ok', 'container.resources', `container has ${got}, as set`);
    return;
  }
  add(
    context,
    'warn',
    'container.resources',
    `container has ${got}, but the settings ask for ${cpus} CPUs and ${describeBytes(wanted)}`,
    'run `workbench restart` to apply the settings',
  );
}

function checkPorts(context: Context, facts: ContainerFacts): void {
  if (facts.publishedPorts.length === 0) {
    add(context, 'ok', 'container.ports', 'no published ports');
    return;
  }
  const list = facts.publishedPorts
    .map((port) => `${port.hostAddress}:${port.hostPort}->${port.containerPort}/${port.proto}`)
    .join(', ');
  add(
    context,
    'fail',
    'container.ports',
    `container publishes ports to the network: ${list}`,
    'run `workbench restart`: the workbench recreates its container without -p/--publish',
  );
}

// ---- the in-container doctor ------------------------------------------------------------------

const innerReportSchema = z.object({
  checks: z
    .array(
      z.object({
        id: z.string().min(1).max(200),
        level: z.enum(['ok', 'warn', 'fail', 'info']),
        message: z.string().max(4000),
      }),
    )
    .max(500),
  failures: z.number().int().min(0),
  warnings: z.number().int().min(0),
});

// The container's output is untrusted: control characters cannot reach a terminal through it.
function blankControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** The in-container doctor's checks from its `--json` output; null when it is not that shape. */
export function parseInnerReport(stdout: string): DoctorCheck[] | null {
  if (stdout.length > MAX_INNER_OUTPUT) return null;
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    return null;
  }
  const parsed = innerReportSchema.safeParse(json);
  if (!parsed.success) return null;

  return parsed.data.checks.map((check) => ({
    id: `inside.${blankControls(check.id)}`,
    level: check.level,
    message: blankControls(check.message),
  }));
}

async function runInContainerDoctor(context: Context): Promise<void> {
  const name = context.deps.settings.containerName;
  let result: CommandResult;
  try {
    result = await context.container.exec(name, IN_CONTAINER_DOCTOR);
  } catch (error) {
    add(
      context,
      'fail',
      'inside.doctor',
      `the in-container doctor did not run: ${describeError(error)}`,
    );
    return;
  }
  const checks = parseInnerReport(result.stdout);
  if (checks !== null) {
    context.checks.push(...checks);
    return;
  }
  const detail = (firstLine(result.stderr) ?? `exit ${result.exitCode}`).replace(/^Error:\s*/, '');
  add(
    context,
    'fail',
    'inside.doctor',
    `the in-container doctor failed in ${name}: ${blankControls(detail)}`,
    'rebuild the image with `workbench setup`, then `workbench restart`',
  );
}

// ---- output -----------------------------------------------------------------------------------

/** The terminal form: one `[level] message` line per check, fixes indented, then the summary. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = report.checks.flatMap((check) => {
    const line = `[${check.level}] ${check.message}`;
    return check.fix ? [line, `       fix: ${check.fix}`] : [line];
  });
  lines.push('', `${report.failures} failure(s), ${report.warnings} warning(s)`);

  return `${lines.join('\n')}\n`;
}
