/**
 * Small HTTP GETs against the runtime on the loopback interface, with a hard timeout and no
 * connection reuse, for the supervisor's health checks and the doctor's probes.
 */
import { request } from 'node:http';

export interface ProbeResult {
  status: number;
  body: string;
}

const BODY_LIMIT = 64 * 1024;

/** GET `http://127.0.0.1:<port><path>`; rejects on a connection error or after `timeoutMs`. */
export function getLocal(
  port: number,
  path: string,
  options: { timeoutMs: number; headers?: Record<string, string> },
): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      method: 'GET',
      agent: false,
      headers: options.headers ?? {},
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < BODY_LIMIT) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8').slice(0, BODY_LIMIT),
        });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

/** True when `/health` answers 200 with `"status":"ok"`. */
export async function isHealthy(port: number, timeoutMs: number): Promise<boolean> {
  try {
    const result = await getLocal(port, '/health', { timeoutMs });
    if (result.status !== 200) return false;
    const body = JSON.parse(result.body) as { status?: unknown };

    return body.status === 'ok';
  } catch {
    return false;
  }
}
