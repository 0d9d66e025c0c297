import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import Conf from 'conf';

import { saveEnvChanges } from '../../src/core/env/index.js';
import { storeOptions } from '../../src/core/settings.js';
import type { Workbench } from '../../src/core/workbench.js';
import { WINDOW_NAMES } from '../../src/ipc/channels.js';
import { createRequestHandler } from '../../src/main/ipc-handlers.js';
import { RefreshScheduler, systemClock } from '../../src/main/refresh-scheduler.js';
import { createSettingsAccess } from '../../src/main/settings-access.js';
import {
  createWorkbenchWorld,
  IMAGE,
  type WorkbenchWorld,
  type WorkbenchWorldOptions,
} from '../helpers/workbench-world.js';
import { buildPages, saveScreenshot, startPageHarness, type PageHarness } from './page-harness.js';

const GOOD_BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const CONTAINER = 'codewhale-workbench';
/** What the supervisor says when the bridge exits because its bot token is not set. */
const MISSING_TOKEN_DETAIL =
  'missing variable: TELEGRAM_BOT_TOKEN is required — ' +
  'set it in telegram-bridge.env, then restart the workbench';
/** A home folder whose name is markup, so the log lines that name it would inject it into HTML. */
const MARKUP_HOME = '<img src=x onerror=alert(1)>';

interface Fixture {
  world: WorkbenchWorld;
  core: Workbench;
  harness: PageHarness;
  /** Pushes fresh statuses to the pages, as the main process's scheduler does for open windows. */
  scheduler: RefreshScheduler;
}

interface SetUpOptions extends WorkbenchWorldOptions {
  /** Push a fresh status to the open pages twice a second, and at once after every action. */
  pushStatuses?: boolean;
}

let pagesDir = '';

async function setUp(options: SetUpOptions = {}): Promise<Fixture> {
  const world = await createWorkbenchWorld(options);
  const core = world.workbench();
  let harness: PageHarness | null = null;
  const scheduler = new RefreshScheduler({
    refresh: async () => {
      if (harness) await harness.push(await core.status());
    },
    clock: systemClock,
    activeIntervalMs: 500,
  });
  const handle = createRequestHandler({
    core,
    settings: createSettingsAccess(new Conf<Record<string, unknown>>(storeOptions(world.home))),
    loginItem: { read: () => false, write: (openAtLogin) => openAtLogin },
    runAction: async (_name, work) => {
      try {
        return await work();
      } finally {
        scheduler.refreshNow();
      }
    },
    openWindow: () => undefined,
  });
  harness = await startPageHarness(pagesDir, handle);
  if (options.pushStatuses) {
    scheduler.setActive('window', true);
    scheduler.start();
  }

  return { world, core, harness, scheduler };
}

async function tearDown(fixture: Fixture): Promise<void> {
  fixture.scheduler.stop();
  while (fixture.scheduler.refreshing) await new Promise((resolve) => setTimeout(resolve, 20));
  await fixture.harness.close();
  await fixture.world.dispose();
}

function bridgeEnvPath(fixture: Fixture): string {
  return join(fixture.world.paths().envDir, 'telegram-bridge.env');
}

type SupervisorServices = { services: Record<string, { detail: string | null }> };

function readSupervisorStatus(fixture: Fixture): SupervisorServices {
  return JSON.parse(readFileSync(join(fixture.world.home, 'status', 'status.json'), 'utf8'));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the app windows in Chromium, on the core and the doubles', () => {
  before(async () => {
    pagesDir = mkdtempSync(join(tmpdir(), 'wb-pages-'));
    await buildPages(pagesDir);
  });

  after(() => rmSync(pagesDir, { recursive: true, force: true }));

  test('starts the workbench from Start in the status window', async (t) => {
    const fixture = await setUp({ pushStatuses: true });
    t.after(() => tearDown(fixture));
    const { page, errors } = await fixture.harness.open('status');

    await page.locator('#overall', { hasText: 'Workbench stopped' }).waitFor();
    assert.equal(fixture.world.containerDouble.container(CONTAINER), null);
    assert.equal(await page.locator('#stop').isDisabled(), true);
    await page.locator('#start').click();

    await page.locator('#message', { hasText: 'Workbench started.' }).waitFor();
    assert.equal(fixture.world.containerDouble.container(CONTAINER)?.state, 'running');
    await page.locator('#overall', { hasText: 'Workbench running' }).waitFor();
    assert.equal(await page.locator('#start').isDisabled(), true);
    assert.equal(await page.locator('#restart').isDisabled(), false);
    const runtime = (await fixture.core.status()).services?.runtime;
    assert.ok(runtime);
    assert.equal(runtime.state, 'running');
    assert.ok(runtime.pid !== null && isAlive(runtime.pid), 'the runtime shown is a live process');
    const pidCell = page.locator('#service-runtime td').nth(2);
    assert.equal(await pidCell.textContent(), String(runtime.pid));
    assert.match((await page.locator('#service-bridge').textContent()) ?? '', /running/);
    assert.deepEqual(errors, []);
  });

  test('shows the supervisor\u2019s detail of a failed service', async (t) => {
    const fixture = await setUp({ pushStatuses: true });
    t.after(() => tearDown(fixture));
    saveEnvChanges(fixture.world.paths().envDir, 'bridge', { TELEGRAM_BOT_TOKEN: null });
    const { page } = await fixture.harness.open('status');

    await page.locator('#start').click();
    await page.locator('#overall', { hasText: 'Workbench degraded' }).waitFor();
    assert.equal(await page.locator('#service-bridge .detail').textContent(), MISSING_TOKEN_DETAIL);
    assert.equal(readSupervisorStatus(fixture).services.bridge!.detail, MISSING_TOKEN_DETAIL);
    assert.match((await page.locator('#service-bridge').textContent()) ?? '', /failed/);
    assert.match((await page.locator('#service-runtime').textContent()) ?? '', /running/);
    assert.equal(await page.locator('#reason').textContent(), MISSING_TOKEN_DETAIL);
  });

  test('renders log lines and pushed statuses as text, never as HTML', async (t) => {
    const fixture = await setUp({ homeName: MARKUP_HOME });
    t.after(() => tearDown(fixture));
    await fixture.core.start({ wait: true });
    const { page } = await fixture.harness.open('status');

    await page.locator('#log-text', { hasText: 'supervisor starting' }).waitFor();
    assert.ok(((await page.locator('#log-text').textContent()) ?? '').includes(`/${MARKUP_HOME}/`));
    assert.equal(await page.locator('#log-text img').count(), 0);

    const status = await fixture.core.status();
    status.services!.runtime.detail = '<img src=x onerror="document.title=1">';
    status.services!.runtime.state = 'failed';
    await fixture.harness.push(status);
    await page.locator('#service-runtime .detail', { hasText: '<img src=x' }).waitFor();
    assert.equal(await page.locator('#service-runtime img').count(), 0);
  });

  test('refuses a bad value in the env editor with the env module\u2019s message and saves a good one with mode 0600', async (t) => {
    const fixture = await setUp();
    t.after(() => tearDown(fixture));
    chmodSync(bridgeEnvPath(fixture), 0o644);
    const { page } = await fixture.harness.open('env', { query: '?file=bridge' });
    const row = page.locator('tr[data-key="TELEGRAM_MAX_REPLY_CHARS"]');
    const input = row.locator('input.value');
    await input.waitFor();
    assert.equal(await input.inputValue(), '3500');

    await input.fill('3000 # shorter replies');
    await row.locator('.problem-message').waitFor();
    assert.equal(
      await row.locator('.problem-message').textContent(),
      'the value of TELEGRAM_MAX_REPLY_CHARS has an inline comment ("3000 # shorter replies"); every loader keeps it as part of the value',
    );
    assert.equal(
      await row.locator('.fix').textContent(),
      'Fix: move the comment to a line of its own that starts with "#"',
    );
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#save').isDisabled(), true);
    assert.match(readFileSync(bridgeEnvPath(fixture), 'utf8'), /^TELEGRAM_MAX_REPLY_CHARS=3500$/m);

    await input.fill('3000');
    await page.locator('#save:not([disabled])').waitFor();
    assert.equal(await row.locator('.problem').isHidden(), true);
    await page.locator('#save').click();

    await page.locator('#message', { hasText: 'Saved telegram-bridge.env (mode 0600).' }).waitFor();
    assert.match(readFileSync(bridgeEnvPath(fixture), 'utf8'), /^TELEGRAM_MAX_REPLY_CHARS=3000$/m);
    assert.equal(statSync(bridgeEnvPath(fixture)).mode & 0o777, 0o600);
    assert.equal(await page.locator('#restart-offer').isVisible(), true);
    await page.locator('#restart').click();
    await page.locator('#message', { hasText: 'Workbench restarted.' }).waitFor();
    assert.equal(fixture.world.containerDouble.container(CONTAINER)?.state, 'running');
  });

  test('masks secrets in the env editor until Reveal is pressed', async (t) => {
    const fixture = await setUp();
    t.after(() => tearDown(fixture));
    await fixture.core.saveEnvFile('bridge', { TELEGRAM_BOT_TOKEN: GOOD_BOT_TOKEN });
    const { page } = await fixture.harness.open('env', { query: '?file=bridge' });
    const row = page.locator('tr[data-key="TELEGRAM_BOT_TOKEN"]');
    const input = row.locator('input.value');
    await input.waitFor();

    assert.equal(await input.getAttribute('type'), 'password');
    assert.equal(await input.inputValue(), '');
    assert.equal(
      await input.getAttribute('placeholder'),
      '•••••••• (45 characters) — type to replace',
    );
    assert.equal((await page.content()).includes(GOOD_BOT_TOKEN), false);

    await row.locator('button.reveal').click();
    await row.locator('input.value[type="text"]').waitFor();
    assert.equal(await input.inputValue(), GOOD_BOT_TOKEN);
    assert.equal(
      await page.locator('#save').isDisabled(),
      true,
      'a revealed, unchanged value is no change',
    );
  });

  test('groups the doctor\u2019s findings with the fix for each failure', async (t) => {
    const fixture = await setUp();
    t.after(() => tearDown(fixture));
    saveEnvChanges(fixture.world.paths().envDir, 'bridge', { TELEGRAM_BOT_TOKEN: null });
    const { page } = await fixture.harness.open('doctor');

    const failure = page.locator('section[data-area="env"] .check[data-level="fail"]').first();
    await failure.waitFor();
    assert.equal(
      await failure.locator('.check-message').textContent(),
      'telegram-bridge.env: TELEGRAM_BOT_TOKEN is not set in telegram-bridge.env; the bridge does not start without it',
    );
    assert.equal(
      await failure.locator('.fix').textContent(),
      'Fix: paste the value on stdin: `workbench env set bridge TELEGRAM_BOT_TOKEN`',
    );
    assert.equal(
      await page
        .locator('section.panel')
        .first()
        .locator('.check')
        .first()
        .getAttribute('data-level'),
      'fail',
    );
    assert.match(
      (await page.locator('#message').textContent()) ?? '',
      /^\d+ failures?, \d+ warnings?, \d+ checks\. Fix the failures below/,
    );
  });

  test('saves settings through the schema and shows its refusal', async (t) => {
    const fixture = await setUp();
    t.after(() => tearDown(fixture));
    const { page } = await fixture.harness.open('settings');
    await page.locator('#cpus').waitFor();
    assert.equal(await page.locator('#cpus').inputValue(), '4');

    await page.locator('#memory').fill('lots');
    await page.locator('#save').click();
    await page.locator('#message[data-kind="error"]').waitFor();
    assert.match(
      (await page.locator('#message').textContent()) ?? '',
      /^Setting memory in .*config\.json must be a size such as 16G or 8192M \(got "lots"\)/,
    );

    await page.locator('#memory').fill('8G');
    await page.locator('#cpus').fill('2');
    await page.locator('#save').click();
    await page.locator('#message[data-kind="success"]').waitFor();
    assert.deepEqual(
      [fixture.core.readSettings().cpus, fixture.core.readSettings().memory],
      [2, '8G'],
    );
  });

  test('creates the env files, takes a bot token and an allowlist in first-run setup', async (t) => {
    const fixture = await setUp({ withoutEnvFiles: true });
    t.after(() => tearDown(fixture));
    const { page } = await fixture.harness.open('setup');
    assert.equal(existsSync(bridgeEnvPath(fixture)), false);

    await page.locator('#setup-image').fill(IMAGE);
    await page.locator('#create').click();
    await page.locator('#create-result', { hasText: 'Setup complete' }).waitFor();
    assert.equal(statSync(bridgeEnvPath(fixture)).mode & 0o777, 0o600);
    await page.locator('#bot-token').fill(GOOD_BOT_TOKEN);
    await page.locator('#save-token').click();
    await page.locator('#bot-token-result', { hasText: 'Bot token saved' }).waitFor();
    await page.locator('#allowlist').fill('12345, @someone');
    await page.locator('#save-allowlist').click();
    await page.locator('#pairing-result', { hasText: 'Allowlist saved' }).waitFor();

    const text = readFileSync(bridgeEnvPath(fixture), 'utf8');
    assert.match(text, new RegExp(`^TELEGRAM_BOT_TOKEN=${GOOD_BOT_TOKEN}$`, 'm'));
    assert.match(text, /^TELEGRAM_CHAT_ALLOWLIST=12345,@someone$/m);
    assert.match(text, /^TELEGRAM_ALLOW_UNLISTED=false$/m);
    assert.equal(statSync(bridgeEnvPath(fixture)).mode & 0o777, 0o600);
    assert.equal(fixture.core.readSettings().setupComplete, true);
  });

  test('writes a light and a dark screenshot of every window', async (t) => {
    const fixture = await setUp();
    t.after(() => tearDown(fixture));
    await fixture.core.start({ wait: true });
    const ready: Record<string, string> = {
      status: '#log-text:not(:empty)',
      env: 'tr[data-key]',
      doctor: '.check',
      settings: '#cpus',
      setup: '#step-finish',
    };
    for (const name of WINDOW_NAMES) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, context, errors } = await fixture.harness.open(name, { colorScheme });
        await page.locator(ready[name]!).first().waitFor();
        const path = await saveScreenshot(page, `${name}-${colorScheme}`, { docs: true });
        assert.ok(statSync(path).size > 1000, `${path} has content`);
        assert.deepEqual(errors, [], `${name} in ${colorScheme} logs no error`);
        await context.close();
      }
    }
  });
});
