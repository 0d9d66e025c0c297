/** The `workbench` command: the same core as the menu-bar app, for a terminal or an ssh session. */
import { processContext, runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), processContext());
