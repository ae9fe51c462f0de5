// The self-check's synthetic defects on the wasm build, through the npm
// package: for several seeds and every family, the example and mask PNGs are
// byte for byte what the native `anomalens synth-defects` writes, and the
// planner plans the same defects. Errors come back as ValidationExceptions.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { NPM_DIR, REPO, runCli, skipReason, stagePackage } from './wasm_support.mjs';

const IMAGES = join(REPO, 'tests', 'golden', 'parity', 'test-images');
// Two PNGs and a JPEG (decoded by the same stb_image on both targets).
const INPUTS = ['normal-11.png', 'normal-12.png', 'normal-13.jpg'].map((name) => join(IMAGES, name));
const FAMILIES = ['spot', 'scratch', 'cutpaste', 'texture', 'local-change', 'missing-piece', 'foreign-material'];

function readIndex(dir) {
  const [header, ...lines] = readFileSync(join(dir, 'index.csv'), 'utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
}

describe('synthetic defects (wasm, npm API) equal the native CLI', { skip: skipReason() }, () => {
  let lv, mjs, dir;

  before(async () => {
    stagePackage();
    mjs = await import(pathToFileURL(join(NPM_DIR, 'index.mjs')).href);
    lv = await mjs.Anomalens.create();
    dir = mkdtempSync(join(tmpdir(), 'anomalens-wasm-selfcheck-'));
  });

  after(() => {
    lv?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the family list is the core\'s, in both entries', () => {
    assert.deepEqual([...mjs.DEFECT_FAMILIES], FAMILIES);
    assert.deepEqual([...createRequire(import.meta.url)(join(NPM_DIR, 'index.cjs')).DEFECT_FAMILIES], FAMILIES);
  });

  for (const seed of [1, 29, 4503599627370495]) {
    test(`seed ${seed}: every example and mask, byte for byte`, () => {
      const out = join(dir, String(seed));
      const r = runCli('synth-defects', ...INPUTS, '--output', out, '--seed', String(seed), '--count', '6');
      assert.equal(r.code, 0, r.stderr);
      const rows = readIndex(out);
      const plans = lv.planDefects({ seed, count: rows.length });
      assert.equal(plans.length, 18);
      assert.deepEqual(new Set(plans.map((p) => p.family)), new Set(FAMILIES));
      rows.forEach((row, k) => {
        const plan = plans[k];
        assert.equal(plan.family, row.family, row.image);
        assert.equal(String(plan.seed), row.seed, row.image);
        assert.equal(plan.contrast, Number(row.contrast), row.image);
        assert.ok(Math.abs(plan.areaFraction - Number(row.area_fraction)) <= 1e-5 * plan.areaFraction, `${row.image}: area`);
        const d = lv.synthesizeDefect(readFileSync(row.source), {
          ...plan, donor: row.donor ? readFileSync(row.donor) : undefined });
        assert.equal(d.variant, row.variant, row.image);
        assert.ok(Buffer.from(d.image).equals(readFileSync(join(out, row.image))), `${row.image} differs`);
        assert.ok(Buffer.from(d.mask).equals(readFileSync(join(out, row.mask))), `${row.mask} differs`);
        assert.deepEqual([d.box.x, d.box.y, d.box.width, d.box.height, d.maskPixels, d.changedPixels],
                         [row.box_x, row.box_y, row.box_width, row.box_height, row.mask_pixels,
                          row.changed_pixels].map(Number), row.image);
      });
    });
  }

  test('bad arguments are ValidationExceptions that name the limit', () => {
    const image = readFileSync(INPUTS[0]);
    const rejects = (options, message) =>
      assert.throws(() => lv.synthesizeDefect(image, options), { name: 'ValidationException', message });
    rejects({ family: 'smudge', areaFraction: 0.01 }, /the families are spot, scratch, cutpaste/);
    rejects({ family: 'spot', areaFraction: 0.5 }, /outside 0.0001 to 0.02/);
    rejects({ family: 'spot', areaFraction: 0.01, contrast: 0 }, /outside 0.05 to 1/);
    rejects({ family: 'spot', areaFraction: 0.01, seed: 1.5 }, /whole number from 0 to 2\^53 - 1/);
    rejects({ family: 'spot', areaFraction: 0.01, seed: 2 ** 53 }, /whole number from 0 to 2\^53 - 1/);
    rejects({ family: 'texture', areaFraction: 0.01 }, /second normal image/);
    rejects({ family: 'spot' }, /areaFraction must be a number/);
    assert.throws(() => lv.synthesizeDefect(Buffer.from('not an image'), { family: 'spot', areaFraction: 0.01 }),
                  { name: 'ValidationException' });
    assert.throws(() => lv.planDefects({ count: 3, families: ['spot', 'smudge'] }), { name: 'ValidationException' });
    assert.throws(() => lv.planDefects({ count: -1 }), { name: 'ValidationException' });
  });
});
