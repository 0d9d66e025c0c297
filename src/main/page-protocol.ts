/**
 * Serves the app's pages over its own scheme (`workbench://app/status.html`) instead of file://:
 * only files inside the renderer folder, only known types, every answer with the strict CSP.
 */
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

import { APP_HOST, APP_SCHEME } from '../ipc/channels.js';

/** The policy of every page; the same text is in each page's `<meta>` tag. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The privileges the scheme is registered with before the app is ready. */
export const SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: false,
  corsEnabled: false,
};

/** The file a page URL stands for, or null when the URL is not one of ours. */
export function resolvePagePath(rendererDir: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || !CONTENT_TYPES[extname(pathname)]) return null;
  const path = normalize(join(rendererDir, pathname));

  return path.startsWith(rendererDir + sep) ? path : null;
}

function notFound(): Response {
  return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
}

/** Answers one request of the app's scheme. */
export async function servePage(rendererDir: string, request: Request): Promise<Response> {
  if (request.method !== 'GET') return notFound();
  const path = resolvePagePath(rendererDir, request.url);
  if (!path) return notFound();
  try {
    // A symlink out of the renderer folder is refused like any other path outside it.
    const real = await realpath(path);
    const realRoot = await realpath(rendererDir);
    if (!real.startsWith(realRoot + sep)) return notFound();
    const body = await readFile(real);

    return new Response(new Uint8Array(body), {
      status: 200,
      headers: {
        'content-type': CONTENT_TYPES[extname(path)]!,
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      },
    });
  } catch {
    return notFound();
  }
}
