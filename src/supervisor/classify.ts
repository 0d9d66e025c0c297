/**
 * Reads a service's own output to say why it stopped or what is wrong while it runs. The lines
 * matched are the ones the runtime and the bridge print (see the reference on both programs).
 * A fatal finding is a configuration error that a restart cannot cure: the service is not
 * restarted but marked failed, with the detail as its reason.
 */
export type ServiceName = 'runtime' | 'bridge';

export interface Finding {
  detail: string;
  fatal: boolean;
}

const DETAIL_LIMIT = 480;

export const CONFLICT_DETAIL =
  'another bridge is polling this bot token — stop the other bridge process or use a different token, ' +
  'then restart the workbench';

export const NO_TOKEN_DETAIL =
  'no token reached the runtime (it generated one of its own, so every client gets 401) — ' +
  'set CODEWHALE_RUNTIME_TOKEN in runtime.env';

const ENV_FILE_OF: Record<ServiceName, string> = {
  runtime: 'runtime.env',
  bridge: 'telegram-bridge.env',
};

/** Shortens a detail to what status.json allows. */
export function clipDetail(detail: string): string {
  return detail.length > DETAIL_LIMIT ? `${detail.slice(0, DETAIL_LIMIT - 1)}…` : detail;
}

function findLine(lines: readonly string[], pattern: RegExp): RegExpExecArray | null {
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match) return match;
  }

  return null;
}

type Rule = (lines: readonly string[], service: ServiceName) => Finding | null;

const conflictRule: Rule = (lines) =>
  findLine(lines, /another bridge is polling this bot token/)
    ? { detail: CONFLICT_DETAIL, fatal: true }
    : null;

const missingModuleRule: Rule = (lines) => {
  if (!findLine(lines, /ERR_MODULE_NOT_FOUND/)) return null;
  const path = findLine(lines, /Cannot find (?:module|package) '([^']+)'/)?.[1] ?? 'a module';
  if (path.includes('bridge-core')) {
    return {
      detail: `bridge-core is missing (ERR_MODULE_NOT_FOUND: ${path}) — the image must ship bridge-core beside telegram-bridge`,
      fatal: true,
    };
  }

  return {
    detail: `a module is missing (ERR_MODULE_NOT_FOUND: ${path}) — reinstall the bridge`,
    fatal: true,
  };
};

const missingVariableRule: Rule = (lines, service) => {
  const match = findLine(lines, /Error: ([A-Z0-9_]+(?: or [A-Z0-9_]+)*) is required/);
  if (!match) return null;

  return {
    detail: `missing variable: ${match[1]} is required — set it in ${ENV_FILE_OF[service]}, then restart the workbench`,
    fatal: true,
  };
};

const threadMapRule: Rule = (lines, service) => {
  if (service !== 'bridge') return null;
  const match = findLine(lines, /^\s*SyntaxError: (.*JSON.*)$/);
  if (!match) return null;

  return {
    detail: `the bridge's thread map is not valid JSON (SyntaxError: ${match[1]}) — repair or remove thread-map.json`,
    fatal: true,
  };
};

const bindRule: Rule = (lines, service) => {
  if (service !== 'runtime') return null;
  const invalid = findLine(lines, /^error: (Invalid bind address .*)$/);
  if (invalid)
    return {
      detail: `${invalid[1]} — the runtime must bind an IP literal such as 127.0.0.1`,
      fatal: true,
    };
  const port = findLine(lines, /^error: (Port must be > 0)/);
  if (port)
    return { detail: `${port[1]} — set CODEWHALE_RUNTIME_PORT in runtime.env`, fatal: true };
  const failed = findLine(lines, /^error: (Failed to bind \S+)/);
  if (!failed) return null;
  const cause = findLine(lines, /^\s+caused by: (.*)$/)?.[1];

  return {
    detail: `${failed[1]}${cause ? `: ${cause}` : ''} — is something else using the port?`,
    fatal: false,
  };
};

const generatedTokenRule: Rule = (lines, service) =>
  service === 'runtime' && findLine(lines, /Runtime API auth: generated bearer token/)
    ? { detail: NO_TOKEN_DETAIL, fatal: true }
    : null;

const runtimeErrorRule: Rule = (lines, service) => {
  if (service !== 'runtime') return null;
  const match = findLine(lines, /^error: (.+)$/);

  return match ? { detail: match[1]!, fatal: false } : null;
};

const EXIT_RULES: readonly Rule[] = [
  conflictRule,
  missingModuleRule,
  missingVariableRule,
  threadMapRule,
  bindRule,
  generatedTokenRule,
  runtimeErrorRule,
];

/** `exited with code 1`, `killed by SIGKILL`. */
export function describeExit(code: number | null, signal: string | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code ?? 'unknown'}`;
}

/** The last line that names an error (`Error: …`, `TypeError: …`), else the last line with text. */
function lastErrorLine(lines: readonly string[]): string | undefined {
  const meaningful = lines
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^Node\.js v\d/.test(line));
  const errors = meaningful.filter((line) =>
    /^(?:(?:[A-Z]\w*)?Error(?: \[\w+\])?|error): /.test(line),
  );

  return errors.at(-1) ?? meaningful.at(-1);
}

/** Why a service exited on its own, from its last lines of output and its exit status. */
export function classifyExit(
  service: ServiceName,
  lines: readonly string[],
  code: number | null,
  signal: string | null,
): Finding {
  for (const rule of EXIT_RULES) {
    const finding = rule(lines, service);
    if (finding) return { ...finding, detail: clipDetail(finding.detail) };
  }
  const last = lastErrorLine(lines);
  const status = describeExit(code, signal);

  return { detail: clipDetail(last ? `${status}: ${last}` : status), fatal: false };
}

/** What one line printed by a running service says, when it says something worth showing. */
export function classifyRunningLine(service: ServiceName, line: string): Finding | null {
  if (service === 'runtime') return generatedTokenRule([line], service);
  if (/^Telegram poll failed: Unauthorized\b/.test(line)) {
    return {
      detail:
        'Telegram poll failed: Unauthorized — Telegram refuses the bot token; check TELEGRAM_BOT_TOKEN in telegram-bridge.env',
      fatal: false,
    };
  }
  const poll = /^Telegram poll failed: (.*?)\.? Retrying in \d+s\.$/.exec(line);
  if (poll) return { detail: clipDetail(`Telegram poll failed: ${poll[1]}`), fatal: false };
  const conflict =
    /^Telegram getUpdates conflict; another bridge is polling this bot\. Retrying in (\d+)s\./.exec(
      line,
    );
  if (conflict)
    return {
      detail: `another bridge is polling this bot token; retrying in ${conflict[1]}s`,
      fatal: false,
    };
  if (line.includes('failed to handle incoming Telegram update')) {
    return {
      detail:
        "failed to handle incoming Telegram update — the runtime is unreachable or refuses the bridge's token",
      fatal: false,
    };
  }

  return null;
}
