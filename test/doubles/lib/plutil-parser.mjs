// A strict XML property-list parser for the plutil and launchctl doubles. It accepts what
// CoreFoundation's XML reader accepts and fails with messages shaped like CoreFoundation's
// (`Found non-key inside <dict> at line 26`), naming the line where the problem was found.

const VALUE_TAGS = new Set([
  'dict',
  'array',
  'string',
  'integer',
  'real',
  'true',
  'false',
  'date',
  'data',
]);
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** A parse failure; `message` is the text plutil prints after `<path>: `. */
export class PlistSyntaxError extends Error {}

class Reader {
  constructor(text) {
    this.text = text.startsWith('\uFEFF') ? text.slice(1) : text;
    this.pos = 0;
  }

  line(at = this.pos) {
    let count = 1;
    for (let index = 0; index < at && index < this.text.length; index += 1) {
      if (this.text.charCodeAt(index) === 10) count += 1;
    }
    return count;
  }

  fail(message) {
    throw new PlistSyntaxError(message);
  }

  atEnd() {
    return this.pos >= this.text.length;
  }

  startsWith(token) {
    return this.text.startsWith(token, this.pos);
  }

  skipUntil(token) {
    const end = this.text.indexOf(token, this.pos);
    if (end < 0) this.fail('Encountered unexpected EOF');
    this.pos = end + token.length;
  }

  skipWhitespace() {
    while (!this.atEnd() && /[ \t\r\n]/.test(this.text[this.pos])) this.pos += 1;
  }

  // Whitespace, comments and processing instructions between elements.
  skipMisc() {
    for (;;) {
      this.skipWhitespace();
      if (this.startsWith('<!--')) this.skipUntil('-->');
      else if (this.startsWith('<?')) this.skipUntil('?>');
      else return;
    }
  }
}

function skipDoctype(reader) {
  let depth = 0;
  while (!reader.atEnd()) {
    const char = reader.text[reader.pos];
    reader.pos += 1;
    if (char === '[') depth += 1;
    else if (char === ']') depth -= 1;
    else if (char === '>' && depth <= 0) return;
  }
  reader.fail('Encountered unexpected EOF');
}

// Reads `<name attr="…">` or `<name/>` at the reader's position, after the `<`.
function readOpenTag(reader) {
  const line = reader.line();
  const match =
    /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(
      reader.text.slice(reader.pos, reader.pos + 4096),
    );
  if (!match) {
    if (reader.text.indexOf('>', reader.pos) < 0) reader.fail('Encountered unexpected EOF');
    reader.fail(`Malformed tag on line ${line}`);
  }
  reader.pos += match[0].length;

  return { name: match[1], empty: match[3] === '/', line };
}

function decodeEntity(reader, body) {
  if (body in ENTITIES) return ENTITIES[body];
  const numeric = /^#(x[0-9A-Fa-f]+|[0-9]+)$/.exec(body);
  if (numeric) {
    const code = numeric[1].startsWith('x')
      ? parseInt(numeric[1].slice(1), 16)
      : parseInt(numeric[1], 10);
    if (code <= 0x10ffff) return String.fromCodePoint(code);
  }

  return reader.fail(`Encountered unknown ampersand-escape sequence at line ${reader.line()}`);
}

function checkCharacter(reader, char) {
  const code = char.charCodeAt(0);
  if (
    (code < 0x20 && code !== 9 && code !== 10 && code !== 13) ||
    code === 0xfffe ||
    code === 0xffff
  ) {
    reader.fail(`Encountered unexpected character 0x${code.toString(16)} on line ${reader.line()}`);
  }
}

// Reads character data up to the closing tag `</name>`.
function readText(reader, name) {
  let text = '';
  for (;;) {
    if (reader.atEnd()) reader.fail('Encountered unexpected EOF');
    if (reader.startsWith('<![CDATA[')) {
      const end = reader.text.indexOf(']]>', reader.pos);
      if (end < 0) reader.fail('Encountered unexpected EOF');
      text += reader.text.slice(reader.pos + 9, end);
      reader.pos = end + 3;
      continue;
    }
    if (reader.startsWith('<!--')) {
      reader.skipUntil('-->');
      continue;
    }
    const char = reader.text[reader.pos];
    if (char === '<') {
      readCloseTag(reader, name);
      return text;
    }
    if (char === '&') {
      const end = reader.text.indexOf(';', reader.pos);
      if (end < 0 || end - reader.pos > 12)
        reader.fail(`Encountered unknown ampersand-escape sequence at line ${reader.line()}`);
      text += decodeEntity(reader, reader.text.slice(reader.pos + 1, end));
      reader.pos = end + 1;
      continue;
    }
    checkCharacter(reader, char);
    text += char;
    reader.pos += 1;
  }
}

function readCloseTag(reader, name) {
  const line = reader.line();
  const match = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(reader.text.slice(reader.pos, reader.pos + 256));
  if (!match || match[1] !== name)
    reader.fail(`Closing tag on line ${line} does not match open tag ${name}`);
  reader.pos += match[0].length;
}

// The next element inside a container: its open tag, or null at the container's closing tag.
function nextChild(reader, container) {
  reader.skipMisc();
  if (reader.atEnd()) reader.fail('Encountered unexpected EOF');
  if (reader.text[reader.pos] !== '<') {
    reader.fail(
      `Encountered unexpected character ${reader.text[reader.pos]} on line ${reader.line()}`,
    );
  }
  if (reader.startsWith('</')) {
    readCloseTag(reader, container);
    return null;
  }
  reader.pos += 1;

  return readOpenTag(reader);
}

function readDict(reader) {
  const dict = {};
  for (;;) {
    const keyTag = nextChild(reader, 'dict');
    if (!keyTag) return dict;
    if (keyTag.name !== 'key') reader.fail(`Found non-key inside <dict> at line ${keyTag.line}`);
    const key = keyTag.empty ? '' : readText(reader, 'key');
    const valueTag = nextChild(reader, 'dict');
    if (!valueTag || valueTag.name === 'key')
      reader.fail(`Value missing for key inside <dict> at line ${reader.line()}`);
    Object.defineProperty(dict, key, {
      value: readValue(reader, valueTag),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
}

function readArray(reader) {
  const array = [];
  for (;;) {
    const tag = nextChild(reader, 'array');
    if (!tag) return array;
    array.push(readValue(reader, tag));
  }
}

function readInteger(reader, tag) {
  const text = tag.empty ? '' : readText(reader, 'integer').trim();
  if (!/^[+-]?(\d+|0x[0-9A-Fa-f]+)$/.test(text))
    reader.fail(`Encountered misformatted integer on line ${tag.line}`);
  const negative = text.startsWith('-');
  const digits = text.replace(/^[+-]/, '');

  return (negative ? -1 : 1) * Number(digits);
}

function readReal(reader, tag) {
  const text = tag.empty ? '' : readText(reader, 'real').trim();
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text))
    reader.fail(`Encountered misformatted real on line ${tag.line}`);

  return Number(text);
}

function readDate(reader, tag) {
  const text = tag.empty ? '' : readText(reader, 'date').trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text))
    reader.fail(`Could not interpret <date> at line ${tag.line}`);

  return new Date(text);
}

function readData(reader, tag) {
  const text = tag.empty ? '' : readText(reader, 'data').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text))
    reader.fail(`Could not interpret <data> at line ${tag.line}`);

  return Buffer.from(text, 'base64');
}

function readValue(reader, tag) {
  if (!VALUE_TAGS.has(tag.name))
    reader.fail(`Encountered unknown tag ${tag.name} on line ${tag.line}`);
  if (tag.name === 'true' || tag.name === 'false') {
    if (!tag.empty) readCloseTag(reader, tag.name);
    return tag.name === 'true';
  }
  if (tag.name === 'dict') return tag.empty ? {} : readDict(reader);
  if (tag.name === 'array') return tag.empty ? [] : readArray(reader);
  if (tag.name === 'string') return tag.empty ? '' : readText(reader, 'string');
  if (tag.name === 'integer') return readInteger(reader, tag);
  if (tag.name === 'real') return readReal(reader, tag);
  if (tag.name === 'date') return readDate(reader, tag);

  return readData(reader, tag);
}

function readPlistBody(reader, tag) {
  if (tag.empty) reader.fail(`Encountered empty plist tag`);
  const valueTag = nextChild(reader, 'plist');
  if (!valueTag) reader.fail(`Encountered empty plist tag`);
  const value = readValue(reader, valueTag);
  const extra = nextChild(reader, 'plist');
  if (extra)
    reader.fail(
      `Encountered unexpected element at line ${extra.line} (plist can only include one object)`,
    );

  return value;
}

/** Parses an XML property list strictly; throws PlistSyntaxError with a plutil-style message. */
export function parseXmlPlist(text) {
  const reader = new Reader(text);
  reader.skipMisc();
  if (reader.startsWith('<!DOCTYPE')) {
    skipDoctype(reader);
    reader.skipMisc();
  }
  if (reader.atEnd()) reader.fail('Encountered unexpected EOF');
  if (reader.text[reader.pos] !== '<') {
    reader.fail(
      `Encountered unexpected character ${reader.text[reader.pos]} on line ${reader.line()}`,
    );
  }
  reader.pos += 1;
  const tag = readOpenTag(reader);
  const value = tag.name === 'plist' ? readPlistBody(reader, tag) : readValue(reader, tag);
  reader.skipMisc();
  if (!reader.atEnd()) {
    reader.fail(
      `Encountered unexpected element at line ${reader.line()} (plist can only include one object)`,
    );
  }

  return value;
}
