/**
 * One small logger for the app, the CLI and the supervisor: topics, levels, ISO timestamps, one
 * line per record, files created with mode 0600. Secret values are masked by key name and control
 * characters escaped, so a log line can neither leak a token nor forge another line.
 */
import {
  appendFileSync,
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
} from 'node:fs';
import { dirname } from 'node:path';

import { isSecretKey, maskValue } from './secrets.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  sinks: LogSink[];
  clock?: () => Date;
}

/** Escapes control characters (newlines included) so one record stays one line. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\r') return '\\r';
    if (char === '\t') return '\\t';

    return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

function renderValue(key: string, value: unknown): string {
  if (isSecretKey(key) && typeof value === 'string') return maskValue(value);
  if (typeof value === 'string')
    return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);

  return JSON.stringify(value) ?? 'undefined';
}

/** `key=value` pairs, secrets masked. */
export function renderFields(fields: LogFields): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${renderValue(key, value)}`)
    .join(' ');
}

export class Logger {
  readonly #topic: string;
  readonly #options: Required<LoggerOptions>;

  constructor(topic: string, options: LoggerOptions) {
    this.#topic = topic;
    this.#options = {
      level: options.level ?? 'info',
      sinks: options.sinks,
      clock: options.clock ?? (() => new Date()),
    };
  }

  /** A logger for another topic writing to the same sinks. */
  child(topic: string): Logger {
    return new Logger(topic, this.#options);
  }

  debug(message: string, fields: LogFields = {}): void {
    this.#log('debug', message, fields);
  }

  info(message: string, fields: LogFields = {}): void {
    this.#log('info', message, fields);
  }

  warn(message: string, fields: LogFields = {}): void {
    this.#log('warn', message, fields);
  }

  error(message: string, fields: LogFields = {}): void {
    this.#log('error', message, fields);
  }

  #log(level: LogLevel, message: string, fields: LogFields): void {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[this.#options.level]) return;
    const rendered = renderFields(fields);
    const text = `${this.#options.clock().toISOString()} ${level.toUpperCase().padEnd(5)} ${this.#topic}: ${message}`;
    const line = escapeControl(rendered ? `${text} ${rendered}` : text);
    for (const sink of this.#options.sinks) sink.write(`${line}\n`);
  }
}

export interface FileSinkOptions {
  /** Rotate to `<path>.1` once the file grows past this size. */
  maxBytes?: number;
}

/** Appends to a file created with mode 0600, rotating it to `.1` when it grows past its limit. */
export function fileSink(path: string, options: FileSinkOptions = {}): LogSink {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let size = existsSync(path) ? statSync(path).size : 0;
  const ensureFile = () => {
    if (existsSync(path)) return;
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    size = 0;
  };
  ensureFile();
  chmodSync(path, 0o600);

  return {
    write(line) {
      if (size + line.length > maxBytes) {
        renameSync(path, `${path}.1`);
        size = 0;
      }
      ensureFile();
      appendFileSync(path, line, { mode: 0o600 });
      size += Buffer.byteLength(line);
    },
  };
}

/** Writes to stderr. */
export const stderrSink: LogSink = { write: (line) => process.stderr.write(line) };

/** A logger that drops everything, for callers that pass none. */
export const silentLogger = new Logger('silent', { sinks: [] });
