/** `workbench agent enable|disable|status|run`: the per-user launchd agent that keeps it alive. */
import { AGENT_LABEL } from '../../core/platform.js';
import {
  parseCommandArgs,
  pickSubcommand,
  printJson,
  printLine,
  type CliCommand,
} from '../command.js';

export const agentCommand: CliCommand = {
  name: 'agent',
  summary: 'enable, disable or show the login agent that keeps the workbench alive',
  help: [
    'Usage: workbench agent enable|disable|status [--json]',
    '',
    `  enable    install ${AGENT_LABEL} in ~/Library/LaunchAgents and load it: the workbench`,
    '            starts now, at every login, and launchd restarts it when it exits',
    '  disable   unload the agent (stopping the workbench) and remove its plist',
    '  status    show whether the agent is installed and loaded, its pid and last exit',
    '',
    '`workbench agent run` is the program the agent runs; it is not meant to be typed.',
  ].join('\n'),
  async run(context, args) {
    const { sub, rest } = pickSubcommand('agent', args, [
      'enable',
      'disable',
      'status',
      'run',
    ] as const);
    const workbench = context.workbench();
    if (sub === 'run') {
      parseCommandArgs('agent run', rest, {});
      return workbench.runAgent();
    }
    if (sub === 'status') {
      const { values } = parseCommandArgs('agent status', rest, { json: { type: 'boolean' } });
      const state = await workbench.agentStatus();
      if (values.json) printJson(context, state);
      else for (const line of formatAgentState(state)) printLine(context, line);
      return 0;
    }
    parseCommandArgs(`agent ${sub}`, rest, {});
    const outcome = await workbench.setAgentEnabled(sub === 'enable');
    printLine(context, outcome.message);

    return 0;
  },
};

function formatAgentState(
  state: Awaited<ReturnType<import('../../core/workbench.js').Workbench['agentStatus']>>,
): string[] {
  const lines = [
    `label      ${state.label}`,
    `plist      ${state.plistPath}${state.installed ? '' : ' (not installed)'}`,
  ];
  lines.push(`loaded     ${state.loaded ? 'yes' : 'no'}`);
  if (state.loaded) {
    lines.push(
      `state      ${state.state ?? 'unknown'}${state.pid !== null ? ` (pid ${state.pid})` : ''}`,
    );
    if (state.runs !== null) lines.push(`runs       ${state.runs}`);
    if (state.lastExit) lines.push(`last exit  ${state.lastExit}`);
  }

  return lines;
}
