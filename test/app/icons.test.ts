import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { TRAY_ICONS } from '../../src/main/tray-menu.js';
import { jobsFor } from '../../scripts/make-icons.js';
import { REPO_ROOT } from '../helpers/double-env.js';
import { decodePng } from './png-reader.js';

const ICONS = join(REPO_ROOT, 'assets', 'icons');
const TRAY_NAMES = [...new Set(Object.values(TRAY_ICONS))];
const DOT_NAMES = ['green', 'amber', 'red', 'grey'];

function readIcon(name: string) {
  return decodePng(readFileSync(join(ICONS, name)));
}

describe('the icons', () => {
  test('has a vector source and both sizes of template image for every tray state', () => {
    assert.deepEqual(TRAY_NAMES.sort(), ['degraded', 'error', 'running', 'starting', 'stopped']);
    for (const name of TRAY_NAMES) {
      assert.ok(existsSync(join(ICONS, 'source', `tray-${name}.svg`)), `source of ${name}`);
      assert.deepEqual(
        jobsFor(`tray-${name}.svg`).map((job) => [job.output, job.size, job.template]),
        [
          [`tray-${name}Template.png`, 16, true],
          [`tray-${name}Template@2x.png`, 32, true],
        ],
      );
      const small = readIcon(`tray-${name}Template.png`);
      const large = readIcon(`tray-${name}Template@2x.png`);
      assert.deepEqual([small.width, small.height, large.width, large.height], [16, 16, 32, 32]);
    }
  });

  test('draws the template images in black and alpha only', () => {
    for (const name of TRAY_NAMES) {
      for (const file of [`tray-${name}Template.png`, `tray-${name}Template@2x.png`]) {
        const { pixels } = readIcon(file);
        let opaque = 0;
        for (let index = 0; index < pixels.length; index += 4) {
          assert.deepEqual(
            [pixels[index], pixels[index + 1], pixels[index + 2]],
            [0, 0, 0],
            `${file} pixel ${index / 4}`,
          );
          if (pixels[index + 3]! > 128) opaque += 1;
        }
        assert.ok(opaque > pixels.length / 4 / 8, `${file} draws something`);
      }
    }
  });

  test('tells the tray states apart by shape', () => {
    const alphas = TRAY_NAMES.map((name) =>
      readIcon(`tray-${name}Template@2x.png`)
        .pixels.filter((_, index) => index % 4 === 3)
        .join(','),
    );
    assert.equal(new Set(alphas).size, TRAY_NAMES.length);
  });

  test('has a coloured dot of both sizes for every status colour', () => {
    for (const colour of DOT_NAMES) {
      const small = readIcon(`dot-${colour}.png`);
      const large = readIcon(`dot-${colour}@2x.png`);
      assert.deepEqual([small.width, large.width], [16, 32]);
      const centre = (32 * 16 + 16) * 4;
      assert.equal(large.pixels[centre + 3], 255, `${colour} dot is opaque in the middle`);
      assert.ok(
        large.pixels[centre]! + large.pixels[centre + 1]! + large.pixels[centre + 2]! > 0,
        `${colour} dot has colour`,
      );
    }
  });
});
