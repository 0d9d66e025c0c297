import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Overall } from '../../src/core/status-model.js';
import { buildStatus } from '../../src/core/status-model.js';
import {
  buildTrayMenu,
  trayIconName,
  trayTooltip,
  type MenuItemTemplate,
} from '../../src/main/tray-menu.js';
import { NOW, observation, statusFor } from './status-fixtures.js';

const ui = { action: null, now: NOW };

const BASE_IDS = [
  'status.workbench',
  'status.runtime',
  'status.bridge',
  'status.agent',
  'status.awake',
  'separator.1',
  'action.start',
  'action.stop',
  'action.restart',
  'separator.2',
  'toggle.agent',
  'toggle.awake',
  'separator.3',
  'window.env',
  'window.status',
  'window.doctor',
  'separator.4',
  'window.settings',
  'separator.5',
  'app.quit',
];

function item(menu: MenuItemTemplate[], id: string): MenuItemTemplate {
  const found = menu.find((entry) => entry.id === id);
  assert.ok(found, `menu has no item ${id}`);

  return found;
}

function enabledActions(menu: MenuItemTemplate[]) {
  return {
    start: item(menu, 'action.start').enabled,
    stop: item(menu, 'action.stop').enabled,
    restart: item(menu, 'action.restart').enabled,
  };
}

interface Expected {
  workbench: string;
  dot: string;
  runtime: string;
  bridge: string;
  actions: { start: boolean; stop: boolean; restart: boolean };
  quit: string;
  icon: string;
}

const EXPECTED: Record<Overall, Expected> = {
  running: {
    workbench: 'Workbench Running',
    dot: 'green',
    runtime: 'Runtime: up 3h',
    bridge: 'Bridge: up 3h',
    actions: { start: false, stop: true, restart: true },
    quit: 'Quit (Workbench Keeps Running)',
    icon: 'running',
  },
  degraded: {
    workbench: 'Workbench Degraded',
    dot: 'amber',
    runtime: 'Runtime: up 3h',
    bridge: 'Bridge: failed · 5 restarts — another poller uses this bot token (409 Conflict)',
    actions: { start: false, stop: true, restart: true },
    quit: 'Quit (Workbench Keeps Running)',
    icon: 'degraded',
  },
  starting: {
    workbench: 'Workbench Starting…',
    dot: 'amber',
    runtime: 'Runtime: not running',
    bridge: 'Bridge: not running',
    actions: { start: false, stop: false, restart: false },
    quit: 'Quit (Workbench Keeps Running)',
    icon: 'starting',
  },
  stopping: {
    workbench: 'Workbench Stopping…',
    dot: 'amber',
    runtime: 'Runtime: up 3h',
    bridge: 'Bridge: up 3h',
    actions: { start: false, stop: false, restart: false },
    quit: 'Quit (Workbench Keeps Running)',
    icon: 'starting',
  },
  stopped: {
    workbench: 'Workbench Stopped',
    dot: 'grey',
    runtime: 'Runtime: not running',
    bridge: 'Bridge: not running',
    actions: { start: true, stop: false, restart: false },
    quit: 'Quit',
    icon: 'stopped',
  },
  'not-set-up': {
    workbench: 'Workbench Not Set Up',
    dot: 'grey',
    runtime: 'Runtime: not running',
    bridge: 'Bridge: not running',
    actions: { start: false, stop: false, restart: false },
    quit: 'Quit',
    icon: 'stopped',
  },
  error: {
    workbench: 'Workbench Error',
    dot: 'red',
    runtime: 'Runtime: not running',
    bridge: 'Bridge: not running',
    actions: { start: true, stop: false, restart: false },
    quit: 'Quit',
    icon: 'error',
  },
};

describe('buildTrayMenu', () => {
  for (const [overall, expected] of Object.entries(EXPECTED) as Array<[Overall, Expected]>) {
    test(`builds the menu for a ${overall} workbench`, () => {
      const status = statusFor(overall);
      const menu = buildTrayMenu(status, ui);

      const ids =
        overall === 'not-set-up'
          ? [...BASE_IDS.slice(0, 9), 'action.setup', ...BASE_IDS.slice(9)]
          : BASE_IDS;
      assert.deepEqual(
        menu.map((entry) => entry.id),
        ids,
      );
      assert.deepEqual(item(menu, 'status.workbench'), {
        id: 'status.workbench',
        type: 'normal',
        label: expected.workbench,
        enabled: false,
        dot: expected.dot,
      });
      assert.equal(item(menu, 'status.runtime').label, expected.runtime);
      assert.equal(item(menu, 'status.bridge').label, expected.bridge);
      assert.deepEqual(enabledActions(menu), expected.actions);
      assert.equal(item(menu, 'app.quit').label, expected.quit);
      assert.equal(trayIconName(status), expected.icon);
    });
  }

  test('keeps every status row disabled and puts dots on status rows only', () => {
    for (const overall of Object.keys(EXPECTED) as Overall[]) {
      const menu = buildTrayMenu(statusFor(overall), ui);
      const rows = menu.filter((entry) => entry.id.startsWith('status.'));
      assert.equal(rows.length, 5);
      assert.ok(rows.every((entry) => entry.enabled === false && entry.dot !== undefined));
      assert.ok(
        menu
          .filter((entry) => !entry.id.startsWith('status.'))
          .every((entry) => entry.dot === undefined),
      );
    }
  });

  test('labels the fixed items and their shortcuts', () => {
    const menu = buildTrayMenu(statusFor('running'), ui);
    const labels = Object.fromEntries(
      menu.filter((entry) => entry.label).map((entry) => [entry.id, entry.label]),
    );
    assert.equal(labels['action.start'], 'Start Workbench');
    assert.equal(labels['action.stop'], 'Stop Workbench');
    assert.equal(labels['action.restart'], 'Restart Workbench');
    assert.equal(labels['toggle.agent'], 'Keep Workbench Alive at Login');
    assert.equal(labels['toggle.awake'], 'Keep Mac Awake');
    assert.equal(labels['window.env'], 'Edit Env Files…');
    assert.equal(labels['window.status'], 'Status & Logs…');
    assert.equal(labels['window.doctor'], 'Run Doctor…');
    assert.equal(labels['window.settings'], 'Settings…');
    assert.equal(item(menu, 'window.settings').accelerator, 'Command+,');
    assert.equal(item(menu, 'app.quit').accelerator, 'Command+Q');
  });

  test('checks the toggles from the agent and keep-awake state', () => {
    const off = buildTrayMenu(statusFor('running'), ui);
    assert.deepEqual(
      [item(off, 'toggle.agent').checked, item(off, 'toggle.awake').checked],
      [false, false],
    );
    assert.equal(item(off, 'status.agent').label, 'Login agent: off');
    assert.equal(item(off, 'status.awake').label, 'Keep awake: off');

    const on = buildTrayMenu(
      buildStatus(
        observation({
          launchAgent: {
            label: 'com.codewhale.workbench',
            installed: true,
            loaded: true,
            pid: 311,
            lastExit: null,
          },
          keepAwake: { enabled: true, active: true },
        }),
      ),
      ui,
    );
    assert.deepEqual(
      [item(on, 'toggle.agent').checked, item(on, 'toggle.awake').checked],
      [true, true],
    );
    assert.equal(item(on, 'status.agent').label, 'Login agent: on, running (pid 311)');
    assert.equal(item(on, 'status.agent').dot, 'green');
    assert.equal(item(on, 'status.awake').label, 'Keep awake: on');
  });

  test('shows an enabled keep-awake that holds no assertion in amber', () => {
    const menu = buildTrayMenu(
      buildStatus(observation({ keepAwake: { enabled: true, active: false } })),
      ui,
    );
    assert.deepEqual(item(menu, 'status.awake'), {
      id: 'status.awake',
      type: 'normal',
      label: 'Keep awake: on, not holding the Mac awake',
      enabled: false,
      dot: 'amber',
    });
  });

  test('disables every action and both toggles while an action runs', () => {
    const status = statusFor('running');
    const menu = buildTrayMenu(status, { action: 'restart', now: NOW });
    assert.deepEqual(enabledActions(menu), { start: false, stop: false, restart: false });
    assert.equal(item(menu, 'toggle.agent').enabled, false);
    assert.equal(item(menu, 'toggle.awake').enabled, false);
    assert.equal(item(menu, 'status.workbench').label, 'Restarting Workbench…');
    assert.equal(item(menu, 'window.status').enabled, true);
    assert.equal(
      trayTooltip(status, { action: 'restart', now: NOW }),
      'CodeWhale Workbench — Restarting Workbench…',
    );
  });

  test('counts restarts and marks an unhealthy runtime', () => {
    const menu = buildTrayMenu(
      buildStatus(
        observation(
          {},
          {
            runtime: { healthy: false, restarts: 1 },
            bridge: { state: 'restarting', restarts: 2 },
          },
        ),
      ),
      ui,
    );
    assert.deepEqual(
      [item(menu, 'status.runtime').label, item(menu, 'status.runtime').dot],
      ['Runtime: up, not healthy · 1 restart', 'amber'],
    );
    assert.deepEqual(
      [item(menu, 'status.bridge').label, item(menu, 'status.bridge').dot],
      ['Bridge: restarting · 2 restarts', 'amber'],
    );
  });

  test('shortens a long failure detail in the menu row', () => {
    const detail =
      'TELEGRAM_BOT_TOKEN is missing from telegram-bridge.env and the bridge cannot start without it';
    const menu = buildTrayMenu(
      buildStatus(observation({}, { bridge: { state: 'failed', detail } })),
      ui,
    );
    assert.equal(item(menu, 'status.bridge').label, `Bridge: failed — ${detail.slice(0, 59)}…`);
  });

  test('puts the summary into the tooltip', () => {
    assert.equal(
      trayTooltip(statusFor('running'), ui),
      'CodeWhale Workbench — Workbench running · runtime up 3h · bridge up 3h',
    );
  });
});
