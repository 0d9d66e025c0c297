// Signal numbers and texts as macOS shows them (strsignal), and sysexits names for exit codes.
// The double runs on Linux, so signals are translated by name, never by number.

const MAC_SIGNALS = [
  ['SIGHUP', 1, 'Hangup'],
  ['SIGINT', 2, 'Interrupt'],
  ['SIGQUIT', 3, 'Quit'],
  ['SIGILL', 4, 'Illegal instruction'],
  ['SIGTRAP', 5, 'Trace/BPT trap'],
  ['SIGABRT', 6, 'Abort trap'],
  ['SIGFPE', 8, 'Floating point exception'],
  ['SIGKILL', 9, 'Killed'],
  ['SIGBUS', 10, 'Bus error'],
  ['SIGSEGV', 11, 'Segmentation fault'],
  ['SIGSYS', 12, 'Bad system call'],
  ['SIGPIPE', 13, 'Broken pipe'],
  ['SIGALRM', 14, 'Alarm clock'],
  ['SIGTERM', 15, 'Terminated'],
  ['SIGURG', 16, 'Urgent I/O condition'],
  ['SIGSTOP', 17, 'Suspended (signal)'],
  ['SIGTSTP', 18, 'Suspended'],
  ['SIGCONT', 19, 'Continued'],
  ['SIGCHLD', 20, 'Child exited'],
  ['SIGTTIN', 21, 'Stopped (tty input)'],
  ['SIGTTOU', 22, 'Stopped (tty output)'],
  ['SIGIO', 23, 'I/O possible'],
  ['SIGXCPU', 24, 'Cputime limit exceeded'],
  ['SIGXFSZ', 25, 'Filesize limit exceeded'],
  ['SIGVTALRM', 26, 'Virtual timer expired'],
  ['SIGPROF', 27, 'Profiling timer expired'],
  ['SIGWINCH', 28, 'Window size changes'],
  ['SIGUSR1', 30, 'User defined signal 1'],
  ['SIGUSR2', 31, 'User defined signal 2'],
];

const SYSEXITS = {
  64: 'EX_USAGE',
  65: 'EX_DATAERR',
  66: 'EX_NOINPUT',
  67: 'EX_NOUSER',
  68: 'EX_NOHOST',
  69: 'EX_UNAVAILABLE',
  70: 'EX_SOFTWARE',
  71: 'EX_OSERR',
  72: 'EX_OSFILE',
  73: 'EX_CANTCREAT',
  74: 'EX_IOERR',
  75: 'EX_TEMPFAIL',
  76: 'EX_PROTOCOL',
  77: 'EX_NOPERM',
  78: 'EX_CONFIG',
};

/** The macOS number of a Node signal name (`SIGTERM` → 15), or null. */
export function macSignalNumber(name) {
  return MAC_SIGNALS.find(([signal]) => signal === name)?.[1] ?? null;
}

/** `Terminated: 15` for the macOS signal number 15. */
export function signalText(number) {
  const entry = MAC_SIGNALS.find(([, value]) => value === number);

  return entry ? `${entry[2]}: ${number}` : `Unknown signal: ${number}`;
}

/** The Node signal name for `SIGTERM`, `TERM`, `term` or a macOS number such as `15`; else null. */
export function parseSignalArgument(text) {
  if (/^\d+$/.test(text))
    return MAC_SIGNALS.find(([, value]) => value === Number(text))?.[0] ?? null;
  const upper = text.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;

  return MAC_SIGNALS.some(([signal]) => signal === name) ? name : null;
}

/** `78: EX_CONFIG` for 78, `1` for 1: the way `print` shows a last exit code. */
export function exitCodeText(code) {
  return SYSEXITS[code] ? `${code}: ${SYSEXITS[code]}` : String(code);
}
