import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';

import { FAKE_CODEWHALE, createWorkbench, freePort, waitFor, type Workbench } from './harness.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runProgram(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onStart?: (child: ReturnType<typeof spawn>, output: () => string) => void,
): Promise<Run> {
  const child = spawn(process.execPath, [command, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  onStart?.(child, () => stdout);
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);

  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

async function serveUntil(
  args: string[],
  env: NodeJS.ProcessEnv,
  act: (port: number) => Promise<void>,
  signal: NodeJS.Signals = 'SIGTERM',
) {
  const port = await freePort();
  let acted: Promise<void> = Promise.resolve();
  const run = await runProgram(
    FAKE_CODEWHALE,
    ['serve', '--http', '--host', '127.0.0.1', '--port', String(port), ...args],
    env,
    (child, output) => {
      acted = waitFor('the listening line', () => output().includes('Runtime API listening'))
        .then(() => act(port))
        .finally(() => child.kill(signal));
    },
  );
  await acted;

  return run;
}

async function withBridgeWorld(
  t: { after(fn: () => Promise<void>): void },
  mode: 'ok' | 'conflict' = 'ok',
): Promise<Workbench> {
  const world = await createWorkbench({ telegramMode: mode });
  t.after(() => world.cleanup());

  return world;
}

function bridgeEnv(
  world: Workbench,
  extra: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  return {
    TELEGRAM_BOT_TOKEN: world.botToken,
    CODEWHALE_RUNTIME_TOKEN: world.runtimeToken,
    TELEGRAM_API_BASE: world.telegram.url,
    TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
    TELEGRAM_THREAD_MAP_PATH: `${world.stateDir}/thread-map.json`,
    FAKE_BRIDGE_BACKOFF_SCALE: '0.001',
    FAKE_TEST_MARKER: world.marker,
    ...extra,
  };
}

describe('the stand-in codewhale', () => {
  it('refuses a host that is not an IP literal, and port 0, like the real binary', async () => {
    const host = await runProgram(
      FAKE_CODEWHALE,
      ['serve', '--http', '--host', 'localhost', '--port', '7878'],
      {},
    );
    assert.deepEqual(
      [host.code, host.stderr],
      [
        1,
        "error: Invalid bind address 'localhost:7878'\n  caused by: invalid socket address syntax\n",
      ],
    );
    const bare = await runProgram(
      FAKE_CODEWHALE,
      ['serve', '--http', '--host', '::1', '--port', '7878'],
      {},
    );
    assert.equal(bare.stderr.split('\n')[0], "error: Invalid bind address '::1:7878'");
    const zero = await runProgram(FAKE_CODEWHALE, ['serve', '--http', '--port', '0'], {});
    assert.deepEqual([zero.code, zero.stderr], [1, 'error: Port must be > 0\n']);
  });

  it('fails to bind a port in use with its cause', async (t) => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const port = (server.address() as { port: number }).port;
    const run = await runProgram(
      FAKE_CODEWHALE,
      ['serve', '--http', '--host', '127.0.0.1', '--port', String(port)],
      { CODEWHALE_RUNTIME_TOKEN: 't' },
    );
    assert.deepEqual(
      [run.code, run.stderr],
      [
        1,
        `error: Failed to bind 127.0.0.1:${port}\n  caused by: Address already in use (os error 98)\n`,
      ],
    );
  });

  it('prints the start-up lines, guards /v1/* with the token and exits 143 on SIGTERM', async () => {
    const run = await serveUntil(
      [],
      { CODEWHALE_RUNTIME_TOKEN: ' secret-token ' },
      async (port) => {
        const base = `http://127.0.0.1:${port}`;
        assert.deepEqual(await (await fetch(`${base}/health`)).json(), {
          status: 'ok',
          service: 'codewhale-runtime-api',
          mode: 'local',
        });
        const info = (await (await fetch(`${base}/v1/runtime/info`)).json()) as {
          bind_host: string;
          port: number;
          auth_required: boolean;
        };
        assert.deepEqual(
          [info.bind_host, info.port, info.auth_required],
          ['127.0.0.1', port, true],
        );
        const refused = await fetch(`${base}/v1/workspace/status`);
        assert.equal(refused.status, 401);
        assert.deepEqual(await refused.json(), {
          error: { message: 'runtime API bearer token required', status: 401 },
        });
        assert.equal(
          (await fetch(`${base}/v1/workspace/status?token=secret-token`)).status,
          401,
          'no query-string tokens',
        );
        const credentials: Array<Record<string, string>> = [
          { authorization: 'Bearer secret-token' },
          { 'x-codewhale-runtime-token': 'secret-token' },
          { 'x-deepseek-runtime-token': 'secret-token' },
          { cookie: 'codewhale_runtime_token=secret-token' },
        ];
        for (const headers of credentials) {
          assert.equal((await fetch(`${base}/v1/workspace/status`, { headers })).status, 200);
        }
      },
    );
    assert.deepEqual([run.code, run.signal], [143, null]);
    assert.match(
      run.stdout,
      /^Runtime API listening on http:\/\/127\.0\.0\.1:\d+\nRuntime API auth: bearer token required for \/v1\/\* routes\.\nSecurity: this server is local-first\. Do not expose it to untrusted networks\.\n$/,
    );
  });

  it('generates a token it never prints when none is configured, and exits 130 on SIGINT', async () => {
    const run = await serveUntil(
      [],
      {},
      async (port) => {
        assert.equal((await fetch(`http://127.0.0.1:${port}/v1/workspace/status`)).status, 401);
      },
      'SIGINT',
    );
    assert.equal(run.code, 130);
    assert.match(
      run.stdout,
      /\nRuntime API auth: generated bearer token for this process \(not printed\)\.\n  Set CODEWHALE_RUNTIME_TOKEN \(or DEEPSEEK_RUNTIME_TOKEN as an alias\) or pass --auth-token when another client needs to connect\.\n/,
    );
    assert.doesNotMatch(run.stdout + run.stderr, /cwrt_/);
  });

  it('warns about the legacy token name and exits 129 on SIGHUP', async () => {
    const run = await serveUntil(
      [],
      { CODEWHALE_RUNTIME_TOKEN: ' ', DEEPSEEK_RUNTIME_TOKEN: 'legacy' },
      async (port) => {
        assert.equal(
          (
            await fetch(`http://127.0.0.1:${port}/v1/workspace/status`, {
              headers: { authorization: 'Bearer legacy' },
            })
          ).status,
          200,
        );
      },
      'SIGHUP',
    );
    assert.equal(run.code, 129);
    assert.match(
      run.stdout,
      /Warning: DEEPSEEK_RUNTIME_TOKEN is deprecated; use CODEWHALE_RUNTIME_TOKEN \(the legacy alias is removed in 0\.10\.0\)\./,
    );
  });

  it('reports its version', async () => {
    const run = await runProgram(FAKE_CODEWHALE, ['--version'], {});
    assert.deepEqual([run.code, run.stdout], [0, 'codewhale 0.9.10\n']);
  });
});

describe('the stand-in bridge', () => {
  it('exits 1 naming a missing required variable', async (t) => {
    const world = await withBridgeWorld(t);
    const run = await runProgram(
      world.bridgeEntry,
      [],
      bridgeEnv(world, { TELEGRAM_BOT_TOKEN: undefined }),
    );
    assert.equal(run.code, 1);
    assert.match(run.stderr, /\nError: TELEGRAM_BOT_TOKEN is required\n/);
  });

  it('prints its start-up lines and exits 0 after the current poll on the first SIGTERM', async (t) => {
    const world = await withBridgeWorld(t);
    const run = await runProgram(world.bridgeEntry, [], bridgeEnv(world), (child, output) => {
      void waitFor(
        'a poll',
        () => world.telegram.calls.getUpdates > 0 && output().includes('Workspace:'),
      ).then(() => child.kill('SIGTERM'));
    });
    assert.deepEqual([run.code, run.signal], [0, null]);
    assert.match(
      run.stdout,
      /^Starting CodeWhale Telegram bridge\nRuntime: http:\/\/127\.0\.0\.1:7878\nWorkspace: .+\nNo allowlist configured\. Incoming chats will receive their IDs and be refused\.\n$/,
    );
  });

  it('dies by a second SIGTERM while the first waits for the poll', async (t) => {
    const world = await withBridgeWorld(t);
    const run = await runProgram(
      world.bridgeEntry,
      [],
      bridgeEnv(world, { FAKE_BRIDGE_SLOW_TERM_MS: '10000' }),
      (child) => {
        void waitFor('a poll', () => world.telegram.calls.getUpdates > 0).then(async () => {
          child.kill('SIGTERM');
          await new Promise((resolve) => setTimeout(resolve, 200));
          child.kill('SIGTERM');
        });
      },
    );
    assert.equal(run.signal, 'SIGTERM', 'a shell reports this as 143');
  });

  it('backs off on 409 with the upstream waits, then exits 1 with the conflict message', async (t) => {
    const world = await withBridgeWorld(t, 'conflict');
    const run = await runProgram(world.bridgeEntry, [], bridgeEnv(world));
    assert.equal(run.code, 1);
    const waits = [
      ...run.stderr.matchAll(
        /^Telegram getUpdates conflict; another bridge is polling this bot\. Retrying in (\d+)s\.$/gm,
      ),
    ].map((match) => match[1]);
    assert.deepEqual(waits, ['15', '25', '35', '45', '55']);
    assert.match(
      run.stderr,
      /Error: Telegram getUpdates conflict; another bridge is polling this bot token\. Stop the other bridge process or use a different token\./,
    );
  });
});
