// Command-line parsing in the manner of swift-argument-parser, which the real CLI uses: long and
// short options, `--name=value`, grouped short flags, `--` and pass-through arguments, and the
// three-part usage error with exit status 64. Also the exits and writes every command shares.
import { writeSync } from 'node:fs';

import { sleepSync } from './container-state.mjs';

/** A planned end of the process: text for both streams and an exit status. */
export class DoubleExit extends Error {
  constructor(code, { stdout = '', stderr = '' } = {}) {
    super(`exit ${code}`);
    this.code = code;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/** `Error: <text>` on stderr, exit 1. */
export function runtimeError(text) {
  return new DoubleExit(1, { stderr: `Error: ${text}\n` });
}

/** The parser's three-part usage error, exit 64. */
export function usageError(spec, message) {
  const stderr =
    `Error: ${message}\nUsage: container ${spec.path} ${spec.synopsis}\n` +
    `  See 'container ${spec.path} --help' for more information.\n`;

  return new DoubleExit(64, { stderr });
}

/** Writes all of `text` to a file descriptor, waiting out a full non-blocking pipe. */
export function writeAll(fd, text) {
  const buffer = typeof text === 'string' ? Buffer.from(text) : text;
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += writeSync(fd, buffer, offset, buffer.length - offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
      sleepSync(5);
    }
  }
}

/** Writes to stdout. */
export function out(text) {
  writeAll(1, text);
}

/** Writes to stderr. */
export function err(text) {
  writeAll(2, text);
}

const UNIVERSAL_OPTIONS = [
  { names: ['-h', '--help'], key: 'help' },
  { names: ['--version'], key: 'version' },
  { names: ['--debug'], key: 'debug' },
];

const FORMATS = ['json', 'table', 'yaml', 'toml'];

/** The `--format` option every listing command has. */
export const formatOption = {
  names: ['--format'],
  key: 'format',
  value: '<format>',
  choices: FORMATS,
};

function describeChoices(choices) {
  const quoted = choices.map((choice) => `'${choice}'`);
  if (quoted.length === 1) return quoted[0];

  return `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

function optionLabel(option, used) {
  return option.value ? `${used} ${option.value}` : used;
}

function longestName(option) {
  return option.names.find((name) => name.startsWith('--')) ?? option.names[0];
}

function storeOption(spec, result, option, used, raw) {
  if (!option.value) {
    result.options[option.key] = true;
    return;
  }
  if (option.choices && !option.choices.includes(raw)) {
    throw usageError(
      spec,
      `The value '${raw}' is invalid for '${optionLabel(option, longestName(option))}'. ` +
        `Please provide one of ${describeChoices(option.choices)}.`,
    );
  }
  let value = raw;
  if (option.integer) {
    if (!/^-?\d+$/.test(raw)) {
      throw usageError(spec, `The value '${raw}' is invalid for '${optionLabel(option, used)}'`);
    }
    value = Number(raw);
  }
  if (option.repeat) {
    result.options[option.key] = [...(result.options[option.key] ?? []), value];
  } else {
    result.options[option.key] = value;
  }
}

function takeValue(spec, tokens, index, option, used) {
  const next = tokens[index + 1];
  if (next === undefined || (next.startsWith('-') && next.length > 1 && !/^-\d/.test(next))) {
    throw usageError(spec, `Missing value for '${optionLabel(option, used)}'`);
  }

  return next;
}

function findOption(options, name) {
  return options.find((option) => option.names.includes(name));
}

function parseLong(spec, options, tokens, index, result) {
  const token = tokens[index];
  const equals = token.indexOf('=');
  const name = equals === -1 ? token : token.slice(0, equals);
  const option = findOption(options, name);
  if (!option) throw usageError(spec, `Unknown option '${name}'`);
  if (!option.value) {
    if (equals !== -1) throw usageError(spec, `Unknown option '${token}'`);
    storeOption(spec, result, option, name, null);
    return index;
  }
  if (equals !== -1) {
    storeOption(spec, result, option, name, token.slice(equals + 1));
    return index;
  }
  storeOption(spec, result, option, name, takeValue(spec, tokens, index, option, name));

  return index + 1;
}

function parseShort(spec, options, tokens, index, result) {
  const token = tokens[index];
  for (let at = 1; at < token.length; at += 1) {
    const name = `-${token[at]}`;
    const option = findOption(options, name);
    if (!option) throw usageError(spec, `Unknown option '${name}'`);
    if (!option.value) {
      storeOption(spec, result, option, name, null);
      continue;
    }
    const attached = token.slice(at + 1);
    if (attached) {
      storeOption(spec, result, option, name, attached);
      return index;
    }
    storeOption(spec, result, option, name, takeValue(spec, tokens, index, option, name));
    return index + 1;
  }

  return index;
}

function checkPositionals(spec, result) {
  const declared = spec.args ?? [];
  const variadic = declared.some((arg) => arg.variadic);
  const required = declared.filter((arg) => arg.required);
  if (result.options.help || result.options.version) return;
  if (result.positionals.length < required.length) {
    const missing = required[result.positionals.length];
    throw usageError(
      spec,
      `Missing expected argument '<${missing.name}>${missing.variadic ? ' ...' : ''}'`,
    );
  }
  if (!variadic && result.positionals.length > declared.length) {
    const extra = result.positionals.slice(declared.length);
    const message =
      extra.length === 1
        ? `Unexpected argument '${extra[0]}'`
        : `${extra.length} unexpected arguments: ${extra.map((arg) => `'${arg}'`).join(', ')}`;
    throw usageError(spec, message);
  }
  if (spec.passthrough && spec.passthroughRequired && result.rest.length === 0) {
    throw usageError(spec, `Missing expected argument '<${spec.passthroughRequired}> ...'`);
  }
}

/**
 * Parses `tokens` against a command spec: `{ path, synopsis, options, args, passthrough? }`.
 * With `passthrough: n`, everything after the n-th positional is kept verbatim in `rest`.
 */
export function parseArgs(spec, tokens) {
  const options = [...(spec.options ?? []), ...UNIVERSAL_OPTIONS];
  const result = { options: {}, positionals: [], rest: [] };
  let passing = false;
  let literal = false;
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index];
    if (passing) {
      result.rest.push(token);
    } else if (!literal && token === '--') {
      literal = true;
    } else if (!literal && token.startsWith('--') && token.length > 2) {
      index = parseLong(spec, options, tokens, index, result);
    } else if (!literal && token.startsWith('-') && token.length > 1 && !/^-\d/.test(token)) {
      index = parseShort(spec, options, tokens, index, result);
    } else {
      result.positionals.push(token);
      passing = Boolean(spec.passthrough) && result.positionals.length === spec.passthrough;
    }
  }
  checkPositionals(spec, result);

  return result;
}
