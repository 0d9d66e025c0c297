/**
 * Renders the icons in assets/icons/source/*.svg to the PNGs the app loads: the tray's template
 * images (black and alpha only, 16×16 and 32×32 as `@2x`) and the coloured status dots of the
 * menu rows. Chromium draws the SVG onto a canvas; template images then keep only the alpha.
 *
 *   node --import tsx scripts/make-icons.ts   (needs Chromium at /usr/bin/chromium or CHROMIUM_PATH)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type Page } from 'playwright-core';

import { launchChromium } from './chromium.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const iconsDir = join(root, 'assets', 'icons');
const sourceDir = join(iconsDir, 'source');

/** One PNG to write: which source, at what size, and whether it is a template image. */
interface IconJob {
  source: string;
  output: string;
  size: number;
  template: boolean;
}

/** The PNG files made from one SVG: `tray-x` → `tray-xTemplate(.png|@2x.png)`, `dot-x` → `dot-x(…)`. */
export function jobsFor(sourceName: string): IconJob[] {
  const name = basename(sourceName, '.svg');
  const template = name.startsWith('tray-');
  const stem = template ? `${name}Template` : name;

  return [
    { source: sourceName, output: `${stem}.png`, size: 16, template },
    { source: sourceName, output: `${stem}@2x.png`, size: 32, template },
  ];
}

/** Page code: draws an SVG onto a canvas and, for a template image, keeps only its alpha. */
const RENDERER_SCRIPT = `
window.renderIcon = async (svg, size, template) => {
  const image = new Image(size, size);
  image.src = 'data:image/svg+xml;base64,' + btoa(svg);
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0, size, size);
  if (template) {
    const pixels = context.getImageData(0, 0, size, size);
    for (let index = 0; index < pixels.data.length; index += 4) {
      pixels.data[index] = 0;
      pixels.data[index + 1] = 0;
      pixels.data[index + 2] = 0;
    }
    context.putImageData(pixels, 0, 0);
  }
  return canvas.toDataURL('image/png');
};`;

type IconRenderer = (svg: string, size: number, template: boolean) => Promise<string>;

/** Draws an SVG at `size` pixels in the page and returns the PNG bytes. */
async function renderPng(
  page: Page,
  svg: string,
  size: number,
  template: boolean,
): Promise<Buffer> {
  const dataUrl = await page.evaluate(
    (job) =>
      (globalThis as unknown as { renderIcon: IconRenderer }).renderIcon(
        job.svg,
        job.size,
        job.template,
      ),
    { svg, size, template },
  );

  return Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64');
}

async function main(): Promise<void> {
  const sources = readdirSync(sourceDir)
    .filter((name) => name.endsWith('.svg'))
    .sort();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><title>icons</title>');
    await page.addScriptTag({ content: RENDERER_SCRIPT });
    for (const job of sources.flatMap(jobsFor)) {
      const svg = readFileSync(join(sourceDir, job.source), 'utf8');
      writeFileSync(join(iconsDir, job.output), await renderPng(page, svg, job.size, job.template));
      console.log(`make-icons: wrote assets/icons/${job.output}`);
    }
  } finally {
    await browser.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
