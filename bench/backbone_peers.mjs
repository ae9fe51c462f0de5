// Backbone latency in Node, one thread each, the same network (nsfwjs's
// MobileNetV2 cut at block_10_project_BN, the same uint8-dequantized weights)
// on the same input: ours (the wasm build's Backbone.run), the Keras model as
// nsfwjs ships it on @tensorflow/tfjs-backend-wasm, and the ONNX export
// (tools/backbone-onnx.mjs) on onnxruntime-node (intraOpNumThreads 1) and
// onnxruntime-web (wasm SIMD, numThreads 1). Timed interleaved, one call of
// each per round, so load from other processes falls on all alike; each call
// includes copying the input in and the output out (ONNX takes NCHW: the
// input is transposed once, outside the timing). Outputs are checked to agree.
// Driven by bench/run (bench/bench_table.mjs).
//
//   node bench/backbone_peers.mjs --onnx MODEL.onnx [--height 224] [--width 224] [--iterations 20] [--json OUT]
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';
import ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';

import { loadTruncatedModel, makeInput } from '../tests/js/tfjs_reference.mjs';
import { setUpTfjsWasm } from './tfjs_wasm_peer.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const NPM_DIR = join(REPO, 'npm');  // staged by npm/pack.mjs: the wasm, its glue and the weights
const { values: args } = parseArgs({ options: {
  onnx: { type: 'string' }, height: { type: 'string', default: '224' }, width: { type: 'string', default: '224' },
  iterations: { type: 'string', default: '20' }, json: { type: 'string' } } });
if (!args.onnx) throw new Error('usage: node bench/backbone_peers.mjs --onnx MODEL.onnx [--height 224] [--width 224] ' +
                                '[--iterations 20] [--json OUT]');
const height = Number(args.height);
const width = Number(args.width);
const iterations = Number(args.iterations);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const input = makeInput(height, width, 20240);  // NHWC
const inputNchw = new Float32Array(input.length);
for (let y = 0; y < height; ++y) {
  for (let x = 0; x < width; ++x) {
    for (let c = 0; c < 3; ++c) inputNchw[(c * height + y) * width + x] = input[(y * width + x) * 3 + c];
  }
}

// Ours: the core's MobileNetV2 in our wasm module.
const { default: createModule } = await import(pathToFileURL(join(NPM_DIR, 'anomalens_wasm.mjs')).href);
const module = await createModule({ wasmBinary: readFileSync(join(NPM_DIR, 'anomalens_wasm.wasm')) });
const backbone = new module.Backbone();
const loaded = backbone.load(readFileSync(join(NPM_DIR, 'mobilenet_v2_block10.anwb')));
if (loaded instanceof Error) throw loaded;

// tfjs-backend-wasm on the Keras model through tfjs-layers (Conv, BatchNorm,
// ReLU6 and ZeroPadding each a separate op, as nsfwjs ships it).
const tfjsInfo = await setUpTfjsWasm();
const kerasModel = await loadTruncatedModel(undefined, ['block_10_project_BN']);

// onnxruntime-node, its CPU provider on one thread.
const onnxBytes = readFileSync(args.onnx);
const nodeSession = await ortNode.InferenceSession.create(onnxBytes, {
  executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
  graphOptimizationLevel: 'all' });
// onnxruntime-web in Node: its wasm SIMD build from the npm package, named
// explicitly (1.30 ships SIMD builds only; this is the plain one, without
// WebGPU/JSEP), with no worker threads.
const ORT_WEB_BINARY = 'ort-wasm-simd-threaded';
const ortWebDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
ortWeb.env.wasm.numThreads = 1;
ortWeb.env.wasm.proxy = false;
ortWeb.env.wasm.wasmPaths = { mjs: pathToFileURL(join(ortWebDist, `${ORT_WEB_BINARY}.mjs`)).href,
                              wasm: join(ortWebDist, `${ORT_WEB_BINARY}.wasm`) };
const webSession = await ortWeb.InferenceSession.create(onnxBytes, {
  executionProviders: ['wasm'], graphOptimizationLevel: 'all' });

const outputs = {};
const runners = {
  ours_wasm: () => {
    const out = backbone.run(input, height, width);
    if (out instanceof Error) throw out;
    outputs.ours_wasm = out;
  },
  tfjs_wasm: () => {
    outputs.tfjs_wasm = tf.tidy(() => kerasModel.predict(tf.tensor4d(input, [1, height, width, 3]))).dataSync().slice();
  },
  onnxruntime_node: async () => {
    const r = await nodeSession.run({ input: new ortNode.Tensor('float32', inputNchw, [1, 3, height, width]) });
    outputs.onnxruntime_node = r.block_10_project_BN;
  },
  onnxruntime_web: async () => {
    const r = await webSession.run({ input: new ortWeb.Tensor('float32', inputNchw, [1, 3, height, width]) });
    outputs.onnxruntime_web = r.block_10_project_BN;
  },
};

const names = Object.keys(runners);
for (let i = 0; i < 2; ++i) for (const name of names) await runners[name]();  // warm-up
const times = Object.fromEntries(names.map((name) => [name, []]));
for (let i = 0; i < iterations; ++i) {
  for (const name of names) {
    const t = performance.now();
    await runners[name]();
    times[name].push(performance.now() - t);
  }
}

// The same network on the same input: every output agrees with ours (NHWC) to
// float rounding; ONNX's are NCHW.
function relativeDiff(name, get) {
  const ours = outputs.ours_wasm;
  const channels = 96;
  const pixels = ours.length / channels;
  let maxDiff = 0;
  let maxAbs = 0;
  for (let p = 0; p < pixels; ++p) {
    for (let c = 0; c < channels; ++c) {
      const v = get(p, c, pixels);
      maxDiff = Math.max(maxDiff, Math.abs(v - ours[p * channels + c]));
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
  }
  if (!(maxDiff <= 1e-3 * maxAbs)) throw new Error(`${name}: output differs from ours: max |diff| ${maxDiff} (max |y| ${maxAbs})`);
  return maxDiff / maxAbs;
}
const agreement = {
  tfjs_wasm: relativeDiff('tfjs_wasm', (p, c) => outputs.tfjs_wasm[p * 96 + c]),
  onnxruntime_node: relativeDiff('onnxruntime_node', (p, c, n) => outputs.onnxruntime_node.data[c * n + p]),
  onnxruntime_web: relativeDiff('onnxruntime_web', (p, c, n) => outputs.onnxruntime_web.data[c * n + p]),
};
backbone.delete();
kerasModel.dispose();
await nodeSession.release();
await webSession.release();

const report = {
  input: [height, width, 3], layer: 'block_10_project_BN', iterations, node: process.version,
  ms: Object.fromEntries(names.map((name) => [name, { median: median(times[name]), min: Math.min(...times[name]) }])),
  max_abs_diff_over_max_abs_output_vs_ours: agreement,
  versions: {
    tfjs_backend_wasm: tfjsInfo, onnxruntime_node: ortNode.env.versions.node,
    onnxruntime_web: { version: ortWeb.env.versions.web, binary: `${ORT_WEB_BINARY}.wasm`, threads: ortWeb.env.wasm.numThreads },
  },
};
for (const name of names) {
  console.log(`${name.padEnd(20)} ${report.ms[name].median.toFixed(2).padStart(9)} ms (min ${report.ms[name].min.toFixed(2)})`);
}
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
