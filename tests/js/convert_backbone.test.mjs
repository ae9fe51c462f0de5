// Tests for tools/convert-backbone.mjs. Run with `node --test tests/js/`.
// The end-to-end tests read the real nsfwjs model, a dev dependency (`npm ci`).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import {
  BACKBONE_ID,
  buildBackboneTensors,
  convertBackbone,
  crc32,
  decodeBase64Strict,
  decodeKerasWeights,
  dequantizeUint8,
  encodeWeightsFile,
  foldBatchNorm,
  loadKerasSource,
  writeWeightsFile,
} from '../../tools/convert-backbone.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = path.join(REPO, 'tools', 'convert-backbone.mjs');

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convert-backbone-test-'));
after(() => fs.rmSync(tempDir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------
// Helpers.

/** Direct NHWC convolution, VALID padding, stride 1, float64. kernel [kh,kw,cin,cout]. */
function conv2d(input, [h, w, cin], kernel, [kh, kw, , cout], bias = null) {
  const oh = h - kh + 1;
  const ow = w - kw + 1;
  const out = new Float64Array(oh * ow * cout);
  for (let y = 0; y < oh; ++y) {
    for (let x = 0; x < ow; ++x) {
      for (let co = 0; co < cout; ++co) {
        let sum = bias ? bias[co] : 0;
        for (let dy = 0; dy < kh; ++dy) {
          for (let dx = 0; dx < kw; ++dx) {
            for (let ci = 0; ci < cin; ++ci) {
              sum += input[((y + dy) * w + x + dx) * cin + ci] * kernel[((dy * kw + dx) * cin + ci) * cout + co];
            }
          }
        }
        out[(y * ow + x) * cout + co] = sum;
      }
    }
  }
  return out;
}

/** Direct NHWC depthwise convolution, VALID, stride 1, multiplier 1. kernel [kh,kw,c,1]. */
function depthwiseConv2d(input, [h, w, c], kernel, [kh, kw], bias = null) {
  const oh = h - kh + 1;
  const ow = w - kw + 1;
  const out = new Float64Array(oh * ow * c);
  for (let y = 0; y < oh; ++y) {
    for (let x = 0; x < ow; ++x) {
      for (let ch = 0; ch < c; ++ch) {
        let sum = bias ? bias[ch] : 0;
        for (let dy = 0; dy < kh; ++dy) {
          for (let dx = 0; dx < kw; ++dx) {
            sum += input[((y + dy) * w + x + dx) * c + ch] * kernel[(dy * kw + dx) * c + ch];
          }
        }
        out[(y * ow + x) * c + ch] = sum;
      }
    }
  }
  return out;
}

/** Inference-mode BatchNormalization over the innermost (channel) axis. */
function batchNorm(values, { gamma, beta, movingMean, movingVariance }, epsilon) {
  const c = gamma.length;
  return values.map((v, i) => {
    const k = i % c;
    return gamma[k] * (v - movingMean[k]) / Math.sqrt(movingVariance[k] + epsilon) + beta[k];
  });
}

/** Deterministic values in [-1, 1) so the tests do not depend on Math.random. */
function sequence(n, seed) {
  let x = seed;
  return Float64Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 1073741824 - 1;
  });
}

function assertClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; ++i) {
    const bound = tolerance * Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= bound,
              `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** An independent reader of the `.anwb` layout in docs/backbone-weights-format.md. */
function parseWeightsFile(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let pos = 0;
  const u16 = () => { pos += 2; return buf.readUInt16LE(pos - 2); };
  const u32 = () => { pos += 4; return buf.readUInt32LE(pos - 4); };
  const str = (n) => { pos += n; return buf.toString('utf8', pos - n, pos); };

  const magic = str(4);
  const version = u32();
  const backboneId = str(u16());
  const count = u32();
  const entries = [];
  for (let i = 0; i < count; ++i) {
    const name = str(u16());
    const rank = buf.readUInt8(pos++);
    const shape = Array.from({ length: rank }, u32);
    const offset = buf.readBigUInt64LE(pos);
    pos += 8;
    entries.push({ name, shape, offset: Number(offset) });
  }
  const tableEnd = pos;
  const dataStart = Math.ceil(tableEnd / 16) * 16;
  const storedCrc = buf.readUInt32LE(buf.length - 4);
  const tensors = new Map(entries.map((e) => {
    const count = e.shape.reduce((n, d) => n * d, 1);
    const data = Float32Array.from({ length: count }, (_, k) => buf.readFloatLE(dataStart + e.offset + 4 * k));
    return [e.name, { ...e, data }];
  }));
  return { magic, version, backboneId, entries, tensors, tableEnd, dataStart, storedCrc, buf };
}

// ---------------------------------------------------------------------------

describe('foldBatchNorm', () => {
  const epsilon = 1e-3;
  const bn = {
    gamma: Float32Array.of(1.5, -0.75, 0.2),
    beta: Float32Array.of(0.1, -2, 0.5),
    movingMean: Float32Array.of(0.3, -0.4, 1.25),
    // Channel 1 has zero variance, as several real channels do (dead or coarsely
    // quantized): s = gamma / sqrt(epsilon) must still be used.
    movingVariance: Float32Array.of(2.5, 0, 0.04),
  };

  test('a folded convolution equals convolution then BatchNorm', () => {
    const inputShape = [4, 3, 2];
    const kernelShape = [2, 2, 2, 3];
    const input = sequence(4 * 3 * 2, 1);
    const kernel = Float32Array.from(sequence(2 * 2 * 2 * 3, 2));

    const expected = batchNorm(conv2d(input, inputShape, kernel, kernelShape), bn, epsilon);
    const folded = foldBatchNorm(kernel, bn, epsilon);
    const actual = conv2d(input, inputShape, folded.kernel, kernelShape, folded.bias);
    assertClose(actual, expected, 1e-5, 'conv');
  });

  test('a folded depthwise convolution equals depthwise then BatchNorm', () => {
    const inputShape = [3, 4, 3];
    const kernel = Float32Array.from(sequence(3 * 3 * 3, 3));
    const input = sequence(3 * 4 * 3, 4);

    const expected = batchNorm(depthwiseConv2d(input, inputShape, kernel, [3, 3]), bn, epsilon);
    const folded = foldBatchNorm(kernel, bn, epsilon);
    const actual = depthwiseConv2d(input, inputShape, folded.kernel, [3, 3], folded.bias);
    assertClose(actual, expected, 1e-5, 'depthwise');
  });

  test('matches the formula exactly for a zero variance', () => {
    const folded = foldBatchNorm(Float32Array.of(0, 2, 0), bn, epsilon);
    const s = -0.75 / Math.sqrt(1e-3);
    assert.equal(folded.kernel[1], Math.fround(2 * s));
    assert.equal(folded.bias[1], Math.fround(-2 - Math.fround(-0.4) * s));
  });

  test('rejects inconsistent parameters', () => {
    assert.throws(() => foldBatchNorm(new Float32Array(6), { ...bn, beta: new Float32Array(2) }),
                  /differ in length/);
    assert.throws(() => foldBatchNorm(new Float32Array(4), bn), /not a multiple/);
    assert.throws(() => foldBatchNorm(new Float32Array(3), { ...bn, movingVariance: Float32Array.of(1, -1, 1) }),
                  /variance \+ epsilon <= 0/);
  });
});

describe('decodeKerasWeights', () => {
  const spec = (name, shape, min, scale) =>
    ({ name, shape, dtype: 'float32', quantization: { min, scale, dtype: 'uint8' } });

  test('dequantizes as min + q * scale, rounded to float32', () => {
    const q = [0, 1, 128, 255];
    const values = dequantizeUint8(Uint8Array.from(q), { min: -1.25, scale: 0.1 });
    assert.ok(values instanceof Float32Array);
    assert.deepEqual([...values], q.map((v) => Math.fround(-1.25 + v * 0.1)));
    assertClose(values, [-1.25, -1.15, 11.55, 24.25], 1e-6, 'dequantized');
  });

  test('decodes a tensor that crosses a shard boundary', () => {
    // Shard 1 holds a[0..2] and b[0..1]; shard 2 holds b[2..3] and c[0].
    const manifest = [{
      paths: ['shard-a', 'shard-b'],
      weights: [spec('a', [3], 0, 1), spec('b', [2, 2], -1, 0.5), spec('c', [1], 10, 2)],
    }];
    const shards = { 'shard-a': Uint8Array.of(1, 2, 3, 0, 1), 'shard-b': Uint8Array.of(2, 4, 5) };
    const { tensors, byteLength } = decodeKerasWeights(manifest, (p) => shards[p]);

    assert.equal(byteLength, 8);
    assert.deepEqual([...tensors.keys()], ['a', 'b', 'c']);
    assert.deepEqual([...tensors.get('a').values], [1, 2, 3]);
    assert.deepEqual(tensors.get('b').shape, [2, 2]);
    assert.deepEqual([...tensors.get('b').values], [-1, -0.5, 0, 1]);
    assert.deepEqual([...tensors.get('c').values], [20]);
  });

  test('reads each group from its own shards', () => {
    const manifest = [
      { paths: ['g1'], weights: [spec('x', [2], 0, 1)] },
      { paths: ['g2'], weights: [spec('y', [1], 0, 1)] },
    ];
    const shards = { g1: Uint8Array.of(7, 8), g2: Uint8Array.of(9) };
    const { tensors } = decodeKerasWeights(manifest, (p) => shards[p]);
    assert.deepEqual([...tensors.get('y').values], [9]);
  });

  test('fails loudly when the manifest and the shards disagree', () => {
    const load = () => Uint8Array.of(1, 2, 3);
    assert.throws(() => decodeKerasWeights([{ paths: ['s'], weights: [spec('a', [2], 0, 1)] }], load),
                  /covers 2 bytes but the shards hold 3/);
    assert.throws(() => decodeKerasWeights([{ paths: ['s'], weights: [spec('a', [4], 0, 1)] }], load),
                  /runs past the end/);
    const float16 = { name: 'h', shape: [1], dtype: 'float32', quantization: { dtype: 'float16' } };
    assert.throws(() => decodeKerasWeights([{ paths: ['s'], weights: [float16] }], load),
                  /only float32 tensors quantized to uint8/);
  });

  test('decodes base64 strictly', () => {
    assert.deepEqual([...decodeBase64Strict('AQID', 't')], [1, 2, 3]);
    assert.throws(() => decodeBase64Strict('AQ-D', 't'), /standard base64/);
    assert.throws(() => decodeBase64Strict('AQI', 't'), /standard base64/);
  });
});

describe('weights file', () => {
  test('crc32 is zlib\'s CRC-32', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.from('6789'), crc32(Buffer.from('12345'))), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
  });

  test('encodes the documented layout', () => {
    const tensors = [
      { name: 'l/kernel', shape: [1, 1, 1, 3], data: Float32Array.of(1, -2, 3.5) },
      { name: 'l/bias', shape: [3], data: Float32Array.of(0.25, 0, -1) },
      { name: 'm/é', shape: [2], data: Float32Array.of(7, 8) },
    ];
    const { bytes, crc } = encodeWeightsFile(tensors, 'test/id');
    const f = parseWeightsFile(bytes);

    assert.equal(f.magic, 'ANWB');
    assert.equal(f.version, 1);
    assert.equal(f.backboneId, 'test/id');
    assert.deepEqual(f.entries.map((e) => e.name), ['l/kernel', 'l/bias', 'm/é']);
    assert.deepEqual(f.entries.map((e) => e.offset), [0, 16, 32]);
    assert.equal(f.dataStart % 16, 0);
    assert.ok(bytes.subarray(f.tableEnd, f.dataStart).every((b) => b === 0), 'zero padding');
    assert.deepEqual([...f.tensors.get('l/kernel').data], [1, -2, 3.5]);
    assert.deepEqual([...f.tensors.get('m/é').data], [7, 8]);
    // No padding after the last tensor: the CRC follows it directly.
    assert.equal(bytes.length, f.dataStart + 32 + 8 + 4);
    assert.equal(f.storedCrc, crc);
    assert.equal(crc, crc32(bytes.subarray(0, bytes.length - 4)));
  });

  test('rejects malformed tensors', () => {
    assert.throws(() => encodeWeightsFile([{ name: 'x', shape: [2], data: new Float32Array(3) }]),
                  /Float32Array of 2 values/);
    assert.throws(() => encodeWeightsFile([{ name: 'x', shape: [2], data: [1, 2] }]),
                  /Float32Array/);
  });
});

describe('MobileNetV2 conversion', () => {
  const output = path.join(tempDir, 'out', 'mobilenet_v2.anwb');
  const result = convertBackbone({ output });
  const bytes = fs.readFileSync(output);
  const f = parseWeightsFile(bytes);

  test('writes the header and a valid CRC', () => {
    assert.equal(f.magic, 'ANWB');
    assert.equal(f.version, 1);
    assert.equal(f.backboneId, BACKBONE_ID);
    assert.equal(result.byteLength, bytes.length);
    assert.equal(f.storedCrc, result.crc);
    assert.equal(f.storedCrc, crc32(bytes.subarray(0, bytes.length - 4)));
    if (zlib.crc32) assert.equal(f.storedCrc, zlib.crc32(bytes.subarray(0, bytes.length - 4)));
  });

  test('holds the 66 tensors in graph order, 16-byte aligned', () => {
    assert.equal(f.entries.length, 2 * (3 + 30));
    assert.equal(result.tensorCount, 66);
    assert.deepEqual(f.entries.slice(0, 4).map((e) => e.name),
                     ['Conv1/kernel', 'Conv1/bias', 'expanded_conv_depthwise/kernel', 'expanded_conv_depthwise/bias']);
    assert.equal(f.entries.at(-1).name, 'block_10_project/bias');
    assert.equal(f.dataStart % 16, 0);
    for (const e of f.entries) assert.equal(e.offset % 16, 0, `${e.name} offset ${e.offset}`);
    const last = f.entries.at(-1);
    assert.equal(bytes.length, f.dataStart + last.offset + 4 * last.shape[0] + 4);
  });

  test('keeps the Keras shapes', () => {
    const shape = (name) => f.tensors.get(name)?.shape;
    assert.deepEqual(shape('Conv1/kernel'), [3, 3, 3, 32]);
    assert.deepEqual(shape('Conv1/bias'), [32]);
    assert.deepEqual(shape('expanded_conv_depthwise/kernel'), [3, 3, 32, 1]);
    assert.deepEqual(shape('expanded_conv_project/kernel'), [1, 1, 32, 16]);
    assert.deepEqual(shape('block_1_expand/kernel'), [1, 1, 16, 96]);
    assert.deepEqual(shape('block_6_depthwise/kernel'), [3, 3, 192, 1]);
    assert.deepEqual(shape('block_10_project/kernel'), [1, 1, 384, 96]);
    assert.deepEqual(shape('block_10_project/bias'), [96]);
  });

  test('stores the BatchNorm-folded values', () => {
    const { modelTopology, weightsManifest, loadShard } = loadKerasSource();
    const { tensors } = decodeKerasWeights(weightsManifest, loadShard);
    const value = (name) => tensors.get(name).values;
    const expected = foldBatchNorm(value('Conv1/kernel'), {
      gamma: value('bn_Conv1/gamma'),
      beta: value('bn_Conv1/beta'),
      movingMean: value('bn_Conv1/moving_mean'),
      movingVariance: value('bn_Conv1/moving_variance'),
    });
    assert.deepEqual(f.tensors.get('Conv1/kernel').data, expected.kernel);
    assert.deepEqual(f.tensors.get('Conv1/bias').data, expected.bias);
    for (const { name, data } of f.tensors.values()) {
      assert.ok(data.every(Number.isFinite), `${name} has non-finite values`);
    }
    assert.equal(buildBackboneTensors(modelTopology, tensors).length, 66);
  });

  test('leaves no temp file behind', () => {
    assert.deepEqual(fs.readdirSync(path.dirname(output)), ['mobilenet_v2.anwb']);
  });

  test('fails loudly on a topology or weights it does not expect', () => {
    const { modelTopology, weightsManifest, loadShard } = loadKerasSource();
    const { tensors } = decodeKerasWeights(weightsManifest, loadShard);

    const otherEpsilon = structuredClone(modelTopology);
    otherEpsilon.model_config.config.layers.find((l) => l.name === 'block_3_project_BN').config.epsilon = 1e-5;
    assert.throws(() => buildBackboneTensors(otherEpsilon, tensors), /block_3_project_BN: epsilon 0\.00001, expected 0\.001/);

    const missing = new Map(tensors);
    missing.delete('block_7_expand_BN/moving_mean');
    assert.throws(() => buildBackboneTensors(modelTopology, missing), /block_7_expand_BN\/moving_mean is missing/);

    const reshaped = new Map(tensors);
    reshaped.set('block_2_project/kernel', { ...tensors.get('block_2_project/kernel'), shape: [1, 1, 24, 144] });
    assert.throws(() => buildBackboneTensors(modelTopology, reshaped), /block_2_project\/kernel has shape/);
  });
});

describe('CLI', () => {
  const run = (...args) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

  test('converts and prints a one-line summary', () => {
    const output = path.join(tempDir, 'cli.anwb');
    const r = run('--output', output);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.trim(), /^convert-backbone: wrote .*: 66 tensors, \d+ bytes, crc32 0x[0-9a-f]{8}$/);
    assert.ok(fs.existsSync(output));
  });

  test('resolves a relative --source against the working directory', () => {
    const output = path.join(tempDir, 'relative.anwb');
    const source = path.join('node_modules', 'nsfwjs', 'dist', 'models', 'mobilenet_v2');
    const r = spawnSync(process.execPath, [SCRIPT, '--output', output, '--source', source],
                        { cwd: REPO, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  test('exits 2 when the nsfwjs model is missing', () => {
    const r = run('--output', path.join(tempDir, 'never.anwb'), '--source', path.join(tempDir, 'no-such-dir'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /run npm ci/);
    assert.ok(!fs.existsSync(path.join(tempDir, 'never.anwb')));
  });

  test('exits 1 on bad usage', () => {
    assert.equal(run().status, 1);
    assert.equal(run('--output', 'x', '--bogus').status, 1);
  });
});

test('writeWeightsFile replaces an existing file', () => {
  const output = path.join(tempDir, 'replace.anwb');
  fs.writeFileSync(output, 'stale');
  const tensors = [{ name: 'b', shape: [1], data: Float32Array.of(1) }];
  const { byteLength } = writeWeightsFile(output, tensors);
  assert.equal(fs.statSync(output).size, byteLength);
  assert.equal(parseWeightsFile(fs.readFileSync(output)).magic, 'ANWB');
});

// A smoke test of the parity reference generator (tests/js/tfjs_reference.mjs): layout
// and shapes only; the values are checked by the C++ parity test.
test('tfjs_reference writes the documented ANRF layout', async () => {
  const { makeInput, writeReference } = await import('./tfjs_reference.mjs');
  const output = path.join(tempDir, 'reference.anrf');
  const shapes = await writeReference({ output, height: 32, width: 48, seed: 7 });
  assert.deepEqual(shapes, [[4, 6, 32], [2, 3, 96]]);

  const buf = fs.readFileSync(output);
  assert.equal(buf.toString('ascii', 0, 4), 'ANRF');
  assert.deepEqual([1, 2, 3].map((i) => buf.readUInt32LE(4 * i)), [1, 32, 48]);
  const input = Float32Array.from({ length: 32 * 48 * 3 }, (_, i) => buf.readFloatLE(16 + 4 * i));
  assert.deepEqual(input, makeInput(32, 48, 7));
  assert.ok(input.every((v) => v >= -1 && v < 1));
  let pos = 16 + 4 * input.length;
  for (const [h, w, c] of shapes) {
    assert.deepEqual([0, 1, 2].map((i) => buf.readUInt32LE(pos + 4 * i)), [h, w, c]);
    pos += 12 + 4 * h * w * c;
  }
  assert.equal(pos, buf.length);
});
