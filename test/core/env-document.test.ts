import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import {
  formatEnvProblem,
  parseEnvDocument,
  type EnvProblem,
} from '../../src/core/env/document.js';

const GRAMMAR_CODES = new Set([
  'byte_order_mark',
  'crlf_line_ending',
  'invalid_utf8',
  'control_character',
  'surrounding_whitespace',
  'semicolon_comment',
  'export_prefix',
  'missing_equals',
  'invalid_key',
  'space_around_equals',
  'inline_comment',
  'quoted_value',
  'escape_character',
  'variable_reference',
  'duplicate_key',
]);

const keyArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/);
// Printable ASCII without quotes, backslash, `$` and `#`, with no whitespace at either end.
const safeChar = fc.constantFrom(
  ...'abcXYZ019-_:/.,@+=%&!?*()[]{}<>|~^'.split(''),
  ' ',
  'é',
  'ß',
  '中',
);
const valueArb = fc.array(safeChar, { maxLength: 30 }).map((chars) =>
  chars
    .join('')
    .trim()
    .replace(/^["']|["']$/g, ''),
);
const commentArb = fc
  .string({ maxLength: 30 })
  .map((text) => `#${text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '')}`);

/** A valid document: unique keys, safe values, comments and blank lines, as text. */
const validDocumentArb = fc
  .tuple(
    fc.uniqueArray(keyArb, { maxLength: 12 }),
    fc.array(fc.oneof(commentArb, fc.constant('')), { maxLength: 8 }),
    fc.array(valueArb, { minLength: 12, maxLength: 12 }),
    fc.boolean(),
  )
  .chain(([keys, others, values, finalNewline]) =>
    fc
      .shuffledSubarray([...keys.map((key, index) => `${key}=${values[index]}`), ...others], {
        minLength: keys.length + others.length,
      })
      .map((lines) => ({
        keys,
        values,
        lines,
        text: lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : ''),
      })),
  );

function only(problems: EnvProblem[]): EnvProblem {
  assert.equal(problems.length, 1, JSON.stringify(problems));

  return problems[0]!;
}

describe('env document: round trip and edits', () => {
  test('serializes a valid document back to the same text with no problems', () => {
    fc.assert(
      fc.property(validDocumentArb, ({ keys, values, text }) => {
        const document = parseEnvDocument(text);
        assert.equal(document.serialize(), text);
        assert.deepEqual(document.problems, []);
        assert.deepEqual(
          document.values(),
          new Map(keys.map((key, index) => [key, values[index]!])),
        );
      }),
      { numRuns: 300 },
    );
  });

  test('serializes any text back to itself, valid or not', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        assert.equal(parseEnvDocument(text).serialize(), text);
      }),
      { numRuns: 500 },
    );
  });

  test('changes exactly one line when an existing key is set', () => {
    fc.assert(
      fc.property(
        validDocumentArb.filter(({ keys }) => keys.length > 0),
        fc.nat(),
        valueArb,
        ({ keys, text }, pick, value) => {
          const document = parseEnvDocument(text);
          const before = document.lines.map((line) => line.raw);
          const key = keys[pick % keys.length]!;
          document.set(key, value);
          const after = document.lines.map((line) => line.raw);
          assert.equal(after.length, before.length);
          const changed = after.flatMap((raw, index) => (raw === before[index] ? [] : [index]));
          assert.ok(changed.length <= 1);
          assert.equal(after[document.lineOf(key)! - 1], `${key}=${value}`);
          assert.equal(document.get(key), value);
          assert.deepEqual(document.problems, []);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('appends exactly one line when a new key is set', () => {
    fc.assert(
      fc.property(validDocumentArb, valueArb, ({ keys, text }, value) => {
        const key = 'NEW_KEY_NOT_GENERATED_9';
        fc.pre(!keys.includes(key));
        const document = parseEnvDocument(text);
        const before = document.lines.map((line) => line.raw);
        document.set(key, value);
        assert.deepEqual(
          document.lines.map((line) => line.raw),
          [...before, `${key}=${value}`],
        );
        assert.ok(document.serialize().endsWith(`${key}=${value}\n`));
        assert.deepEqual(parseEnvDocument(document.serialize()).problems, []);
      }),
      { numRuns: 200 },
    );
  });

  test('keeps comments, blank lines and order when a key is set and deleted', () => {
    const text = '# head\n\nA=1\n# about B\nB=2\n\n# tail\n';
    const document = parseEnvDocument(text);
    document.set('B', 'two');
    assert.equal(document.serialize(), '# head\n\nA=1\n# about B\nB=two\n\n# tail\n');
    assert.equal(document.delete('A'), 1);
    assert.equal(document.serialize(), '# head\n\n# about B\nB=two\n\n# tail\n');
    assert.equal(document.delete('MISSING'), 0);
  });

  test('adds a newline before the appended line of a file without a final newline', () => {
    const document = parseEnvDocument('A=1');
    document.set('B', '2');
    assert.equal(document.serialize(), 'A=1\nB=2\n');
  });

  test('rewrites the last of repeated keys, the one every loader reads', () => {
    const document = parseEnvDocument('A=1\nA=2\n');
    document.set('A', '3');
    assert.equal(document.serialize(), 'A=1\nA=3\n');
  });

  test('refuses to set a value that departs from the grammar and stays unchanged', () => {
    const document = parseEnvDocument('A=1\n');
    assert.throws(() => document.set('A', 'two\nlines'), {
      name: 'EnvFileError',
      code: 'control_character',
      message: 'the value of A contains U+000A (a control character)',
    });
    assert.throws(() => document.set('A', '"quoted"'), { code: 'quoted_value' });
    assert.throws(() => document.set('A', 'x # note'), { code: 'inline_comment' });
    assert.throws(() => document.set('A', ' padded'), { code: 'surrounding_whitespace' });
    assert.throws(() => document.set('BAD-KEY', 'x'), {
      code: 'invalid_key',
      message: 'the key contains "-", which keys may not contain',
    });
    assert.equal(document.serialize(), 'A=1\n');
  });
});

describe('env document: any input', () => {
  test('yields a document or line-numbered problems for any byte string, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const document = parseEnvDocument(bytes);
        const lineCount = document.lines.length;
        for (const found of document.problems) {
          assert.ok(GRAMMAR_CODES.has(found.code), found.code);
          assert.ok(found.severity === 'error' || found.severity === 'warning');
          assert.ok(
            found.line !== null && found.line >= 1 && found.line <= lineCount,
            JSON.stringify(found),
          );
          assert.ok(found.message.length > 0 && found.fix.length > 0);
        }
        for (const [key] of document.values()) assert.match(key, /^[A-Za-z_][A-Za-z0-9_]*$/);
      }),
      { numRuns: 1000 },
    );
  });

  test('never puts the value of a secret key into a problem message', () => {
    const secretArb = fc.stringMatching(/^[A-Za-z0-9]{12,40}$/);
    const decorate = fc.constantFrom(
      (v: string) => `TELEGRAM_BOT_TOKEN=${v} # note`,
      (v: string) => `TELEGRAM_BOT_TOKEN="${v}"`,
      (v: string) => `export CODEWHALE_RUNTIME_TOKEN=${v}`,
      (v: string) => `DEEPSEEK_API_KEY = ${v}`,
      (v: string) => `DEEPSEEK_API_KEY=${v}\\`,
      (v: string) => `DEEPSEEK_API_KEY=${v}\u0000`,
      (v: string) => `  CODEWHALE_RUNTIME_TOKEN=${v} `,
      (v: string) => v,
      (v: string) => `${v}=x`,
      (v: string) => `CODEWHALE_RUNTIME_TOKEN=${v}\r`,
    );
    fc.assert(
      fc.property(secretArb, decorate, (secret, make) => {
        const document = parseEnvDocument(`${make(secret)}\nCODEWHALE_RUNTIME_TOKEN=${secret}\n`);
        for (const found of document.problems) {
          assert.ok(!formatEnvProblem(found).includes(secret), formatEnvProblem(found));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('marks the lines that are not valid UTF-8 and reads the others', () => {
    const bytes = Buffer.concat([
      Buffer.from('A=1\nB='),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\nC=3\n'),
    ]);
    const document = parseEnvDocument(bytes);
    const found = only(document.problems);
    assert.deepEqual(found, {
      code: 'invalid_utf8',
      severity: 'error',
      file: null,
      line: 2,
      key: 'B',
      message: 'the value of B is not valid UTF-8',
      fix: 'save the file as UTF-8',
    });
    assert.deepEqual(
      [...document.values()],
      [
        ['A', '1'],
        ['C', '3'],
      ],
    );
  });
});

/** The one problem a single line produces, formatted as the user sees it. */
function problemOf(text: string): string {
  return formatEnvProblem(only(parseEnvDocument(text).problems), 'x.env');
}

describe('env document: the safe grammar', () => {
  test('accepts KEY=value, empty values, comments and blank lines', () => {
    const document = parseEnvDocument(
      '# c\n\nA=1\nB=\n_c9=with spaces inside\nD=#notacomment\nE=a=b\n',
    );
    assert.deepEqual(document.problems, []);
    assert.deepEqual(
      [...document.values()],
      [
        ['A', '1'],
        ['B', ''],
        ['_c9', 'with spaces inside'],
        ['D', '#notacomment'],
        ['E', 'a=b'],
      ],
    );
  });

  test('refuses a quoted value', () => {
    assert.equal(
      problemOf('CODEWHALE_MODEL="auto"\n'),
      'x.env:1: error: the value of CODEWHALE_MODEL is quoted ("\\"auto\\""); some loaders remove the quotes ' +
        'and others keep them — write the value without quotes: CODEWHALE_MODEL=value',
    );
    assert.equal(
      problemOf("TELEGRAM_BOT_TOKEN='123:abc'\n"),
      'x.env:1: error: the value of TELEGRAM_BOT_TOKEN is quoted; some loaders remove the quotes and others keep ' +
        'them — write the value without quotes: TELEGRAM_BOT_TOKEN=value',
    );
  });

  test('refuses an export prefix', () => {
    assert.equal(
      problemOf('export A=1\n'),
      'x.env:1: error: A has an "export " prefix, which Apple\'s --env-file does not understand — write A=value without "export "',
    );
  });

  test('refuses an inline comment after a value', () => {
    assert.equal(
      problemOf('CODEWHALE_ALLOW_SHELL=true  # keep on\n'),
      'x.env:1: error: the value of CODEWHALE_ALLOW_SHELL has an inline comment ("true  # keep on"); every loader ' +
        'keeps it as part of the value — move the comment to a line of its own that starts with "#"',
    );
  });

  test('refuses spaces around the equals sign', () => {
    for (const line of ['A = 1', 'A =1', 'A= 1', 'A\t=1']) {
      assert.equal(
        problemOf(`${line}\n`),
        'x.env:1: error: A has spaces around "="; Apple\'s --env-file refuses a space in the key and keeps one in ' +
          'the value — write A=value with no spaces around "="',
      );
    }
  });

  test('refuses leading and trailing whitespace', () => {
    assert.equal(
      problemOf('  A=1\n'),
      'x.env:1: error: the line of A starts with whitespace — start the line with the key: A=value',
    );
    assert.equal(
      problemOf('A=1 \n'),
      'x.env:1: error: the value of A has whitespace at its start or end; loaders disagree on whether it is kept — ' +
        'remove the whitespace: A=value',
    );
  });

  test('warns about whitespace on blank and comment lines', () => {
    assert.equal(
      problemOf('  \n'),
      'x.env:1: warning: the blank line contains spaces or tabs — remove the whitespace from the empty line',
    );
    assert.equal(
      problemOf(' # c\n'),
      'x.env:1: warning: the comment is indented — start the comment line with "#"',
    );
  });

  test('refuses CRLF line endings once, at the first such line', () => {
    const document = parseEnvDocument('# a\r\nA=1\r\nB=2\r\n');
    assert.equal(
      formatEnvProblem(only(document.problems), 'x.env'),
      "x.env:1: error: 3 lines end with CRLF (Windows line endings); Apple's --env-file keeps the CR in the value — " +
        'convert the file to LF (Unix) line endings',
    );
    assert.deepEqual([...document.values()], []);
  });

  test('refuses a byte order mark', () => {
    assert.equal(
      problemOf('\ufeffA=1\n'),
      'x.env:1: error: the file starts with a byte order mark (BOM) — save the file as UTF-8 without a BOM',
    );
    assert.equal(
      problemOf('A=1\n\ufeffB=2\n'),
      'x.env:2: error: the key contains "\ufeff", which keys may not contain — ' +
        'keys use the letters A-Z and a-z, the digits 0-9 and "_", and do not start with a digit',
    );
  });

  test('refuses NUL and other control characters', () => {
    assert.equal(
      problemOf('A=x\u0000y\n'),
      'x.env:1: error: the value of A contains U+0000 (NUL) — remove the control character; values are single lines of printable text',
    );
    assert.equal(
      problemOf('A=x\u001by\n'),
      'x.env:1: error: the value of A contains U+001B (a control character) — remove the control character; ' +
        'values are single lines of printable text',
    );
    assert.equal(
      problemOf('# bell\u0007\n'),
      'x.env:1: error: the line contains U+0007 (a control character) — remove the control character; ' +
        'values are single lines of printable text',
    );
  });

  test('refuses repeated keys, naming the first line', () => {
    const document = parseEnvDocument('A=1\nB=2\nA=3\n');
    assert.equal(
      formatEnvProblem(only(document.problems), 'x.env'),
      'x.env:3: error: A is set again (first on line 1); loaders disagree on which line wins — keep one A line and delete the others',
    );
    assert.equal(document.get('A'), '3');
  });

  test('refuses a line without an equals sign, without echoing it', () => {
    assert.equal(
      problemOf('123456:AAHsecretlookingtoken\n'),
      'x.env:1: error: the line has no "=" and is not a comment — write KEY=value, or start the line with "#" to make it a comment',
    );
  });

  test('refuses keys that are not names', () => {
    const fix =
      'keys use the letters A-Z and a-z, the digits 0-9 and "_", and do not start with a digit';
    assert.equal(
      problemOf('=1\n'),
      `x.env:1: error: the line starts with "=" and has no key — ${fix}`,
    );
    assert.equal(problemOf('9A=1\n'), `x.env:1: error: the key starts with a digit — ${fix}`);
    assert.equal(
      problemOf('MY-KEY=1\n'),
      `x.env:1: error: the key contains "-", which keys may not contain — ${fix}`,
    );
  });

  test('refuses a semicolon comment', () => {
    assert.equal(
      problemOf('; note\n'),
      'x.env:1: error: the line starts with ";", which only systemd reads as a comment — start comment lines with "#"',
    );
  });

  test('refuses backslashes and $ references', () => {
    assert.equal(
      problemOf('A=a\\\n'),
      'x.env:1: error: the value of A contains a backslash, which systemd reads as an escape or a line continuation — ' +
        'remove the backslash; values are taken literally',
    );
    assert.equal(
      problemOf('A=${HOME}/x\n'),
      'x.env:1: error: the value of A contains a $ reference, which the loaders do not expand alike — ' +
        'write the value out in full instead of referring to another variable',
    );
    assert.deepEqual(parseEnvDocument('A=cost$5\n').problems, []);
  });

  test('leaves lines with errors out of the values but lists them as entries', () => {
    const document = parseEnvDocument('A=1 # x\nB=2\n');
    assert.deepEqual([...document.values()], [['B', '2']]);
    assert.deepEqual(document.entries(), [
      { key: 'A', value: '1 # x', line: 1, valid: false },
      { key: 'B', value: '2', line: 2, valid: true },
    ]);
  });
});
