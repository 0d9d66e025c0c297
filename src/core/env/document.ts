/**
 * The env-file document: a round-trip model of `runtime.env` and `telegram-bridge.env` that keeps
 * comments, blank lines and order, and the safe grammar every loader of those files reads alike
 * (systemd, the bridge's validator, doctor, Apple's `--env-file`):
 *
 *   KEY=value     one per line, key [A-Za-z_][A-Za-z0-9_]*, no spaces around `=`,
 *                 no quotes, no `export`, no inline ` # …`, no backslashes, no `$` references,
 *                 no leading or trailing whitespace, LF line endings, UTF-8 without BOM;
 *   # comment     full-line comments and blank lines anywhere.
 *
 * Parsing never throws: any input yields a document whose `problems` name each departure with
 * its line number and the fix. No problem message contains a secret value.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

import { isSecretKey } from '../secrets.js';
import { EnvFileError } from './errors.js';

export type EnvSeverity = 'error' | 'warning';

/** Which of the two env files a problem belongs to. */
export type EnvFileName = 'runtime' | 'bridge';

/** One finding about an env file: stable code, where it is, what is wrong and how to fix it. */
export interface EnvProblem {
  code: string;
  severity: EnvSeverity;
  /** The file, once known; the parser alone leaves it null. */
  file: EnvFileName | null;
  /** 1-based line number, or null for a finding about the whole file or a missing key. */
  line: number | null;
  key: string | null;
  message: string;
  fix: string;
}

/** A finding about one line, before the line's position is known. */
export type LineProblem = Omit<EnvProblem, 'line' | 'file'>;

export type EnvLineKind = 'blank' | 'comment' | 'entry' | 'invalid';

/** One line of the document, exactly as it appears in the file (without its `\n`). */
export interface EnvLine {
  readonly raw: string;
  /** `entry` is a valid `KEY=value`; `invalid` a line with at least one error. */
  readonly kind: EnvLineKind;
  /** The key, when one could be read (also on some invalid lines). */
  readonly key: string | null;
  /** The value as the safe grammar reads it, when a key could be read. */
  readonly value: string | null;
  /** Departures from the grammar found on this line. */
  readonly problems: readonly LineProblem[];
  /** True when the line ended with `\r` (a CRLF line ending). */
  readonly crlf: boolean;
}

/** One `KEY=value` pair with its line number. */
export interface EnvEntry {
  key: string;
  value: string;
  line: number;
  valid: boolean;
}

const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
// C0 controls except tab, DEL, and C1 controls; tabs are handled as whitespace.
// eslint-disable-next-line no-control-regex
const CONTROL_PATTERN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;
const BOM = '\ufeff';
const SHOWN_VALUE_LIMIT = 60;

/** True for a key of the safe grammar: `[A-Za-z_][A-Za-z0-9_]*`. */
export function isValidEnvKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

function problem(
  code: string,
  key: string | null,
  message: string,
  fix: string,
  severity: EnvSeverity = 'error',
): LineProblem {
  return { code, severity, key, message, fix };
}

/** ` ("value")` for a key that is not secret, nothing for a secret one. */
function shownValue(key: string, value: string): string {
  if (isSecretKey(key)) return '';
  const cut = value.length > SHOWN_VALUE_LIMIT ? `${value.slice(0, SHOWN_VALUE_LIMIT)}…` : value;

  return ` (${JSON.stringify(cut)})`;
}

function describeCharacter(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code === 0) return `${hex} (NUL)`;
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `${hex} (a control character)`;

  return JSON.stringify(char);
}

function subjectOf(key: string | null): string {
  return key === null ? 'the line' : `the value of ${key}`;
}

function checkControlCharacters(text: string, key: string | null): LineProblem[] {
  const match = CONTROL_PATTERN.exec(text);
  if (!match) return [];
  const name = describeCharacter(match[0]);

  return [
    problem(
      'control_character',
      key,
      `${subjectOf(key)} contains ${name}`,
      'remove the control character; values are single lines of printable text',
    ),
  ];
}

function describeBadKey(key: string): string {
  if (key === '') return 'the line starts with "=" and has no key';
  if (/^[0-9]/.test(key)) return 'the key starts with a digit';
  const bad = [...key].find((char) => !/[A-Za-z0-9_]/.test(char)) ?? key[0]!;

  return `the key contains ${describeCharacter(bad)}, which keys may not contain`;
}

/**
 * Departures of one value from the safe grammar, or none. Used by the parser and to check a value
 * before it is written.
 */
export function checkEnvValue(key: string, value: string): LineProblem[] {
  const control = checkControlCharacters(value, key);
  if (control.length > 0) return control;
  const found: LineProblem[] = [];
  if (/[ \t]#/.test(value)) {
    found.push(
      problem(
        'inline_comment',
        key,
        `the value of ${key} has an inline comment${shownValue(key, value)}; ` +
          'every loader keeps it as part of the value',
        'move the comment to a line of its own that starts with "#"',
      ),
    );
  } else if (/[ \t]$/.test(value) || /^[ \t]/.test(value)) {
    found.push(
      problem(
        'surrounding_whitespace',
        key,
        `the value of ${key} has whitespace at its start or end; loaders disagree on whether it is kept`,
        `remove the whitespace: ${key}=value`,
      ),
    );
  }
  if (/^["']|["']$/.test(value)) {
    found.push(
      problem(
        'quoted_value',
        key,
        `the value of ${key} is quoted${shownValue(key, value)}; some loaders remove the quotes and others keep them`,
        `write the value without quotes: ${key}=value`,
      ),
    );
  }
  if (value.includes('\\')) {
    found.push(
      problem(
        'escape_character',
        key,
        `the value of ${key} contains a backslash, which systemd reads as an escape or a line continuation`,
        'remove the backslash; values are taken literally',
      ),
    );
  }
  if (/\$(\{|[A-Za-z_])/.test(value)) {
    found.push(
      problem(
        'variable_reference',
        key,
        `the value of ${key} contains a $ reference, which the loaders do not expand alike`,
        'write the value out in full instead of referring to another variable',
      ),
    );
  }

  return found;
}

/** The problems of a key that is about to be written, or none. */
export function checkEnvKey(key: string): LineProblem[] {
  if (isValidEnvKey(key)) return [];

  return [
    problem(
      'invalid_key',
      null,
      describeBadKey(key),
      'keys use the letters A-Z and a-z, the digits 0-9 and "_", and do not start with a digit',
    ),
  ];
}

interface Analysis {
  kind: EnvLineKind;
  key: string | null;
  value: string | null;
  problems: LineProblem[];
}

function analyzeBlankOrComment(text: string): Analysis | null {
  const trimmed = text.replace(/^[ \t]+/, '');
  if (trimmed.replace(/[ \t]+$/, '') === '') {
    const problems =
      text === ''
        ? []
        : [
            problem(
              'surrounding_whitespace',
              null,
              'the blank line contains spaces or tabs',
              'remove the whitespace from the empty line',
              'warning',
            ),
          ];
    return { kind: 'blank', key: null, value: null, problems };
  }
  if (!trimmed.startsWith('#')) return null;
  const problems =
    trimmed === text
      ? []
      : [
          problem(
            'surrounding_whitespace',
            null,
            'the comment is indented',
            'start the comment line with "#"',
            'warning',
          ),
        ];

  return { kind: 'comment', key: null, value: null, problems };
}

function analyzeAssignment(text: string): Analysis {
  const problems: LineProblem[] = [];
  let body = text;
  const indented = /^[ \t]/.test(body);
  body = body.replace(/^[ \t]+/, '');

  if (body.startsWith(';')) {
    problems.push(
      problem(
        'semicolon_comment',
        null,
        'the line starts with ";", which only systemd reads as a comment',
        'start comment lines with "#"',
      ),
    );
    return { kind: 'invalid', key: null, value: null, problems };
  }
  const exported = /^export[ \t]+/.exec(body);
  if (exported) body = body.slice(exported[0].length);

  const equals = body.indexOf('=');
  if (equals === -1) {
    problems.push(
      problem(
        'missing_equals',
        null,
        'the line has no "=" and is not a comment',
        'write KEY=value, or start the line with "#" to make it a comment',
      ),
    );
    return { kind: 'invalid', key: null, value: null, problems };
  }
  const rawKey = body.slice(0, equals);
  const rawValue = body.slice(equals + 1);
  const key = rawKey.replace(/[ \t]+$/, '');
  if (!isValidEnvKey(key)) {
    problems.push(
      problem(
        'invalid_key',
        null,
        describeBadKey(key),
        'keys use the letters A-Z and a-z, the digits 0-9 and "_", and do not start with a digit',
      ),
    );
    return { kind: 'invalid', key: null, value: null, problems };
  }

  if (indented) {
    problems.push(
      problem(
        'surrounding_whitespace',
        key,
        `the line of ${key} starts with whitespace`,
        `start the line with the key: ${key}=value`,
      ),
    );
  }
  if (exported) {
    problems.push(
      problem(
        'export_prefix',
        key,
        `${key} has an "export " prefix, which Apple's --env-file does not understand`,
        `write ${key}=value without "export "`,
      ),
    );
  }
  const spaced = rawKey !== key || /^[ \t]/.test(rawValue);
  const value = spaced ? rawValue.replace(/^[ \t]+/, '') : rawValue;
  if (spaced) {
    problems.push(
      problem(
        'space_around_equals',
        key,
        `${key} has spaces around "="; Apple's --env-file refuses a space in the key and keeps one in the value`,
        `write ${key}=value with no spaces around "="`,
      ),
    );
  }
  problems.push(...checkEnvValue(key, value));
  const failed = problems.some((found) => found.severity === 'error');

  return { kind: failed ? 'invalid' : 'entry', key, value, problems };
}

function analyzeText(text: string): Analysis {
  const control = checkControlCharacters(text, null);
  const plain = analyzeBlankOrComment(text) ?? analyzeAssignment(text);
  if (control.length === 0 || plain.problems.some((found) => found.code === 'control_character'))
    return plain;
  // A control character in a comment or in the key part: the line is unusable as it stands.
  return { ...plain, kind: 'invalid', problems: [...control, ...plain.problems] };
}

/** Builds one line from its raw text; `first` marks line 1, where a BOM may sit. */
function buildLine(raw: string, first: boolean, invalidUtf8: boolean): EnvLine {
  let text = raw;
  const leading: LineProblem[] = [];
  if (first && text.startsWith(BOM)) {
    text = text.slice(BOM.length);
    leading.push(
      problem(
        'byte_order_mark',
        null,
        'the file starts with a byte order mark (BOM)',
        'save the file as UTF-8 without a BOM',
      ),
    );
  }
  const crlf = text.endsWith('\r');
  if (crlf) text = text.slice(0, -1);

  const analysis = analyzeText(text);
  if (invalidUtf8) {
    leading.push(
      problem(
        'invalid_utf8',
        analysis.key,
        `${subjectOf(analysis.key)} is not valid UTF-8`,
        'save the file as UTF-8',
      ),
    );
  }
  const problems = [...leading, ...analysis.problems];
  const failed = crlf || problems.some((found) => found.severity === 'error');
  const kind = failed && analysis.kind === 'entry' ? 'invalid' : analysis.kind;

  return { raw, kind, key: analysis.key, value: analysis.value, problems, crlf };
}

/** Splits bytes on LF and decodes each line, marking the lines that are not valid UTF-8. */
function decodeLines(bytes: Uint8Array): { lines: string[]; invalid: Set<number> } {
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return { lines: strict.decode(bytes).split('\n'), invalid: new Set() };
  } catch {
    // Fall through: decode line by line to find the bad ones.
  }
  const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  const lines: string[] = [];
  const invalid = new Set<number>();
  let start = 0;
  for (let index = 0; index <= bytes.length; index += 1) {
    if (index < bytes.length && bytes[index] !== 0x0a) continue;
    const chunk = bytes.subarray(start, index);
    try {
      lines.push(strict.decode(chunk));
    } catch {
      invalid.add(lines.length);
      lines.push(lenient.decode(chunk));
    }
    start = index + 1;
  }

  return { lines, invalid };
}

/** A parsed env file that serializes back to the same text and can be edited key by key. */
export class EnvDocument {
  #lines: EnvLine[];
  #finalNewline: boolean;

  constructor(lines: EnvLine[], finalNewline: boolean) {
    this.#lines = lines;
    this.#finalNewline = finalNewline;
  }

  /** The lines in file order. */
  get lines(): readonly EnvLine[] {
    return this.#lines;
  }

  /** True when the text ends with a newline. */
  get finalNewline(): boolean {
    return this.#finalNewline;
  }

  /** Every departure from the grammar, with line numbers, in file order. */
  get problems(): EnvProblem[] {
    return collectProblems(this.#lines);
  }

  /** True when no problem of severity `error` remains. */
  get ok(): boolean {
    return this.problems.every((found) => found.severity !== 'error');
  }

  /** The text of the document; the identity on whatever was parsed from a string. */
  serialize(): string {
    const text = this.#lines.map((line) => line.raw).join('\n');

    return this.#finalNewline && this.#lines.length > 0 ? `${text}\n` : text;
  }

  toString(): string {
    return this.serialize();
  }

  /** The valid `KEY=value` pairs; of a repeated key, the last one (as every loader reads it). */
  values(): Map<string, string> {
    const map = new Map<string, string>();
    for (const line of this.#lines) {
      if (line.kind === 'entry' && line.key !== null) map.set(line.key, line.value ?? '');
    }

    return map;
  }

  /** Every line with a readable key, valid or not, with its line number. */
  entries(): EnvEntry[] {
    return this.#lines.flatMap((line, index) =>
      line.key === null || line.value === null
        ? []
        : [{ key: line.key, value: line.value, line: index + 1, valid: line.kind === 'entry' }],
    );
  }

  /** The value of `key` from a valid line, or undefined. */
  get(key: string): string | undefined {
    return this.values().get(key);
  }

  /** True when some line, valid or not, sets `key`. */
  has(key: string): boolean {
    return this.#lines.some((line) => line.key === key);
  }

  /** The 1-based line number of the last line that sets `key`, or null. */
  lineOf(key: string): number | null {
    for (let index = this.#lines.length - 1; index >= 0; index -= 1) {
      if (this.#lines[index]!.key === key) return index + 1;
    }

    return null;
  }

  /**
   * Sets `key` to `value`: rewrites the last line that sets it, or appends one line. Throws an
   * EnvFileError when the key or the value departs from the grammar; the document is then unchanged.
   */
  set(key: string, value: string): void {
    const refused = [...checkEnvKey(key), ...checkEnvValue(key, value)].find(
      (found) => found.severity === 'error',
    );
    if (refused) {
      throw new EnvFileError(refused.message, { code: refused.code, hint: refused.fix });
    }
    const line = buildLine(`${key}=${value}`, false, false);
    const at = this.lineOf(key);
    if (at !== null) {
      this.#lines[at - 1] = line;
      return;
    }
    this.#lines.push(line);
    this.#finalNewline = true;
  }

  /** Removes every line that sets `key`; returns how many lines went. */
  delete(key: string): number {
    const before = this.#lines.length;
    this.#lines = this.#lines.filter((line) => line.key !== key);

    return before - this.#lines.length;
  }

  /** A deep copy that can be edited without touching this document. */
  clone(): EnvDocument {
    return new EnvDocument([...this.#lines], this.#finalNewline);
  }
}

function collectProblems(lines: readonly EnvLine[]): EnvProblem[] {
  const found: EnvProblem[] = [];
  const firstLineOf = new Map<string, number>();
  const crlfLines = lines.filter((line) => line.crlf).length;

  lines.forEach((line, index) => {
    const number = index + 1;
    for (const item of line.problems) found.push({ ...item, file: null, line: number });
    if (line.crlf && lines.findIndex((other) => other.crlf) === index) {
      found.push({
        code: 'crlf_line_ending',
        severity: 'error',
        file: null,
        line: number,
        key: line.key,
        message:
          `${crlfLines === 1 ? '1 line ends' : `${crlfLines} lines end`} with CRLF (Windows line endings); ` +
          "Apple's --env-file keeps the CR in the value",
        fix: 'convert the file to LF (Unix) line endings',
      });
    }
    if (line.key === null) return;
    const first = firstLineOf.get(line.key);
    if (first === undefined) {
      firstLineOf.set(line.key, number);
      return;
    }
    found.push({
      code: 'duplicate_key',
      severity: 'error',
      file: null,
      line: number,
      key: line.key,
      message: `${line.key} is set again (first on line ${first}); loaders disagree on which line wins`,
      fix: `keep one ${line.key} line and delete the others`,
    });
  });

  return found;
}

/** Parses the text or bytes of an env file. Never throws; see `problems` for what is wrong. */
export function parseEnvDocument(input: string | Uint8Array): EnvDocument {
  const { lines, invalid } =
    typeof input === 'string'
      ? { lines: input.split('\n'), invalid: new Set<number>() }
      : decodeLines(input);
  // "a\n" splits into ["a", ""]: the empty tail is the final newline, not a line.
  const finalNewline =
    lines.length > 1 && lines[lines.length - 1] === '' && !invalid.has(lines.length - 1);
  if (finalNewline || (lines.length === 1 && lines[0] === '')) lines.pop();
  const built = lines.map((raw, index) => buildLine(raw, index === 0, invalid.has(index)));

  return new EnvDocument(built, finalNewline);
}

/** An empty document, for a file that does not exist yet. */
export function emptyEnvDocument(): EnvDocument {
  return new EnvDocument([], true);
}

/** `telegram-bridge.env:4: the value of … — fix`, for a terminal. */
export function formatEnvProblem(found: EnvProblem, fileLabel?: string): string {
  const label = fileLabel ?? (found.file === null ? '' : fileNameOf(found.file));
  const where = [label, found.line === null ? null : String(found.line)].filter(Boolean).join(':');
  const prefix = where === '' ? '' : `${where}: `;

  return `${prefix}${found.severity}: ${found.message} — ${found.fix}`;
}

/** The file name of each env file in the env folder. */
export const ENV_FILE_NAMES: Record<EnvFileName, string> = {
  runtime: 'runtime.env',
  bridge: 'telegram-bridge.env',
};

/** `runtime.env` or `telegram-bridge.env`. */
export function fileNameOf(name: EnvFileName): string {
  return ENV_FILE_NAMES[name];
}

/** Largest env file read; real ones are a few kilobytes. */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;

/** What `readEnvFileForSupervisor` found: the document, or why there is none. */
export interface EnvFileRead {
  path: string;
  exists: boolean;
  /** The parsed file, or null when it is missing or could not be read. */
  document: EnvDocument | null;
  /** Why the file could not be read (missing, a symlink, not a regular file, too large), or null. */
  error: string | null;
}

/**
 * Reads and parses one env file without changing it: for readers such as the in-container
 * supervisor, where the folder is mounted read-only and modes cannot be repaired. Refuses a
 * symlink and anything that is not a regular file. Never throws.
 */
export function readEnvFileForSupervisor(path: string): EnvFileRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return { path, exists: false, document: null, error: `${path} does not exist` };
    if (code === 'ELOOP') {
      return {
        path,
        exists: true,
        document: null,
        error: `${path} is a symlink; env files must be regular files`,
      };
    }
    return {
      path,
      exists: true,
      document: null,
      error: `${path} cannot be read (${code ?? String(error)})`,
    };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      return { path, exists: true, document: null, error: `${path} is not a regular file` };
    if (stat.size > MAX_ENV_FILE_BYTES) {
      return {
        path,
        exists: true,
        document: null,
        error: `${path} is larger than ${MAX_ENV_FILE_BYTES} bytes`,
      };
    }
    return { path, exists: true, document: parseEnvDocument(readAll(fd, stat.size)), error: null };
  } catch (error) {
    return {
      path,
      exists: true,
      document: null,
      error: `${path} cannot be read (${(error as Error).message})`,
    };
  } finally {
    closeSync(fd);
  }
}

/** Reads an open file to its end, up to one byte past the size limit. */
export function readAll(fd: number, sizeHint: number): Uint8Array {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(
      Math.max(4096, Math.min(sizeHint + 1, MAX_ENV_FILE_BYTES + 1) - total),
    );
    const read = readSync(fd, chunk, 0, chunk.length, null);
    if (read === 0) break;
    chunks.push(chunk.subarray(0, read));
    total += read;
    if (total > MAX_ENV_FILE_BYTES) break;
  }

  return Buffer.concat(chunks);
}
