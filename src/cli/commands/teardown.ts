/**
 * `workbench teardown --yes [--volumes] [--env]`: stops the workbench and removes both launchd
 * agents and the container; the volumes and the env folder only when asked.
 */
import { UsageError } from '../../core/errors.js';
import { runTeardown } from '../../core/setup.js';
import { parseCommandArgs, printLine, type CliCommand } from '../command.js';

const HELP = `Usage: workbench teardown --yes [--volumes] [--env]

Stops the workbench, removes the login agent and the keep-awake agent, and
deletes the container. The image is kept.

Options:
  --yes       required: confirms the teardown (without it nothing happens and
              the exit status is 2)
  --volumes   also delete the volumes codewhale-workbench-workspace,
              codewhale-workbench-home and codewhale-workbench-bridge (the
              workspace, the agent's state and the bridge's state are lost)
  --env       also delete the env folder with runtime.env and
              telegram-bridge.env (the tokens and keys are lost)`;

/** `workbench teardown`. */
export const teardownCommand: CliCommand = {
  name: 'teardown',
  summary: 'stop and remove the agents and the container (--volumes, --env for more)',
  help: HELP,
  async run(context, args) {
    const { values } = parseCommandArgs('teardown', args, {
      yes: { type: 'boolean' },
      volumes: { type: 'boolean' },
      env: { type: 'boolean' },
    });
    if (!values.yes) {
      throw new UsageError('teardown: refusing to tear down without --yes', {
        hint: 'run `workbench teardown --yes` (add --volumes and --env to delete those too)',
      });
    }
    const workbench = context.workbench();
    const controller = workbench.controller();
    const report = await runTeardown(
      {
        paths: workbench.paths,
        container: workbench.container(),
        settings: workbench.settingsStore,
        stop: () => controller.stop(),
        launchd: workbench.launchd(),
        logger: workbench.logger.child('teardown'),
      },
      { volumes: values.volumes === true, env: values.env === true },
    );

    printLine(context, report.stopped);
    const agents = report.agents.join(', ');
    printLine(context, agents ? `removed agents: ${agents}` : 'no agents were installed');
    printLine(
      context,
      report.container === 'deleted' ? 'container deleted' : 'no container to delete',
    );
    if (values.volumes) {
      const volumes = report.volumes.join(', ');
      printLine(context, volumes ? `deleted volumes: ${volumes}` : 'no volumes to delete');
    }
    if (report.envFolder === 'deleted')
      printLine(context, `deleted the env folder ${workbench.paths.envDir}`);
    else if (report.envFolder === 'kept') {
      printLine(context, `kept the env folder ${workbench.paths.envDir} (use --env to delete it)`);
    }

    return 0;
  },
};
