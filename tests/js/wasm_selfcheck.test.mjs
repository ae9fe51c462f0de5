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

  // The CLI writes, for each image, its `count` defects then its `few`
  // few-pixel ones; planDefects gives every image's defects, then every
  // image's few-pixel ones.
  function compareWithCli(out, seed, count, few) {
    const rows = readIndex(out);
    const images = rows.length / (count + few);
    const plans = lv.planDefects({ seed, count: count * images, fewPixel: few * images });
    assert.equal(plans.length, rows.length);
    rows.forEach((row, k) => {
      const i = Math.floor(k / (count + few)), j = k % (count + few);
      const plan = j < count ? plans[i * count + j] : plans[count * images + i * few + (j - count)];
      assert.equal(plan.family, row.family, row.image);
      assert.equal(String(plan.seed), row.seed, row.image);
      assert.equal(plan.contrast, Number(row.contrast), row.image);
      assert.equal(plan.areaPixels, Number(row.area_pixels), row.image);
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
    return plans;
  }

  for (const seed of [1, 29, 4503599627370495]) {
    test(`seed ${seed}: every example and mask, byte for byte`, () => {
      const out = join(dir, String(seed));
      const r = runCli('synth-defects', ...INPUTS, '--output', out, '--seed', String(seed), '--count', '6');
      assert.equal(r.code, 0, r.stderr);
      const plans = compareWithCli(out, seed, 6, 0);
      assert.equal(plans.length, 18);
      assert.deepEqual(new Set(plans.map((p) => p.family)), new Set(FAMILIES));
    });
  }

  test('few-pixel defects (--few-pixel, fewPixel), byte for byte', () => {
    const seed = 1579140332;  // the self-check's
    const out = join(dir, 'few-pixel');
    const r = runCli('synth-defects', ...INPUTS, '--output', out, '--seed', String(seed), '--count', '2',
                     '--few-pixel', '5');
    assert.equal(r.code, 0, r.stderr);
    const plans = compareWithCli(out, seed, 2, 5);
    assert.equal(plans.length, 21);
    assert.ok(plans.slice(6).every((p) => p.areaPixels >= 7 && p.areaPixels <= 50 && p.areaFraction === 0));
    assert.ok(plans.slice(0, 6).every((p) => p.areaPixels === 0));
    // One few-pixel stream, apart from the other plans' (the self-check's 14 are its first 14).
    assert.deepEqual(lv.planDefects({ seed, count: 0, fewPixel: 15 }), plans.slice(6));
    assert.deepEqual(lv.planDefects({ seed, count: 0, fewPixel: 14 }), plans.slice(6, 20));
  });

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
    rejects({ family: 'spot', areaPixels: 6 }, /6 px is outside the few-pixel class, 7 to 50 px/);
    assert.equal(lv.synthesizeDefect(image, { family: 'spot', areaPixels: 9 }).maskPixels, 9);
    assert.throws(() => lv.synthesizeDefect(Buffer.from('not an image'), { family: 'spot', areaFraction: 0.01 }),
                  { name: 'ValidationException' });
    assert.throws(() => lv.planDefects({ count: 3, families: ['spot', 'smudge'] }), { name: 'ValidationException' });
    assert.throws(() => lv.planDefects({ count: -1 }), { name: 'ValidationException' });
    assert.throws(() => lv.planDefects({ count: 1, fewPixel: 1.5 }), { name: 'ValidationException', message: /fewPixel/ });
  });
});
