// The ONNX export of the backbone (tools/backbone-onnx.mjs), as the benchmark's
// peers run it: onnxruntime-node on one thread against TensorFlow.js running the
// original Keras graph (nsfwjs's MobileNetV2 cut at block_10_project_BN) on the
// same 224x224 input. Tolerance as for our own backbone (tests/backbone_probe.cc):
// max |diff| <= 1e-4 * max |reference| + 1e-6; float32 rounding in a different
// summation order stays near 1e-6 of max |reference|.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import ort from 'onnxruntime-node';

import { OUTPUT_LAYER, encodeBackboneOnnx } from '../../tools/backbone-onnx.mjs';
import { MissingSourceError } from '../../tools/convert-backbone.mjs';
import { loadTruncatedModel, makeInput } from './tfjs_reference.mjs';

const HEIGHT = 224;
const WIDTH = 224;
const RELATIVE_TOLERANCE = 1e-4;
const ABSOLUTE_FLOOR = 1e-6;

/**
 * MobileNetV2 alpha 1.0 multiply-adds to block_10 at h x w (multiples of 16),
 * counted by hand from the architecture, independently of the exporter's graph walk.
 */
function expectedMultiplyAdds(h, w) {
  let size = (h / 2) * (w / 2);
  let macs = size * 32 * 27 + size * 32 * 9 + size * 32 * 16;  // Conv1, expanded_conv dw + project
  let cin = 16;
  const blocks = [[24, 2], [24, 1], [32, 2], [32, 1], [32, 1], [64, 2], [64, 1], [64, 1], [64, 1], [96, 1]];
  for (const [cout, stride] of blocks) {
    const hidden = cin * 6;
    macs += size * cin * hidden;  // expand, at the input resolution
    size /= stride * stride;
    macs += size * hidden * 9 + size * hidden * cout;  // depthwise, project
    cin = cout;
  }
  return macs;
}

let dir;
let exported;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backbone-onnx-'));
  exported = encodeBackboneOnnx({ height: HEIGHT, width: WIDTH });
  fs.writeFileSync(path.join(dir, 'backbone.onnx'), exported.bytes);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ONNX export of the backbone', () => {
  test('graph shape and multiply-add count match the architecture', () => {
    assert.deepEqual(exported.outputShape, [1, 96, HEIGHT / 16, WIDTH / 16]);
    assert.equal(exported.convolutions.length, 3 + 3 * 10);
    assert.equal(exported.multiplyAdds, expectedMultiplyAdds(HEIGHT, WIDTH));
    assert.equal(expectedMultiplyAdds(224, 224), 164_476_928);  // the ~164 M the benchmark divides by
  });

  test(`onnxruntime-node (1 thread) matches TensorFlow.js at ${HEIGHT}x${WIDTH} within 1e-4 of max|ref|`, async (t) => {
    const input = makeInput(HEIGHT, WIDTH, 20240);  // NHWC, values in [-1, 1)

    tf.enableProdMode();
    await tf.setBackend('cpu');
    const model = await loadTruncatedModel(undefined, [OUTPUT_LAYER]);
    const reference = tf.tidy(() => model.predict(tf.tensor4d(input, [1, HEIGHT, WIDTH, 3])).dataSync().slice());
    model.dispose();

    const nchw = new Float32Array(input.length);
    for (let y = 0; y < HEIGHT; ++y) {
      for (let x = 0; x < WIDTH; ++x) {
        for (let c = 0; c < 3; ++c) nchw[(c * HEIGHT + y) * WIDTH + x] = input[(y * WIDTH + x) * 3 + c];
      }
    }
    const session = await ort.InferenceSession.create(path.join(dir, 'backbone.onnx'),
                                                      { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const result = await session.run({ input: new ort.Tensor('float32', nchw, [1, 3, HEIGHT, WIDTH]) });
    await session.release();
    const output = result[OUTPUT_LAYER];
    assert.deepEqual(output.dims, exported.outputShape);

    const [, channels, oh, ow] = output.dims;
    assert.equal(reference.length, output.data.length);
    let maxDiff = 0;
    let maxRef = 0;
    for (let c = 0; c < channels; ++c) {
      for (let i = 0; i < oh * ow; ++i) {
        const ref = reference[i * channels + c];
        const got = output.data[c * oh * ow + i];
        assert.ok(Number.isFinite(got), `non-finite output at channel ${c}, pixel ${i}`);
        maxDiff = Math.max(maxDiff, Math.abs(got - ref));
        maxRef = Math.max(maxRef, Math.abs(ref));
      }
    }
    t.diagnostic(`max|ref| ${maxRef.toFixed(3)}, max|diff| ${maxDiff.toExponential(2)} ` +
                 `(${(maxDiff / maxRef).toExponential(2)} of max|ref|)`);
    assert.ok(maxRef > 1, `reference output suspiciously small (max ${maxRef})`);
    assert.ok(maxDiff <= RELATIVE_TOLERANCE * maxRef + ABSOLUTE_FLOOR,
              `max|diff| ${maxDiff} exceeds ${RELATIVE_TOLERANCE} x max|ref| ${maxRef}`);
  });

  test('bad sizes and a missing source are refused with a clear error', () => {
    assert.throws(() => encodeBackboneOnnx({ height: 8, width: 224 }), /at least 16/);
    assert.throws(() => encodeBackboneOnnx({ source: path.join(dir, 'no-such-dir') }),
                  (error) => error instanceof MissingSourceError && /run npm ci/.test(error.message));
  });
});
