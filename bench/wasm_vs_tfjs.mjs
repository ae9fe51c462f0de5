// Our wasm backbone against its peer: the same network (nsfwjs's Keras
// MobileNetV2, cut at block_10_project_BN) on the same input, run by
// @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD) in Node. Both single-threaded:
// tfjs is told there is no multithreading, so it loads its plain SIMD binary,
// and its thread count is set to 1. Each timed call includes copying the input
// in and the output out. Driven by bench/wasm-vs-tfjs.
//
//   node bench/wasm_vs_tfjs.mjs [--height 224] [--width 304] [--iterations 30] [--json OUT]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';

import { loadTruncatedModel, makeInput } from '../tests/js/tfjs_reference.mjs';
import { setUpTfjsWasm } from './tfjs_wasm_peer.mjs';
import { buildBackboneTensors, decodeKerasWeights, loadKerasSource } from '../tools/convert-backbone.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const NPM_DIR = join(REPO, 'npm');  // staged by npm/pack.mjs: the wasm, its glue and the weights
const { values: args } = parseArgs({ options: {
  height: { type: 'string', default: '224' }, width: { type: 'string', default: '304' },
  iterations: { type: 'string', default: '30' }, json: { type: 'string' } } });
const height = Number(args.height);
const width = Number(args.width);
const iterations = Number(args.iterations);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const input = makeInput(height, width, 20240);

// Times the runners interleaved, one call of each per round, so that load
// from other processes falls on all of them alike. Returns { median, min } each.
function timeInterleaved(runners) {
  for (let i = 0; i < 3; ++i) runners.forEach((run) => run());  // warm-up
  const times = runners.map(() => []);
  for (let i = 0; i < iterations; ++i) {
    runners.forEach((run, r) => {
      const t = performance.now();
      run();
      times[r].push(performance.now() - t);
    });
  }
  return times.map((ts) => ({ median: median(ts), min: Math.min(...ts) }));
}

// Ours: the core's MobileNetV2 in our wasm module (Backbone.run, no glue logic).
const { default: createModule } = await import(pathToFileURL(join(NPM_DIR, 'anomalens_wasm.mjs')).href);
const module = await createModule({ wasmBinary: readFileSync(join(NPM_DIR, 'anomalens_wasm.wasm')) });
const backbone = new module.Backbone();
const loaded = backbone.load(readFileSync(join(NPM_DIR, 'mobilenet_v2_block10.anwb')));
if (loaded instanceof Error) throw loaded;
let ours;
const runOurs = () => {
  ours = backbone.run(input, height, width);
  if (ours instanceof Error) throw ours;
};

// The peer: tfjs-backend-wasm, its SIMD binary from the npm package, one thread.
const tfjsInfo = await setUpTfjsWasm();
// (a) The Keras model as nsfwjs ships it, through tfjs-layers: Conv, BatchNorm,
// ReLU6 and ZeroPadding each a separate op.
const model = await loadTruncatedModel(undefined, ['block_10_project_BN']);
let peer;
const runPeer = () => {
  peer = tf.tidy(() => model.predict(tf.tensor4d(input, [1, height, width, 3]))).dataSync().slice();
};

// (b) The best case for the peer: the same weights with BatchNorm folded (the
// converter's folding, as in our weights file), each convolution one
// tf.fused.conv2d / depthwiseConv2d with its bias and ReLU6, XNNPACK's own
// operators; only the residual adds stay separate.
const fused = fusedNetwork();
let peerFused;
const runPeerFused = () => {
  peerFused = tf.tidy(() => fused(tf.tensor4d(input, [1, height, width, 3]))).dataSync().slice();
};

const [oursTime, peerTime, peerFusedTime] = timeInterleaved([runOurs, runPeer, runPeerFused]);
backbone.delete();
model.dispose();

function fusedNetwork() {
  const { modelTopology, weightsManifest, loadShard } = loadKerasSource();
  const folded = new Map(buildBackboneTensors(modelTopology, decodeKerasWeights(weightsManifest, loadShard).tensors)
    .map(({ name, shape, data }) => [name, tf.tensor(data, shape)]));
  const w = (layer) => [folded.get(`${layer}/kernel`), folded.get(`${layer}/bias`)];
  // Stride-2 layers: Keras pads bottom/right by one, then VALID.
  const padStride2 = [[0, 0], [0, 1], [0, 1], [0, 0]];
  const conv = (x, layer, activation, stride = 1, pad = 'same') => {
    const [filter, bias] = w(layer);
    return tf.fused.conv2d({ x, filter, bias, strides: stride, pad, activation });
  };
  const depthwise = (x, layer, stride) => {
    const [filter, bias] = w(layer);
    return tf.fused.depthwiseConv2d({ x, filter, bias, strides: stride, pad: stride === 2 ? padStride2 : 'same',
                                      activation: 'relu6' });
  };
  const strides = { 1: 2, 3: 2, 6: 2 };
  return (x) => {
    x = conv(x, 'Conv1', 'relu6', 2, padStride2);
    x = depthwise(x, 'expanded_conv_depthwise', 1);
    x = conv(x, 'expanded_conv_project', 'linear');
    for (let b = 1; b <= 10; ++b) {
      const stride = strides[b] ?? 1;
      let y = conv(x, `block_${b}_expand`, 'relu6');
      y = depthwise(y, `block_${b}_depthwise`, stride);
      y = conv(y, `block_${b}_project`, 'linear');
      x = stride === 1 && y.shape[3] === x.shape[3] ? tf.add(x, y) : y;
    }
    return x;
  };
}

// The same network on the same input: the outputs agree (BatchNorm folded on
// our side, float rounding apart).
function compare(label, values) {
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < values.length; ++i) {
    maxDiff = Math.max(maxDiff, Math.abs(values[i] - ours[i]));
    maxAbs = Math.max(maxAbs, Math.abs(values[i]));
  }
  if (ours.length !== values.length || !(maxDiff <= 1e-3 * maxAbs)) {
    throw new Error(`${label}: outputs differ from ours: ${values.length} vs ${ours.length} values, ` +
                    `max |diff| ${maxDiff} (max |y| ${maxAbs})`);
  }
  return maxDiff / maxAbs;
}
const relativeDiff = { layers: compare('tfjs layers model', peer), fused: compare('tfjs fused ops', peerFused) };

const report = {
  input: [height, width, 3], layer: 'block_10_project_BN', iterations, node: process.version,
  ours_ms: oursTime, tfjs_wasm_layers_ms: peerTime, tfjs_wasm_fused_ms: peerFusedTime,
  ratio_ours_over_tfjs_layers: oursTime.median / peerTime.median,
  ratio_ours_over_tfjs_fused: oursTime.median / peerFusedTime.median,
  tfjs: tfjsInfo,
  max_abs_diff_over_max_abs_output: relativeDiff,
};
const ms = ({ median: m, min }) => `${m.toFixed(2).padStart(8)} ms (min ${min.toFixed(2)})`;
const row = (label, value) => console.log(`${label.padEnd(60)} ${value}`);
console.log(`MobileNetV2 to block_10_project_BN, input ${height}x${width}x3, median of ${iterations}, 1 thread each`);
console.log(`(tfjs-backend-wasm ${tfjsInfo.version}: ${tfjsInfo.binary}, ${tfjsInfo.threads} thread; ` +
            `Node ${process.version})`);
row('  ours (anomalens wasm, SIMD)', ms(oursTime));
row('  tfjs-backend-wasm, the Keras model through tfjs-layers', ms(peerTime));
row('  tfjs-backend-wasm, BatchNorm folded, fused conv ops', ms(peerFusedTime));
const ratio = (r) => r.toFixed(2).padStart(8);
row('  ratio ours / tfjs layers model (below 1: ours is faster)', ratio(report.ratio_ours_over_tfjs_layers));
row('  ratio ours / tfjs fused ops (below 1: ours is faster)', ratio(report.ratio_ours_over_tfjs_fused));
row('  outputs agree: max |diff| / max |output| (layers, fused)',
    `${relativeDiff.layers.toExponential(1)}, ${relativeDiff.fused.toExponential(1)}`);
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
