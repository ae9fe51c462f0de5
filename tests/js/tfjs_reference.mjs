#!/usr/bin/env node
// Reference activations for the C++ backbone parity test, computed by TensorFlow.js
// (pure-JS CPU backend) from the same Keras MobileNetV2 that tools/convert-backbone.mjs
// folds. tfjs runs the unfolded graph and dequantizes the shards itself, so the
// parity test also cross-checks the converter's decoding and BatchNorm folding.
//
//   node tests/js/tfjs_reference.mjs --output PATH [--height 64] [--width 96] [--seed 7]
//
// Output file (`ANRF`, version 1), all little-endian:
//   char[4] "ANRF", u32 version = 1, u32 H, u32 W,
//   f32 input[H*W*3]                      (NHWC, batch 1)
//   u32 h8, w8, c8,    f32 block_5_add[h8*w8*c8]            (stride 8, NHWC)
//   u32 h16, w16, c16, f32 block_10_project_BN[h16*w16*c16] (stride 16, NHWC)
//
// Input: xorshift32 (Marsaglia; shifts 13, 17, 5 on a uint32 state, starting from the
// seed, 0 replaced by 1 because 0 is a fixed point). Each element, in NHWC order, takes
// the next state x (updated before use) and becomes float32(x / 2^32 * 2 - 1), in
// [-1, 1). It is stored in the file anyway, so readers need not regenerate it.
//
// Geometry note for the C++ side: the stride-2 layers (Conv1, block_1/3/6 depthwise)
// are preceded by ZeroPadding2D [[0,1],[0,1]] (bottom/right only) and use VALID
// padding, fixed in the topology whatever the input size. That equals TF "SAME" for
// even sizes only; every output size is floor(n / 2) per stride-2 layer.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';

import { concatGroupShards, loadKerasSource, writeFileAtomic } from '../../tools/convert-backbone.mjs';

const MAGIC = 'ANRF';
const VERSION = 1;
const OUTPUT_LAYERS = ['block_5_add', 'block_10_project_BN'];

/** xorshift32 stream mapped to [-1, 1); see the header comment for the exact recipe. */
export function makeInput(height, width, seed) {
  const values = new Float32Array(height * width * 3);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < values.length; ++i) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    values[i] = (x / 4294967296) * 2 - 1;
  }
  return values;
}

/** Names of the layers `outputs` depend on (the graph walked backwards). */
function ancestorLayers(layers, outputs) {
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const keep = new Set();
  const stack = [...outputs];
  while (stack.length) {
    const name = stack.pop();
    if (keep.has(name)) continue;
    const layer = byName.get(name);
    if (!layer) throw new Error(`layer ${name} is not in the topology`);
    keep.add(name);
    for (const node of layer.inbound_nodes) for (const edge of node) stack.push(edge[0]);
  }
  return keep;
}

/**
 * A copy of the Keras topology cut down to the layers `outputs` need, with a
 * free spatial input size. The classifier head is dropped because its Dense layer
 * cannot be built on an unknown spatial size; training_config is dropped because
 * nothing is trained.
 */
function truncatedTopology(modelTopology, outputs) {
  const topology = structuredClone(modelTopology);
  delete topology.training_config;
  const config = topology.model_config.config;
  const keep = ancestorLayers(config.layers, outputs);
  config.layers = config.layers.filter((layer) => keep.has(layer.name));
  const input = config.layers.find((layer) => layer.class_name === 'InputLayer');
  input.config.batch_input_shape = [null, null, null, 3];
  config.output_layers = outputs.map((name) => [name, 0, 0]);
  return { topology, keep };
}

const BYTES_PER_ELEMENT = { uint8: 1, uint16: 2, float16: 2, float32: 4, int32: 4 };

/**
 * The weight specs and raw (still quantized) bytes of the kept layers only, so the
 * model can be loaded with strict checking: a missing weight then fails loudly
 * instead of leaving a randomly initialised layer.
 */
function keptWeights(weightsManifest, loadShard, keep) {
  const specs = [];
  const chunks = [];
  for (const group of weightsManifest) {
    const bytes = concatGroupShards(group, loadShard);
    let offset = 0;
    for (const spec of group.weights) {
      const dtype = spec.quantization?.dtype ?? spec.dtype;
      const size = spec.shape.reduce((n, d) => n * d, 1) * BYTES_PER_ELEMENT[dtype];
      if (!Number.isFinite(size)) throw new Error(`weight ${spec.name}: unsupported dtype ${dtype}`);
      if (keep.has(spec.name.split('/')[0])) {
        specs.push(spec);
        chunks.push(bytes.subarray(offset, offset + size));
      }
      offset += size;
    }
    if (offset !== bytes.length) throw new Error('weights manifest does not match the shard sizes');
  }
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => { data.set(c, at); return at + c.length; }, 0);
  return { specs, data };
}

/**
 * The nsfwjs Keras MobileNetV2 as a tfjs-layers model cut at `outputs` (layer
 * names), on a free spatial input size. Also used by bench/wasm_vs_tfjs.mjs.
 */
export async function loadTruncatedModel(sourceDir, outputs = OUTPUT_LAYERS) {
  const { modelTopology, weightsManifest, loadShard } = loadKerasSource(sourceDir);
  const { topology, keep } = truncatedTopology(modelTopology, outputs);
  const { specs, data } = keptWeights(weightsManifest, loadShard, keep);
  const handler = {
    load: async () => ({ modelTopology: topology, weightSpecs: specs, weightData: data.buffer }),
  };
  return tfl.loadLayersModel(handler, { strict: true });
}

function encodeReference(height, width, input, outputs) {
  const floats = input.length + outputs.reduce((n, o) => n + o.values.length, 0);
  const bytes = new Uint8Array(4 + 4 * 3 + 4 * 3 * outputs.length + 4 * floats);
  const view = new DataView(bytes.buffer);
  let pos = 0;
  const putU32 = (v) => { view.setUint32(pos, v, true); pos += 4; };
  const putF32s = (values) => {
    for (const v of values) { view.setFloat32(pos, v, true); pos += 4; }
  };
  bytes.set(Buffer.from(MAGIC, 'ascii'), 0);
  pos = 4;
  putU32(VERSION);
  putU32(height);
  putU32(width);
  putF32s(input);
  for (const { shape, values } of outputs) {
    shape.forEach(putU32);
    putF32s(values);
  }
  if (pos !== bytes.length) throw new Error('internal error: reference size mismatch');
  return bytes;
}

/** Runs the reference and writes it to `output`; returns the [h, w, c] of each output. */
export async function writeReference({ output, height, width, seed, source }) {
  // Prod mode only silences the "install tfjs-node" banner; it changes no numerics.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const model = await loadTruncatedModel(source);
  const input = makeInput(height, width, seed);
  const results = tf.tidy(() => {
    const predictions = model.predict(tf.tensor4d(input, [1, height, width, 3]));
    return predictions.map((t) => ({ shape: t.shape.slice(1), values: t.dataSync().slice() }));
  });
  model.dispose();
  writeFileAtomic(output, encodeReference(height, width, input, results));
  return results.map((r) => r.shape);
}

function positiveInt(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
}

async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      output: { type: 'string' },
      height: { type: 'string', default: '64' },
      width: { type: 'string', default: '96' },
      seed: { type: 'string', default: '7' },
      source: { type: 'string' },
    },
  });
  if (!values.output) {
    throw new Error('usage: node tests/js/tfjs_reference.mjs --output PATH ' +
                    '[--height 64] [--width 96] [--seed 7] [--source DIR]');
  }
  const height = positiveInt(values.height, 'height');
  const width = positiveInt(values.width, 'width');
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error('--seed must be a uint32');
  const shapes = await writeReference({ output: values.output, height, width, seed, source: values.source });
  console.log(`tfjs_reference: wrote ${values.output}: input ${height}x${width}x3, ` +
              OUTPUT_LAYERS.map((name, i) => `${name} ${shapes[i].join('x')}`).join(', '));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`tfjs_reference: ${error.message}`);
    process.exitCode = 1;
  });
}
