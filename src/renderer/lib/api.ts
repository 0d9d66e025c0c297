/**
 * The pages' access to the main process: `window.workbench`, put there by the preload. Results
 * are `{ ok, value }` or `{ ok: false, error }`; `unwrap` turns a failure into a `UserError`.
 */
import type { Result } from '../../ipc/channels.js';
import type { WorkbenchBridge } from '../../ipc/bridge.js';

/** A failure whose message is a sentence for the user. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** The bridge the preload exposes. */
export function workbench(): WorkbenchBridge {
  return (window as unknown as { workbench: WorkbenchBridge }).workbench;
}

/** The value of a result, or a `UserError` with its sentence. */
export async function unwrap<T>(pending: Promise<Result<T>>): Promise<T> {
  const result = await pending;
  if (!result.ok) throw new UserError(result.error);

  return result.value;
}

/** The sentence to show for any failure. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;

  return String(error);
}
