import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { DEFAULT_PATHS } from '../../src/supervisor/config.js';
import { REPO_ROOT } from './harness.js';

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions of a Containerfile: comments dropped, `\` continuations joined. */
function parseContainerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }

  return logical.map((line) => {
    const at = line.search(/\s/);
    return { keyword: line.slice(0, at).toUpperCase(), args: line.slice(at + 1).trim() };
  });
}

/** The instructions of each stage, keyed by its `AS` name (the last one also as `final`). */
function stagesOf(instructions: Instruction[]): Map<string, Instruction[]> {
  const stages = new Map<string, Instruction[]>();
  let current: Instruction[] | null = null;
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      current = [instruction];
      const name = /\sAS\s+(\S+)$/i.exec(instruction.args)?.[1] ?? `stage-${stages.size}`;
      stages.set(name, current);
      stages.set('final', current);
    } else {
      current?.push(instruction);
    }
  }

  return stages;
}

const text = readFileSync(join(REPO_ROOT, 'assets', 'container', 'Containerfile'), 'utf8');
const instructions = parseContainerfile(text);
const stages = stagesOf(instructions);
const final = stages.get('final')!;
const finalRun = final
  .filter((item) => item.keyword === 'RUN')
  .map((item) => item.args)
  .join(' && ');
const copies = final.filter((item) => item.keyword === 'COPY').map((item) => item.args);

describe('the workbench Containerfile', () => {
  it('builds on the pinned CodeWhale release image for linux/arm64', () => {
    assert.equal(final[0]!.args, '--platform=linux/arm64 ghcr.io/hmbown/codewhale:0.9.10');
    for (const from of instructions.filter((item) => item.keyword === 'FROM')) {
      assert.match(
        from.args,
        /^--platform=linux\/arm64 /,
        `stage ${from.args} is not pinned to linux/arm64`,
      );
      assert.doesNotMatch(from.args, /:latest\b/);
    }
  });

  it('copies Node 22 from an official node:22 arm64 stage on the same Debian release', () => {
    const node = stages.get('node')!;
    assert.match(node[0]!.args, /^--platform=linux\/arm64 node:22-bookworm-slim AS node$/);
    assert.ok(copies.includes('--from=node /usr/local/bin/node /usr/local/bin/node'));
    assert.match(finalRun, /node --version/);
  });

  it('installs git and CA certificates without recommended extras', () => {
    assert.match(finalRun, /apt-get install -y --no-install-recommends ca-certificates git/);
    assert.match(finalRun, /rm -rf \/var\/lib\/apt\/lists\/\*/);
  });

  it('ships telegram-bridge with bridge-core as its sibling, both from the release tag of the image', () => {
    const source = stages.get('bridge-source')!;
    const clone = source
      .filter((item) => item.keyword === 'RUN')
      .map((item) => item.args)
      .join(' ');
    assert.match(
      clone,
      /git clone --depth 1 --branch "v\$\{CODEWHALE_VERSION\}" https:\/\/github\.com\/Hmbown\/CodeWhale\.git \/src/,
    );
    const version = /^ARG CODEWHALE_VERSION=(\S+)$/m.exec(text)?.[1];
    assert.equal(
      `ghcr.io/hmbown/codewhale:${version}`,
      final[0]!.args.split(' ')[1],
      'the bridge comes from the same release',
    );
    assert.ok(
      copies.includes(
        '--from=bridge-source /src/integrations/bridge-core /opt/codewhale/bridge-core',
      ),
    );
    assert.ok(
      copies.includes(
        '--from=bridge-source /src/integrations/telegram-bridge /opt/codewhale/telegram-bridge',
      ),
    );
    assert.equal(DEFAULT_PATHS.bridgeEntry, '/opt/codewhale/telegram-bridge/src/index.mjs');
  });

  it('installs the supervisor and the doctor bundles as workbench-supervisor and workbench-doctor', () => {
    assert.ok(copies.includes('dist/supervisor.js /opt/workbench/supervisor.js'));
    assert.ok(copies.includes('dist/doctor.js /opt/workbench/doctor.js'));
    assert.match(
      finalRun,
      /ln -s \/opt\/workbench\/supervisor\.js \/usr\/local\/bin\/workbench-supervisor/,
    );
    assert.match(
      finalRun,
      /ln -s \/opt\/workbench\/doctor\.js \/usr\/local\/bin\/workbench-doctor/,
    );
    const entrypoint = final.filter((item) => item.keyword === 'ENTRYPOINT');
    assert.deepEqual(
      entrypoint.map((item) => JSON.parse(item.args)),
      [['/usr/local/bin/workbench-supervisor']],
    );
  });

  it('keeps the codewhale user at UID 1000 and prepares every mount point with its owner and mode', () => {
    assert.match(finalRun, /test "\$\(id -u codewhale\):\$\(id -g codewhale\)" = "1000:1000"/);
    const serviceDirs = [
      DEFAULT_PATHS.workspace,
      DEFAULT_PATHS.runtimeState,
      DEFAULT_PATHS.bridgeState,
    ].join(' ');
    assert.ok(finalRun.includes(`mkdir -p ${serviceDirs}`));
    assert.ok(finalRun.includes(`chown 1000:1000 ${serviceDirs}`));
    assert.ok(finalRun.includes(`chmod 0700 ${serviceDirs}`));
    const rootDirs = [DEFAULT_PATHS.envDir, DEFAULT_PATHS.statusDir].join(' ');
    assert.ok(
      finalRun.includes(`mkdir -p ${rootDirs}`) && finalRun.includes(`chmod 0700 ${rootDirs}`),
    );
  });

  it('publishes no port, stops with SIGTERM and declares no VOLUME', () => {
    assert.equal(
      instructions.some((item) => item.keyword === 'EXPOSE'),
      false,
    );
    assert.equal(
      instructions.some((item) => item.keyword === 'VOLUME'),
      false,
    );
    assert.deepEqual(
      final.filter((item) => item.keyword === 'STOPSIGNAL').map((item) => item.args),
      ['SIGTERM'],
    );
  });

  it('starts the supervisor as root so it can hand fresh volumes to UID 1000', () => {
    const users = final.filter((item) => item.keyword === 'USER').map((item) => item.args);
    assert.deepEqual(users, ['root']);
  });
});
