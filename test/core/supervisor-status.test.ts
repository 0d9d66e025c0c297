import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { judgeHeartbeat, readStatusFile } from '../../src/core/supervisor-status.js';
import { sampleStatus } from '../helpers/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'wb-status-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeStatus(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);

  return path;
}

describe('readStatusFile', () => {
  it('reads a valid status', () => {
    const read = readStatusFile(writeStatus('ok.json', JSON.stringify(sampleStatus())));
    assert.equal(read.ok, true);
    assert.equal(read.ok && read.status.services.bridge.pid, 57);
  });

  it('reports a missing file', () => {
    assert.deepEqual(readStatusFile(join(dir, 'absent.json')), {
      ok: false,
      reason: 'missing',
      detail: 'the supervisor has not written status.json yet',
    });
  });

  it('refuses a 10 MB file without reading it', () => {
    const read = readStatusFile(writeStatus('big.json', ' '.repeat(10 * 1024 * 1024)));
    assert.deepEqual(read, {
      ok: false,
      reason: 'too-large',
      detail: 'status.json is 10485760 bytes, over the 65536-byte limit',
    });
  });

  it('refuses text that is not JSON', () => {
    assert.deepEqual(readStatusFile(writeStatus('garbage.json', '{"schemaVersion": 1, "sup')), {
      ok: false,
      reason: 'invalid',
      detail: 'status.json is not valid JSON',
    });
  });

  it('refuses an unknown service state and names where', () => {
    const status = sampleStatus() as unknown as { services: { runtime: { state: string } } };
    status.services.runtime.state = 'exploded';
    assert.deepEqual(readStatusFile(writeStatus('state.json', JSON.stringify(status))), {
      ok: false,
      reason: 'invalid',
      detail: 'status.json fails its schema at services.runtime.state',
    });
  });

  it('refuses extra keys, so nothing unexpected reaches the UI', () => {
    const status = { ...sampleStatus(), html: '<img src=x onerror=alert(1)>' };
    const read = readStatusFile(writeStatus('extra.json', JSON.stringify(status)));
    assert.equal(read.ok, false);
  });

  it('refuses an overlong detail text', () => {
    const status = sampleStatus();
    status.services.runtime.detail = 'x'.repeat(501);
    assert.equal(readStatusFile(writeStatus('long.json', JSON.stringify(status))).ok, false);
  });

  it('does not follow a symlink planted in the status folder', () => {
    const target = writeStatus('target.json', JSON.stringify(sampleStatus()));
    const link = join(dir, 'link.json');
    symlinkSync(target, link);
    const read = readStatusFile(link);
    assert.equal(read.ok, false);
    assert.equal(!read.ok && read.reason, 'unreadable');
  });
});

describe('judgeHeartbeat', () => {
  it('calls a status fresh when its counter changed since the last sighting', () => {
    const first = judgeHeartbeat(sampleStatus({ heartbeat: 1 }), null, 1000, 30_000);
    const second = judgeHeartbeat(sampleStatus({ heartbeat: 2 }), first.sighting, 100_000, 30_000);
    assert.equal(second.stale, false);
    assert.equal(second.sighting.seenAt, 100_000);
  });

  it('calls a status stale when its counter stood still longer than the limit', () => {
    const first = judgeHeartbeat(sampleStatus({ heartbeat: 5 }), null, 1000, 30_000);
    assert.equal(
      judgeHeartbeat(sampleStatus({ heartbeat: 5 }), first.sighting, 20_000, 30_000).stale,
      false,
    );
    assert.equal(
      judgeHeartbeat(sampleStatus({ heartbeat: 5 }), first.sighting, 31_001, 30_000).stale,
      true,
    );
  });

  it('ignores updatedAt, which follows the drifting clock of the VM', () => {
    const first = judgeHeartbeat(
      sampleStatus({ heartbeat: 5, updatedAt: '2030-01-01T00:00:00Z' }),
      null,
      0,
      30_000,
    );
    assert.equal(
      judgeHeartbeat(
        sampleStatus({ heartbeat: 5, updatedAt: '2030-01-01T00:00:00Z' }),
        first.sighting,
        60_000,
        30_000,
      ).stale,
      true,
    );
  });

  it('treats a restarted supervisor with the same counter as a new sighting', () => {
    const first = judgeHeartbeat(sampleStatus({ heartbeat: 3, pid: 1 }), null, 0, 30_000);
    const restarted = judgeHeartbeat(
      sampleStatus({ heartbeat: 3, pid: 1, startedAt: '2026-12-03T09:00:00Z' }),
      first.sighting,
      60_000,
      30_000,
    );
    assert.equal(restarted.stale, false);
  });
});
