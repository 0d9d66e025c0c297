/**
 * First-run setup, one step after another: check the prerequisites, create the env files with a
 * fresh runtime token and build the image, enter the bot token, pair a chat through the
 * allowlist, and keep the workbench alive at login.
 */
import { messageOf, unwrap, workbench } from '../lib/api.js';
import { button, byId, h, replaceChildren, showMessage } from '../lib/dom.js';

const message = byId('message');
const content = byId('content');

function step(id: string, title: string, ...body: Node[]): HTMLLIElement {
  return h('li', {}, h('section', { className: 'panel', id }, h('h2', { text: title }), ...body));
}

function result(id: string): HTMLElement {
  const element = h('p', { id, className: 'message', attrs: { role: 'status' } });
  element.hidden = true;

  return element;
}

/** Runs one step's work and writes its outcome under the step. */
async function attempt(where: HTMLElement, work: () => Promise<string>): Promise<boolean> {
  showMessage(where, 'Working…');
  try {
    showMessage(where, await work(), 'success');
    return true;
  } catch (error) {
    showMessage(where, messageOf(error), 'error');
    return false;
  }
}

function prerequisitesStep(): HTMLLIElement {
  const list = h('ul', { id: 'prerequisites' });
  const outcome = result('prerequisites-result');
  const check = () =>
    attempt(outcome, async () => {
      const report = await unwrap(workbench().runDoctor());
      const problems = report.checks.filter(
        (found) => found.level === 'fail' || found.level === 'warn',
      );
      replaceChildren(
        list,
        ...problems.map((found) =>
          h(
            'li',
            {
              className: 'problem',
              attrs: { 'data-severity': found.level === 'fail' ? 'error' : 'warning' },
            },
            found.message,
            found.fix ? h('div', { className: 'fix', text: `Fix: ${found.fix}` }) : null,
          ),
        ),
      );
      if (report.failures > 0)
        throw new Error(
          `${report.failures} of ${report.checks.length} checks failed; fix them and check again.`,
        );
      return 'This Mac is ready. Checks that need the finished setup may still warn.';
    });

  return step(
    'step-prerequisites',
    'Check this Mac',
    h('p', {
      className: 'muted',
      text: 'Apple silicon, macOS 15 or later and Apple\u2019s container tool are needed.',
    }),
    h('div', { className: 'toolbar' }, button('Check', check, { id: 'check' })),
    list,
    outcome,
  );
}

function createStep(): HTMLLIElement {
  const image = h('input', {
    id: 'setup-image',
    attrs: {
      type: 'text',
      placeholder: 'leave empty to build codewhale-workbench:latest',
      spellcheck: 'false',
    },
  });
  const outcome = result('create-result');
  const create = () =>
    attempt(outcome, async () => {
      const ref = image.value.trim();
      const done = await unwrap(workbench().runSetup(ref === '' ? undefined : ref));
      return done.message;
    });

  return step(
    'step-create',
    'Create the env files and the image',
    h('p', {
      className: 'muted',
      text:
        'Writes runtime.env and telegram-bridge.env (never over existing files) with one new ' +
        'random runtime token in both, creates the volumes and builds the image. Building takes a few minutes.',
    }),
    h('div', { className: 'toolbar' }, h('label', { text: 'Existing image' }, image)),
    h(
      'div',
      { className: 'toolbar' },
      button('Create', create, { id: 'create', className: 'primary' }),
    ),
    outcome,
  );
}

/** Saves keys into telegram-bridge.env after checking each with the shared grammar. */
async function saveBridge(changes: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(changes)) {
    const problems = await unwrap(workbench().checkEnv('bridge', key, value));
    const error = problems.find((found) => found.severity === 'error');
    if (error) throw new Error(`${error.message} — ${error.fix}`);
  }
  await unwrap(workbench().saveEnv('bridge', changes));
}

function botTokenStep(): HTMLLIElement {
  const token = h('input', {
    id: 'bot-token',
    attrs: {
      type: 'password',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: '123456789:AA…',
    },
  });
  const outcome = result('bot-token-result');
  const save = () =>
    attempt(outcome, async () => {
      await saveBridge({ TELEGRAM_BOT_TOKEN: token.value.trim() });
      token.value = '';
      return 'Bot token saved in telegram-bridge.env (mode 0600).';
    });

  return step(
    'step-bot-token',
    'Enter the Telegram bot token',
    h('p', {
      className: 'muted',
      text:
        'Create a bot with @BotFather in Telegram and paste the token it gives you. ' +
        'It is stored only in telegram-bridge.env.',
    }),
    h(
      'div',
      { className: 'toolbar' },
      token,
      button('Save Token', save, { id: 'save-token', className: 'primary' }),
    ),
    outcome,
  );
}

function pairingStep(): HTMLLIElement {
  const allowlist = h('input', {
    id: 'allowlist',
    attrs: { type: 'text', spellcheck: 'false', placeholder: 'chat_id, user_id or @username' },
  });
  const outcome = result('pairing-result');
  const start = () =>
    attempt(outcome, async () => {
      const done = await unwrap(workbench().start());
      return `${done.message} Now send /status to your bot in Telegram.`;
    });
  const save = () =>
    attempt(outcome, async () => {
      const ids = allowlist.value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      if (ids.length === 0)
        throw new Error(
          'Enter at least one chat_id, user_id or @username from the bot\u2019s reply.',
        );
      await saveBridge({
        TELEGRAM_CHAT_ALLOWLIST: ids.join(','),
        TELEGRAM_ALLOW_UNLISTED: 'false',
      });
      const status = await unwrap(workbench().status());
      if (status.container.state !== 'running')
        return 'Allowlist saved. Start the workbench to apply it.';
      await unwrap(workbench().restart());
      return 'Allowlist saved and the workbench restarted: only these chats can control it.';
    });

  return step(
    'step-pairing',
    'Pair your Telegram chat',
    h('p', {
      className: 'muted',
      text:
        'Start the workbench and send /status to your bot. It answers a chat it does not know ' +
        'with its chat_id, user_id and username. Paste one of them here; only listed chats may use the bot.',
    }),
    h('div', { className: 'toolbar' }, button('Start Workbench', start, { id: 'pair-start' })),
    h(
      'div',
      { className: 'toolbar' },
      allowlist,
      button('Save Allowlist', save, { id: 'save-allowlist', className: 'primary' }),
    ),
    outcome,
  );
}

function finishStep(): HTMLLIElement {
  const agent = h('input', { id: 'enable-agent', attrs: { type: 'checkbox' } });
  agent.checked = true;
  const loginItem = h('input', { id: 'setup-open-at-login', attrs: { type: 'checkbox' } });
  loginItem.checked = true;
  const outcome = result('finish-result');
  const finish = () =>
    attempt(outcome, async () => {
      const notes: string[] = [];
      if (agent.checked) notes.push((await unwrap(workbench().setAgent(true))).message);
      await unwrap(workbench().setLoginItem(loginItem.checked));
      await unwrap(workbench().saveSettings({ setupComplete: true }));
      notes.push('Setup is complete. The menu-bar icon shows the workbench from now on.');
      return notes.join(' ');
    });

  return step(
    'step-finish',
    'Keep it running',
    h(
      'p',
      {},
      h(
        'label',
        {},
        agent,
        'Keep Workbench Alive at Login (a launchd agent restarts it if it stops)',
      ),
    ),
    h('p', {}, h('label', {}, loginItem, 'Open the menu-bar app at login')),
    h(
      'div',
      { className: 'toolbar' },
      button('Finish Setup', finish, { id: 'finish', className: 'primary' }),
    ),
    outcome,
  );
}

replaceChildren(
  content,
  h(
    'ol',
    { className: 'steps' },
    prerequisitesStep(),
    createStep(),
    botTokenStep(),
    pairingStep(),
    finishStep(),
  ),
);
showMessage(message, 'Follow the steps in order; each can be run again.');
