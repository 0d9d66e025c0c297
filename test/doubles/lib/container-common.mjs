// What every command of the container double shares: the service check with the exact XPC error
// texts, error renderings (short, long, aggregate, pre-1.0), table layout and JSON printing.
import { DoubleExit, out } from './container-args.mjs';
import { encodeCompact, encodePretty } from './container-json.mjs';

export const SERVICE_HINT =
  'Ensure container system service has been started with `container system start`.';
const XPC_TEXT = 'XPC connection error: Connection invalid';

/** The long rendering `<code>: "<message>"`, with an optional cause in long form. */
export function longForm(code, message, cause) {
  return cause ? `${code}: "${message}" (cause: "${cause}")` : `${code}: "${message}"`;
}

/** A single error: `Error: <message>` on 1.x, `Error: <code>: "<message>"` before 1.0. */
export function singleError(ctx, code, message) {
  const text = ctx.mode === 'pre-1.0' ? longForm(code, message) : message;

  return new DoubleExit(1, { stderr: `Error: ${text}\n` });
}

/** Several long-form errors after one `Error: ` prefix, as stop/delete/kill print them. */
export function aggregateError(lines) {
  return new DoubleExit(1, { stderr: `Error: ${lines.join('\n')}\n` });
}

/**
 * The "service not running" text. `operation` is null for commands that read the system
 * configuration first (run, create, build, image …) and names the failed server call otherwise.
 */
export function serviceDownText(mode, operation) {
  if (mode === 'pre-1.0') return `Error: interrupted: "${XPC_TEXT}\n${SERVICE_HINT}"\n`;
  if (operation === null) return `Error: ${longForm('interrupted', XPC_TEXT)}\n${SERVICE_HINT}\n`;

  return `Error: ${longForm('internalError', operation, longForm('interrupted', XPC_TEXT))}\n${SERVICE_HINT}\n`;
}

/** Fails with the XPC error unless the system service is running. */
export function requireService(ctx, operation) {
  if (ctx.state.system.state === 'running') return;
  throw new DoubleExit(1, { stderr: serviceDownText(ctx.mode, operation) });
}

/** Pads every column but the last to its widest cell plus two; one `\n` after the table. */
export function renderTable(rows) {
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map((row) => String(row[column]).length)),
  );
  const lines = rows.map((row) =>
    row
      .map((cell, column) =>
        column === row.length - 1 ? String(cell) : String(cell).padEnd(widths[column] + 2),
      )
      .join(''),
  );

  return `${lines.join('\n')}\n`;
}

/** Fails for `--format yaml|toml`, which the double does not model. */
export function requireModelledFormat(format) {
  if (format === 'yaml' || format === 'toml') {
    throw new DoubleExit(1, {
      stderr: `Error: the container double does not model --format ${format}\n`,
    });
  }
}

/** Half a JSON document, for the "garbage JSON" fault. */
export const GARBAGE_JSON = '[{"configuration":{"capAdd":[],"id":"codewhale-w\u0000\n';

/** Prints a list payload as compact JSON (1.x: sorted keys), or garbage under the fault. */
export function printCompact(ctx, command, value) {
  if (ctx.state.faults.garbageJson.includes(command)) return out(GARBAGE_JSON);
  out(`${encodeCompact(value, { sorted: ctx.mode !== 'pre-1.0' })}\n`);
}

/** Prints an inspect payload: pretty and sorted on 1.x, compact and unsorted before 1.0. */
export function printInspect(ctx, command, value) {
  if (ctx.state.faults.garbageJson.includes(command)) return out(GARBAGE_JSON);
  if (ctx.mode === 'pre-1.0') return out(`${encodeCompact(value, { sorted: false })}\n`);
  out(`${encodePretty(value)}\n`);
}

/** The unique values of a list, in their first order. */
export function unique(values) {
  return [...new Set(values)];
}

/** `["a", "b"]`, the way Swift prints a list of names inside an error. */
export function swiftList(names) {
  return `[${names.map((name) => `"${name}"`).join(', ')}]`;
}
