/** Every subcommand of `workbench`, in the order `workbench --help` lists them. */
import type { CliCommand } from '../command.js';
import { agentCommand } from './agent.js';
import { awakeCommand } from './awake.js';
import { logsCommand, restartCommand, startCommand, stopCommand } from './lifecycle.js';
import { statusCommand } from './status.js';

export const COMMANDS: readonly CliCommand[] = [
  statusCommand,
  startCommand,
  stopCommand,
  restartCommand,
  agentCommand,
  awakeCommand,
  logsCommand,
];
