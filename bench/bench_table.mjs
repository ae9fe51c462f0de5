// The benchmark table (bench/run): one run on this machine of
//   - backbone latency per image at 224x224, one thread: ours native (XNNPACK and
//     portable backends), ours wasm, and the peers on the same network and weights
//     (tfjs-backend-wasm, onnxruntime-node, onnxruntime-web), each against
//     tfjs-backend-wasm and against the arithmetic limit of its instruction set;
//   - DetectAnomalies end to end (image bytes to JSON) for a classification and a
//     segmentation model, native and wasm, and its ratio to the backbone;
//   - training time, peak memory, 1 vs 2 threads natively, server throughput;
//   - the issue's bars, each marked met or short.
// Prints the table and writes JSON. bench/run builds everything first.
//
//   node bench/bench_table.mjs [--json FILE] [--quick] [--iterations N] [--requests N]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { buildBackboneOnnx } from '../tools/backbone-onnx.mjs';
import { measureClockMhz } from './cpu_clock.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'build', 'bench');
const CLI = join(REPO, 'build', 'native', 'anomalens');
const BENCH = join(REPO, 'build', 'bench', 'anomalens_bench');
const ONNX = join(REPO, 'build', 'mobilenet_v2_block10_224.onnx');
const COOKIES = resolve(REPO, '..', 'shared', 'data', 'lookout-cookies');

const USAGE = 'usage: bench/run [--json FILE] [--quick] [--iterations N] [--requests N]';
let args;
try {
  ({ values: args } = parseArgs({ options: {
    json: { type: 'string' }, quick: { type: 'boolean', default: false },
    iterations: { type: 'string' }, requests: { type: 'string', default: '40' } } }));
} catch (error) {
  console.error(`bench: ${error.message}\n${USAGE}`);
  process.exit(2);
}
const positiveInt = (text, name, max) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    console.error(`bench: --${name} ${text}: expected an integer from 1 to ${max}\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const iterations = positiveInt(args.iterations ?? (args.quick ? '7' : '21'), 'iterations', 10000);
const requests = positiveInt(args.requests, 'requests', 100000);
// A relative --json is relative to where bench/run was started (it changes to the repository).
const jsonPath = args.json ? resolve(process.env.BENCH_CALLER_DIR ?? process.cwd(), args.json) : join(OUT, 'bench.json');
mkdirSync(OUT, { recursive: true });
mkdirSync(dirname(jsonPath), { recursive: true });

function run(cmd, argv, what) {
  const r = spawnSync(cmd, argv, { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`${what} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${r.stdout}${r.stderr}`);
  }
  return r;
}
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const log = (text) => process.stderr.write(`bench: ${text}\n`);

// ---------------------------------------------------------------------------
// The machine and the arithmetic limit.

function machine() {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name) => info.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1];
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const nominalMhz = Math.max(...[...info.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1])));
  return { model: field('model name'), family: Number(field('cpu family')), cores: os.availableParallelism(),
           nominal_mhz: nominalMhz, measured_mhz: measureClockMhz(),
           avx2: flags.has('avx2'), fma: flags.has('fma'), avx512f: flags.has('avx512f') };
}

// Peak fp32 FLOP/s of one core = FMA units x lanes x 2 (a fused multiply-add
// counts two flops) x clock. Two FMA units per core (AMD Zen, recent Intel).
// The clock is the larger of the measured one (bench/cpu_clock.mjs, at the
// start and the end of the run) and /proc/cpuinfo's, so the peak is not understated.
const FMA_UNITS = 2;
function peaks(cpu) {
  const perCycle = (lanes) => FMA_UNITS * lanes * 2;
  const at = (flopsPerCycle) => flopsPerCycle * cpu.mhz * 1e6;  // cpu.mhz: see above
  return {
    'avx2-fma': { lanes: 8, flops_per_cycle: perCycle(8), flops_per_second: at(perCycle(8)),
                  note: 'the issue\'s "FMA peak": 2 FMA units x 8 fp32 lanes (256-bit) x 2 flops x clock' },
    'avx512': { lanes: 16, flops_per_cycle: perCycle(16), flops_per_second: at(perCycle(16)),
                note: 'if the core runs 512-bit FMAs at full width (AMD Zen 5, family 26; Zen 4 double-pumps 256-bit, ' +
                      'halving this): 2 x 16 lanes x 2 flops x clock' },
    'simd128': { lanes: 4, flops_per_cycle: perCycle(4), flops_per_second: at(perCycle(4)),
                 note: '128-bit SIMD (wasm SIMD; SSE2 for the native portable build, which has no -march): ' +
                       '2 units x 4 lanes x 2 flops x clock. Neither has an FMA instruction: a multiply-add takes ' +
                       'a multiply and an add, which reach this rate only on cores with separate add pipes (AMD Zen)' },
  };
}

// ---------------------------------------------------------------------------
// Native: anomalens_bench. The XNNPACK backend and --threads come with issue 8's
// items 1-3; until the binary takes --backend, only its one (portable) backend runs.

function benchCapabilities() {
  const r = spawnSync(BENCH, [], { encoding: 'utf8' });
  const usage = `${r.stdout}${r.stderr}`;
  return { backend: /--backend/.test(usage), threads: /--threads/.test(usage), usage: usage.trim() };
}

function nativeBench(caps, { model, image, backend, threads, tag }) {
  const json = join(OUT, `native-${tag}.json`);
  const argv = ['--model', model, '--image', image, '--iterations', String(iterations), '--json', json];
  if (caps.backend) argv.push('--backend', backend);
  if (caps.threads) argv.push('--threads', String(threads));
  const r = spawnSync(BENCH, argv, { encoding: 'utf8' });
  if (r.status !== 0) return { error: `${r.stderr || r.stdout}`.trim().split('\n').at(-1) };
  return readJson(json);
}

// ---------------------------------------------------------------------------
// Data and models.

function trainTimed(name, trainArgs) {
  const model = join(OUT, `${name}.anlm`);
  const timeFile = join(OUT, `${name}.train.time`);
  run('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, CLI, 'train', ...trainArgs, '--output', model, '--quiet'],
      `training ${name}`);
  const [seconds, kb] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { model, seconds, peak_rss_mib: kb / 1024 };
}

const manifestLines = (path) => readFileSync(path, 'utf8').trim().split('\n').length;

function prepareData() {
  // A square synthetic set at 224 px: at the default short side 224 its model's
  // scale is 1, so every image runs the backbone at exactly 224x224 (one tile).
  const synth224 = join(OUT, 'synthetic-224');
  run(CLI, ['synth', '--output', synth224, '--width', '224', '--height', '224'], 'synth 224');
  const backbone = trainTimed('synthetic-224', ['--manifest', join(synth224, 'train.manifest'),
                                                '--test-manifest', join(synth224, 'test.manifest'), '--ignore-masks']);
  backbone.image = join(synth224, 'images', 'anomaly-11.png');

  let data;
  let manifest;
  let extra = [];
  let image;
  if (existsSync(join(COOKIES, 'manifests', 'train.manifest'))) {
    data = 'lookout-cookies';
    manifest = join(COOKIES, 'manifests', 'train.manifest');
    image = join(COOKIES, 'test-images', 'test-anomaly-1.jpg');
  } else {
    data = 'synthetic (../shared absent)';
    const synth = join(OUT, 'synthetic');
    run(CLI, ['synth', '--output', synth], 'synth');
    manifest = join(synth, 'train.manifest');
    extra = ['--test-manifest', join(synth, 'test.manifest')];
    image = join(synth, 'images', 'anomaly-11.png');  // the first anomalous test image
  }
  log(`training classification and segmentation models on ${data}`);
  const classification = trainTimed('classification', ['--manifest', manifest, ...extra, '--ignore-masks']);
  const segmentation = trainTimed('segmentation', ['--manifest', manifest, ...extra]);
  const evaluation = extra.length ? 'evaluated on its test manifest' : '20% of each label held out and evaluated, as Lookout does';
  return { data, manifest, images: manifestLines(manifest), evaluation, image, backbone, classification, segmentation };
}

// ---------------------------------------------------------------------------
// The run.

const cpu = machine();
cpu.mhz = Math.max(cpu.nominal_mhz, cpu.measured_mhz);
log(`clock: ${cpu.measured_mhz.toFixed(0)} MHz measured, ${cpu.nominal_mhz} MHz in /proc/cpuinfo`);
const onnxGraph = buildBackboneOnnx({ height: 224, width: 224 });
const macs = onnxGraph.multiplyAdds;
const flops = 2 * macs;
const caps = benchCapabilities();
const backends = caps.backend ? ['xnnpack', 'portable'] : ['portable'];
const threadCounts = caps.threads ? [1, 2] : [1];
log(`anomalens_bench: ${caps.backend ? 'has --backend' : 'no --backend yet (XNNPACK rows: not built)'}, ` +
    `${caps.threads ? 'has --threads' : 'no --threads yet (2-thread rows: not built)'}`);

const d = prepareData();

log('native backbone at 224x224 and DetectAnomalies');
const native = {};
for (const backend of backends) {
  for (const threads of threadCounts) {
    const key = `${backend}-${threads}t`;
    native[key] = {
      backbone224: nativeBench(caps, { model: d.backbone.model, image: d.backbone.image, backend, threads, tag: `backbone224-${key}` }),
      classification: nativeBench(caps, { model: d.classification.model, image: d.image, backend, threads, tag: `classification-${key}` }),
      segmentation: nativeBench(caps, { model: d.segmentation.model, image: d.image, backend, threads, tag: `segmentation-${key}` }),
    };
  }
}

log('backbones in Node: ours wasm, tfjs-backend-wasm, onnxruntime-node, onnxruntime-web');
const peersJson = join(OUT, 'backbone-peers.json');
run(process.execPath, [join(REPO, 'bench', 'backbone_peers.mjs'), '--onnx', ONNX, '--iterations', String(iterations),
                       '--json', peersJson], 'bench/backbone_peers.mjs');
const peers = readJson(peersJson);

log('wasm DetectAnomalies');
const wasm = {};
for (const task of ['classification', 'segmentation']) {
  const json = join(OUT, `wasm-${task}.json`);
  run(process.execPath, [join(REPO, 'bench', 'wasm_bench.mjs'), '--model', d[task].model, '--image', d.image,
                         '--iterations', String(iterations), '--calls', String(iterations), '--json', json],
      `bench/wasm_bench.mjs (${task})`);
  const r = readJson(json);
  wasm[task] = { detect_ms: r.detect_ms_median, wasm_memory_mib: Math.max(...r.memory.map((m) => m.wasm_mib)),
                 rss_mib: Math.max(...r.memory.map((m) => m.rss_mib)) };
}

let server = null;
if (!args.quick) {
  log('server load (1, 4, 16 clients)');
  const json = join(OUT, 'server_load.json');
  rmSync(json, { force: true });
  const r = spawnSync('/usr/bin/python3', [join(REPO, 'bench', 'server_load.py'), '--anomalens', CLI, '--requests',
                                           String(requests), '--out', json], { cwd: REPO, encoding: 'utf8' });
  // Exit 1 with the JSON written means some requests failed: the rows count them.
  if (existsSync(json)) server = readJson(json);
  else server = { error: `bench/server_load.py exited ${r.status}: ${`${r.stderr}`.trim().split('\n').at(-1)}` };
}

// ---------------------------------------------------------------------------
// Rows, ratios, bars.

// The clock again at the end: a turbo clock may have been lower at the start.
cpu.measured_mhz = Math.max(cpu.measured_mhz, measureClockMhz());
cpu.mhz = Math.max(cpu.nominal_mhz, cpu.measured_mhz);
const peak = peaks(cpu);

const tfjsMs = peers.ms.tfjs_wasm.median;
const defaultBackend = backends[0];
const nativeRow = (backend, threads) => native[`${backend}-${threads}t`];
const backboneRows = [];
function addBackboneRow(key, label, ms, isa, note) {
  const row = { key, label, isa, note };
  if (ms === undefined) {
    row.status = note ?? 'not built';
  } else {
    Object.assign(row, { ms, speedup_vs_tfjs_wasm: tfjsMs / ms,
                         fraction_of_peak: flops / (ms / 1e3) / peak[isa].flops_per_second });
    if (isa === 'avx2-fma') row.fraction_of_avx512_peak = flops / (ms / 1e3) / peak.avx512.flops_per_second;
  }
  backboneRows.push(row);
}
for (const backend of ['xnnpack', 'portable']) {
  const r = nativeRow(backend, 1);
  const label = `ours native ${backend === 'xnnpack' ? 'XNNPACK' : 'portable'}`;
  const isa = backend === 'xnnpack' ? 'avx2-fma' : 'simd128';
  if (!r) addBackboneRow(`native_${backend}`, label, undefined, isa, 'not built (anomalens_bench has no --backend yet)');
  else if (r.backbone224.error) addBackboneRow(`native_${backend}`, label, undefined, isa, `failed: ${r.backbone224.error}`);
  else addBackboneRow(`native_${backend}`, label, r.backbone224.backbone_ms, isa);
}
addBackboneRow('ours_wasm', 'ours wasm (SIMD)', peers.ms.ours_wasm.median, 'simd128');
addBackboneRow('tfjs_wasm', `tfjs-backend-wasm ${peers.versions.tfjs_backend_wasm.version} (Keras model)`, tfjsMs, 'simd128');
addBackboneRow('onnxruntime_node', `onnxruntime-node ${peers.versions.onnxruntime_node}`, peers.ms.onnxruntime_node.median, 'avx2-fma');
addBackboneRow('onnxruntime_web', `onnxruntime-web ${peers.versions.onnxruntime_web.version} (wasm SIMD)`,
               peers.ms.onnxruntime_web.median, 'simd128');
const byKey = Object.fromEntries(backboneRows.map((r) => [r.key, r]));

const endToEnd = [];
for (const task of ['classification', 'segmentation']) {
  for (const backend of ['xnnpack', 'portable']) {
    for (const threads of [1, 2]) {
      const r = nativeRow(backend, threads)?.[task];
      const label = `${task}, native ${backend === 'xnnpack' ? 'XNNPACK' : 'portable'}, ${threads} thread${threads > 1 ? 's' : ''}`;
      if (!r) endToEnd.push({ task, label, status: 'not built' });
      else if (r.error) endToEnd.push({ task, label, status: `failed: ${r.error}` });
      else {
        endToEnd.push({ task, label, backend, threads, working_size: r.working_size, backbone_ms: r.backbone_ms,
                        detect_ms: r.detect_ms, detect_over_backbone: r.detect_ms / r.backbone_ms,
                        bank_rows: r.bank_rows, peak_rss_mib: r.peak_rss_mib });
      }
    }
  }
  endToEnd.push({ task, label: `${task}, wasm, 1 thread`, detect_ms: wasm[task].detect_ms,
                  wasm_memory_mib: wasm[task].wasm_memory_mib, rss_mib: wasm[task].rss_mib });
}

const bars = [];
// Each bar: met when value >= target (or < target for lower-is-better ones).
function bar(name, value, target, unit, notMeasured, lowerIsBetter = false) {
  const b = { name, target, unit, lower_is_better: lowerIsBetter };
  if (value === undefined || Number.isNaN(value)) b.status = notMeasured ?? 'not measured';
  else Object.assign(b, { value, status: (lowerIsBetter ? value <= target : value >= target) ? 'met' : 'short' });
  bars.push(b);
}
const xnn = byKey.native_xnnpack;
const notBuilt = `not measured: XNNPACK ${xnn.status}`;
bar('native XNNPACK backbone, 1 thread: speed-up over tfjs-backend-wasm', xnn.speedup_vs_tfjs_wasm, 8, 'x', notBuilt);
bar('native XNNPACK backbone vs onnxruntime-node (ort ms / ours ms)',
    xnn.ms && byKey.onnxruntime_node.ms / xnn.ms, 1, 'x', notBuilt);
bar('native XNNPACK backbone: fraction of the AVX2+FMA peak', xnn.fraction_of_peak, 0.4, 'fraction', notBuilt);
bar('wasm backbone: speed-up over tfjs-backend-wasm', byKey.ours_wasm.speedup_vs_tfjs_wasm, 2, 'x');
bar('wasm backbone vs onnxruntime-web (ort ms / ours ms)', byKey.onnxruntime_web.ms / byKey.ours_wasm.ms, 1, 'x');
// Issue 20's bars for detect against the backbone (issue 8 asked for 1.5x
// and closed blocked on it): at most 2.5x for classification, 4x for segmentation.
for (const [task, target] of [['classification', 2.5], ['segmentation', 4]]) {
  const r = endToEnd.find((e) => e.task === task && e.backend === defaultBackend && e.threads === 1);
  bar(`native ${defaultBackend} DetectAnomalies / backbone, 1 thread (${task}, same image)`, r?.detect_over_backbone,
      target, 'x', undefined, true);
}
const scaling = [];
for (const backend of backends) {
  const one = nativeRow(backend, 1);
  const two = nativeRow(backend, 2);
  const pairs = { 'backbone 224x224': ['backbone224', 'backbone_ms'], 'detect, classification': ['classification', 'detect_ms'],
                  'detect, segmentation': ['segmentation', 'detect_ms'] };
  for (const [what, [task, field]] of Object.entries(pairs)) {
    const speedup = two && !two[task].error && !one[task].error ? one[task][field] / two[task][field] : undefined;
    scaling.push({ backend, what, speedup });
    bar(`native ${backend} ${what}: 2 threads over 1`, speedup, 1.7, 'x',
        caps.threads ? 'not measured (2-thread run failed)' : 'not measured: anomalens_bench has no --threads yet');
  }
}

const report = {
  date: new Date().toISOString(), iterations, quick: args.quick, statistic: 'median',
  machine: { ...cpu, node: process.version, load_average: os.loadavg() },
  noise: 'a shared 2-core machine: other processes ran alongside, so figures are medians and still vary from run to run',
  network: { name: 'MobileNetV2 alpha 1.0 (nsfwjs@4.4.0), cut at block_10_project_BN', input: [224, 224, 3],
             multiply_adds: macs, flops, counted: 'convolution multiply-adds from the network definition (tools/backbone-onnx.mjs); ' +
             'bias, ReLU6 and residual adds excluded; one multiply-add = 2 flops' },
  peaks: peak,
  assumptions: [
    `clock: ${cpu.mhz.toFixed(0)} MHz, the larger of the measured clock (${cpu.measured_mhz.toFixed(0)} MHz: a chain of ` +
      'dependent integer adds and xors, one cycle each, best of 40 short ones at the start and at the end of the run; ' +
      `bench/cpu_clock.mjs) and /proc/cpuinfo's "cpu MHz" (${cpu.nominal_mhz} MHz, in a VM the host's nominal rate)`,
    'native XNNPACK and onnxruntime-node rows are set against the AVX2+FMA peak as the issue defines it; both libraries ' +
      'also have AVX-512 kernels, and this core has AVX-512F: fraction_of_avx512_peak sets them against 16 lanes',
    'the native portable build and every wasm row are set against the 128-bit SIMD peak (see peaks.simd128)',
    'native backbone rows are anomalens_bench\'s backbone_ms: the bare network on the one 224x224 tile (scale 1 model ' +
      'on a 224x224 image), as the Node rows time it',
    'ONNX peers take NCHW input; the NHWC to NCHW copy is made once outside the timing',
  ],
  anomalens_bench: { has_backend_flag: caps.backend, has_threads_flag: caps.threads },
  backbone: backboneRows,
  peers,
  end_to_end: { data: d.data, image: d.image, rows: endToEnd },
  training: {
    data: d.data, manifest_images: d.images,
    note: `anomalens train --manifest (${d.evaluation}); wall time of the whole command`,
    classification: { seconds: d.classification.seconds, peak_rss_mib: d.classification.peak_rss_mib },
    segmentation: { seconds: d.segmentation.seconds, peak_rss_mib: d.segmentation.peak_rss_mib },
  },
  thread_scaling: scaling,
  server: server && { ...server, note: 'bench/server_load.py: the server trains its own model from the manifest through ' +
                      'CreateModel (masks included, so segmentation) and hosts it; each client its own thread and connection' },
  bars,
};
writeFileSync(jsonPath, JSON.stringify(report, null, 2) + '\n');

// ---------------------------------------------------------------------------
// The table.

const f = (x, digits = 1) => (x === undefined ? '-' : x.toFixed(digits));
const pct = (x) => (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);
const lines = [];
const p = (s = '') => lines.push(s);
p(`anomalens benchmarks: ${cpu.model} (family ${cpu.family}), ${cpu.cores} cores, clock ${cpu.mhz.toFixed(0)} MHz ` +
  `(measured ${cpu.measured_mhz.toFixed(0)}, /proc/cpuinfo ${cpu.nominal_mhz}), ` +
  `${cpu.avx512f ? 'AVX-512F' : cpu.avx2 && cpu.fma ? 'AVX2+FMA' : 'SSE'}; Node ${process.version}`);
p(`medians of ${iterations}; shared machine (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}): figures are noisy`);
p();
p(`Backbone per image: ${report.network.name}, 224x224x3, ${(macs / 1e6).toFixed(1)} M multiply-adds, 1 thread`);
p(`peaks: AVX2+FMA ${f(peak['avx2-fma'].flops_per_second / 1e9)} GFLOP/s, AVX-512 ${f(peak.avx512.flops_per_second / 1e9)}, ` +
  `128-bit SIMD ${f(peak.simd128.flops_per_second / 1e9)}`);
p(`${'  run'.padEnd(44)} ${'ms'.padStart(8)} ${'vs tfjs'.padStart(9)} ${'% of peak'.padStart(10)}  peak`);
for (const r of backboneRows) {
  if (r.ms === undefined) { p(`  ${r.label.padEnd(42)} ${r.status}`); continue; }
  p(`  ${r.label.padEnd(42)} ${f(r.ms, 2).padStart(8)} ${`${f(r.speedup_vs_tfjs_wasm, 2)}x`.padStart(9)} ` +
    `${pct(r.fraction_of_peak).padStart(10)}  ${r.isa}${r.fraction_of_avx512_peak ? ` (${pct(r.fraction_of_avx512_peak)} of AVX-512)` : ''}`);
}
p();
p(`DetectAnomalies end to end (bytes to JSON), ${d.data}, ${d.image.split('/').pop()}`);
p(`${'  run'.padEnd(50)} ${'working'.padStart(9)} ${'backbone'.padStart(9)} ${'detect'.padStart(9)} ${'det/bb'.padStart(7)} ${'peak MiB'.padStart(9)}`);
for (const e of endToEnd) {
  if (e.status) { p(`  ${e.label.padEnd(48)} ${e.status}`); continue; }
  const ws = e.working_size ? e.working_size.join('x') : '-';
  const mem = e.peak_rss_mib ?? e.wasm_memory_mib;
  p(`  ${e.label.padEnd(48)} ${ws.padStart(9)} ${f(e.backbone_ms).padStart(9)} ${f(e.detect_ms).padStart(9)} ` +
    `${(e.detect_over_backbone ? f(e.detect_over_backbone, 2) : '-').padStart(7)} ${f(mem).padStart(9)}${e.wasm_memory_mib ? ' (wasm memory)' : ''}`);
}
p('  (ms; native backbone = features over all tiles at the working size; native peak = the bench process)');
p();
p(`Training, ${d.data}, ${d.images} manifest images (${d.evaluation}), native, wall time`);
p(`  classification (--ignore-masks)  ${f(d.classification.seconds, 2).padStart(8)} s   peak ${f(d.classification.peak_rss_mib)} MiB`);
p(`  segmentation (masks)             ${f(d.segmentation.seconds, 2).padStart(8)} s   peak ${f(d.segmentation.peak_rss_mib)} MiB`);
if (server?.error) {
  p();
  p(`Server throughput: failed: ${server.error}`);
} else if (server) {
  p();
  p(`Server: anomalens serve on ${server.data}, its own model trained through CreateModel (the manifest's masks make it ` +
    'segmentation), DetectAnomalies from boto3 clients on loopback');
  p('   clients    req/s  p50 ms  p99 ms  failed');
  for (const r of server.rows) {
    p(`  ${String(r.clients).padStart(8)} ${String(r.throughput_rps).padStart(8)} ${String(r.p50_ms).padStart(7)} ` +
      `${String(r.p99_ms).padStart(7)} ${String(r.failed).padStart(7)}`);
  }
} else {
  p();
  p('Server throughput: skipped (--quick); bench/server-load runs it alone');
}
p();
p('Bars (issues 8 and 20)');
for (const b of bars) {
  const show = (x) => (b.unit === 'fraction' ? pct(x) : `${f(x, 2)}x`);
  const target = `${b.lower_is_better ? '<=' : '>='} ${show(b.target)}`;
  const measured = b.value !== undefined;
  p(`  ${(measured ? b.status : '-').padEnd(5)} ${b.name.padEnd(84)} ${(measured ? show(b.value) : '').padStart(7)}  ` +
    `bar ${target}${measured ? '' : `  (${b.status})`}`);
}
console.log(lines.join('\n'));
console.log(`\nwrote ${jsonPath}`);
