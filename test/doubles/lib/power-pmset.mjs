// Output formats of the pmset double (Apple's pmset.m), rendered from the power state.
import { SYSTEM_SLEEP_TYPES } from './power-state.mjs';

// pmset prints a short usage after an error. Its full text is long and not in the reference;
// these two lines are its first and last (approximate).
export const USAGE_LINES = ['Usage: pmset <options>', "See pmset(1) for details: 'man pmset'"];

// The system-wide summary rows that are always printed, in the order of the reference sample.
// pmset's real order follows an internal dictionary and is not fixed.
const SUMMARY_TYPES = [
  'BackgroundTask',
  'ApplePushServiceTask',
  'UserIsActive',
  'PreventUserIdleDisplaySleep',
  'PreventSystemSleep',
  'ExternalMedia',
  'PreventUserIdleSystemSleep',
  'NetworkClientActive',
];

const PROFILE_HEADERS = { battery: 'Battery Power:', ac: 'AC Power:', ups: 'UPS Power:' };
const SOURCE_NAMES = { ac: 'AC Power', battery: 'Battery Power', ups: 'UPS Power' };

function pad2(value) {
  return String(value).padStart(2, '0');
}

/** `yyyy-MM-dd HH:mm:ss ZZZ` in local time, e.g. `2025-11-02 13:20:57 -0600`. */
export function formatDate(date) {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const zone = `${sign}${pad2(Math.floor(Math.abs(offset) / 60))}${pad2(Math.abs(offset) % 60)}`;
  const day = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;

  return `${day} ${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())} ${zone}`;
}

function formatAge(seconds) {
  const whole = Math.max(0, Math.floor(seconds));

  return `${pad2(Math.floor(whole / 3600))}:${pad2(Math.floor(whole / 60) % 60)}:${pad2(whole % 60)}`;
}

/** ` <name padded to 20> <value>`; booleans as 0/1. */
export function settingRow(name, value) {
  const shown = typeof value === 'boolean' ? (value ? 1 : 0) : value;

  return ` ${name.padEnd(20)} ${shown}`;
}

function countOf(type, assertions) {
  // The system-wide status is a level per type: 1 when any assertion of that type is held.
  return assertions.some((assertion) => assertion.type === type) ? 1 : 0;
}

function summaryRows(assertions) {
  const rare = [...new Set(assertions.map((assertion) => assertion.type))].filter(
    (type) => !SUMMARY_TYPES.includes(type),
  );

  return [...SUMMARY_TYPES, ...rare].map(
    (type) => `   ${type.padEnd(30)} ${countOf(type, assertions)}`,
  );
}

function ownerLines(assertion, now) {
  const age = formatAge(assertion.ageSeconds ?? (now - assertion.createdAt) / 1000);
  const lines = [
    `   pid ${assertion.pid}(${assertion.process}): [${assertion.id}] ${age} ${assertion.type} named: "${assertion.name}"  `,
  ];
  if (assertion.details) lines.push(`\tDetails: ${assertion.details}`);
  if (assertion.localized) lines.push(`\tLocalized=${assertion.localized}`);
  if (assertion.acOnly) lines.push('\tAssertion applied on AC  power only');
  if (assertion.timeoutAt) {
    const left = Math.max(0, Math.ceil((assertion.timeoutAt - now) / 1000));
    lines.push(`\tTimeout will fire in ${left} secs Action=TimeoutActionRelease`);
  }

  return lines;
}

/** `pmset -g assertions`. */
export function formatAssertions(settings, liveAssertions, now = Date.now()) {
  const all = [...liveAssertions, ...settings.otherAssertions];
  const lines = [
    `${formatDate(new Date(now))} `,
    'Assertion status system-wide:',
    ...summaryRows(all),
    'Listed by owning process:',
    ...all.flatMap((assertion) => ownerLines(assertion, now)),
    'No kernel assertions.',
  ];
  if (settings.idleSleepPreventers.length > 0) {
    lines.push(`Idle sleep preventers: ${settings.idleSleepPreventers.join(', ')}`);
  }

  return `${lines.join('\n')}\n`;
}

function preventers(liveAssertions, types, others, powerSource) {
  const names = liveAssertions
    .filter((assertion) => types.includes(assertion.type))
    .filter((assertion) => !(assertion.acOnly && powerSource !== 'ac'))
    .map((assertion) => assertion.process);

  return [...new Set([...names, ...others])];
}

/** `pmset -g` and `pmset -g live`. */
export function formatLive(settings, liveAssertions) {
  const sleepBy = preventers(
    liveAssertions,
    SYSTEM_SLEEP_TYPES,
    settings.otherSleepPreventers,
    settings.powerSource,
  );
  const displayBy = preventers(
    liveAssertions,
    ['PreventUserIdleDisplaySleep'],
    [],
    settings.powerSource,
  );
  const lines = ['System-wide power settings:'];
  if (settings.sleepDisabled !== null) lines.push(` SleepDisabled\t\t${settings.sleepDisabled}`);
  lines.push('Currently in use:');
  for (const [name, value] of settings.live) {
    let row = settingRow(name, value);
    if (name === 'sleep' && sleepBy.length > 0)
      row += ` (sleep prevented by ${sleepBy.join(', ')})`;
    if (name === 'displaysleep' && displayBy.length > 0)
      row += ` (display sleep prevented by ${displayBy.join(', ')})`;
    lines.push(row);
  }

  return `${lines.join('\n')}\n`;
}

/** `pmset -g custom`: one block per profile; a desktop Mac has only `AC Power:`. */
export function formatCustom(settings) {
  const profiles = settings.hasBattery ? ['battery', 'ac'] : ['ac'];
  const lines = profiles
    .filter((profile) => settings.custom[profile])
    .flatMap((profile) => [
      PROFILE_HEADERS[profile],
      ...settings.custom[profile].map(([name, value]) => settingRow(name, value)),
    ]);

  return `${lines.join('\n')}\n`;
}

function batteryLine(battery) {
  const time =
    battery.state === 'AC attached; not charging'
      ? ''
      : battery.remaining
        ? `; ${battery.remaining} remaining`
        : '; (no estimate)';
  const health = battery.health ? ` (${battery.health})` : '';

  return ` -${battery.name} (id=${battery.id})\t${battery.percent}%; ${battery.state}${time} present: true${health}`;
}

/** `pmset -g batt`: the source line, and on a laptop the battery line. */
export function formatBattery(settings) {
  if (settings.powerSource === null) return 'No power source info available\n';
  const lines = [`Now drawing from '${SOURCE_NAMES[settings.powerSource]}'`];
  if (settings.hasBattery) lines.push(batteryLine(settings.battery));
  if (settings.hasBattery && settings.batteryWarning)
    lines.push(`\tBattery Warning: ${settings.batteryWarning}`);

  return `${lines.join('\n')}\n`;
}
