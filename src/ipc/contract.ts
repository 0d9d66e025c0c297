/**
 * The one IPC contract between the windows and the main process: for every channel, the schema
 * of its argument and of its value. The main process validates every argument against it before
 * calling the core, and every value before sending it back; the preload and the pages take their
 * types from here.
 */
import { z } from 'zod';

import { CHANNELS, WINDOW_NAMES, type ChannelKey, type Result } from './channels.js';

const text = z.string().max(10_000);
const isoText = z.string().max(40);
const envFileName = z.enum(['runtime', 'bridge']);
const envKey = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'is not an env key' })
  .max(128);
const none = z.undefined();

const lastExit = z.object({
  code: z.number().nullable(),
  signal: z.string().nullable(),
  at: isoText,
});

const serviceView = z.object({
  state: z.enum(['starting', 'running', 'restarting', 'stopped', 'failed']),
  pid: z.number().nullable(),
  restarts: z.number(),
  healthy: z.boolean().nullable(),
  since: isoText.nullable(),
  lastExit: lastExit.nullable(),
  detail: text.nullable(),
});

const envFileStatus = z.object({
  path: text,
  exists: z.boolean(),
  mode: z.string().nullable(),
  ok: z.boolean(),
  problems: z.array(text),
});

/** The status model (SPEC §3) as it crosses IPC. */
export const statusSchema = z.object({
  schemaVersion: z.literal(1),
  overall: z.enum([
    'running',
    'degraded',
    'starting',
    'stopping',
    'stopped',
    'not-set-up',
    'error',
  ]),
  summary: text,
  reason: text.nullable(),
  action: z.string().max(40).nullable(),
  containerSystem: z.object({
    installed: z.boolean(),
    running: z.boolean(),
    version: z.string().nullable(),
  }),
  container: z.object({
    name: text,
    state: z.enum(['running', 'stopped', 'stopping', 'missing', 'unknown']),
    image: text,
    startedAt: isoText.nullable(),
    cpus: z.number().nullable(),
    memoryBytes: z.number().nullable(),
  }),
  services: z.object({ runtime: serviceView, bridge: serviceView }).nullable(),
  launchAgent: z.object({
    label: text,
    installed: z.boolean(),
    loaded: z.boolean(),
    running: z.boolean(),
    pid: z.number().nullable(),
    lastExit: z.number().nullable(),
  }),
  keepAwake: z.object({ enabled: z.boolean(), active: z.boolean() }),
  envFiles: z.object({ runtime: envFileStatus, bridge: envFileStatus }),
  checkedAt: isoText,
});

const actionOutcome = z.object({ message: text, status: statusSchema });

const envFileView = z.object({
  name: envFileName,
  path: text,
  exists: z.boolean(),
  entries: z.array(z.object({ key: envKey, value: text, secret: z.boolean(), line: z.number() })),
  problems: z.array(
    z.object({
      code: z.string().max(64),
      severity: z.enum(['error', 'warning']),
      file: envFileName.nullable(),
      line: z.number().nullable(),
      key: z.string().max(128).nullable(),
      message: text,
    }),
  ),
  repairs: z.array(text),
});

const doctorReport = z.object({
  checks: z.array(
    z.object({
      id: z.string().max(80),
      level: z.enum(['ok', 'warn', 'fail', 'info']),
      message: text,
      fix: text.optional(),
    }),
  ),
  failures: z.number(),
  warnings: z.number(),
});

const absolutePath = z.string().max(1024).regex(/^\//, { message: 'must be an absolute path' });

const commandPaths = z.strictObject({
  container: absolutePath.optional(),
  launchctl: absolutePath.optional(),
  caffeinate: absolutePath.optional(),
  pmset: absolutePath.optional(),
  plutil: absolutePath.optional(),
  sw_vers: absolutePath.optional(),
  sysctl: absolutePath.optional(),
});

const settings = z.object({
  schemaVersion: z.literal(1),
  containerName: text,
  image: text,
  cpus: z.number(),
  memory: text,
  stopTimeoutSeconds: z.number(),
  commands: commandPaths,
  setupComplete: z.boolean(),
});

/** A change to the settings: only the keys the settings window may send, none filled in. */
const settingsChange = z.strictObject({
  containerName: z.string().max(63).optional(),
  image: z.string().max(255).optional(),
  cpus: z.number().int().optional(),
  memory: z.string().max(16).optional(),
  stopTimeoutSeconds: z.number().int().optional(),
  commands: commandPaths.optional(),
  setupComplete: z.boolean().optional(),
});

/** Values are one line of at most 4096 characters; the core's grammar judges the rest. */
const envChanges = z
  .record(envKey, z.string().max(4096).nullable())
  .refine((changes) => Object.keys(changes).length <= 64, { message: 'at most 64 keys at once' });

/** For every channel: the argument schema and the value schema. */
export const contract = {
  status: { arg: none, value: statusSchema },
  start: { arg: z.strictObject({ wait: z.boolean().optional() }).optional(), value: actionOutcome },
  stop: { arg: none, value: actionOutcome },
  restart: { arg: none, value: actionOutcome },
  setAgent: { arg: z.strictObject({ enabled: z.boolean() }), value: actionOutcome },
  setAwake: { arg: z.strictObject({ enabled: z.boolean() }), value: actionOutcome },
  readEnv: { arg: z.strictObject({ name: envFileName }), value: envFileView },
  revealEnv: { arg: z.strictObject({ name: envFileName, key: envKey }), value: z.string() },
  saveEnv: { arg: z.strictObject({ name: envFileName, changes: envChanges }), value: envFileView },
  checkEnv: {
    arg: z.strictObject({
      name: envFileName,
      key: z.string().max(128),
      value: z.string().max(4096),
    }),
    value: z.array(
      z.object({
        code: z.string().max(64),
        severity: z.enum(['error', 'warning']),
        message: text,
        fix: text,
      }),
    ),
  },
  runDoctor: { arg: none, value: doctorReport },
  readLogs: {
    arg: z.strictObject({ lines: z.number().int().min(1).max(5000), supervisor: z.boolean() }),
    value: z.string(),
  },
  readSettings: { arg: none, value: settings },
  saveSettings: { arg: z.strictObject({ change: settingsChange }), value: settings },
  readLoginItem: { arg: none, value: z.strictObject({ openAtLogin: z.boolean() }) },
  setLoginItem: {
    arg: z.strictObject({ openAtLogin: z.boolean() }),
    value: z.strictObject({ openAtLogin: z.boolean() }),
  },
  runSetup: {
    arg: z.strictObject({ image: z.string().min(1).max(255).optional() }),
    value: actionOutcome,
  },
  openWindow: { arg: z.strictObject({ name: z.enum(WINDOW_NAMES) }), value: z.null() },
} as const satisfies Record<ChannelKey, { arg: z.ZodType; value: z.ZodType }>;

export type Contract = typeof contract;
/** The argument a channel takes. */
export type ArgOf<K extends ChannelKey> = z.input<Contract[K]['arg']>;
/** The value a channel answers with. */
export type ValueOf<K extends ChannelKey> = z.output<Contract[K]['value']>;

export type StatusView = z.output<typeof statusSchema>;
export type EnvFileViewData = ValueOf<'readEnv'>;
export type DoctorReportData = ValueOf<'runDoctor'>;
export type SettingsData = ValueOf<'readSettings'>;
export type SettingsChange = ArgOf<'saveSettings'>['change'];
export type ActionOutcomeData = ValueOf<'start'>;

/** The channel key of a channel name, or undefined for a name not in the contract. */
export function channelKeyOf(channel: string): ChannelKey | undefined {
  const entry = Object.entries(CHANNELS).find(([, name]) => name === channel);

  return entry?.[0] as ChannelKey | undefined;
}

/** Validates an argument; the error names the channel and the first bad field. */
export function parseArg<K extends ChannelKey>(key: K, raw: unknown): Result<ArgOf<K>> {
  const parsed = contract[key].arg.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data as ArgOf<K> };

  return {
    ok: false,
    error: `The request to ${CHANNELS[key]} was refused: ${describeIssue(parsed.error)}.`,
  };
}

/** Validates a value before it is sent to a window. */
export function parseValue<K extends ChannelKey>(key: K, raw: unknown): Result<ValueOf<K>> {
  const parsed = contract[key].value.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data as ValueOf<K> };

  return {
    ok: false,
    error: `The answer of ${CHANNELS[key]} did not match its contract: ${describeIssue(parsed.error)}.`,
  };
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const where = issue.path.length > 0 ? `${issue.path.join('.')} ` : '';

  return `${where}${issue.message}`.trim();
}
