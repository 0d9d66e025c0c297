import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { build } from 'esbuild';

import { REPO_ROOT } from '../helpers/double-env.js';

const run = promisify(execFile);
const ELECTRON_VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

interface Finding {
  check: string;
  severity: string;
  file: string;
}

interface ScanResult {
  findings: Finding[];
  /** Files the scanner could not read: a scan that cannot read a file cannot vouch for it. */
  errors: Array<{ file: string; message: string }>;
}

/**
 * Findings that were reviewed and are not problems, each by check name and file only:
 * - PRELOAD_JS_CHECK asks for a manual review of any preload. The one preload (src/main/preload.ts)
 *   exposes named methods through contextBridge and never ipcRenderer itself; the windows are
 *   sandboxed with context isolation, which the wiring test pins.
 */
const REVIEWED: ReadonlyArray<{ check: string; file: RegExp }> = [
  { check: 'PRELOAD_JS_CHECK', file: /^(main\/app\.ts|main\/main\.js)$/ },
];

const scratch = mkdtempSync(join(tmpdir(), 'wb-scan-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// The scanner's CSV writer races its own header; its API answers with the findings directly.
const RUNNER = `
const run = require(${JSON.stringify(join(REPO_ROOT, 'node_modules', '@doyensec', 'electronegativity'))});
(async () => {
  const print = console.log;
  console.log = () => {};
  const result = await run({ input: process.argv[1], isRelative: true, electronVersionOverride: process.argv[2] });
  console.log = print;
  console.log(JSON.stringify({
    findings: result.issues.map((issue) => ({ check: issue.id, severity: issue.severity.name, file: issue.file })),
    errors: result.errors.filter((error) => !error.tolerable).map((error) => ({ file: error.file, message: error.message })),
  }));
})();
`;

/** Runs the scanner on a folder, in its own process, and returns what it found. */
async function scan(input: string): Promise<ScanResult> {
  // The scanner tries to fetch translations and Electron's release list; without a network it
  // goes on with what it has.
  const { stdout } = await run(process.execPath, ['-e', RUNNER, input, ELECTRON_VERSION], {
    timeout: 120_000,
    cwd: REPO_ROOT,
  });
  const lines = stdout.trim().split('\n');

  return JSON.parse(lines[lines.length - 1]!) as ScanResult;
}

function serious(result: ScanResult): Finding[] {
  return result.findings
    .filter((finding) => finding.severity === 'HIGH' || finding.severity === 'MEDIUM')
    .filter(
      (finding) =>
        !REVIEWED.some((entry) => entry.check === finding.check && entry.file.test(finding.file)),
    );
}

/**
 * The built app as the scanner can read it: the pages from dist/renderer, and the main process
 * and preload bundled as the build script bundles them, with class fields lowered (the scanner's
 * parser cannot walk private class fields).
 */
async function buildScannableApp(): Promise<string> {
  const out = join(scratch, 'app');
  const common = { bundle: true, platform: 'node', target: 'es2020', logLevel: 'warning' } as const;
  const external = ['electron'];
  await build({
    ...common,
    external,
    format: 'esm',
    entryPoints: [join(REPO_ROOT, 'src/main/main.ts')],
    outfile: join(out, 'main/main.js'),
  });
  await build({
    ...common,
    external,
    format: 'cjs',
    entryPoints: [join(REPO_ROOT, 'src/main/preload.ts')],
    outfile: join(out, 'main/preload.cjs'),
  });
  cpSync(join(REPO_ROOT, 'dist', 'renderer'), join(out, 'renderer'), { recursive: true });
  cpSync(join(REPO_ROOT, 'package.json'), join(out, 'package.json'));

  return out;
}

describe('electronegativity', () => {
  test('finds no high or medium problem in the sources', async () => {
    const result = await scan(join(REPO_ROOT, 'src'));
    assert.deepEqual(result.errors, []);
    assert.deepEqual(serious(result), []);
  });

  test('finds no high or medium problem in the built app', async () => {
    assert.ok(
      existsSync(join(REPO_ROOT, 'dist', 'renderer', 'status.html')),
      'run `node scripts/build.mjs` before this test',
    );
    const result = await scan(await buildScannableApp());
    assert.deepEqual(result.errors, []);
    assert.ok(
      result.findings.some((finding) => finding.file.startsWith('renderer/')),
      'the pages were scanned',
    );
    assert.deepEqual(serious(result), []);
  });

  test('reports an insecure window, so the scan can fail', async () => {
    const probe = join(scratch, 'probe');
    mkdirSync(probe, { recursive: true });
    writeFileSync(
      join(probe, 'main.ts'),
      [
        "import { BrowserWindow } from 'electron';",
        'export const window = new BrowserWindow({ webPreferences: { contextIsolation: false, sandbox: false } });',
      ].join('\n'),
    );
    const checks = (await scan(probe)).findings.map(
      (finding) => `${finding.check}:${finding.severity}`,
    );
    assert.ok(checks.includes('CONTEXT_ISOLATION_JS_CHECK:HIGH'), checks.join(', '));
    assert.ok(checks.includes('SANDBOX_JS_CHECK:MEDIUM'), checks.join(', '));
  });
});
