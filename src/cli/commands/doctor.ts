/** `workbench doctor [--json]`: host and in-container checks; exit 1 when any check fails. */
import { formatDoctorReport } from '../../core/doctor/host-doctor.js';
import { parseCommandArgs, printJson, type CliCommand } from '../command.js';

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'check the Mac, container, agents, env files and the inside of the workbench',
  help: [
    'Usage: workbench doctor [--json]',
    '',
    'Checks Apple silicon and macOS, the container command and service, the image, the env files',
    'and their modes, the login agent, keep-awake and the power settings, the resources the',
    'container really got, and that no port is published; then runs the doctor inside the',
    'container and merges its checks. Each failure says how to fix it. Exits 1 when a check fails.',
    '',
    'Options:',
    '  --json   print { checks: [{ id, level, message, fix? }], failures, warnings }',
  ].join('\n'),
  async run(context, args) {
    const { values } = parseCommandArgs('doctor', args, { json: { type: 'boolean' } });
    const report = await context.workbench().runDoctor();
    if (values.json) printJson(context, report);
    else context.stdout.write(`${formatDoctorReport(report)}\n`);

    return report.failures > 0 ? 1 : 0;
  },
};
