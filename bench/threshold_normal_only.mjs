// The normal-only threshold rule (core/model/calibration.h) measured at
// several false-positive rates R, from one trained model: its held-out
// normal calibration scores (in the model file) give each R's threshold,
// median + z(1 - R) x 1.4826 MAD, and evaluation manifests give the images'
// scores, recovered from decision and confidence (confidence =
// sigmoid(|score - threshold| / tau), so score = threshold +- tau x
// logit(confidence)). Prints, per R: the threshold, the share of held-out
// normal calibration scores above it, and F1 (with precision and recall) on
// each evaluation manifest given, plus the best F1 any threshold gives there.
//
//   node bench/threshold_normal_only.mjs MODEL.anlm NAME=EVAL.manifest... [--rates 0.001,0.005,...]
//
// Choose R on a dev set (bench/threshold-normal-only runs it on the cookies'
// train.manifest split and the bsdata-pitting dev part), never on the test set.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
let rates = [0.00135, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05];
const ratesAt = args.indexOf('--rates');
if (ratesAt >= 0) {
  rates = args[ratesAt + 1].split(',').map(Number);
  args.splice(ratesAt, 2);
}
const [modelPath, ...sets] = args;
if (!modelPath || sets.length === 0) {
  console.error('usage: node bench/threshold_normal_only.mjs MODEL.anlm NAME=EVAL.manifest... [--rates R,R,...]');
  process.exit(2);
}

// The model file's metadata JSON (docs/model-file-format.md).
const bytes = readFileSync(modelPath);
if (bytes.toString('latin1', 0, 4) !== 'ANLM') throw new Error(`${modelPath} is not an anomalens model file`);
const meta = JSON.parse(bytes.toString('utf8', 12, 12 + bytes.readUInt32LE(8)));
const { threshold, confidence_scale: tau } = meta;
const normals = meta.stats.calibration_normal_scores;

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const med = median(normals);
const robustSd = 1.4826 * median(normals.map((x) => Math.abs(x - med)));

// Acklam's inverse normal CDF, as core/model/calibration.cc.
function normalQuantile(p) {
  const a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
  const b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
  const c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
  const d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
  const tail = (q) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

function scoresOf(path) {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => {
    const e = JSON.parse(line);
    const conf = e['anomaly-label-detected-metadata'].confidence;
    const distance = tau * Math.log(conf / (1 - conf));
    return { label: e['anomaly-label'], score: e['anomaly-label-detected'] === 1 ? threshold + distance : threshold - distance };
  });
}

function f1At(rows, t) {
  let tp = 0, fp = 0, fn = 0;
  for (const r of rows) {
    const called = r.score >= t;
    if (called && r.label === 1) tp += 1;
    else if (called) fp += 1;
    else if (r.label === 1) fn += 1;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0, recall = tp + fn ? tp / (tp + fn) : 0;
  return { f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, precision, recall, fp };
}

const bestF1 = (rows) => Math.max(...rows.map((r) => f1At(rows, r.score).f1));

const evaluated = sets.map((spec) => {
  const at = spec.indexOf('=');
  return { name: spec.slice(0, at), rows: scoresOf(spec.slice(at + 1)) };
});
const f = (x) => x.toFixed(4);
console.log(`model ${modelPath}: rule ${meta.threshold_rule}, ${normals.length} held-out normal scores, median ${f(med)}, robust sd ${f(robustSd)}`);
for (const { name, rows } of evaluated) {
  const n = rows.filter((r) => r.label === 0).length;
  const own = f1At(rows, threshold), best = bestF1(rows);
  console.log(`  ${name}: ${n} normal + ${rows.length - n} anomalous images; at the model's threshold F1 ${f(own.f1)} ` +
              `(precision ${f(own.precision)}, recall ${f(own.recall)}, ${own.fp} false positives); ` +
              `best F1 over any threshold ${f(best)}; ratio ${f(own.f1 / best)}`);
}
console.log(['R', 'z', 'threshold', 'heldOutFPR', ...evaluated.map((e) => `${e.name}:F1 P R FP`)].join('\t'));
for (const rate of rates) {
  const z = normalQuantile(1 - rate);
  const t = med + z * robustSd;
  const heldOut = normals.filter((s) => s >= t).length / normals.length;
  const cols = evaluated.map(({ rows }) => {
    const m = f1At(rows, t);
    return `${f(m.f1)} ${f(m.precision)} ${f(m.recall)} ${m.fp}`;
  });
  console.log([rate, f(z), f(t), f(heldOut), ...cols].join('\t'));
}
