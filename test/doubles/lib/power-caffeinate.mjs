// The logic of the caffeinate double: getopt parsing with caffeinate's option string and the
// assertion records its flags create (Apple's caffeinate.c).

export const USAGE =
  'usage: caffeinate [-disu] [-t timeout] [-w Process ID] [command arguments...]';
const OPTION_STRING = 'mdhisut:w:';

// One assertion per flag, in this order whatever order the flags came in.
const FLAG_TYPES = [
  ['d', 'PreventUserIdleDisplaySleep'],
  ['i', 'PreventUserIdleSystemSleep'],
  ['m', 'PreventDiskIdle'],
  ['s', 'PreventSystemSleep'],
  ['u', 'UserIsActive'],
];

/** -u without -t still gets this assertion timeout, while the process keeps running. */
const USER_ACTIVE_TIMEOUT_SECS = 5;

/**
 * BSD getopt over `argv` with `mdhisut:w:`: grouped flags (`-di`), attached or separate values
 * (`-t60`, `-t 60`), `--`, and a stop at the first operand. An element such as `"-t 60"` parses
 * as `-t` with the value `" 60"`, as the real getopt does. Returns { flags, values, operands }
 * or { error } with the line getopt prints.
 */
export function parseOptions(argv) {
  const flags = new Set();
  const values = {};
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index];
    if (arg === '--') {
      index += 1;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    for (let pos = 1; pos < arg.length; pos += 1) {
      const letter = arg[pos];
      const spec = OPTION_STRING.indexOf(letter);
      if (letter === ':' || spec === -1)
        return { error: `caffeinate: illegal option -- ${letter}` };
      if (OPTION_STRING[spec + 1] !== ':') {
        flags.add(letter);
        continue;
      }
      if (pos + 1 < arg.length) {
        values[letter] = arg.slice(pos + 1);
      } else if (index + 1 < argv.length) {
        index += 1;
        values[letter] = argv[index];
      } else {
        return { error: `caffeinate: option requires an argument -- ${letter}` };
      }
      break;
    }
    index += 1;
  }

  return { flags, values, operands: argv.slice(index) };
}

/**
 * A whole number of seconds or a pid, as atoi() reads it: leading blanks allowed. Anything else
 * is refused with the usage (the real tool's reaction to junk is not documented; refusing is the
 * safer guess for a test double).
 */
export function parseCount(text) {
  const match = /^\s*(\d+)$/.exec(text ?? '');

  return match ? Number(match[1]) : null;
}

/** The assertion types of the given flags; -i when none is given. */
export function assertionTypes(flags) {
  const chosen = FLAG_TYPES.filter(([letter]) => flags.has(letter)).map(([, type]) => type);

  return chosen.length > 0 ? chosen : ['PreventUserIdleSystemSleep'];
}

/** The `Details:` text of caffeinate's assertions. */
export function detailsText({ timeoutSecs, waitPid, utility, utilityPid }) {
  if (utility !== undefined)
    return `caffeinate asserting on behalf of '${utility}' (pid ${utilityPid})`;
  const base =
    waitPid === undefined
      ? timeoutSecs === undefined
        ? 'caffeinate asserting forever'
        : 'caffeinate asserting'
      : `caffeinate asserting on behalf of Process ID ${waitPid}`;

  return timeoutSecs === undefined ? base : `${base} for ${timeoutSecs} secs`;
}

function assertionId(pid, sequence) {
  return `0x${((BigInt(pid) << 32n) | BigInt(0x19000 + sequence)).toString(16).padStart(16, '0')}`;
}

/** The assertion records of one caffeinate, ready for the state file. */
export function buildAssertions({ pid, types, details, timeoutSecs, createdAt }) {
  return types.map((type, sequence) => {
    const secs = timeoutSecs ?? (type === 'UserIsActive' ? USER_ACTIVE_TIMEOUT_SECS : undefined);

    return {
      id: assertionId(pid, sequence),
      type,
      name: 'caffeinate command-line tool',
      details,
      localized: 'THE CAFFEINATE TOOL IS PREVENTING SLEEP.',
      createdAt,
      timeoutSecs: secs ?? null,
      timeoutAt: secs === undefined ? null : createdAt + secs * 1000,
      // PreventSystemSleep only acts on AC power (caffeinate(8)); pmset shows that as a detail line.
      acOnly: type === 'PreventSystemSleep',
    };
  });
}
