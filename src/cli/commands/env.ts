/**
 * `workbench env check|set|show`: validate both env files, set one value read from stdin, or print
 * a file with its secrets masked. Secret values never come from or go to argv.
 */
import { EnvFileError } from '../../core/env/errors.js';
import {
  fileNameOf,
  formatEnvProblem,
  isValidEnvKey,
  type EnvFileName,
  type EnvProblem,
} from '../../core/env/document.js';
import {
  fileReport,
  checkEnvFiles,
  maskedText,
  readEnvFile,
  saveEnvChanges,
  type EnvCheckReport,
} from '../../core/env/store.js';
import { UsageError } from '../../core/errors.js';
import { resolveHome, workbenchPaths } from '../../core/platform.js';
import { isSecretKey } from '../../core/secrets.js';
import {
  parseCommandArgs,
  pickSubcommand,
  printJson,
  printLine,
  readStdin,
  type CliCommand,
  type CliContext,
} from '../command.js';

const HELP = `Usage: workbench env check [--json] [--fix]
       workbench env set <runtime|bridge> <KEY>
       workbench env show <runtime|bridge> [--reveal]

Checks and edits the two env files of the workbench, runtime.env (runtime) and
telegram-bridge.env (bridge), in the env folder of the app home.

  check          validate both files: the safe KEY=value format, required keys,
                 placeholders, ranges, the shared runtime token and port, modes
    --json       print the result as one JSON object
    --fix        repair the modes (0600 files, 0700 folder)
  set            read the value of KEY from stdin (one trailing newline is
                 dropped) and save the file atomically with mode 0600, e.g.
                   printf %s "$TOKEN" | workbench env set bridge TELEGRAM_BOT_TOKEN
  show           print a file with secret values masked
    --reveal     print the secret values too

Exit status: 0 on success, 1 when an error remains (check) or the change
was refused, 2 on a usage error.`;

const FILE_CHOICES: readonly EnvFileName[] = ['runtime', 'bridge'];

function envDirOf(context: CliContext): string {
  return workbenchPaths(resolveHome(context.env), context.env).envDir;
}

function pickFile(command: string, word: string): EnvFileName {
  if ((FILE_CHOICES as readonly string[]).includes(word)) return word as EnvFileName;

  throw new UsageError(`${command}: unknown env file ${JSON.stringify(word)}`, {
    hint: 'use runtime (runtime.env) or bridge (telegram-bridge.env)',
  });
}

// ---------------------------------------------------------------------------------------------
// check

function problemJson(found: EnvProblem) {
  const { code, severity, file, line, key, message, fix } = found;

  return { code, severity, file, line, key, message, fix };
}

/** The JSON document of `env check --json`. */
export function checkReportJson(report: EnvCheckReport) {
  const file = (name: EnvFileName) => {
    const { state, problems, ok } = fileReport(report, name);

    return {
      path: state.path,
      exists: state.exists,
      mode: state.mode,
      ok,
      problems: problems.map(problemJson),
    };
  };

  return {
    ok: report.ok,
    files: { runtime: file('runtime'), bridge: file('bridge') },
    problems: report.problems.map(problemJson),
    repairs: report.repairs,
  };
}

function countWords(problems: readonly EnvProblem[]): string {
  const errors = problems.filter((found) => found.severity === 'error').length;
  const warnings = problems.length - errors;
  if (problems.length === 0) return 'ok';
  const counted = (count: number, word: string) =>
    count === 0 ? '' : `${count} ${word}${count === 1 ? '' : 's'}`;

  return [counted(errors, 'error'), counted(warnings, 'warning')].filter(Boolean).join(', ');
}

function printCheckReport(context: CliContext, report: EnvCheckReport): void {
  for (const name of FILE_CHOICES) {
    const { state, problems: mine } = fileReport(report, name);
    const mode = state.mode === null ? '' : `, mode ${state.mode}`;
    printLine(context, `${fileNameOf(name)} (${state.path}${mode}): ${countWords(mine)}`);
    for (const found of mine) printLine(context, `  ${formatEnvProblem(found)}`);
  }
  for (const repair of report.repairs) printLine(context, `repaired: ${repair}`);
}

async function runCheck(context: CliContext, args: string[]): Promise<number> {
  const { values } = parseCommandArgs('env check', args, {
    json: { type: 'boolean' },
    fix: { type: 'boolean' },
  });
  const report = checkEnvFiles(envDirOf(context), { repair: values.fix === true });
  if (values.json) printJson(context, checkReportJson(report));
  else printCheckReport(context, report);

  return report.ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// set

/** The value given on stdin, without one trailing newline (LF or CRLF). */
export function valueFromStdin(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);

  return text;
}

async function runSet(context: CliContext, args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs('env set', args, {}, { min: 2, max: 2 });
  const name = pickFile('env set', positionals[0]!);
  const key = positionals[1]!;
  if (!isValidEnvKey(key)) {
    throw new UsageError(`env set: ${JSON.stringify(key)} is not a valid key`, {
      hint: 'keys use the letters A-Z and a-z, the digits 0-9 and "_", and do not start with a digit',
    });
  }
  if ((context.stdin as { isTTY?: boolean }).isTTY) {
    context.stderr.write(`Type the value of ${key}, then press Return and Ctrl-D:\n`);
  }
  const value = valueFromStdin(await readStdin(context));
  const result = saveEnvChanges(envDirOf(context), name, { [key]: value });

  const shown = isSecretKey(key) ? 'a secret value' : JSON.stringify(value);
  printLine(context, `set ${key} in ${fileNameOf(name)} to ${shown} (mode 0600)`);
  for (const repair of result.repairs) printLine(context, `repaired: ${repair}`);
  const remaining = result.problems.filter((found) => found.severity === 'error');
  if (remaining.length > 0) {
    const summary = countWords(remaining);
    context.stderr.write(
      `workbench: the env files still have ${summary}; run \`workbench env check\`\n`,
    );
  }

  return 0;
}

// ---------------------------------------------------------------------------------------------
// show

async function runShow(context: CliContext, args: string[]): Promise<number> {
  const options = { reveal: { type: 'boolean' } } as const;
  const { values, positionals } = parseCommandArgs('env show', args, options, { min: 1, max: 1 });
  const name = pickFile('env show', positionals[0]!);
  const state = readEnvFile(envDirOf(context), name);
  if (state.refused) throw state.refused;
  if (state.document === null) {
    throw new EnvFileError(`${state.path} does not exist`, {
      path: state.path,
      code: 'missing_file',
      hint: 'run `workbench setup` to create the env files',
    });
  }
  const text = values.reveal ? state.document.serialize() : maskedText(state.document);
  context.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  for (const repair of state.repairs) context.stderr.write(`workbench: repaired ${repair}\n`);

  return 0;
}

/** `workbench env`. */
export const envCommand: CliCommand = {
  name: 'env',
  summary: 'check, set or show the env files (runtime.env, telegram-bridge.env)',
  help: HELP,
  async run(context, args) {
    const { sub, rest } = pickSubcommand('env', args, ['check', 'set', 'show'] as const);
    if (sub === 'check') return runCheck(context, rest);
    if (sub === 'set') return runSet(context, rest);

    return runShow(context, rest);
  },
};
