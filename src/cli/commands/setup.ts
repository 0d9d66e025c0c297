/**
 * `workbench setup`: creates the env folder and files (never overwriting), one runtime token in
 * both new files, the three volumes, and the image (built, or an existing one with --image).
 */
import { formatEnvProblem } from '../../core/env/document.js';
import { WorkbenchError } from '../../core/errors.js';
import { findPackageRoot, runSetup, type SetupReport } from '../../core/setup.js';
import { parseCommandArgs, printLine, type CliCommand, type CliContext } from '../command.js';

const HELP = `Usage: workbench setup [--image REF] [--yes]

Prepares the workbench; safe to run again, it never overwrites an env file:
  - creates the env folder (mode 0700) with runtime.env and telegram-bridge.env
    (mode 0600) from the templates, with one new random runtime token in both;
  - creates the volumes codewhale-workbench-workspace, codewhale-workbench-home
    and codewhale-workbench-bridge;
  - builds the image from assets/container/Containerfile, or, with --image,
    checks that the image REF exists and uses it.

Options:
  --image REF   use the existing image REF instead of building one
  --yes         do not ask before starting (asked only on a terminal)`;

/** Asks a yes/no question on a terminal; anything but y/yes is no. */
async function confirm(context: CliContext, question: string): Promise<boolean> {
  context.stderr.write(`${question} [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    const onData = (chunk: Buffer | string) => {
      context.stdin.removeListener('data', onData);
      (context.stdin as { pause?: () => void }).pause?.();
      resolve(String(chunk));
    };
    context.stdin.on('data', onData);
  });

  return /^\s*y(es)?\s*$/i.test(answer);
}

function printReport(context: CliContext, report: SetupReport): void {
  const folder = report.envFolder;
  printLine(context, `env folder ${folder.path}: ${folder.action} (mode 0700)`);
  for (const repair of folder.repairs) printLine(context, `  repaired: ${repair}`);
  for (const file of Object.values(report.files))
    printLine(context, `${file.path}: ${file.action}`);
  if (report.token !== 'kept')
    printLine(context, `runtime token: ${report.token} (the same in both files)`);
  for (const [name, action] of Object.entries(report.volumes))
    printLine(context, `volume ${name}: ${action}`);
  const imageAction = report.image.action === 'built' ? 'built' : 'exists, now in use';
  printLine(context, `image ${report.image.ref}: ${imageAction}`);

  if (report.problems.length === 0) {
    printLine(context, 'Setup complete. Start the workbench with `workbench start`.');
    return;
  }
  printLine(context, 'Setup complete. Still to do in the env files:');
  for (const found of report.problems) printLine(context, `  ${formatEnvProblem(found)}`);
  printLine(context, 'Then start the workbench with `workbench start`.');
}

/** `workbench setup`. */
export const setupCommand: CliCommand = {
  name: 'setup',
  summary: 'create the env files, the volumes and the image (never overwrites)',
  help: HELP,
  async run(context, args) {
    const { values } = parseCommandArgs('setup', args, {
      image: { type: 'string' },
      yes: { type: 'boolean' },
    });
    const image = typeof values.image === 'string' ? values.image : undefined;
    if (!values.yes && (context.stdin as { isTTY?: boolean }).isTTY) {
      const what = image ? `use the image ${image}` : 'build the image (this takes a few minutes)';
      if (!(await confirm(context, `Create the env files and volumes and ${what}?`))) {
        printLine(context, 'Setup cancelled; nothing was changed.');
        return 1;
      }
    }
    const packageRoot = findPackageRoot();
    if (packageRoot === null && image === undefined) {
      throw new WorkbenchError(
        'cannot find assets/container/Containerfile next to the workbench command',
        {
          hint: 'reinstall the workbench package, or pass --image REF to use an existing image',
        },
      );
    }
    const workbench = context.workbench();
    const report = await runSetup(
      {
        paths: workbench.paths,
        container: workbench.container(),
        settings: workbench.settingsStore,
        packageRoot: packageRoot ?? process.cwd(),
        logger: workbench.logger.child('setup'),
      },
      image === undefined ? {} : { image },
    );
    printReport(context, report);

    return 0;
  },
};
