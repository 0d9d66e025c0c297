// The texts of `launchctl print`, `print-disabled`, `list` and `list <label>` for the double,
// in the TAB-indented layout macOS 14/15 prints, nested blocks included.
import { exitCodeText, signalText } from './launchd-signals.mjs';
import { LAUNCHD_PATH } from './launchd-state.mjs';

function block(name, lines, indent = '\t') {
  return [`${indent}${name} = {`, ...lines.map((line) => `${indent}\t${line}`), `${indent}}`];
}

function environmentLines(entries) {
  return Object.entries(entries).map(([key, value]) => `${key} => ${value}`);
}

function coalition(job, type, offset) {
  return block(`${type} coalition`, [
    `ID = ${job.coalitionId + offset}`,
    `type = ${type}`,
    'state = active',
    `active count = ${job.pid === null ? 0 : 1}`,
    `name = ${job.label}`,
  ]);
}

/** The `last exit code = …` line, or the `last terminating signal = …` line that replaces it. */
export function lastExitLine(job) {
  if (job.lastSignal !== null) return `last terminating signal = ${signalText(job.lastSignal)}`;
  if (job.lastExitCode === null) return 'last exit code = (never exited)';

  return `last exit code = ${exitCodeText(job.lastExitCode)}`;
}

function propertyFlags(job) {
  const flags = [];
  if (job.program.keepAlive) flags.push('keepalive');
  if (job.program.runAtLoad) flags.push('runatload');
  flags.push('inferred program');

  return flags.join(' | ');
}

function immediateReason(job) {
  if (job.kickstart.seq > 0) return 'non-ipc demand';

  return job.program.keepAlive ? 'keepalive' : 'runatload';
}

/** `launchctl print gui/<uid>/<label>` for a loaded job. */
export function formatPrint(job) {
  const program = job.program;
  const environment = { ...program.env, XPC_SERVICE_NAME: job.label };
  const lines = [
    `gui/${job.uid}/${job.label} = {`,
    `\tactive count = ${job.pid === null ? 0 : 1}`,
    `\tpath = ${job.plistPath}`,
    '\ttype = LaunchAgent',
    `\tstate = ${job.pid === null ? (job.status === 'spawn scheduled' ? 'spawn scheduled' : 'not running') : 'running'}`,
    '',
    `\tprogram = ${program.argv[0] ?? ''}`,
    ...block('arguments', program.argv),
    '',
  ];
  if (program.cwd) lines.push(`\tworking directory = ${program.cwd}`, '');
  if (program.stdoutPath) lines.push(`\tstdout path = ${program.stdoutPath}`);
  if (program.stderrPath) lines.push(`\tstderr path = ${program.stderrPath}`);
  lines.push(
    ...block('inherited environment', [
      `SSH_AUTH_SOCK => /private/tmp/com.apple.launchd.${job.coalitionId}/Listeners`,
    ]),
    '',
    ...block('default environment', [`PATH => ${LAUNCHD_PATH}`]),
    '',
    ...block('environment', environmentLines(environment)),
    '',
    `\tdomain = gui/${job.uid} [${job.asid}]`,
    `\tasid = ${job.asid}`,
    `\tminimum runtime = ${program.throttle}`,
    `\texit timeout = ${program.exitTimeout}`,
    `\truns = ${job.runs}`,
  );
  if (job.pid !== null) lines.push(`\tpid = ${job.pid}`);
  lines.push(
    `\timmediate reason = ${immediateReason(job)}`,
    '\tforks = 0',
    `\texecs = ${job.execs}`,
    '\tinitialized = 1',
    '\ttrampolined = 1',
    '\tstarted suspended = 0',
    '\tproxy started suspended = 0',
    `\t${lastExitLine(job)}`,
  );
  if (job.jobState) lines.push(`\tjob state = ${job.jobState}`);
  lines.push(
    '',
    ...coalition(job, 'resource', 0),
    '',
    ...coalition(job, 'jetsam', 1),
    '',
    '\tspawn type = daemon (3)',
    '\tjetsam priority = 40',
    `\tproperties = ${propertyFlags(job)}`,
    '}',
  );

  return `${lines.join('\n')}\n`;
}

/** The status column of `launchctl list`: the last exit code, or minus the signal number. */
export function listStatus(job) {
  if (job.lastSignal !== null) return -job.lastSignal;

  return job.lastExitCode ?? 0;
}

/** `launchctl list`: a header and one row per loaded job. */
export function formatList(jobs) {
  const rows = jobs.map((job) => `${job.pid ?? '-'}\t${listStatus(job)}\t${job.label}`);

  return `${['PID\tStatus\tLabel', ...rows].join('\n')}\n`;
}

function quoted(text) {
  return `"${String(text).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

// The raw wait status, as `list <label>` reportedly shows it: exit N → N << 8, signal S → S.
function waitStatus(job) {
  if (job.lastSignal !== null) return job.lastSignal;

  return (job.lastExitCode ?? 0) * 256;
}

/** `launchctl list <label>`: the old-style property-list dictionary. */
export function formatListEntry(job) {
  const program = job.program;
  const lines = ['{'];
  if (program.stdoutPath) lines.push(`\t"StandardOutPath" = ${quoted(program.stdoutPath)};`);
  lines.push('\t"LimitLoadToSessionType" = "Aqua";');
  if (program.stderrPath) lines.push(`\t"StandardErrorPath" = ${quoted(program.stderrPath)};`);
  lines.push(
    `\t"Label" = ${quoted(job.label)};`,
    `\t"OnDemand" = ${program.keepAlive ? 'false' : 'true'};`,
    `\t"LastExitStatus" = ${waitStatus(job)};`,
  );
  if (job.pid !== null) lines.push(`\t"PID" = ${job.pid};`);
  lines.push(
    `\t"Program" = ${quoted(program.argv[0] ?? '')};`,
    '\t"ProgramArguments" = (',
    ...program.argv.map((arg) => `\t\t${quoted(arg)};`),
    '\t);',
    '};',
  );

  return `${lines.join('\n')}\n`;
}

/** `launchctl print-disabled gui/<uid>` in the macOS 13+ form. */
export function formatPrintDisabled(overrides) {
  const rows = Object.entries(overrides).map(([label, value]) => `\t${quoted(label)} => ${value}`);

  return `${['disabled services = {', ...rows, '}', 'login item associations = {', '}'].join('\n')}\n`;
}

/** `launchctl print gui/<uid>`: a short domain summary with the loaded services. */
export function formatDomain(uid, jobs) {
  const services = jobs.map((job) => `\t\t${job.pid ?? 0}\t${listStatus(job)}\t${job.label}`);

  return `${[
    `gui/${uid} = {`,
    '\ttype = gui',
    `\thandle = ${uid}`,
    `\tactive count = ${jobs.filter((job) => job.pid !== null).length}`,
    '',
    '\tservices = {',
    ...services,
    '\t}',
    '}',
  ].join('\n')}\n`;
}
