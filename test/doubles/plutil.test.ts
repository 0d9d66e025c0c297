import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as plist from 'plist';

import { runCommand, type CommandResult } from '../../src/core/run-command.js';
import { createDoubleWorld, type DoubleWorld } from '../helpers/double-env.js';

let world: DoubleWorld;

beforeEach(() => {
  world = createDoubleWorld();
});

afterEach(() => world.cleanup());

function plutil(args: string[], input?: string): Promise<CommandResult> {
  const options =
    input === undefined
      ? { timeoutMs: 20_000, env: world.env }
      : { timeoutMs: 20_000, env: world.env, input };

  return runCommand(world.commands.plutil, args, options);
}

function file(name: string, text: string): string {
  const path = join(world.root, name);
  writeFileSync(path, text);

  return path;
}

const VALID = plist.build({
  Label: 'com.test.ok',
  ProgramArguments: ['/bin/echo', 'a & <b>'],
  RunAtLoad: true,
  N: 10,
});

describe('plutil double', () => {
  it('says OK for a valid plist, and nothing with -s', async () => {
    const path = file('ok.plist', VALID);

    const loud = await plutil(['-lint', path]);
    const quiet = await plutil(['-lint', '-s', path]);

    assert.deepEqual([loud.exitCode, loud.stdout, loud.stderr], [0, `${path}: OK\n`, '']);
    assert.deepEqual([quiet.exitCode, quiet.stdout, quiet.stderr], [0, '', '']);
  });

  it('names the line of a key without a value', async () => {
    const path = file(
      'bad.plist',
      '<?xml version="1.0"?>\n<plist version="1.0">\n<dict>\n\t<key>Label</key>\n</dict>\n</plist>\n',
    );

    const result = await plutil(['-lint', path]);

    assert.deepEqual(
      [result.exitCode, result.stdout],
      [1, `${path}: Value missing for key inside <dict> at line 5\n`],
    );
  });

  it('names the line of a value where a key belongs', async () => {
    const path = file(
      'nonkey.plist',
      '<plist version="1.0">\n<dict>\n<string>x</string>\n</dict>\n</plist>\n',
    );

    const result = await plutil(['-lint', path]);

    assert.deepEqual(
      [result.exitCode, result.stdout],
      [1, `${path}: Found non-key inside <dict> at line 3\n`],
    );
  });

  it('refuses mismatched tags, unknown tags, bad escapes, control characters and two root objects', async () => {
    const cases = {
      'mismatch.plist': '<plist>\n<dict>\n<key>a</key><string>x</dict>\n</plist>',
      'unknown.plist': '<plist>\n<dict>\n<key>a</key><strin>x</strin></dict></plist>',
      'escape.plist': '<plist><string>a &bogus; b</string></plist>',
      'control.plist': '<plist><string>a\u0001b</string></plist>',
      'two.plist': '<plist><string>a</string>\n<string>b</string></plist>',
      'integer.plist': '<plist><integer>ten</integer></plist>',
    };
    const paths = Object.entries(cases).map(([name, text]) => file(name, text));

    const result = await plutil(['-lint', ...paths]);

    assert.equal(result.exitCode, 1);
    assert.deepEqual(result.stdout.split('\n').slice(0, -1), [
      `${paths[0]}: Closing tag on line 3 does not match open tag string`,
      `${paths[1]}: Encountered unknown tag strin on line 3`,
      `${paths[2]}: Encountered unknown ampersand-escape sequence at line 1`,
      `${paths[3]}: Encountered unexpected character 0x1 on line 1`,
      `${paths[4]}: Encountered unexpected element at line 2 (plist can only include one object)`,
      `${paths[5]}: Encountered misformatted integer on line 1`,
    ]);
  });

  it('reports a missing file and fails when any file fails', async () => {
    const good = file('good.plist', VALID);
    const missing = join(world.root, 'missing.plist');

    const result = await plutil(['-lint', good, missing]);

    assert.equal(result.exitCode, 1);
    assert.equal(result.stdout, `${good}: OK\n`);
    assert.equal(
      result.stderr,
      `${missing} does not exists or is not readable or is not a regular file\n`,
    );
  });

  it('lints by default and reads stdin for -', async () => {
    const result = await plutil(['-'], VALID);

    assert.deepEqual([result.exitCode, result.stdout], [0, '-: OK\n']);
  });

  it('converts a plist to compact JSON on stdout', async () => {
    const path = file('convert.plist', VALID);

    const result = await plutil(['-convert', 'json', '-o', '-', path]);

    assert.equal(result.exitCode, 0);
    assert.equal(
      result.stdout,
      '{"Label":"com.test.ok","ProgramArguments":["/bin/echo","a & <b>"],"RunAtLoad":true,"N":10}',
    );
  });
});
