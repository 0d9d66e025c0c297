/**
 * `workbench-doctor [--json]`: checks the inside of the workbench container and says what to
 * fix. Exit 0 when no check fails, 1 when one does, 2 for a usage error.
 */
import { describeError } from '../core/errors.js';
import { readSupervisorConfig } from './config.js';
import { doctorJson, doctorText, runDoctor } from './doctor.js';

const USAGE = 'usage: workbench-doctor [--json]';

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--json' && arg !== '-h' && arg !== '--help');
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (unknown.length > 0) {
    process.stderr.write(
      `workbench-doctor: unknown argument ${JSON.stringify(unknown[0])}\n${USAGE}\n`,
    );
    return 2;
  }
  const config = readSupervisorConfig();
  const report = await runDoctor({ config, procRoot: process.env.WORKBENCH_PROC_ROOT || '/proc' });
  process.stdout.write(argv.includes('--json') ? doctorJson(report) : doctorText(report));

  return report.failures > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`workbench-doctor: ${describeError(error)}\n`);
    process.exit(1);
  },
);
