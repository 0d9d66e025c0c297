/**
 * `workbench-supervisor`: the container's entrypoint. Reads its configuration from the
 * environment, prepares the mount points when it runs as root, runs the runtime and the bridge,
 * and ends with 0 after SIGTERM/SIGINT or with 1 when both services are down.
 *
 * As PID 1 without `container run --init`, it cannot reap processes that other processes left
 * behind (Node can only wait for its own children): it kills each child's whole process group as
 * soon as the child exits, which ends most such orphans before they are re-parented to it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { describeError } from '../core/errors.js';
import { Logger, fileSink, stderrSink } from '../core/logger.js';
import { readSupervisorConfig, type SupervisorConfig } from './config.js';
import { prepareMountPoints } from './mounts.js';
import { childIdentity } from './service-env.js';
import { StatusWriter } from './status-writer.js';
import { Supervisor } from './supervisor.js';

export const SUPERVISOR_LOG = 'supervisor.log';
const LOG_LIMIT_BYTES = 1024 * 1024;

function readConfigOrExit(): SupervisorConfig {
  try {
    return readSupervisorConfig();
  } catch (error) {
    process.stderr.write(`workbench-supervisor: ${describeError(error)}\n`);
    process.exit(1);
  }
}

function openLogger(statusDir: string): Logger {
  mkdirSync(statusDir, { recursive: true, mode: 0o700 });

  const file = fileSink(join(statusDir, SUPERVISOR_LOG), { maxBytes: LOG_LIMIT_BYTES });

  return new Logger('supervisor', { sinks: [file, stderrSink] });
}

function logStart(logger: Logger, config: SupervisorConfig): void {
  logger.info('supervisor starting', {
    pid: process.pid,
    runAs: config.runAs ? `${config.runAs.uid}:${config.runAs.gid}` : 'own user',
    envDir: config.envDir,
    workspace: config.workspace,
  });
  if (process.pid === 1) {
    logger.info(
      'running as PID 1: process groups of exited children are killed, ' +
        'but orphans re-parented to PID 1 stay zombies; `container run --init` reaps them',
    );
  }
}

function handleSignals(supervisor: Supervisor): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    // A second signal means "now": whatever is still running is killed.
    if (signals > 1) supervisor.killNow();
    void supervisor.shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // PID 1 gets no default action for SIGHUP; ignoring it keeps the services running elsewhere too.
  process.on('SIGHUP', () => {});
}

async function main(): Promise<void> {
  const config = readConfigOrExit();
  const logger = openLogger(config.statusDir);
  logStart(logger, config);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && config.runAs) prepareMountPoints(config.volumeDirs, config.runAs, logger);

  const writer = new StatusWriter(config.statusDir, {
    pid: process.pid,
    startedAt: new Date(),
    heartbeatIntervalMs: config.heartbeatMs,
  });
  const supervisor = new Supervisor({
    config,
    logger,
    writer,
    identity: childIdentity(config.runAs),
  });
  handleSignals(supervisor);
  process.on('uncaughtException', (error) => {
    logger.error('supervisor error', { error: error.message });
    supervisor.killNow();
    process.exit(1);
  });

  const code = await supervisor.run();
  process.exit(code);
}

void main();
