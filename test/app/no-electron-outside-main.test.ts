import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';

import { REPO_ROOT } from '../helpers/double-env.js';

const IMPORT_OF_ELECTRON =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)['"]electron(?:\/[^'"]*)?['"]/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Files under src/ that import electron, as paths relative to the repository. */
function filesImportingElectron(): string[] {
  return sourceFiles(join(REPO_ROOT, 'src'))
    .filter((path) => IMPORT_OF_ELECTRON.test(readFileSync(path, 'utf8')))
    .map((path) => relative(REPO_ROOT, path));
}

describe('the Electron boundary', () => {
  test('keeps every import of electron inside src/main', () => {
    const outside = filesImportingElectron().filter(
      (path) => !path.startsWith(join('src', 'main')),
    );
    assert.deepEqual(outside, []);
  });

  test('recognises every form of import it guards against', () => {
    for (const line of [
      "import { app } from 'electron';",
      'import electron from "electron";',
      "import type { NativeImage } from 'electron';",
      "const { ipcRenderer } = require('electron');",
      "await import('electron/main');",
      "import 'electron';",
    ]) {
      assert.match(line, IMPORT_OF_ELECTRON, line);
    }
    assert.doesNotMatch("import Store from 'electron-store';", IMPORT_OF_ELECTRON);
  });

  test('finds the entry point and the preload, the two files that need electron', () => {
    const inside = filesImportingElectron().filter((path) => path.startsWith(join('src', 'main')));
    assert.ok(inside.includes(join('src', 'main', 'main.ts')));
    assert.ok(inside.includes(join('src', 'main', 'preload.ts')));
  });
});
