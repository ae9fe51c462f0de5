// The wasm build's backbone alone (Backbone.run, the entry bench/wasm-vs-tfjs
// times) against TensorFlow.js's CPU backend running nsfwjs's Keras graph on
// the same input, as backbone_parity.test.mjs checks the native build.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';

import { loadTruncatedModel, makeInput } from './tfjs_reference.mjs';
import { skipReason, WASM_BUILD } from './wasm_support.mjs';

describe('wasm backbone (Backbone.run)', { skip: skipReason() }, () => {
  test('block_10_project_BN matches tfjs on the Keras graph; bad inputs are ValidationExceptions', async () => {
    const { default: createModule } = await import(pathToFileURL(join(WASM_BUILD, 'wasm', 'anomalens_wasm.mjs')).href);
    const module = await createModule({ wasmBinary: readFileSync(join(WASM_BUILD, 'wasm', 'anomalens_wasm.wasm')) });
    const backbone = new module.Backbone();
    try {
      assert.equal(backbone.load(readFileSync(join(WASM_BUILD, 'mobilenet_v2_block10.anwb'))), null);
      const [height, width] = [64, 96];
      const input = makeInput(height, width, 7);
      const ours = backbone.run(input, height, width);
      assert.ok(ours instanceof Float32Array);
      assert.equal(ours.length, (height / 16) * (width / 16) * 96);

      tf.enableProdMode();
      await tf.setBackend('cpu');
      const model = await loadTruncatedModel(undefined, ['block_10_project_BN']);
      const reference = tf.tidy(() => model.predict(tf.tensor4d(input, [1, height, width, 3]))).dataSync();
      model.dispose();
      let maxDiff = 0;
      let maxAbs = 0;
      reference.forEach((v, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - ours[i]));
        maxAbs = Math.max(maxAbs, Math.abs(v));
      });
      assert.ok(maxDiff <= 1e-4 * maxAbs, `max |diff| ${maxDiff}, max |output| ${maxAbs}`);

      const bad = [[makeInput(80, 100, 1), 80, 100, /multiple of 16/], [input.subarray(1), height, width, /floats/]];
      for (const [data, h, w, pattern] of bad) {
        const error = backbone.run(data, h, w);
        assert.ok(error instanceof Error);
        assert.equal(error.name, 'ValidationException');
        assert.match(error.message, pattern);
      }
    } finally {
      backbone.delete();
    }
  });
});
