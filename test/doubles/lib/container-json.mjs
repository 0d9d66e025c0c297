// JSON the way apple/container prints it: Foundation's encoder with sorted keys, `/` escaped as
// `\/`, compact for lists and pretty (two spaces, ` : `, blank line inside empty containers) for
// the inspect commands. Dates are ISO-8601 strings without fractional seconds on 1.x and seconds
// since 2001-01-01 before 1.0.

/** Seconds between the Unix epoch and Apple's reference date, 2001-01-01 00:00:00 UTC. */
export const REFERENCE_DATE_OFFSET = 978307200;

/** A copy of `value` with the keys of every object in sorted order. */
export function sortKeysDeep(value) {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const sorted = {};
  for (const key of Object.keys(value).sort()) {
    if (value[key] !== undefined) sorted[key] = sortKeysDeep(value[key]);
  }

  return sorted;
}

function encodeScalar(value) {
  return JSON.stringify(value).replaceAll('/', '\\/');
}

/** One line, sorted keys unless `sorted` is false, `\/` escapes. */
export function encodeCompact(value, { sorted = true } = {}) {
  return encodeScalar(sorted ? sortKeysDeep(value) : value);
}

function encodePrettyValue(value, indent) {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return `[\n\n${indent}]`;
    const items = value.map((item) => `${inner}${encodePrettyValue(item, inner)}`);

    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return `{\n\n${indent}}`;
    const items = entries.map(
      ([key, item]) => `${inner}${encodeScalar(key)} : ${encodePrettyValue(item, inner)}`,
    );

    return `{\n${items.join(',\n')}\n${indent}}`;
  }

  return encodeScalar(value);
}

/** Foundation's pretty style: two-space indent, `"key" : value`, sorted keys unless told. */
export function encodePretty(value, { sorted = true } = {}) {
  return encodePrettyValue(sorted ? sortKeysDeep(value) : value, '');
}

/** `2026-08-07T18:01:13Z` for a time in milliseconds. */
export function isoDate(ms = Date.now()) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An ISO date as pre-1.0 printed it: seconds since the reference date, with fractions. */
export function referenceDateNumber(iso) {
  return Date.parse(iso) / 1000 - REFERENCE_DATE_OFFSET + 0.123456;
}
