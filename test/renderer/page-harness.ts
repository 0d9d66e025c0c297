/**
 * Runs the app's pages in Debian's Chromium with the preload's API in place: `window.workbench`
 * is the same bridge the preload builds, its requests answered in this process by the main
 * process's own request handler over a core, and statuses reach the pages as the main process
 * broadcasts them. Pages are bundled as the build script bundles them and served from a route on
 * the app's origin, with the CSP header the app sends.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

import { build } from 'esbuild';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';

import { WINDOW_NAMES, type WindowName } from '../../src/ipc/channels.js';
import { parseValue } from '../../src/ipc/contract.js';
import { CONTENT_SECURITY_POLICY } from '../../src/main/page-protocol.js';
import { launchChromium } from '../../scripts/chromium.js';
import { REPO_ROOT } from '../helpers/double-env.js';

export const PAGE_ORIGIN = 'http://workbench.test';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** Bundles the pages into `outDir` with the build script's settings and copies the static files. */
export async function buildPages(outDir: string): Promise<void> {
  await build({
    bundle: true,
    platform: 'browser',
    target: 'chrome130',
    format: 'esm',
    sourcemap: 'linked',
    logLevel: 'warning',
    entryPoints: WINDOW_NAMES.map((name) =>
      join(REPO_ROOT, 'src', 'renderer', 'pages', `${name}.ts`),
    ),
    outdir: outDir,
  });
  cpSync(join(REPO_ROOT, 'src', 'renderer', 'static'), outDir, { recursive: true });
}

/** The script that puts `window.workbench` into every page, as the preload does. */
async function bridgeScript(): Promise<string> {
  const bundled = await build({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: '__bridgeModule',
    write: false,
    entryPoints: [join(REPO_ROOT, 'src', 'ipc', 'bridge.ts')],
  });
  const install = `
    (() => {
      const listeners = new Set();
      const invoke = (channel, arg) => window.__workbenchInvoke(channel, arg === undefined ? null : arg)
        .then((answer) => JSON.parse(answer));
      const subscribe = (listener) => { listeners.add(listener); return () => listeners.delete(listener); };
      Object.defineProperty(window, '__workbenchPush', { value: (status) => listeners.forEach((listener) => listener(status)) });
      Object.defineProperty(window, 'workbench', { value: Object.freeze(__bridgeModule.createBridge(invoke, subscribe)) });
    })();`;

  return `${bundled.outputFiles[0]!.text}\n${install}`;
}

/** Answers one request the way the main process does. */
export type PageRequestHandler = (channel: string, arg: unknown) => Promise<unknown>;

export interface PageHarness {
  browser: Browser;
  /** Opens a page in a fresh context with its own colour scheme. */
  open(
    name: WindowName,
    options?: { colorScheme?: 'light' | 'dark'; query?: string },
  ): Promise<{ page: Page; context: BrowserContext; errors: string[] }>;
  /** Sends a status to every open page, checked against the contract as the main process does. */
  push(status: unknown): Promise<void>;
  close(): Promise<void>;
}

/** Launches Chromium and serves the pages in `pagesDir`, answering requests with `handle`. */
export async function startPageHarness(
  pagesDir: string,
  handle: PageRequestHandler,
): Promise<PageHarness> {
  const script = await bridgeScript();
  const browser = await launchChromium();
  const contexts = new Set<BrowserContext>();
  const pages = new Set<Page>();

  const open: PageHarness['open'] = async (name, options = {}) => {
    const context = await browser.newContext({
      colorScheme: options.colorScheme ?? 'light',
      viewport: { width: 820, height: 760 },
    });
    contexts.add(context);
    // The IPC argument crosses as JSON (undefined becomes null): the contract sees what preload sends.
    await context.exposeFunction('__workbenchInvoke', async (channel: string, arg: unknown) =>
      JSON.stringify(await handle(channel, arg === null ? undefined : arg)),
    );
    await context.addInitScript({ content: script });
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.origin !== PAGE_ORIGIN) return route.abort('blockedbyclient');
      const path = join(pagesDir, url.pathname);
      if (!path.startsWith(pagesDir) || !existsSync(path))
        return route.fulfill({ status: 404, body: 'not found' });

      return route.fulfill({
        status: 200,
        body: readFileSync(path),
        headers: {
          'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
          'content-security-policy': CONTENT_SECURITY_POLICY,
        },
      });
    });
    const page = await context.newPage();
    pages.add(page);
    page.on('close', () => pages.delete(page));
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (entry) => {
      if (entry.type() === 'error') errors.push(entry.text());
    });
    await page.goto(`${PAGE_ORIGIN}/${name}.html${options.query ?? ''}`);

    return { page, context, errors };
  };

  const push: PageHarness['push'] = async (status) => {
    const checked = parseValue('status', status);
    if (!checked.ok) throw new Error(checked.error);
    await Promise.all(
      [...pages].map((page) =>
        page
          .evaluate(
            (value) =>
              (globalThis as unknown as { __workbenchPush(s: unknown): void }).__workbenchPush(
                value,
              ),
            checked.value,
          )
          // A page closing while the status is on its way misses it, as a closed window does.
          .catch(() => undefined),
      ),
    );
  };

  return {
    browser,
    open,
    push,
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** Writes a screenshot to test-artifacts/screenshots and, when asked, a copy to docs/screenshots. */
export async function saveScreenshot(
  page: Page,
  name: string,
  options: { docs?: boolean } = {},
): Promise<string> {
  const artifacts = join(REPO_ROOT, 'test-artifacts', 'screenshots');
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (options.docs) {
    const docs = join(REPO_ROOT, 'docs', 'screenshots');
    mkdirSync(docs, { recursive: true });
    copyFileSync(path, join(docs, `${name}.png`));
  }

  return path;
}
