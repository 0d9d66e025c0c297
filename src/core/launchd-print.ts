/**
 * Parsers for `launchctl print <service-target>` and `launchctl list`. Neither output is an API
 * (Apple says so for print), so both read only what they need and ignore everything else: print
 * is read at depth 1 only, because nested blocks carry their own `state = …` lines.
 */

/** The depth-1 fields of `launchctl print gui/<uid>/<label>` that matter. */
export interface AgentState {
  /** `running`, `not running`, `spawn scheduled`, `xpcproxy`, … */
  state: string | null;
  /** Present only while the job runs. */
  pid: number | null;
  /** Spawns so far. */
  runs: number | null;
  /** The `last exit code` value as printed (`0`, `78: EX_CONFIG`); null before the first exit. */
  lastExitCode: string | null;
  /** The number at the start of `lastExitCode`. */
  lastExitStatus: number | null;
  /** `Terminated: 15` when the last run died by a signal (then there is no exit code). */
  lastSignal: string | null;
  /** The signal number from `lastSignal`. */
  lastSignalNumber: number | null;
  /** The plist the job was loaded from. */
  path: string | null;
  type: string | null;
  activeCount: number | null;
  /** ThrottleInterval in seconds. */
  minimumRuntime: number | null;
  /** ExitTimeOut in seconds. */
  exitTimeout: number | null;
  /** `exited`, `spawn failed`, … */
  jobState: string | null;
  /** The `properties` flags: `keepalive`, `runatload`, … */
  properties: string[];
  /** Every depth-1 `key = value` line, for keys not listed above. */
  fields: Record<string, string>;
}

/** One row of `launchctl list`. */
export interface ListEntry {
  /** null when the job is loaded but not running (`-`). */
  pid: number | null;
  /** The last exit status; negative for a signal (`-15`); null when unreadable. */
  status: number | null;
}

const DEPTH_1_FIELD = /^\t([^\t].*?) = (.*)$/;

function toInteger(value: string | undefined): number | null {
  if (value === undefined) return null;
  const match = /^-?\d+/.exec(value.trim());

  return match ? Number(match[0]) : null;
}

function depthOneFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let inBlock = false;
  for (const line of text.split('\n')) {
    if (inBlock) {
      if (line === '\t}') inBlock = false;
      continue;
    }
    const match = DEPTH_1_FIELD.exec(line);
    if (!match) continue;
    const [, key, value] = match as unknown as [string, string, string];
    if (value === '{') {
      inBlock = true;
      continue;
    }
    if (!(key in fields)) fields[key] = value;
  }

  return fields;
}

/** Reads the depth-1 fields of `launchctl print gui/<uid>/<label>`; nested blocks are skipped. */
export function parsePrintOutput(text: string): AgentState {
  const fields = depthOneFields(text.replaceAll('\r\n', '\n'));
  const lastExit = fields['last exit code'];
  const lastExitCode = lastExit === undefined || lastExit.startsWith('(') ? null : lastExit;
  const lastSignal = fields['last terminating signal'] ?? null;
  const signalNumber = lastSignal === null ? null : /:\s*(\d+)\s*$/.exec(lastSignal)?.[1];
  const properties =
    fields.properties
      ?.split('|')
      .map((flag) => flag.trim())
      .filter(Boolean) ?? [];

  return {
    state: fields.state ?? null,
    pid: toInteger(fields.pid),
    runs: toInteger(fields.runs),
    lastExitCode,
    lastExitStatus: lastExitCode === null ? null : toInteger(lastExitCode),
    lastSignal,
    lastSignalNumber:
      signalNumber === undefined || signalNumber === null ? null : Number(signalNumber),
    path: fields.path ?? null,
    type: fields.type ?? null,
    activeCount: toInteger(fields['active count']),
    minimumRuntime: toInteger(fields['minimum runtime']),
    exitTimeout: toInteger(fields['exit timeout']),
    jobState: fields['job state'] ?? null,
    properties,
    fields,
  };
}

/** Reads `launchctl list` into label → pid and last status; the header and odd lines are skipped. */
export function parseListOutput(text: string): Map<string, ListEntry> {
  const entries = new Map<string, ListEntry>();
  for (const line of text.replaceAll('\r\n', '\n').split('\n')) {
    const columns = line.split('\t');
    if (columns.length < 3) continue;
    const [pidText, statusText] = columns as [string, string];
    const label = columns.slice(2).join('\t');
    if (pidText === 'PID' && label === 'Label') continue;
    const pid = /^\d+$/.test(pidText) ? Number(pidText) : null;
    if (pid === null && pidText !== '-') continue;
    const status = /^-?\d+$/.test(statusText) ? Number(statusText) : null;
    entries.set(label, { pid, status });
  }

  return entries;
}
