// The golden parity set (tests/golden/parity/, written by tools/make-golden;
// see tests/golden/README.md) on the wasm build, through the npm package's
// API: every expected DetectAnomalies JSON line and AnomalyMask PNG, byte for
// byte, and the model files trained in wasm from the golden training images,
// byte for byte. tests/golden_parity_test.cc asserts the same files natively.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { NPM_DIR, REPO, skipReason, stagePackage } from './wasm_support.mjs';

const PARITY = join(REPO, 'tests', 'golden', 'parity');
// How tools/make-golden trains them: `anomalens train --coreset-ratio 0.02`,
// the classification model with --ignore-masks.
const MODELS = { segmentation: { masks: true }, classification: { masks: false } };
const CORESET_RATIO = 0.02;

const images = readdirSync(join(PARITY, 'test-images')).sort();
const contentType = (name) => (name.endsWith('.png') ? 'image/png' : 'image/jpeg');

describe('golden parity set (wasm, npm API)', { skip: skipReason() }, () => {
  let lv;

  before(async () => {
    stagePackage();
    const { Anomalens } = await import(pathToFileURL(join(NPM_DIR, 'index.mjs')).href);
    lv = await Anomalens.create();
  });

  after(() => lv?.dispose());

  test('covers two models and seven images (PNG and JPEG, normal and anomalous)', () => {
    assert.equal(images.length, 7);
    assert.ok(images.some((n) => n.endsWith('.jpg')) && images.some((n) => n.endsWith('.png')));
    for (const [name, { masks }] of Object.entries(MODELS)) {
      assert.equal(readdirSync(join(PARITY, 'expected', name)).length, images.length * (masks ? 2 : 1), name);
    }
  });

  for (const [name, { masks }] of Object.entries(MODELS)) {
    test(`${name} model: detect JSON and mask PNG match, byte for byte`, async () => {
      const model = await lv.loadModel(readFileSync(join(PARITY, `${name}.anlm`)));
      try {
        for (const image of images) {
          const expected = join(PARITY, 'expected', name, image);
          const request = { Body: readFileSync(join(PARITY, 'test-images', image)), ContentType: contentType(image) };
          assert.equal(model.detectAnomaliesJson(request) + '\n', readFileSync(expected + '.json', 'utf8'), image);
          const { AnomalyMask } = model.detectAnomalies(request).DetectAnomalyResult;
          if (masks) {
            assert.ok(AnomalyMask instanceof Uint8Array, image);
            assert.ok(Buffer.from(AnomalyMask).equals(readFileSync(expected + '.mask.png')), `${image}: mask PNG`);
          } else {
            assert.equal(AnomalyMask, undefined, image);
            assert.equal(existsSync(expected + '.mask.png'), false);
          }
        }
      } finally {
        model.dispose();
      }
    });

    test(`${name} model: trained in wasm from the golden training images, the same file byte for byte`, async () => {
      const dir = join(PARITY, 'train');
      const dataset = readFileSync(join(dir, 'train.manifest'), 'utf8').trim().split('\n').map((line) => {
        const e = JSON.parse(line);
        const item = { Body: readFileSync(join(dir, e['source-ref'])), ContentType: contentType(e['source-ref']),
                       Label: e['anomaly-label'] === 1 ? 'anomaly' : 'normal' };
        if (masks && e['anomaly-mask-ref']) {
          item.Mask = readFileSync(join(dir, e['anomaly-mask-ref']));
          item.ColorMap = e['anomaly-mask-ref-metadata']['internal-color-map'];
        }
        return item;
      });
      assert.equal(dataset.length, 16);
      const bytes = await lv.train(dataset, { coresetRatio: CORESET_RATIO });
      assert.ok(Buffer.from(bytes).equals(readFileSync(join(PARITY, `${name}.anlm`))), `${name}.anlm differs`);
    });
  }
});
