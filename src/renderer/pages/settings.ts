/**
 * The settings window: resources, image, container name, stop timeout, command paths, and
 * whether the menu-bar app opens at login. Every value is checked by the core's schema on save.
 */
import { COMMAND_NAMES } from '../../core/command-names.js';
import type { SettingsChange, SettingsData } from '../../ipc/contract.js';
import { messageOf, unwrap, workbench } from '../lib/api.js';
import { button, byId, h, replaceChildren, showMessage } from '../lib/dom.js';

const COMMANDS = COMMAND_NAMES;

const message = byId('message');
const content = byId('content');

function field(label: string, input: HTMLInputElement, hint?: string): Node[] {
  const id = input.id;

  return [
    h('label', { text: label, attrs: { for: id } }),
    input,
    ...(hint ? [h('div', { className: 'hint', text: hint })] : []),
  ];
}

function textInput(id: string, value: string, placeholder = ''): HTMLInputElement {
  const input = h('input', { id, attrs: { type: 'text', spellcheck: 'false', placeholder } });
  input.value = value;

  return input;
}

function numberInput(id: string, value: number, min: number, max: number): HTMLInputElement {
  const input = h('input', {
    id,
    attrs: { type: 'number', min: String(min), max: String(max), step: '1' },
  });
  input.value = String(value);

  return input;
}

function render(settings: SettingsData, openAtLogin: boolean): void {
  const cpus = numberInput('cpus', settings.cpus, 1, 64);
  const memory = textInput('memory', settings.memory, '16G');
  const image = textInput('image', settings.image);
  const containerName = textInput('container-name', settings.containerName);
  const stopTimeout = numberInput('stop-timeout', settings.stopTimeoutSeconds, 5, 300);
  const commandInputs = COMMANDS.map((name) =>
    textInput(`command-${name}`, settings.commands[name] ?? '', 'default'),
  );
  const loginItem = h('input', { id: 'open-at-login', attrs: { type: 'checkbox' } });
  loginItem.checked = openAtLogin;

  const save = async () => {
    const commands: Record<string, string> = {};
    COMMANDS.forEach((name, index) => {
      const value = commandInputs[index]!.value.trim();
      if (value) commands[name] = value;
    });
    const change: SettingsChange = {
      cpus: Number(cpus.value),
      memory: memory.value.trim(),
      image: image.value.trim(),
      containerName: containerName.value.trim(),
      stopTimeoutSeconds: Number(stopTimeout.value),
      commands,
    };
    try {
      await unwrap(workbench().saveSettings(change));
      await unwrap(workbench().setLoginItem(loginItem.checked));
      showMessage(
        message,
        'Saved. Restart the workbench to apply new resources, image or name.',
        'success',
      );
    } catch (error) {
      showMessage(message, messageOf(error), 'error');
    }
  };

  replaceChildren(
    content,
    h(
      'section',
      { className: 'panel' },
      h('h2', { text: 'Workbench' }),
      h(
        'div',
        { className: 'form-grid' },
        ...field('CPUs', cpus, 'The container\u2019s CPU limit (1–64).'),
        ...field(
          'Memory',
          memory,
          'A size such as 16G or 8192M; agents need more than the 1 GiB default.',
        ),
        ...field('Image', image),
        ...field('Container name', containerName),
        ...field(
          'Stop timeout (s)',
          stopTimeout,
          'How long a stop waits before the container is killed.',
        ),
      ),
    ),
    h(
      'section',
      { className: 'panel' },
      h('h2', { text: 'Command paths' }),
      h('p', {
        className: 'muted small',
        text: 'Absolute paths; leave empty for the default location.',
      }),
      h(
        'div',
        { className: 'form-grid' },
        ...COMMANDS.flatMap((name, index) => field(name, commandInputs[index]!)),
      ),
    ),
    h(
      'section',
      { className: 'panel' },
      h('h2', { text: 'Menu-bar app' }),
      h('label', {}, loginItem, 'Open CodeWhale Workbench at login'),
      h('p', {
        className: 'muted small',
        text: 'This opens the menu-bar app only; "Keep Workbench Alive at Login" in the menu runs the workbench itself.',
      }),
    ),
    h('div', { className: 'toolbar' }, button('Save', save, { id: 'save', className: 'primary' })),
  );
}

async function load(): Promise<void> {
  try {
    const [settings, loginItem] = await Promise.all([
      unwrap(workbench().readSettings()),
      unwrap(workbench().readLoginItem()),
    ]);
    render(settings, loginItem.openAtLogin);
  } catch (error) {
    showMessage(message, messageOf(error), 'error');
  }
}

void load();
