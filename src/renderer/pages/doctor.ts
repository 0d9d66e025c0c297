/**
 * The doctor window: runs the host and in-container checks and shows them grouped by area,
 * failures first, each failure and warning with its fix.
 */
import type { DoctorReportData } from '../../ipc/contract.js';
import { messageOf, unwrap, workbench } from '../lib/api.js';
import { button, byId, h, replaceChildren, showMessage } from '../lib/dom.js';

type Check = DoctorReportData['checks'][number];

const LEVEL_ORDER: Record<Check['level'], number> = { fail: 0, warn: 1, info: 2, ok: 3 };
const LEVEL_TONES: Record<Check['level'], string> = {
  fail: 'red',
  warn: 'amber',
  info: 'grey',
  ok: 'green',
};
const LEVEL_WORDS: Record<Check['level'], string> = {
  fail: 'Failed',
  warn: 'Warning',
  info: 'Info',
  ok: 'Passed',
};
const AREA_TITLES: Record<string, string> = {
  host: 'This Mac',
  container: 'Container',
  runtime: 'Runtime',
  bridge: 'Telegram bridge',
  env: 'Env files',
  agent: 'Login agent',
  awake: 'Keep awake',
  power: 'Power',
  inside: 'Inside the container',
};

const message = byId('message');
const content = byId('content');
const results = h('div', { id: 'results' });
const runButton = button('Run Doctor', run, { id: 'run', className: 'primary' });
content.append(h('div', { className: 'toolbar' }, runButton), results);

/** The area of a check: the part of its id before the first `.`, `-` or `/`. */
function areaOf(check: Check): string {
  return check.id.split(/[./-]/)[0] ?? check.id;
}

function checkElement(check: Check): HTMLElement {
  const fix =
    check.fix && check.level !== 'ok'
      ? h('div', { className: 'fix', text: `Fix: ${check.fix}` })
      : null;

  return h(
    'div',
    { className: 'check', attrs: { 'data-level': check.level, 'data-id': check.id } },
    h('span', {
      className: 'badge',
      title: LEVEL_WORDS[check.level],
      attrs: { 'data-tone': LEVEL_TONES[check.level] },
    }),
    h('div', {}, h('span', { className: 'check-message', text: check.message }), fix),
  );
}

function groups(report: DoctorReportData): Array<[string, Check[]]> {
  const byArea = new Map<string, Check[]>();
  for (const check of report.checks)
    byArea.set(areaOf(check), [...(byArea.get(areaOf(check)) ?? []), check]);
  const worst = (checks: Check[]) => Math.min(...checks.map((check) => LEVEL_ORDER[check.level]));

  return [...byArea.entries()]
    .map(([area, checks]): [string, Check[]] => [
      area,
      [...checks].sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level]),
    ])
    .sort((a, b) => worst(a[1]) - worst(b[1]));
}

function render(report: DoctorReportData): void {
  const counts =
    `${report.failures} ${report.failures === 1 ? 'failure' : 'failures'}, ` +
    `${report.warnings} ${report.warnings === 1 ? 'warning' : 'warnings'}, ${report.checks.length} checks`;
  showMessage(
    message,
    report.failures > 0
      ? `${counts}. Fix the failures below, then run the doctor again.`
      : `${counts}. All good.`,
    report.failures > 0 ? 'error' : 'success',
  );
  replaceChildren(
    results,
    ...groups(report).map(([area, checks]) =>
      h(
        'section',
        { className: 'panel', attrs: { 'data-area': area } },
        h('h2', { text: AREA_TITLES[area] ?? area }),
        ...checks.map(checkElement),
      ),
    ),
  );
}

async function run(): Promise<void> {
  showMessage(message, 'Running the checks…');
  try {
    render(await unwrap(workbench().runDoctor()));
  } catch (error) {
    showMessage(message, messageOf(error), 'error');
  }
}

void run();
