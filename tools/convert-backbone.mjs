#!/usr/bin/env node
// Converts the Keras MobileNetV2 (alpha 1.0, 224px) that nsfwjs@4.4.0 ships into the
// anomalens backbone weights file (`.anwb`, see docs/backbone-weights-format.md):
// the convolutions through block_10 with their BatchNormalization folded in.
//
//   node tools/convert-backbone.mjs --output PATH [--source DIR]
//
// Exit codes: 0 on success, 2 when the nsfwjs model is missing (run `npm ci`),
// 1 on any other failure.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const FORMAT_MAGIC = 'ANWB';
export const FORMAT_VERSION = 1;
export const BACKBONE_ID = 'mobilenet_v2_1.0_224/block_10';
export const BN_EPSILON = 1e-3;
// Sum of the decoded shard bytes of nsfwjs@4.4.0's mobilenet_v2: a cheap guard
// against a different nsfwjs build slipping in under the same paths.
export const EXPECTED_SOURCE_BYTES = 2_619_461;
const DATA_ALIGNMENT = 16;

const SCRIPT_DIR = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_SOURCE_DIR = path.resolve(
  SCRIPT_DIR, '..', 'node_modules', 'nsfwjs', 'dist', 'models', 'mobilenet_v2');

/** Thrown when the nsfwjs model files are absent; the CLI maps it to exit code 2. */
export class MissingSourceError extends Error {}

// ---------------------------------------------------------------------------
// Expected architecture (independent of the topology, so that the topology is checked
// against it rather than trusted).

// MobileNetV2 alpha 1.0: output channels of block_1 .. block_10; every block expands
// its input 6x. expanded_conv (block 0) has no expand layer and outputs 16 channels.
const BLOCK_OUTPUT_CHANNELS = [24, 24, 32, 32, 32, 64, 64, 64, 64, 96];
const EXPANSION = 6;

/**
 * The kept convolutions in graph order, with their Keras kernel shapes.
 * @returns {{name: string, depthwise: boolean, kernelShape: number[]}[]}
 */
export function expectedBackboneLayers() {
  const layers = [
    { name: 'Conv1', depthwise: false, kernelShape: [3, 3, 3, 32] },
    { name: 'expanded_conv_depthwise', depthwise: true, kernelShape: [3, 3, 32, 1] },
    { name: 'expanded_conv_project', depthwise: false, kernelShape: [1, 1, 32, 16] },
  ];
  let cin = 16;
  BLOCK_OUTPUT_CHANNELS.forEach((cout, i) => {
    const block = `block_${i + 1}`;
    const hidden = cin * EXPANSION;
    layers.push(
      { name: `${block}_expand`, depthwise: false, kernelShape: [1, 1, cin, hidden] },
      { name: `${block}_depthwise`, depthwise: true, kernelShape: [3, 3, hidden, 1] },
      { name: `${block}_project`, depthwise: false, kernelShape: [1, 1, hidden, cout] },
    );
    cin = cout;
  });
  return layers;
}

// ---------------------------------------------------------------------------
// Reading the nsfwjs bundles.

const STANDARD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes standard base64 strictly (Buffer.from silently skips junk characters). */
export function decodeBase64Strict(text, what) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !STANDARD_BASE64.test(text)) {
    throw new Error(`${what}: expected a standard base64 string`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * Loads the Keras model from nsfwjs's browserify bundles in `sourceDir`.
 * @returns {{modelTopology: object, weightsManifest: object[], loadShard: (p: string) => Uint8Array}}
 */
export function loadKerasSource(sourceDir = DEFAULT_SOURCE_DIR) {
  // Absolute, because require() would take a bare relative path for a package name.
  sourceDir = path.resolve(sourceDir);
  const modelFile = path.join(sourceDir, 'model.min.js');
  if (!fs.existsSync(modelFile)) {
    throw new MissingSourceError(
      `nsfwjs MobileNetV2 not found (${modelFile} is missing); run npm ci`);
  }
  // The bundles are UMD: under require() they take the CommonJS branch.
  const require = createRequire(import.meta.url);
  const { modelTopology, weightsManifest } = require(modelFile);
  if (!modelTopology?.model_config || !Array.isArray(weightsManifest)) {
    throw new Error(`${modelFile}: expected exports {modelTopology, weightsManifest}`);
  }
  const loadShard = (shardPath) => {
    const shardFile = path.join(sourceDir, `${shardPath}.min.js`);
    if (!fs.existsSync(shardFile)) {
      throw new MissingSourceError(`nsfwjs weight shard ${shardFile} is missing; run npm ci`);
    }
    return decodeBase64Strict(require(shardFile), shardFile);
  };
  return { modelTopology, weightsManifest, loadShard };
}

/** Concatenates one manifest group's shards in `paths` order. */
export function concatGroupShards(group, loadShard) {
  const parts = group.paths.map((p) => loadShard(p));
  const total = parts.reduce((n, part) => n + part.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

// ---------------------------------------------------------------------------
// Decoding the weights.

function elementCount(shape) {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * Dequantizes one uint8-quantized tensor: value = min + q * scale. Rounded to float32
 * exactly as tfjs does, so the folded weights start from the values tfjs would use.
 */
export function dequantizeUint8(bytes, { min, scale }) {
  const values = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; ++i) values[i] = min + bytes[i] * scale;
  return values;
}

function checkSpec(spec) {
  if (spec.dtype !== 'float32' || spec.quantization?.dtype !== 'uint8') {
    throw new Error(
      `weight ${spec.name}: only float32 tensors quantized to uint8 are supported ` +
      `(got dtype ${spec.dtype}, quantization ${JSON.stringify(spec.quantization)})`);
  }
  const { min, scale } = spec.quantization;
  if (!Number.isFinite(min) || !Number.isFinite(scale)) {
    throw new Error(`weight ${spec.name}: bad quantization min/scale`);
  }
}

/**
 * Decodes every tensor of a tfjs weights manifest. Within a group, tensors lie back to
 * back in manifest order across the group's concatenated shards, so a tensor may
 * straddle two shards.
 * @param {object[]} weightsManifest  [{paths: string[], weights: spec[]}]
 * @param {(shardPath: string) => Uint8Array} loadShard  the decoded bytes of one shard
 * @returns {{tensors: Map<string, {shape: number[], values: Float32Array}>, byteLength: number}}
 */
export function decodeKerasWeights(weightsManifest, loadShard) {
  const tensors = new Map();
  let byteLength = 0;
  weightsManifest.forEach((group, g) => {
    const bytes = concatGroupShards(group, loadShard);
    let offset = 0;
    for (const spec of group.weights) {
      checkSpec(spec);
      const count = elementCount(spec.shape);
      if (offset + count > bytes.length) {
        throw new Error(`weight ${spec.name} runs past the end of group ${g}'s shards`);
      }
      if (tensors.has(spec.name)) throw new Error(`weight ${spec.name} appears twice`);
      const values = dequantizeUint8(bytes.subarray(offset, offset + count), spec.quantization);
      tensors.set(spec.name, { shape: [...spec.shape], values });
      offset += count;
    }
    if (offset !== bytes.length) {
      throw new Error(`group ${g}: manifest covers ${offset} bytes but the shards hold ${bytes.length}`);
    }
    byteLength += bytes.length;
  });
  return { tensors, byteLength };
}

// ---------------------------------------------------------------------------
// Topology.

function topologyLayers(modelTopology) {
  const layers = modelTopology?.model_config?.config?.layers;
  if (!Array.isArray(layers)) throw new Error('model topology has no model_config.config.layers');
  return layers;
}

/** Names of the layers a layer takes its (single) input from. */
function inboundLayerNames(layer) {
  return (layer.inbound_nodes ?? []).flatMap((node) => node.map((edge) => edge[0]));
}

/**
 * Finds the kept convolutions and the BatchNormalization that consumes each one, and
 * checks them against expectedBackboneLayers(). The BN is found by graph edge rather
 * than by name because the names are not uniform (`bn_Conv1` vs `block_1_expand_BN`).
 * @returns {{name: string, bnName: string, depthwise: boolean, kernelShape: number[]}[]}
 */
export function findBackboneLayers(modelTopology) {
  const layers = topologyLayers(modelTopology);
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const expected = expectedBackboneLayers();
  const last = expected[expected.length - 1].name;

  const convs = [];
  for (const layer of layers) {
    if (layer.class_name === 'Conv2D' || layer.class_name === 'DepthwiseConv2D') convs.push(layer);
    if (layer.name === last) break;
  }
  const names = convs.map((layer) => layer.name);
  const expectedNames = expected.map((layer) => layer.name);
  if (names.join() !== expectedNames.join()) {
    throw new Error(`unexpected convolutions in the topology:\n  got      ${names.join(' ')}\n` +
                    `  expected ${expectedNames.join(' ')}`);
  }

  return expected.map((want, i) => {
    const conv = convs[i];
    checkConvConfig(conv, want);
    const consumers = layers.filter((layer) => inboundLayerNames(layer).includes(conv.name));
    if (consumers.length !== 1 || consumers[0].class_name !== 'BatchNormalization') {
      throw new Error(`${conv.name}: expected exactly one consumer, a BatchNormalization; got ` +
                      consumers.map((c) => `${c.name} (${c.class_name})`).join(', '));
    }
    checkBatchNormConfig(byName.get(consumers[0].name));
    return { ...want, bnName: consumers[0].name };
  });
}

function checkConvConfig(layer, want) {
  const c = layer.config;
  const [kh, kw, , cout] = want.kernelShape;
  const problems = [];
  if ((layer.class_name === 'DepthwiseConv2D') !== want.depthwise) problems.push(`class ${layer.class_name}`);
  if (c.use_bias !== false) problems.push('use_bias is not false (its bias would be lost)');
  if (c.activation !== 'linear') problems.push(`activation ${c.activation}`);
  if (String(c.kernel_size) !== String([kh, kw])) problems.push(`kernel_size ${c.kernel_size}`);
  if (String(c.dilation_rate ?? [1, 1]) !== '1,1') problems.push(`dilation_rate ${c.dilation_rate}`);
  if (want.depthwise ? c.depth_multiplier !== 1 : c.filters !== cout) {
    problems.push(want.depthwise ? `depth_multiplier ${c.depth_multiplier}` : `filters ${c.filters}`);
  }
  if (problems.length) throw new Error(`${layer.name}: unexpected config: ${problems.join('; ')}`);
}

function checkBatchNormConfig(layer) {
  const c = layer.config;
  // The folding formula (and the doc) hard-code epsilon 1e-3; a model with another
  // epsilon must not be folded silently with the wrong one.
  if (c.epsilon !== BN_EPSILON) throw new Error(`${layer.name}: epsilon ${c.epsilon}, expected ${BN_EPSILON}`);
  if (c.axis !== -1 && c.axis !== 3) throw new Error(`${layer.name}: axis ${c.axis}, expected the channel axis`);
  if (c.center !== true || c.scale !== true) throw new Error(`${layer.name}: expected center and scale`);
}

// ---------------------------------------------------------------------------
// Folding.

/**
 * Folds an inference-mode BatchNormalization into the convolution before it, in
 * float64:  s = gamma / sqrt(var + eps);  kernel' = kernel * s;  bias' = beta - mean * s.
 * The output channel must be the innermost kernel axis, which holds for Keras Conv2D
 * [kh,kw,cin,cout] and for DepthwiseConv2D [kh,kw,c,1] with depth multiplier 1.
 * @returns {{kernel: Float32Array, bias: Float32Array}}
 */
export function foldBatchNorm(kernel, { gamma, beta, movingMean, movingVariance }, epsilon = BN_EPSILON) {
  const channels = gamma.length;
  if (beta.length !== channels || movingMean.length !== channels || movingVariance.length !== channels) {
    throw new Error('foldBatchNorm: gamma, beta, moving_mean and moving_variance differ in length');
  }
  if (kernel.length % channels !== 0) {
    throw new Error(`foldBatchNorm: kernel of ${kernel.length} values is not a multiple of ${channels} channels`);
  }
  const scale = new Float64Array(channels);
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; ++c) {
    const denominator = Number(movingVariance[c]) + epsilon;
    if (!(denominator > 0)) throw new Error(`foldBatchNorm: channel ${c} has variance + epsilon <= 0`);
    scale[c] = gamma[c] / Math.sqrt(denominator);
    bias[c] = beta[c] - movingMean[c] * scale[c];
  }
  const folded = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; ++i) folded[i] = kernel[i] * scale[i % channels];
  return { kernel: folded, bias };
}

function requireTensor(tensors, name, shape) {
  const tensor = tensors.get(name);
  if (!tensor) throw new Error(`weight ${name} is missing from the manifest`);
  if (String(tensor.shape) !== String(shape)) {
    throw new Error(`weight ${name} has shape [${tensor.shape}], expected [${shape}]`);
  }
  return tensor.values;
}

/**
 * Builds the folded `<layer>/kernel` and `<layer>/bias` tensors, in graph order.
 * @returns {{name: string, shape: number[], data: Float32Array}[]}
 */
export function buildBackboneTensors(modelTopology, tensors) {
  const out = [];
  for (const layer of findBackboneLayers(modelTopology)) {
    const kernelName = `${layer.name}/${layer.depthwise ? 'depthwise_kernel' : 'kernel'}`;
    const kernel = requireTensor(tensors, kernelName, layer.kernelShape);
    const channels = [elementCount(layer.kernelShape.slice(layer.depthwise ? 2 : 3))];
    const bn = {
      gamma: requireTensor(tensors, `${layer.bnName}/gamma`, channels),
      beta: requireTensor(tensors, `${layer.bnName}/beta`, channels),
      movingMean: requireTensor(tensors, `${layer.bnName}/moving_mean`, channels),
      movingVariance: requireTensor(tensors, `${layer.bnName}/moving_variance`, channels),
    };
    const folded = foldBatchNorm(kernel, bn);
    out.push({ name: `${layer.name}/kernel`, shape: layer.kernelShape, data: folded.kernel });
    out.push({ name: `${layer.name}/bias`, shape: channels, data: folded.bias });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Writing.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; ++n) {
    let c = n;
    for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, zlib's crc32), continuing from `crc` (0 to start). */
export function crc32(bytes, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; ++i) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function alignUp(n, alignment) {
  return Math.ceil(n / alignment) * alignment;
}

function checkTensor({ name, shape, data }) {
  if (Buffer.byteLength(name, 'utf8') > 0xffff) throw new Error(`tensor name too long: ${name}`);
  if (shape.length > 0xff) throw new Error(`${name}: rank ${shape.length} too large`);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff)) {
    throw new Error(`${name}: bad shape [${shape}]`);
  }
  if (!(data instanceof Float32Array) || data.length !== elementCount(shape)) {
    throw new Error(`${name}: data must be a Float32Array of ${elementCount(shape)} values`);
  }
}

/**
 * Serializes tensors into the `.anwb` layout (docs/backbone-weights-format.md).
 * @param {{name: string, shape: number[], data: Float32Array}[]} tensors  in table order
 * @returns {{bytes: Uint8Array, crc: number}}
 */
export function encodeWeightsFile(tensors, backboneId = BACKBONE_ID) {
  tensors.forEach(checkTensor);
  const id = Buffer.from(backboneId, 'utf8');
  if (id.length > 0xffff) throw new Error('backbone id too long');
  const names = tensors.map((t) => Buffer.from(t.name, 'utf8'));

  let headerSize = 4 + 4 + 2 + id.length + 4;
  tensors.forEach((t, i) => { headerSize += 2 + names[i].length + 1 + 4 * t.shape.length + 8; });
  const dataStart = alignUp(headerSize, DATA_ALIGNMENT);
  const offsets = [];
  let dataSize = 0;
  for (const t of tensors) {
    dataSize = alignUp(dataSize, DATA_ALIGNMENT);
    offsets.push(dataSize);
    dataSize += 4 * t.data.length;
  }
  const fileSize = dataStart + dataSize + 4;

  // Zero-filled, so all padding is already in place.
  const bytes = new Uint8Array(fileSize);
  const view = new DataView(bytes.buffer);
  let pos = 0;
  const putBytes = (b) => { bytes.set(b, pos); pos += b.length; };
  const putU8 = (v) => { view.setUint8(pos, v); pos += 1; };
  const putU16 = (v) => { view.setUint16(pos, v, true); pos += 2; };
  const putU32 = (v) => { view.setUint32(pos, v, true); pos += 4; };
  const putU64 = (v) => { view.setBigUint64(pos, BigInt(v), true); pos += 8; };

  putBytes(Buffer.from(FORMAT_MAGIC, 'ascii'));
  putU32(FORMAT_VERSION);
  putU16(id.length);
  putBytes(id);
  putU32(tensors.length);
  tensors.forEach((t, i) => {
    putU16(names[i].length);
    putBytes(names[i]);
    putU8(t.shape.length);
    t.shape.forEach(putU32);
    putU64(offsets[i]);
  });
  if (pos !== headerSize) throw new Error('internal error: header size mismatch');

  tensors.forEach((t, i) => {
    let at = dataStart + offsets[i];
    // Explicitly little-endian, whatever the host.
    for (let k = 0; k < t.data.length; ++k, at += 4) view.setFloat32(at, t.data[k], true);
  });
  const crc = crc32(bytes.subarray(0, fileSize - 4));
  view.setUint32(fileSize - 4, crc, true);
  return { bytes, crc };
}

/** Writes `bytes` to `outputPath` via a temp file and rename, so readers never see half a file. */
export function writeFileAtomic(outputPath, bytes) {
  const dir = path.dirname(path.resolve(outputPath));
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(outputPath)}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, outputPath);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** Encodes and atomically writes a weights file. */
export function writeWeightsFile(outputPath, tensors, backboneId = BACKBONE_ID) {
  const { bytes, crc } = encodeWeightsFile(tensors, backboneId);
  writeFileAtomic(outputPath, bytes);
  return { tensorCount: tensors.length, byteLength: bytes.length, crc };
}

// ---------------------------------------------------------------------------
// CLI.

/** Full conversion: nsfwjs bundles in `sourceDir` -> `.anwb` at `outputPath`. */
export function convertBackbone({ output, source = DEFAULT_SOURCE_DIR }) {
  const { modelTopology, weightsManifest, loadShard } = loadKerasSource(source);
  const { tensors, byteLength } = decodeKerasWeights(weightsManifest, loadShard);
  if (byteLength !== EXPECTED_SOURCE_BYTES) {
    throw new Error(`decoded ${byteLength} weight bytes, expected ${EXPECTED_SOURCE_BYTES} ` +
                    '(is this nsfwjs@4.4.0?)');
  }
  return writeWeightsFile(output, buildBackboneTensors(modelTopology, tensors));
}

function main(argv) {
  const usage = 'usage: node tools/convert-backbone.mjs --output PATH [--source DIR]';
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { output: { type: 'string' }, source: { type: 'string' } },
    }));
  } catch (error) {
    console.error(`${error.message}\n${usage}`);
    return 1;
  }
  if (!values.output) {
    console.error(usage);
    return 1;
  }
  try {
    const result = convertBackbone({ output: values.output, source: values.source ?? DEFAULT_SOURCE_DIR });
    const crcHex = result.crc.toString(16).padStart(8, '0');
    console.log(`convert-backbone: wrote ${values.output}: ${result.tensorCount} tensors, ` +
                `${result.byteLength} bytes, crc32 0x${crcHex}`);
    return 0;
  } catch (error) {
    console.error(`convert-backbone: ${error.message}`);
    return error instanceof MissingSourceError ? 2 : 1;
  }
}

// True when the module at moduleUrl (its import.meta.url) is the script node
// was started with, so a tool both runs as a command and imports in tests.
export function isMainModule(moduleUrl) {
  if (!process.argv[1]) return false;
  try {
    return moduleUrl === pathToFileURL(fs.realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMainModule(import.meta.url)) process.exitCode = main(process.argv.slice(2));
