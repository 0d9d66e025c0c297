/** Every subcommand of `workbench`, in the order `workbench --help` lists them. */
import type { CliCommand } from '../command.js';
import { agentCommand } from './agent.js';
import { awakeCommand } from './awake.js';
import { doctorCommand } from './doctor.js';
import { envCommand } from './env.js';
import { logsCommand, restartCommand, startCommand, stopCommand } from './lifecycle.js';
import { setupCommand } from './setup.js';
import { statusCommand } from './status.js';
import { teardownCommand } from './teardown.js';

export const COMMANDS: readonly CliCommand[] = [
  statusCommand,
  startCommand,
  stopCommand,
  restartCommand,
  agentCommand,
  awakeCommand,
  envCommand,
  doctorCommand,
  logsCommand,
  setupCommand,
  teardownCommand,
];
