// The commands of the plutil double. Lint results go to stdout, one line per file; a file that
// cannot be read is reported on stderr (real plutil's choice of stream is not confirmed).
import { readFileSync, statSync } from 'node:fs';

import { parseXmlPlist } from './plutil-parser.mjs';

const USAGE = 'usage: plutil <command> [options] <files>\n';

function readInput(path) {
  if (path === '-') return readFileSync(0, 'utf8');
  if (!statSync(path).isFile()) throw new Error('not a regular file');

  return readFileSync(path, 'utf8');
}

function lintOne(path, silent) {
  let text;
  try {
    text = readInput(path);
  } catch {
    return {
      ok: false,
      stdout: '',
      stderr: `${path} does not exists or is not readable or is not a regular file\n`,
    };
  }
  try {
    parseXmlPlist(text);
  } catch (error) {
    return { ok: false, stdout: `${path}: ${error.message}\n`, stderr: '' };
  }

  return { ok: true, stdout: silent ? '' : `${path}: OK\n`, stderr: '' };
}

function lint(args) {
  const silent = args.includes('-s');
  const files = args.filter((arg) => arg !== '-s');
  if (files.length === 0) return { code: 1, stdout: '', stderr: `No files specified.\n${USAGE}` };
  const results = files.map((file) => lintOne(file, silent));

  return {
    code: results.every((result) => result.ok) ? 0 : 1,
    stdout: results.map((result) => result.stdout).join(''),
    stderr: results.map((result) => result.stderr).join(''),
  };
}

function jsonValue(value) {
  if (value instanceof Date || Buffer.isBuffer(value))
    throw new Error('invalid object in plist for destination format');
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new Error('invalid number in plist for destination format');
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, jsonValue(entry)]));
  }
  return value;
}

function convert(args) {
  const [format, ...rest] = args;
  const outIndex = rest.indexOf('-o');
  const output = outIndex >= 0 ? rest[outIndex + 1] : null;
  const files = rest.filter((_, index) => index !== outIndex && index !== outIndex + 1);
  if (format !== 'json' || output !== '-' || files.length !== 1) {
    return {
      code: 1,
      stdout: '',
      stderr: `This double supports only -convert json -o - <file>.\n${USAGE}`,
    };
  }
  const [file] = files;
  let text;
  try {
    text = readInput(file);
  } catch {
    return {
      code: 1,
      stdout: '',
      stderr: `${file} does not exists or is not readable or is not a regular file\n`,
    };
  }
  try {
    // Real plutil writes compact JSON without a trailing newline.
    return { code: 0, stdout: JSON.stringify(jsonValue(parseXmlPlist(text))), stderr: '' };
  } catch (error) {
    return { code: 1, stdout: '', stderr: `${file}: ${error.message}\n` };
  }
}

/** Runs one plutil invocation; `-lint` is the default command. */
export function runPlutil(argv) {
  const [first, ...rest] = argv;
  if (first === '-convert') return convert(rest);
  if (first === '-lint') return lint(rest);
  if (first === undefined || first === '-help' || first === '-h')
    return { code: first ? 0 : 1, stdout: '', stderr: USAGE };
  if (first.startsWith('-') && first !== '-s' && first !== '-')
    return { code: 1, stdout: '', stderr: `unrecognized option: ${first}\n${USAGE}` };

  return lint(argv);
}
