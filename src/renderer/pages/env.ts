/**
 * The env-file editor for runtime.env and telegram-bridge.env: secret values masked with a
 * reveal button, every edited value checked inline against the shared env grammar, saves through
 * the core's secret writer (mode 0600), then an offer to restart so the change applies.
 */
import type { EnvFileViewData } from '../../ipc/contract.js';
import { messageOf, unwrap, workbench } from '../lib/api.js';
import { button, byId, h, replaceChildren, showMessage } from '../lib/dom.js';

type FileName = 'runtime' | 'bridge';

const FILE_LABELS: Record<FileName, string> = {
  runtime: 'runtime.env',
  bridge: 'telegram-bridge.env',
};
const CHECK_DELAY_MS = 150;

/** One editable line of the file. */
interface Row {
  key: string;
  /** The value shown when the file was read (the masked form for a secret). */
  shown: string;
  secret: boolean;
  /** The real value of a secret once revealed. */
  revealed: string | null;
  isNew: boolean;
  deleted: boolean;
  keyInput: HTMLInputElement | null;
  input: HTMLInputElement;
  problem: HTMLElement;
  error: boolean;
  element: HTMLTableRowElement;
}

const message = byId('message');
const content = byId('content');
let active: FileName = 'runtime';
let rows: Row[] = [];
const pendingChecks = new Set<Promise<void>>();

const tabs = h('div', { className: 'tabs', attrs: { role: 'tablist' } });
const filePanel = h('section', { className: 'panel', id: 'file' });
const saveButton = h('button', {
  id: 'save',
  className: 'primary',
  text: 'Save',
  attrs: { type: 'button' },
});
const restartOffer = h('div', { className: 'toolbar', id: 'restart-offer' });
restartOffer.hidden = true;
content.append(tabs, filePanel, h('div', { className: 'toolbar' }, saveButton), restartOffer);

function keyOf(row: Row): string {
  return row.keyInput ? row.keyInput.value : row.key;
}

/** The value to save for a row, or undefined when the row is unchanged. */
function changeOf(row: Row): string | null | undefined {
  if (row.deleted) return row.isNew ? undefined : null;
  const value = row.input.value;
  if (row.isNew) return keyOf(row) === '' ? undefined : value;
  if (row.secret) {
    if (row.revealed === null) return value === '' ? undefined : value;
    return value === row.revealed ? undefined : value;
  }

  return value === row.shown ? undefined : value;
}

function changes(): Record<string, string | null> {
  const found: Record<string, string | null> = {};
  for (const row of rows) {
    const change = changeOf(row);
    if (change !== undefined) found[keyOf(row)] = change;
  }

  return found;
}

function updateSaveButton(): void {
  const hasErrors = rows.some((row) => row.error && !row.deleted);
  saveButton.disabled = hasErrors || Object.keys(changes()).length === 0;
}

function showProblem(
  row: Row,
  problems: Array<{ message: string; fix: string; severity: string }>,
): void {
  const first = problems.find((found) => found.severity === 'error') ?? problems[0];
  row.error = problems.some((found) => found.severity === 'error');
  row.input.setAttribute('aria-invalid', String(row.error));
  if (!first) {
    replaceChildren(row.problem);
    row.problem.hidden = true;
    return;
  }
  row.problem.dataset.severity = first.severity;
  replaceChildren(
    row.problem,
    h('span', { className: 'problem-message', text: first.message }),
    h('div', { className: 'fix', text: `Fix: ${first.fix}` }),
  );
  row.problem.hidden = false;
}

/** Checks one row's key and value with the shared grammar, in the main process. */
function checkRow(row: Row): Promise<void> {
  const check = (async () => {
    if (changeOf(row) === undefined || row.deleted) {
      showProblem(row, []);
      return;
    }
    try {
      showProblem(row, await unwrap(workbench().checkEnv(active, keyOf(row), row.input.value)));
    } catch (error) {
      showProblem(row, [{ message: messageOf(error), fix: 'try again', severity: 'error' }]);
    }
  })();
  pendingChecks.add(check);
  void check.finally(() => {
    pendingChecks.delete(check);
    updateSaveButton();
  });

  return check;
}

function watchRow(row: Row): void {
  let timer: number | undefined;
  const schedule = () => {
    window.clearTimeout(timer);
    saveButton.disabled = true;
    timer = window.setTimeout(() => void checkRow(row), CHECK_DELAY_MS);
  };
  row.input.addEventListener('input', schedule);
  row.keyInput?.addEventListener('input', schedule);
}

async function reveal(row: Row, revealButton: HTMLButtonElement): Promise<void> {
  try {
    const value = await unwrap(workbench().revealEnv(active, row.key));
    row.revealed = value;
    row.input.type = 'text';
    row.input.value = value;
    revealButton.hidden = true;
    void checkRow(row);
  } catch (error) {
    showMessage(message, messageOf(error), 'error');
  }
}

function rowElement(row: Row, revealButton: HTMLButtonElement | null): HTMLTableRowElement {
  const remove = button(
    'Remove',
    () => {
      row.deleted = !row.deleted;
      row.element.classList.toggle('muted', row.deleted);
      row.input.disabled = row.deleted;
      remove.textContent = row.deleted ? 'Keep' : 'Remove';
      updateSaveButton();
    },
    { className: 'link' },
  );
  const keyCell = row.keyInput
    ? h('td', { className: 'key' }, row.keyInput)
    : h('td', { className: 'key', text: row.key });

  return h(
    'tr',
    { attrs: { 'data-key': row.key } },
    keyCell,
    h('td', {}, h('div', { className: 'env-value' }, row.input, revealButton), row.problem),
    h('td', {}, remove),
  );
}

function makeRow(entry: { key: string; value: string; secret: boolean } | null): Row {
  const secret = entry?.secret ?? false;
  const input = h('input', {
    className: 'value',
    attrs: {
      type: secret ? 'password' : 'text',
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-label': entry ? `Value of ${entry.key}` : 'Value',
    },
  });
  if (secret && entry) input.placeholder = `${entry.value} — type to replace`;
  else input.value = entry?.value ?? '';
  const keyInput = entry
    ? null
    : h('input', {
        className: 'new-key',
        attrs: { type: 'text', placeholder: 'KEY', spellcheck: 'false', 'aria-label': 'Key' },
      });
  const problem = h('div', { className: 'problem', attrs: { role: 'alert' } });
  problem.hidden = true;
  const row: Row = {
    key: entry?.key ?? '',
    shown: entry?.value ?? '',
    secret,
    revealed: null,
    isNew: entry === null,
    deleted: false,
    keyInput,
    input,
    problem,
    error: false,
    element: null as unknown as HTMLTableRowElement,
  };
  const revealButton: HTMLButtonElement | null = secret
    ? button('Reveal', () => reveal(row, revealButton!), { className: 'link reveal' })
    : null;
  row.element = rowElement(row, revealButton);
  watchRow(row);

  return row;
}

function problemList(view: EnvFileViewData): HTMLElement | null {
  const fileProblems = view.problems;
  if (fileProblems.length === 0) return null;

  return h(
    'ul',
    { id: 'file-problems' },
    ...fileProblems.map((found) =>
      h('li', {
        className: 'problem',
        text: found.line ? `line ${found.line}: ${found.message}` : found.message,
        attrs: { 'data-severity': found.severity, 'data-code': found.code },
      }),
    ),
  );
}

function renderFile(view: EnvFileViewData): void {
  rows = view.entries.map((entry) => makeRow(entry));
  const body = h('tbody', {}, ...rows.map((row) => row.element));
  const addButton = button(
    'Add Variable',
    () => {
      const row = makeRow(null);
      rows.push(row);
      body.append(row.element);
      row.keyInput?.focus();
    },
    { id: 'add' },
  );
  const repairs =
    view.repairs.length > 0
      ? h('p', { className: 'muted small', id: 'repairs', text: view.repairs.join(' ') })
      : null;
  replaceChildren(
    filePanel,
    h('h2', { text: FILE_LABELS[view.name] }),
    h('p', {
      className: 'muted small',
      id: 'path',
      text: view.exists ? view.path : `${view.path} (not created yet)`,
    }),
    repairs,
    problemList(view),
    h(
      'table',
      { id: 'entries' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', { text: 'Key' }), h('th', { text: 'Value' }), h('th', {})),
      ),
      body,
    ),
    h('div', { className: 'toolbar' }, addButton),
  );
  updateSaveButton();
}

async function open(name: FileName): Promise<void> {
  active = name;
  for (const tab of tabs.querySelectorAll('button'))
    tab.setAttribute('aria-selected', String(tab.dataset.file === name));
  try {
    renderFile(await unwrap(workbench().readEnv(name)));
  } catch (error) {
    replaceChildren(filePanel, h('p', { className: 'detail', text: messageOf(error) }));
  }
}

function offerRestart(): void {
  replaceChildren(
    restartOffer,
    h('span', { text: 'The workbench reads env files when it starts.' }),
    button(
      'Restart to Apply',
      async () => {
        showMessage(message, 'Restarting…');
        try {
          const outcome = await unwrap(workbench().restart());
          showMessage(message, outcome.message, 'success');
          restartOffer.hidden = true;
        } catch (error) {
          showMessage(message, messageOf(error), 'error');
        }
      },
      { id: 'restart', className: 'primary' },
    ),
  );
  restartOffer.hidden = false;
}

async function save(): Promise<void> {
  saveButton.disabled = true;
  await Promise.all([...rows].filter((row) => changeOf(row) !== undefined).map(checkRow));
  await Promise.all([...pendingChecks]);
  if (rows.some((row) => row.error && !row.deleted)) {
    showMessage(message, 'Fix the values marked in red before saving.', 'error');
    return;
  }
  try {
    const view = await unwrap(workbench().saveEnv(active, changes()));
    renderFile(view);
    showMessage(message, `Saved ${FILE_LABELS[active]} (mode 0600).`, 'success');
    offerRestart();
  } catch (error) {
    showMessage(message, messageOf(error), 'error');
    updateSaveButton();
  }
}

function renderTabs(): void {
  for (const name of ['runtime', 'bridge'] as const) {
    const tab = h('button', {
      text: FILE_LABELS[name],
      attrs: { type: 'button', role: 'tab', 'data-file': name },
    });
    tab.addEventListener('click', () => void open(name));
    tabs.append(tab);
  }
}

renderTabs();
saveButton.addEventListener('click', () => void save());
const requested = new URLSearchParams(window.location.search).get('file');
void open(requested === 'bridge' ? 'bridge' : 'runtime');
