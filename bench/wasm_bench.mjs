// The npm package on the wasm build: DetectAnomalies time per image, in-wasm
// training time, and WebAssembly memory and resident set over repeated
// trainings and a long detect loop (flat once warm, or repeated calls leak).
// Driven by bench/wasm.
//
//   node bench/wasm_bench.mjs --model M --image I [--iterations 20] [--calls 1000]
//        [--train-manifest F] [--json OUT]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Anomalens } from '../npm/index.mjs';

const { values: args } = parseArgs({ options: {
  model: { type: 'string' }, image: { type: 'string' }, iterations: { type: 'string', default: '20' },
  calls: { type: 'string', default: '1000' }, 'train-manifest': { type: 'string' }, json: { type: 'string' } } });
const mib = (bytes) => bytes / (1 << 20);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const contentType = (path) => (/\.png$/i.test(path) ? 'image/png' : 'image/jpeg');

const lv = await Anomalens.create();
const model = await lv.loadModel(readFileSync(args.model));
const request = { Body: readFileSync(args.image), ContentType: contentType(args.image) };
const json = model.detectAnomaliesJson(request);  // warm-up
const times = [];
for (let i = 0; i < Number(args.iterations); ++i) {
  const t = performance.now();
  model.detectAnomaliesJson(request);
  times.push(performance.now() - t);
}
const report = { detect_ms_median: median(times), iterations: times.length, result: json };

if (args['train-manifest']) {
  // Every manifest image trains (the CLI's --manifest alone holds 20% out).
  const manifest = resolve(args['train-manifest']);
  const lines = readFileSync(manifest, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const dataset = lines.map((e) => {
    const ref = e['source-ref'];
    // Paths are relative to the manifest's folder or its parent, as for the CLI.
    const path = [join(dirname(manifest), ref), join(dirname(manifest), '..', ref)].find((p) => existsSync(p)) ?? ref;
    return { Body: readFileSync(path), ContentType: contentType(path),
             Label: e['anomaly-label-metadata']?.['class-name'] === 'anomaly' || e['anomaly-label'] === 1 ? 'anomaly' : 'normal' };
  });
  const t = performance.now();
  await lv.train(dataset);
  Object.assign(report, { train_seconds: (performance.now() - t) / 1000, train_images: dataset.length });
  // A second training must reuse the memory the first one grew.
  const grown = lv.memoryBytes;
  await lv.train(dataset);
  report.train_memory_mib = [mib(grown), mib(lv.memoryBytes)];
}

const calls = Number(args.calls);
const samples = [];
for (let i = 1; i <= calls; ++i) {
  model.detectAnomaliesJson(request);
  if (i === 10 || i === calls || i % Math.max(1, Math.floor(calls / 5)) === 0) {
    samples.push({ calls: i, wasm_mib: mib(lv.memoryBytes), rss_mib: mib(process.memoryUsage().rss) });
  }
}
report.memory = samples;
model.dispose();
lv.dispose();

console.log(`${'DetectAnomalies end to end, wasm (median)'.padEnd(44)} ${report.detect_ms_median.toFixed(2).padStart(10)} ms`);
if (report.train_seconds !== undefined) {
  console.log(`${`training in wasm (${report.train_images} images)`.padEnd(44)} ${report.train_seconds.toFixed(2).padStart(10)} s`);
  console.log(`${'wasm memory after 1st / 2nd training'.padEnd(44)} ${report.train_memory_mib[0].toFixed(1).padStart(10)} / ${report.train_memory_mib[1].toFixed(1)} MiB`);
}
for (const s of samples) {
  console.log(`${`after ${s.calls} detects: wasm memory / rss`.padEnd(44)} ${s.wasm_mib.toFixed(1).padStart(10)} / ${s.rss_mib.toFixed(1)} MiB`);
}
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
