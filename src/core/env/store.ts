/**
 * The env folder as the CLI and the app use it: read a file (checking and repairing modes),
 * check both files, save changes to one, and the views the status model and the editor show.
 */
import { join } from 'node:path';

import { displayValue, isSecretKey } from '../secrets.js';
import {
  emptyEnvDocument,
  fileNameOf,
  formatEnvProblem,
  parseEnvDocument,
  type EnvDocument,
  type EnvFileName,
  type EnvLine,
  type EnvProblem,
} from './document.js';
import { EnvFileError } from './errors.js';
import { readSecretFile, writeSecretFile, type SecretWriteOptions } from './secret-file.js';
import { hasErrors, validateEnvPair, type EnvValidationOptions } from './validate.js';

export const ENV_FILES: readonly EnvFileName[] = ['runtime', 'bridge'];

/** One env file as read: its document, its mode, the repairs made, or why it was refused. */
export interface EnvFileState {
  name: EnvFileName;
  path: string;
  exists: boolean;
  /** The parsed file; null when it is missing or was refused. */
  document: EnvDocument | null;
  /** Four octal digits after any repair, or null. */
  mode: string | null;
  repairs: string[];
  /** Modes found wrong but left alone (a read with `repair: false`). */
  wrongModes: string[];
  /** Why the file was refused (a symlink, not a regular file, another owner), or null. */
  refused: EnvFileError | null;
}

export interface EnvReadOptions {
  /** Repair wrong modes while reading (the default). */
  repair?: boolean;
}

/** The path of `runtime.env` or `telegram-bridge.env` in the env folder. */
export function envFilePath(envDir: string, name: EnvFileName): string {
  return join(envDir, fileNameOf(name));
}

/** Reads one env file; a refused file comes back with `refused` set instead of throwing. */
export function readEnvFile(
  envDir: string,
  name: EnvFileName,
  options: EnvReadOptions = {},
): EnvFileState {
  const path = envFilePath(envDir, name);
  const base = {
    name,
    path,
    document: null,
    mode: null,
    repairs: [],
    wrongModes: [],
    refused: null,
  };
  try {
    const read = readSecretFile(path, { repair: options.repair ?? true });
    const document = read.bytes === null ? null : parseEnvDocument(read.bytes);

    const { exists, mode, repairs, wrongModes } = read;

    return { ...base, exists, document, mode, repairs, wrongModes };
  } catch (error) {
    if (!(error instanceof EnvFileError)) throw error;
    return { ...base, exists: error.code !== 'enoent', refused: error };
  }
}

function refusedProblem(state: EnvFileState): EnvProblem {
  const error = state.refused!;

  return {
    code: error.code,
    severity: 'error',
    file: state.name,
    line: null,
    key: null,
    message: error.message,
    fix: error.hint ?? '',
  };
}

function wrongModeProblems(state: EnvFileState): EnvProblem[] {
  return state.wrongModes.map((text) => ({
    code: 'wrong_mode',
    severity: 'error',
    file: state.name,
    line: null,
    key: null,
    message: text,
    fix: 'run `workbench env check --fix`',
  }));
}

/** Both files read and validated together. */
export interface EnvCheckReport {
  ok: boolean;
  files: Record<EnvFileName, EnvFileState>;
  problems: EnvProblem[];
  repairs: string[];
}

/** Problems of both files for the given states: refusals, wrong modes, grammar and rules. */
export function validateEnvStates(
  runtime: EnvFileState,
  bridge: EnvFileState,
  options: EnvValidationOptions = {},
): EnvProblem[] {
  const refused = [runtime, bridge].filter((state) => state.refused !== null).map(refusedProblem);
  // Both reads look at the one folder: report its mode once.
  const modes = [...wrongModeProblems(runtime), ...wrongModeProblems(bridge)].filter(
    (found, index, all) => all.findIndex((other) => other.message === found.message) === index,
  );
  const rules = validateEnvPair(runtime.document, bridge.document, options)
    // A refused file is reported as refused, not as missing.
    .filter(
      (found) =>
        !(found.code === 'missing_file' && (found.file === 'runtime' ? runtime : bridge).refused),
    );

  return [...refused, ...modes, ...rules];
}

/** Reads and validates both env files; repairs modes unless `repair` is false. */
export function checkEnvFiles(
  envDir: string,
  options: EnvReadOptions & EnvValidationOptions = {},
): EnvCheckReport {
  const runtime = readEnvFile(envDir, 'runtime', options);
  const bridge = readEnvFile(envDir, 'bridge', options);
  const problems = validateEnvStates(runtime, bridge, options);

  const repairs = [...runtime.repairs, ...bridge.repairs];

  return { ok: !hasErrors(problems), files: { runtime, bridge }, problems, repairs };
}

/** Changes to one file: a value sets the key, null deletes it. */
export type EnvChanges = Record<string, string | null>;

export interface EnvSaveResult {
  state: EnvFileState;
  /** Problems of both files after the save. */
  problems: EnvProblem[];
  repairs: string[];
}

/**
 * Applies `changes` to one file and saves it atomically with mode 0600, then validates both files.
 * Every value is checked against the grammar first: a refused value leaves the file untouched.
 */
export function saveEnvChanges(
  envDir: string,
  name: EnvFileName,
  changes: EnvChanges,
  options: EnvValidationOptions & SecretWriteOptions = {},
): EnvSaveResult {
  const state = readEnvFile(envDir, name);
  if (state.refused) throw state.refused;
  if (!state.exists || state.document === null) {
    throw new EnvFileError(`${state.path} does not exist`, {
      path: state.path,
      code: 'missing_file',
      hint: 'run `workbench setup` to create the env files first',
    });
  }
  const document = state.document.clone();
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) document.delete(key);
    else setValue(document, key, value, state.path);
  }
  const written = writeSecretFile(state.path, document.serialize(), options);
  const saved: EnvFileState = {
    ...state,
    document,
    mode: '0600',
    repairs: [...state.repairs, ...written.repairs],
  };
  const other = readEnvFile(envDir, name === 'runtime' ? 'bridge' : 'runtime');
  const [runtime, bridge] = name === 'runtime' ? [saved, other] : [other, saved];

  return {
    state: saved,
    problems: validateEnvStates(runtime, bridge, options),
    repairs: saved.repairs,
  };
}

function setValue(document: EnvDocument, key: string, value: string, path: string): void {
  try {
    document.set(key, value);
  } catch (error) {
    if (!(error instanceof EnvFileError)) throw error;
    throw new EnvFileError(`refusing to set ${key} in ${path}: ${error.message}`, {
      path,
      code: error.code,
      hint: error.hint,
    });
  }
}

/** Writes a whole new file (for setup): refuses to replace an existing one. */
export function createEnvFile(envDir: string, name: EnvFileName, text: string): 'created' | 'kept' {
  const state = readEnvFile(envDir, name);
  if (state.refused) throw state.refused;
  if (state.exists) return 'kept';
  writeSecretFile(state.path, text);

  return 'created';
}

// ---------------------------------------------------------------------------------------------
// Views

/** The env-file entry of `workbench status --json`. */
export interface EnvFileStatusView {
  path: string;
  exists: boolean;
  mode: string | null;
  ok: boolean;
  problems: string[];
}

/** One file of a check: its state, the problems found in it, and whether it exists without errors. */
export function fileReport(report: EnvCheckReport, name: EnvFileName) {
  const state = report.files[name];
  const problems = report.problems.filter((found) => found.file === name);

  return { state, problems, ok: state.exists && !hasErrors(problems) };
}

/**
 * Both files as the status model shows them: exists, mode, ok and one line per error or warning.
 * Changes nothing unless `repair` is true; a wrong mode is then reported as an error.
 */
export function readEnvStatus(
  envDir: string,
  options: EnvReadOptions = {},
): Record<EnvFileName, EnvFileStatusView> {
  const report = checkEnvFiles(envDir, { repair: options.repair ?? false });
  const view = (name: EnvFileName): EnvFileStatusView => {
    const { state, problems, ok } = fileReport(report, name);

    return {
      path: state.path,
      exists: state.exists,
      mode: state.mode,
      ok,
      problems: problems.map((found) => formatEnvProblem(found)),
    };
  };

  return { runtime: view('runtime'), bridge: view('bridge') };
}

/** One line of an env file for the editor; secret values masked. */
export interface EnvEntryView {
  key: string;
  value: string;
  secret: boolean;
  line: number;
}

/** The entries of a document, secret values masked. */
export function maskedEntries(document: EnvDocument | null): EnvEntryView[] {
  return (document ?? emptyEnvDocument()).entries().map((entry) => ({
    key: entry.key,
    value: displayValue(entry.key, entry.value),
    secret: isSecretKey(entry.key),
    line: entry.line,
  }));
}

const COMMENTED_ASSIGNMENT = /^(#[ \t]*)([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/** One line as `env show` prints it: secret values masked, unreadable lines hidden. */
function maskedLine(line: EnvLine): string {
  if (line.kind === 'comment') {
    const match = COMMENTED_ASSIGNMENT.exec(line.raw);
    if (!match || !isSecretKey(match[2]!)) return line.raw;
    return `${match[1]}${match[2]}=${displayValue(match[2]!, match[3]!)}`;
  }
  if (line.kind === 'blank') return line.raw;
  if (line.key === null || line.value === null) return '# (a line that is not KEY=value is hidden)';
  if (!isSecretKey(line.key)) return line.raw;

  return `${line.key}=${displayValue(line.key, line.value)}`;
}

/** The text of a file with every secret value masked (for `env show` without `--reveal`). */
export function maskedText(document: EnvDocument): string {
  const lines = document.lines.map(maskedLine);
  const text = lines.join('\n');

  return document.finalNewline && lines.length > 0 ? `${text}\n` : text;
}

/** The real value of one key, for an editor's reveal button; null when the key is not set. */
export function revealEnvValue(envDir: string, name: EnvFileName, key: string): string | null {
  const state = readEnvFile(envDir, name);
  if (state.refused) throw state.refused;
  const entry = state.document
    ?.entries()
    .filter((item) => item.key === key)
    .at(-1);

  return entry?.value ?? null;
}
