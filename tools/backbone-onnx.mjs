#!/usr/bin/env node
// Exports the same truncated network as the `.anwb` converter (nsfwjs@4.4.0's Keras
// MobileNetV2, alpha 1.0, up to block_10_project_BN) as an ONNX model, for the
// benchmark's peers (onnxruntime-node, onnxruntime-web). The weights are the
// converter's own: the same dequantized uint8 values with BatchNormalization folded
// (tools/convert-backbone.mjs reads, checks and folds them; nothing is parsed twice).
//
// The graph is read from the Keras topology, layer by layer: ZeroPadding2D becomes
// the next convolution's pads, each Conv2D / DepthwiseConv2D with the BatchNorm that
// consumes it one ONNX Conv with a bias, ReLU(max 6) a Clip(0, 6), Add an Add.
// Layout is ONNX's NCHW: input [1, 3, H, W] named "input", output
// [1, 96, H/16, W/16] named "block_10_project_BN". Input size is fixed at export.
//
//   node tools/backbone-onnx.mjs --output PATH [--height 224] [--width 224] [--source DIR]
//
// Exit codes: 0 on success, 2 when the nsfwjs model is missing (run `npm ci`),
// 1 on any other failure.

import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

import {
  BACKBONE_ID, DEFAULT_SOURCE_DIR, EXPECTED_SOURCE_BYTES, MissingSourceError, buildBackboneTensors,
  decodeKerasWeights, findBackboneLayers, isMainModule, loadKerasSource, writeFileAtomic,
} from './convert-backbone.mjs';

const { onnx } = createRequire(import.meta.url)('onnx-proto');

export const OUTPUT_LAYER = 'block_10_project_BN';
const OPSET = 13;
const IR_VERSION = 7;  // ONNX 1.8+, opset 13

/** Names of the layers `output` depends on (the Keras graph walked backwards). */
function ancestors(byName, output) {
  const keep = new Set();
  const stack = [output];
  while (stack.length) {
    const name = stack.pop();
    if (keep.has(name)) continue;
    const layer = byName.get(name);
    if (!layer) throw new Error(`layer ${name} is not in the topology`);
    keep.add(name);
    for (const node of layer.inbound_nodes ?? []) for (const edge of node) stack.push(edge[0]);
  }
  return keep;
}

function inputsOf(layer) {
  return (layer.inbound_nodes ?? []).flatMap((node) => node.map((edge) => edge[0]));
}

function floatTensor(name, dims, values) {
  return onnx.TensorProto.create({
    name, dims, dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(Float32Array.from(values).buffer),
  });
}

const intsAttribute = (name, ints) => onnx.AttributeProto.create({ name, ints, type: onnx.AttributeProto.AttributeType.INTS });
const intAttribute = (name, i) => onnx.AttributeProto.create({ name, i, type: onnx.AttributeProto.AttributeType.INT });

function valueInfo(name, dims) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({ dim: dims.map((dimValue) => onnx.TensorShapeProto.Dimension.create({ dimValue })) }),
      }),
    }),
  });
}

/** Keras kernel [kh, kw, cin, cout] (or depthwise [kh, kw, c, 1]) to ONNX [cout, cin/group, kh, kw]. */
function onnxKernel(data, [kh, kw, cin, cout], depthwise) {
  const outChannels = depthwise ? cin : cout;
  const inPerGroup = depthwise ? 1 : cin;
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; ++y) {
    for (let x = 0; x < kw; ++x) {
      for (let i = 0; i < inPerGroup; ++i) {
        for (let o = 0; o < outChannels; ++o) {
          const from = depthwise ? (y * kw + x) * cin + o : ((y * kw + x) * cin + i) * cout + o;
          out[((o * inPerGroup + i) * kh + y) * kw + x] = data[from];
        }
      }
    }
  }
  return { data: out, dims: [outChannels, inPerGroup, kh, kw] };
}

/**
 * Builds the ONNX graph of the truncated network at a fixed input size.
 * @returns {{model: object, multiplyAdds: number, convolutions: object[], outputShape: number[]}}
 *   multiplyAdds: the convolutions' multiply-adds per image (bias, clip and add excluded).
 */
export function buildBackboneOnnx({ height = 224, width = 224, source = DEFAULT_SOURCE_DIR } = {}) {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 16 || width < 16) {
    throw new Error(`input size ${height}x${width}: both sides must be integers of at least 16`);
  }
  const { modelTopology, weightsManifest, loadShard } = loadKerasSource(source);
  const { tensors, byteLength } = decodeKerasWeights(weightsManifest, loadShard);
  if (byteLength !== EXPECTED_SOURCE_BYTES) {
    throw new Error(`decoded ${byteLength} weight bytes, expected ${EXPECTED_SOURCE_BYTES} (is this nsfwjs@4.4.0?)`);
  }
  // The converter's checked, folded weights: the same numbers as in the .anwb file.
  const folded = new Map(buildBackboneTensors(modelTopology, tensors).map((t) => [t.name, t]));
  const bnOf = new Map(findBackboneLayers(modelTopology).map((l) => [l.bnName, l.name]));

  const layers = modelTopology.model_config.config.layers;
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const keep = ancestors(byName, OUTPUT_LAYER);

  // Per Keras layer: the ONNX tensor holding its output, with its [C, H, W], and
  // zero padding still to be applied by the consumer ([top, left, bottom, right]).
  const produced = new Map();
  const nodes = [];
  const initializers = [];
  const convolutions = [];
  let multiplyAdds = 0;
  const source1 = (layer) => {
    const names = inputsOf(layer);
    if (names.length !== 1) throw new Error(`${layer.name}: expected one input, got ${names.length}`);
    const from = produced.get(names[0]);
    if (!from) throw new Error(`${layer.name}: input ${names[0]} is not produced yet`);
    return from;
  };

  for (const layer of layers) {
    if (!keep.has(layer.name)) continue;
    const c = layer.config;
    switch (layer.class_name) {
      case 'InputLayer':
        produced.set(layer.name, { tensor: 'input', shape: [3, height, width], pad: [0, 0, 0, 0] });
        break;
      case 'ZeroPadding2D': {
        const from = source1(layer);
        const [[top, bottom], [left, right]] = c.padding;
        if (from.pad.some((p) => p !== 0)) throw new Error(`${layer.name}: two paddings in a row`);
        produced.set(layer.name, { ...from, pad: [top, left, bottom, right] });
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const from = source1(layer);
        const depthwise = layer.class_name === 'DepthwiseConv2D';
        const kernel = folded.get(`${layer.name}/kernel`);
        const bias = folded.get(`${layer.name}/bias`);
        if (!kernel || !bias) throw new Error(`${layer.name}: no folded weights (not a backbone convolution?)`);
        const [kh, kw, cin] = kernel.shape;
        const [sh, sw] = c.strides;
        if (cin !== from.shape[0]) throw new Error(`${layer.name}: kernel takes ${cin} channels, input has ${from.shape[0]}`);
        let pads = from.pad;  // [top, left, bottom, right]
        if (c.padding === 'same') {
          if (sh !== 1 || sw !== 1 || pads.some((p) => p !== 0)) throw new Error(`${layer.name}: 'same' padding only at stride 1`);
          pads = [(kh - 1) >> 1, (kw - 1) >> 1, kh >> 1, kw >> 1];
        } else if (c.padding !== 'valid') {
          throw new Error(`${layer.name}: padding ${c.padding}`);
        }
        const [, h, w] = from.shape;
        const oh = Math.floor((h + pads[0] + pads[2] - kh) / sh) + 1;
        const ow = Math.floor((w + pads[1] + pads[3] - kw) / sw) + 1;
        const { data, dims } = onnxKernel(kernel.data, kernel.shape, depthwise);
        const cout = dims[0];
        initializers.push(floatTensor(`${layer.name}/kernel`, dims, data), floatTensor(`${layer.name}/bias`, [cout], bias.data));
        nodes.push(onnx.NodeProto.create({
          name: layer.name, opType: 'Conv', input: [from.tensor, `${layer.name}/kernel`, `${layer.name}/bias`],
          output: [layer.name],
          attribute: [intsAttribute('kernel_shape', [kh, kw]), intsAttribute('strides', [sh, sw]),
                      intsAttribute('pads', [pads[0], pads[1], pads[2], pads[3]]), intsAttribute('dilations', [1, 1]),
                      intAttribute('group', depthwise ? cin : 1)],
        }));
        const macs = oh * ow * cout * dims[1] * kh * kw;
        convolutions.push({ name: layer.name, depthwise, input: from.shape, output: [cout, oh, ow], multiplyAdds: macs });
        multiplyAdds += macs;
        produced.set(layer.name, { tensor: layer.name, shape: [cout, oh, ow], pad: [0, 0, 0, 0] });
        break;
      }
      case 'BatchNormalization': {
        // Folded into the convolution before it (the converter checked the pairing).
        const from = source1(layer);
        if (bnOf.get(layer.name) !== inputsOf(layer)[0]) throw new Error(`${layer.name}: not folded into its input`);
        produced.set(layer.name, from);
        break;
      }
      case 'ReLU': {
        const from = source1(layer);
        if (c.max_value !== 6 || (c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) {
          throw new Error(`${layer.name}: only ReLU6 is supported`);
        }
        nodes.push(onnx.NodeProto.create({ name: layer.name, opType: 'Clip', input: [from.tensor, 'relu6/min', 'relu6/max'],
                                           output: [layer.name] }));
        produced.set(layer.name, { tensor: layer.name, shape: from.shape, pad: [0, 0, 0, 0] });
        break;
      }
      case 'Add': {
        const from = inputsOf(layer).map((name) => produced.get(name));
        if (from.length !== 2 || from.some((f) => !f) || String(from[0].shape) !== String(from[1].shape)) {
          throw new Error(`${layer.name}: expected two produced inputs of one shape`);
        }
        nodes.push(onnx.NodeProto.create({ name: layer.name, opType: 'Add', input: from.map((f) => f.tensor), output: [layer.name] }));
        produced.set(layer.name, { tensor: layer.name, shape: from[0].shape, pad: [0, 0, 0, 0] });
        break;
      }
      default:
        throw new Error(`${layer.name}: layer class ${layer.class_name} is not supported by the ONNX export`);
    }
  }
  const out = produced.get(OUTPUT_LAYER);
  if (out.tensor !== OUTPUT_LAYER) {
    // The BN output is its convolution's tensor; name the graph output after the Keras layer.
    nodes.push(onnx.NodeProto.create({ name: OUTPUT_LAYER, opType: 'Identity', input: [out.tensor], output: [OUTPUT_LAYER] }));
  }
  initializers.push(floatTensor('relu6/min', [], [0]), floatTensor('relu6/max', [], [6]));
  const outputShape = [1, ...out.shape];
  const graph = onnx.GraphProto.create({
    name: BACKBONE_ID, node: nodes, initializer: initializers,
    input: [valueInfo('input', [1, 3, height, width])], output: [valueInfo(OUTPUT_LAYER, outputShape)],
  });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION, opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET })],
    producerName: 'anomalens tools/backbone-onnx.mjs', graph,
    docString: `nsfwjs@4.4.0 MobileNetV2 to ${OUTPUT_LAYER}, BatchNorm folded, NCHW`,
  });
  return { model, multiplyAdds, convolutions, outputShape };
}

/** The ONNX model's bytes. */
export function encodeBackboneOnnx(options) {
  const built = buildBackboneOnnx(options);
  return { ...built, bytes: onnx.ModelProto.encode(built.model).finish() };
}

function main(argv) {
  const usage = 'usage: node tools/backbone-onnx.mjs --output PATH [--height 224] [--width 224] [--source DIR]';
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: {
      output: { type: 'string' }, height: { type: 'string', default: '224' }, width: { type: 'string', default: '224' },
      source: { type: 'string' } } }));
  } catch (error) {
    console.error(`${error.message}\n${usage}`);
    return 1;
  }
  if (!values.output) {
    console.error(usage);
    return 1;
  }
  try {
    const { bytes, multiplyAdds, outputShape } = encodeBackboneOnnx({
      height: Number(values.height), width: Number(values.width), source: values.source ?? DEFAULT_SOURCE_DIR });
    writeFileAtomic(values.output, bytes);
    console.log(`backbone-onnx: wrote ${values.output}: input 1x3x${values.height}x${values.width}, ` +
                `output ${outputShape.join('x')}, ${(multiplyAdds / 1e6).toFixed(1)} M multiply-adds, ${bytes.length} bytes`);
    return 0;
  } catch (error) {
    console.error(`backbone-onnx: ${error.message}`);
    return error instanceof MissingSourceError ? 2 : 1;
  }
}

if (isMainModule(import.meta.url)) process.exitCode = main(process.argv.slice(2));
