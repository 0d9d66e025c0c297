/**
 * Per-user launchd agents in gui/<uid>: the plist, its atomic 0644 write, and the launchctl
 * sequences around it — enable + bootstrap with the retry for the bootout race, bootout that
 * waits until the job has left the domain, print, list and kickstart. Every launchctl call has
 * a timeout; every refusal becomes a LaunchdError that says what launchd meant and how to fix it.
 */
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as plist from 'plist';

import { writeFileAtomic } from './atomic-file.js';
import { CommandError, WorkbenchError, type CommandErrorDetails } from './errors.js';
import {
  parseListOutput,
  parsePrintOutput,
  type AgentState,
  type ListEntry,
} from './launchd-print.js';
import { silentLogger, type Logger } from './logger.js';
import { runCommand, type CommandResult } from './run-command.js';
import { isSecretKey } from './secrets.js';

export { parseListOutput, parsePrintOutput, type AgentState, type ListEntry };

/** What goes into an agent's plist. Paths are absolute; nothing is inherited from a shell. */
export interface AgentDefinition {
  label: string;
  programArguments: string[];
  environment: Record<string, string>;
  workingDirectory: string;
  stdoutPath: string;
  stderrPath: string;
  runAtLoad: boolean;
  keepAlive: boolean;
  /** Seconds between two spawns at least. */
  throttleInterval: number;
  /** Seconds between SIGTERM and SIGKILL when the job is stopped. */
  exitTimeOut: number;
}

/** An agent definition that cannot become a plist launchd would accept. */
export class AgentDefinitionError extends WorkbenchError {
  constructor(message: string, options: { hint?: string } = {}) {
    super(message, options);
    this.name = 'AgentDefinitionError';
  }
}

export interface LaunchdErrorDetails extends CommandErrorDetails {
  label: string | null;
  subcommand: string;
}

/** launchctl refused or failed; `exitCode` is launchd's code (3, 5, 36, 37, 113, 119, 125, …). */
export class LaunchdError extends CommandError {
  readonly label: string | null;
  readonly subcommand: string;

  constructor(message: string, details: LaunchdErrorDetails) {
    super(message, details);
    this.name = 'LaunchdError';
    this.label = details.label;
    this.subcommand = details.subcommand;
  }
}

const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MODE_PLIST = 0o644;
const MODE_AGENTS_FOLDER = 0o755;

/** Where a string holds a character XML 1.0 cannot carry: C0 controls but TAB, LF, CR; U+FFFE/F. */
function findBadCharacter(text: string): { index: number; code: number } | null {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    const control = code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
    const high = code >= 0xd800 && code <= 0xdbff;
    const low = code >= 0xdc00 && code <= 0xdfff;
    const pairedHigh = high && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00;
    const pairedLow = low && index > 0 && (text.charCodeAt(index - 1) & 0xfc00) === 0xd800;
    if (
      control ||
      code === 0xfffe ||
      code === 0xffff ||
      (high && !pairedHigh) ||
      (low && !pairedLow)
    ) {
      return { index, code };
    }
  }
  return null;
}

function validateText(field: string, text: string): void {
  const bad = findBadCharacter(text);
  if (!bad) return;
  const code = `U+${bad.code.toString(16).toUpperCase().padStart(4, '0')}`;

  throw new AgentDefinitionError(
    `${field} contains the character ${code} at position ${bad.index + 1}, which a plist cannot hold`,
    {
      hint: 'remove it; below U+0020 XML allows only TAB, LF and CR',
    },
  );
}

function validateAbsolute(field: string, path: string): void {
  validateText(field, path);
  if (isAbsolute(path)) return;

  throw new AgentDefinitionError(`${field} must be an absolute path, got ${JSON.stringify(path)}`, {
    hint: 'launchd starts jobs without a shell or a working folder of yours; give the full path',
  });
}

function validateSeconds(field: string, value: number): void {
  if (Number.isInteger(value) && value >= 1) return;

  throw new AgentDefinitionError(
    `${field} must be a whole number of seconds of at least 1, got ${value}`,
  );
}

function validateEnvironment(environment: Record<string, string>): void {
  for (const [key, value] of Object.entries(environment)) {
    validateText('an EnvironmentVariables name', key);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new AgentDefinitionError(
        `the environment variable name ${JSON.stringify(key)} is not valid`,
        {
          hint: 'use letters, digits and underscores, not starting with a digit',
        },
      );
    }
    if (isSecretKey(key)) {
      throw new AgentDefinitionError(
        `the environment variable ${key} looks like a secret, and a plist is no place for one`,
        {
          hint: 'keep secrets in the 0600 env files; the agent passes only paths and settings',
        },
      );
    }
    validateText(`EnvironmentVariables.${key}`, value);
  }
}

/** Throws an AgentDefinitionError for a definition launchd would not run as intended. */
export function validateAgentDefinition(definition: AgentDefinition): void {
  validateText('Label', definition.label);
  if (!LABEL_PATTERN.test(definition.label)) {
    throw new AgentDefinitionError(
      `the label ${JSON.stringify(definition.label)} is not a reverse-DNS name`,
      {
        hint: 'use letters, digits, dots, dashes and underscores, e.g. com.example.agent',
      },
    );
  }
  if (definition.programArguments.length === 0) {
    throw new AgentDefinitionError(`the agent ${definition.label} has no ProgramArguments`, {
      hint: 'give the absolute path of the program first, then one argument per element',
    });
  }
  definition.programArguments.forEach((arg, index) =>
    validateText(`ProgramArguments[${index}]`, arg),
  );
  validateAbsolute('ProgramArguments[0]', definition.programArguments[0]!);
  validateEnvironment(definition.environment);
  validateAbsolute('WorkingDirectory', definition.workingDirectory);
  validateAbsolute('StandardOutPath', definition.stdoutPath);
  validateAbsolute('StandardErrorPath', definition.stderrPath);
  validateSeconds('ThrottleInterval', definition.throttleInterval);
  validateSeconds('ExitTimeOut', definition.exitTimeOut);
}

/** The agent's plist as XML, built by the `plist` package; no LimitLoadToSessionType (Aqua). */
export function buildPlist(definition: AgentDefinition): string {
  validateAgentDefinition(definition);
  const document = {
    Label: definition.label,
    ProgramArguments: [...definition.programArguments],
    EnvironmentVariables: { ...definition.environment },
    WorkingDirectory: definition.workingDirectory,
    StandardOutPath: definition.stdoutPath,
    StandardErrorPath: definition.stderrPath,
    RunAtLoad: definition.runAtLoad,
    KeepAlive: definition.keepAlive,
    ThrottleInterval: definition.throttleInterval,
    ExitTimeOut: definition.exitTimeOut,
  };

  return `${plist.build(document)}\n`;
}

function ensureAgentsFolder(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: MODE_AGENTS_FOLDER });
  // mkdir's mode passes through the umask; launchd wants a folder only its owner can write.
  chmodSync(dir, MODE_AGENTS_FOLDER);
}

/** Writes the plist atomically with mode 0644, creating the LaunchAgents folder if missing. */
export function writePlist(path: string, definition: AgentDefinition): void {
  const xml = buildPlist(definition);
  ensureAgentsFolder(dirname(path));
  writeFileAtomic(path, xml, { mode: MODE_PLIST });
}

export interface LaunchdTimeouts {
  /** Any single launchctl call but kickstart. */
  commandMs: number;
  /** `kickstart -k` waits until the old process is gone, up to its ExitTimeOut. */
  kickstartMs: number;
  /** How long install waits for an earlier instance to leave before its one retry. */
  bootstrapRetryMs: number;
}

export interface LaunchAgentManagerOptions {
  /** Absolute path of launchctl. */
  launchctlPath: string;
  /** The user whose gui/<uid> domain holds the agents. */
  uid: number;
  logger?: Logger;
  timeouts?: Partial<LaunchdTimeouts>;
  /** Pause between two `print` polls while waiting for a job to leave. */
  pollIntervalMs?: number;
  /** How long bootout waits for the job to leave the domain (ExitTimeOut plus cleanup). */
  drainDeadlineMs?: number;
  /** The environment launchctl runs with; the caller's own by default. */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TIMEOUTS: LaunchdTimeouts = {
  commandMs: 10_000,
  kickstartMs: 90_000,
  bootstrapRetryMs: 15_000,
};
const DEFAULT_POLL_MS = 250;
const DEFAULT_DRAIN_DEADLINE_MS = 60_000;

/** Drives launchctl for the agents of one user. */
export class LaunchAgentManager {
  readonly #launchctl: string;
  readonly #uid: number;
  readonly #logger: Logger;
  readonly #timeouts: LaunchdTimeouts;
  readonly #pollMs: number;
  readonly #drainDeadlineMs: number;
  readonly #env: NodeJS.ProcessEnv | undefined;

  constructor(options: LaunchAgentManagerOptions) {
    this.#launchctl = options.launchctlPath;
    this.#uid = options.uid;
    this.#logger = options.logger ?? silentLogger;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.#drainDeadlineMs = options.drainDeadlineMs ?? DEFAULT_DRAIN_DEADLINE_MS;
    this.#env = options.env;
  }

  /** `gui/<uid>`. */
  get domain(): string {
    return `gui/${this.#uid}`;
  }

  /** `gui/<uid>/<label>`. */
  serviceTarget(label: string): string {
    return `${this.domain}/${label}`;
  }

  /**
   * Writes the plist, clears a `disable` override and loads the agent. A refusal (5, or 37 as
   * root) is usually an earlier instance still leaving: wait until print says 113, retry once.
   */
  async install(definition: AgentDefinition, plistPath: string): Promise<void> {
    const { label } = definition;
    writePlist(plistPath, definition);
    await this.#expectSuccess('enable', [this.serviceTarget(label)], label);

    const first = await this.#run('bootstrap', [this.domain, plistPath]);
    if (first.exitCode === 0) return this.#logger.info('agent loaded', { label });
    if (first.exitCode !== 5 && first.exitCode !== 37) throw this.#failure(first, label, plistPath);

    this.#logger.warn('launchd refused the agent; waiting for an earlier instance to leave', {
      label,
      code: first.exitCode,
    });
    await this.#waitUntilUnloaded(label, this.#timeouts.bootstrapRetryMs);
    const second = await this.#run('bootstrap', [this.domain, plistPath]);
    if (second.exitCode !== 0) throw this.#failure(second, label, plistPath);
    this.#logger.info('agent loaded on the second attempt', { label });
  }

  /** Unloads the agent and waits until it has left the domain; an unloaded agent is fine. */
  async bootout(label: string): Promise<void> {
    const result = await this.#run('bootout', [this.serviceTarget(label)]);
    if (result.exitCode === 3) return this.#logger.debug('agent was not loaded', { label });
    if (result.exitCode !== 0 && result.exitCode !== 36) throw this.#failure(result, label);

    this.#logger.info('agent stopping', { label });
    if (await this.#waitUntilUnloaded(label, this.#drainDeadlineMs))
      return this.#logger.info('agent unloaded', { label });
    throw this.#stillStopping(result, label);
  }

  /** Unloads the agent, then removes its plist, so it does not come back at the next login. */
  async uninstall(label: string, plistPath: string): Promise<void> {
    await this.bootout(label);
    rmSync(plistPath, { force: true });
    this.#logger.info('agent plist removed', { label });
  }

  /** The agent's state from `launchctl print`, or null when it is not loaded (113). */
  async print(label: string): Promise<AgentState | null> {
    const result = await this.#run('print', [this.serviceTarget(label)]);
    if (result.exitCode === 113) return null;
    if (result.exitCode !== 0) throw this.#failure(result, label);

    return parsePrintOutput(result.stdout);
  }

  /** Every loaded job of the domain from one `launchctl list`: label → pid and last status. */
  async list(): Promise<Map<string, ListEntry>> {
    const result = await this.#run('list', []);
    if (result.exitCode !== 0) throw this.#failure(result, null);

    return parseListOutput(result.stdout);
  }

  /** Starts the agent now; with `kill`, a running instance is stopped first. */
  async kickstart(label: string, options: { kill?: boolean } = {}): Promise<void> {
    const args = options.kill ? ['-k', this.serviceTarget(label)] : [this.serviceTarget(label)];
    const result = await this.#run('kickstart', args, this.#timeouts.kickstartMs);
    if (result.exitCode !== 0) throw this.#failure(result, label);
    this.#logger.info('agent kickstarted', { label, kill: options.kill === true });
  }

  async #waitUntilUnloaded(label: string, deadlineMs: number): Promise<boolean> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      if ((await this.print(label)) === null) return true;
      if (Date.now() >= deadline) return false;
      await sleep(this.#pollMs);
    }
  }

  #run(
    subcommand: string,
    args: string[],
    timeoutMs = this.#timeouts.commandMs,
  ): Promise<CommandResult> {
    const options = this.#env ? { timeoutMs, env: this.#env } : { timeoutMs };

    return runCommand(this.#launchctl, [subcommand, ...args], options);
  }

  async #expectSuccess(subcommand: string, args: string[], label: string): Promise<void> {
    const result = await this.#run(subcommand, args);
    if (result.exitCode !== 0) throw this.#failure(result, label);
  }

  #failure(result: CommandResult, label: string | null, plistPath?: string): LaunchdError {
    const subcommand = result.args[0] ?? '';
    const explained = explainLaunchdFailure(result, {
      subcommand,
      label,
      uid: this.#uid,
      plistPath,
    });

    return new LaunchdError(explained.message, {
      ...result,
      failure: result.signal ? 'signal' : 'exit',
      hint: explained.hint,
      label,
      subcommand,
    });
  }

  #stillStopping(result: CommandResult, label: string): LaunchdError {
    const seconds = Math.round(this.#drainDeadlineMs / 1000);

    return new LaunchdError(`${label} is still stopping ${seconds} s after launchctl bootout`, {
      ...result,
      failure: 'exit',
      exitCode: 36,
      hint: 'its program did not exit; launchd kills it after its ExitTimeOut — wait a little and try again',
      label,
      subcommand: 'bootout',
    });
  }
}

interface FailureContext {
  subcommand: string;
  label: string | null;
  uid: number;
  plistPath?: string | undefined;
}

/** The message and hint for a launchctl exit code, in the words of what launchd means by it. */
export function explainLaunchdFailure(
  result: CommandResult,
  context: FailureContext,
): { message: string; hint?: string } {
  const { subcommand, uid } = context;
  const label = context.label ?? 'the agent';
  const code = result.exitCode;
  const ran = `launchctl ${subcommand} exited ${code}`;
  if (code === 125) {
    return {
      message: `cannot load ${label}: there is no GUI login session for user ${uid} (${ran}: Domain does not support specified action)`,
      hint: 'log in at the Mac itself (or through Screen Sharing); launchd agents cannot be loaded from an ssh session alone',
    };
  }
  if (code === 5 && subcommand === 'bootstrap')
    return explainRefusal(label, context.plistPath, result.stderr, ran);
  if (code === 37) {
    return {
      message: `launchd refused to load ${label}: it is already loaded or still stopping (${ran}: Operation already in progress)`,
      hint: 'wait until the earlier instance has stopped, then try again',
    };
  }
  if (code === 119) {
    return {
      message: `launchd refused to load ${label}: the service is disabled (${ran})`,
      hint: `allow it in System Settings › General › Login Items, or run launchctl enable gui/${uid}/${label}`,
    };
  }
  if (code === 113) {
    return {
      message: `${label} is not loaded in gui/${uid} (${ran}: Could not find service)`,
      hint: 'install the agent first',
    };
  }
  if (code === 36) {
    return {
      message: `${label} is still stopping (${ran}: Operation now in progress)`,
      hint: 'wait until its program has exited, then try again',
    };
  }
  const detail = firstLine(result.stderr);

  return {
    message: `launchctl ${subcommand} failed for ${label}: ${result.signal ? `killed by ${result.signal}` : `exited ${code}`}${detail ? `: ${detail}` : ''}`,
  };
}

function explainRefusal(
  label: string,
  plistPath: string | undefined,
  stderr: string,
  ran: string,
): { message: string; hint: string } {
  const path = plistPath ?? 'its plist';
  if (stderr.includes('bad ownership/permissions')) {
    return {
      message: `launchd refused to load ${label}: ${path} has bad ownership or permissions (${ran})`,
      hint: 'the plist must be owned by you and not writable by group or others (mode 0644)',
    };
  }

  return {
    message: `launchd refused to load ${label} (${ran}: Input/output error)`,
    hint:
      'it may be switched off in System Settings › General › Login Items, still stopping from an earlier ' +
      `bootout, or ${path} may have bad permissions (it must be yours, mode 0644)`,
  };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find(Boolean) ?? ''
  );
}
