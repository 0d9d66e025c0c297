// Builds every bundle of the project with esbuild: the CLI, the supervisor and doctor that go into
// the container image, the Electron main process and preload, and the renderer pages.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');

// esbuild's ESM output has no `require`; CommonJS dependencies (plist's XML parser) need one.
const nodeBanner = [
  "import { createRequire as __createRequire } from 'node:module';",
  'const require = __createRequire(import.meta.url);',
].join('\n');

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

/** One entry point per bin: `workbench`, `workbench-supervisor`, `workbench-doctor`. */
async function buildBins() {
  const bins = {
    cli: 'src/cli/main.ts',
    supervisor: 'src/supervisor/main.ts',
    doctor: 'src/supervisor/doctor-main.ts',
  };
  for (const [name, entry] of Object.entries(bins)) {
    if (!existsSync(join(root, entry))) continue;
    await build({
      ...nodeCommon,
      entryPoints: [join(root, entry)],
      outfile: join(out, `${name}.js`),
      banner: { js: `#!/usr/bin/env node\n${nodeBanner}` },
    });
  }
}

async function buildElectron() {
  const main = join(root, 'src/main/main.ts');
  if (!existsSync(main)) return;
  await build({
    ...nodeCommon,
    target: 'node22',
    entryPoints: [main],
    outfile: join(out, 'main/main.js'),
    external: ['electron'],
    banner: { js: nodeBanner },
  });
  // A sandboxed preload cannot be an ES module.
  await build({
    ...nodeCommon,
    target: 'node22',
    format: 'cjs',
    entryPoints: [join(root, 'src/main/preload.ts')],
    outfile: join(out, 'main/preload.cjs'),
    external: ['electron'],
  });
}

async function buildRenderer() {
  const pages = join(root, 'src/renderer/pages');
  if (!existsSync(pages)) return;
  const names = ['status', 'env', 'doctor', 'settings', 'setup'].filter((name) =>
    existsSync(join(pages, `${name}.ts`)),
  );
  await build({
    bundle: true,
    platform: 'browser',
    target: 'chrome130',
    format: 'esm',
    sourcemap: 'linked',
    logLevel: 'warning',
    entryPoints: names.map((name) => join(pages, `${name}.ts`)),
    outdir: join(out, 'renderer'),
  });
  cpSync(join(root, 'src/renderer/static'), join(out, 'renderer'), { recursive: true });
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await buildBins();
await buildElectron();
await buildRenderer();
