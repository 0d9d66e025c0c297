/**
 * Parsers for pmset's text output. `pmset -g assertions` is read only from its owning-process
 * lines: the summary block always names every common assertion type, so a type found there
 * proves nothing about who holds it.
 */

/** One assertion from the `Listed by owning process:` section. */
export interface PowerAssertion {
  pid: number;
  process: string;
  type: string;
  name: string;
  /** The text of the `Details:` line, or null when there is none. */
  details: string | null;
  /** `(timed out)` on the owner line: the assertion no longer holds. */
  timedOut: boolean;
}

/** The settings `pmset -g` reports and who prevents sleep. */
export interface PmsetLive {
  /** `Currently in use:` rows by name, values as printed (without the override notes). */
  settings: Record<string, string>;
  /** Process names of `sleep … (sleep prevented by a, b)`. */
  sleepPreventedBy: string[];
  /** Process names of `displaysleep … (display sleep prevented by a, b)`. */
  displaySleepPreventedBy: string[];
  /** `SleepDisabled` of the system-wide block, or null when it is not printed. */
  sleepDisabled: boolean | null;
}

// `   pid 98217(caffeinate): [0x00045477000194b3] 00:00:03 PreventUserIdleSystemSleep named: "…"  `
// The process name may itself contain parentheses, so it runs up to the last `): [0x`.
const DETAILS = '\tDetails: ';
const OWNER_LINE =
  /^\s+pid (\d+)\((.*)\): \[0x[0-9a-fA-F]+\] +\d+:\d\d:\d\d +(\S+) named: "(.*)"(.*)$/;
const SECTION_END =
  /^(No kernel assertions\.|Kernel Assertions:|Idle sleep preventers:|System sleep preventers:|Inactive assertions)/;

/** The owning-process entries of `pmset -g assertions`, in the order listed. */
export function parseAssertions(text: string): PowerAssertion[] {
  const entries: PowerAssertion[] = [];
  let inSection = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('Listed by owning process:')) {
      inSection = true;
      continue;
    }
    if (!inSection) continue;
    if (SECTION_END.test(line)) break;
    const owner = OWNER_LINE.exec(line);
    if (owner) {
      entries.push({
        pid: Number(owner[1]),
        process: owner[2]!,
        type: owner[3]!,
        name: owner[4]!,
        details: null,
        timedOut: owner[5]!.includes('(timed out)'),
      });
      continue;
    }
    const current = entries.at(-1);
    if (current && line.startsWith(DETAILS)) current.details = line.slice(DETAILS.length).trimEnd();
  }

  return entries;
}

/** Assertions held for sleep prevention by the caffeinate running as `pid`. */
export function findCaffeinateAssertions(
  entries: readonly PowerAssertion[],
  pid: number,
): PowerAssertion[] {
  return entries.filter(
    (entry) => entry.pid === pid && entry.process === 'caffeinate' && !entry.timedOut,
  );
}

function splitRow(line: string): [string, string] | null {
  const body = line.slice(1).trimEnd();
  // Names from pmset's table are padded to 20 columns, so two or more spaces follow them; a
  // longer or unknown name is printed raw and followed by one space (` Sleep On Power Button 1`).
  const padded = /^(\S(?:.*?\S)?) {2,}(\S.*)$/.exec(body);
  if (padded) return [padded[1]!, padded[2]!];
  const raw = /^(.*\S) (\S+)$/.exec(body);

  return raw ? [raw[1]!, raw[2]!] : null;
}

function splitOverride(value: string, phrase: string): { value: string; by: string[] } {
  const marker = ` (${phrase} `;
  const at = value.indexOf(marker);
  if (at === -1 || !value.endsWith(')')) return { value, by: [] };
  const names = value
    .slice(at + marker.length, -1)
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);

  return { value: value.slice(0, at), by: names };
}

/** Parses `pmset -g` / `pmset -g live`. Rows come in no fixed order; unknown names are kept. */
export function parsePmsetLive(text: string): PmsetLive {
  const result: PmsetLive = {
    settings: {},
    sleepPreventedBy: [],
    displaySleepPreventedBy: [],
    sleepDisabled: null,
  };
  const rows: [string, string][] = [];
  let inUse = false;
  for (const line of text.split('\n')) {
    const systemWide = /^ SleepDisabled\t+(\d+)\s*$/.exec(line);
    if (systemWide) result.sleepDisabled = systemWide[1] !== '0';
    if (line.startsWith('Currently in use:')) {
      inUse = true;
      continue;
    }
    if (!inUse || !line.startsWith(' ')) continue;
    const row = splitRow(line);
    if (!row) continue;
    const [name, rawValue] = row;
    if (name === 'sleep') {
      const { value, by } = splitOverride(rawValue, 'sleep prevented by');
      result.sleepPreventedBy = by;
      rows.push([name, value]);
    } else if (name === 'displaysleep') {
      const { value, by } = splitOverride(rawValue, 'display sleep prevented by');
      result.displaySleepPreventedBy = by;
      rows.push([name, value]);
    } else {
      rows.push([name, rawValue]);
    }
  }
  result.settings = Object.fromEntries(rows);

  return result;
}

/** The source `pmset -g batt` names on its first line: `AC Power`, `Battery Power`, `UPS Power`. */
export function parsePowerSource(text: string): 'ac' | 'battery' | 'ups' | null {
  const match = /^Now drawing from '([^']+)'/m.exec(text);
  if (!match) return null;
  const sources: Record<string, 'ac' | 'battery' | 'ups'> = {
    'AC Power': 'ac',
    'Battery Power': 'battery',
    'UPS Power': 'ups',
  };

  return sources[match[1]!] ?? null;
}
