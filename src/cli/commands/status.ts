/** `workbench status [--json]`: everything at a glance; exit 0 whenever the state could be read. */
import type { WorkbenchStatus } from '../../core/status-model.js';
import { formatUptime } from '../../core/status-model.js';
import { parseCommandArgs, printJson, printLine, type CliCommand } from '../command.js';

function formatService(
  name: string,
  service: NonNullable<WorkbenchStatus['services']>['runtime'],
  now: Date,
): string {
  const parts = [`${name.padEnd(9)}${service.state}`];
  if (service.pid !== null) parts.push(`pid ${service.pid}`);
  if (service.state === 'running' && service.since)
    parts.push(`up ${formatUptime(service.since, now)}`);
  if (service.restarts > 0)
    parts.push(`${service.restarts} restart${service.restarts === 1 ? '' : 's'}`);
  if (service.healthy === false) parts.push('unhealthy');
  if (service.detail) parts.push(service.detail);

  return parts.join(' · ');
}

/** The human rendering of a status, one fact per line. */
export function formatStatus(status: WorkbenchStatus): string[] {
  const now = new Date(status.checkedAt);
  const lines = [status.summary];
  if (status.reason && !status.summary.includes(status.reason))
    lines.push(`  reason: ${status.reason}`);
  const system = status.containerSystem;
  const systemWord = !system.installed
    ? 'not installed'
    : system.running
      ? 'running'
      : 'not running';
  lines.push(`container system  ${systemWord}${system.version ? ` (${system.version})` : ''}`);
  const container = status.container;
  const resources =
    container.cpus !== null && container.memoryBytes !== null
      ? ` · ${container.cpus} CPUs · ${Math.round(container.memoryBytes / 1024 ** 3)} GiB`
      : '';
  // The container is run with --rm, so a stopped workbench has none: say so plainly.
  const state = container.state === 'missing' ? 'not running' : container.state;
  lines.push(`container         ${container.name} ${state}${resources}`);
  if (status.services) {
    lines.push(`  ${formatService('runtime', status.services.runtime, now)}`);
    lines.push(`  ${formatService('bridge', status.services.bridge, now)}`);
  }
  const agent = status.launchAgent;
  const agentWord = !agent.installed
    ? 'off'
    : !agent.loaded
      ? 'enabled, not loaded'
      : agent.running
        ? `running (pid ${agent.pid})`
        : 'loaded, not running';
  lines.push(
    `login agent       ${agentWord}${agent.lastExit ? ` · last exit ${agent.lastExit}` : ''}`,
  );
  const awake = status.keepAwake;
  lines.push(
    `keep awake        ${!awake.enabled ? 'off' : awake.active ? 'on' : 'on, but caffeinate is not running'}`,
  );
  for (const [name, file] of Object.entries(status.envFiles)) {
    const word = file.exists
      ? file.ok
        ? `ok (${file.mode})`
        : file.problems.join('; ')
      : 'missing';
    lines.push(`${`${name} env`.padEnd(18)}${word}`);
  }

  return lines;
}

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'show the workbench, its services, the agents and the env files',
  help: [
    'Usage: workbench status [--json]',
    '',
    'Shows whether the workbench runs, the state of the runtime and the bridge, the login agent,',
    'keep-awake and the env files. Exits 0 whenever the state could be read, even when the',
    'workbench is not set up.',
    '',
    'Options:',
    '  --json   print the status object (schemaVersion 1) for scripts',
  ].join('\n'),
  async run(context, args) {
    const { values } = parseCommandArgs('status', args, { json: { type: 'boolean' } });
    const status = await context.workbench().status();
    if (values.json) printJson(context, status);
    else for (const line of formatStatus(status)) printLine(context, line);

    return 0;
  },
};
