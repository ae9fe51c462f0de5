// What the normal-only threshold benches share: a model file's metadata, the
// rule's statistics (median, robust sd, Acklam's inverse normal CDF as
// core/model/calibration.cc), the images' scores recovered from an
// evaluation manifest, and F1 at a threshold.
import { readFileSync } from 'node:fs';

// The model file's metadata JSON (docs/model-file-format.md).
export function modelMetadata(modelPath) {
  const bytes = readFileSync(modelPath);
  if (bytes.toString('latin1', 0, 4) !== 'ANLM') throw new Error(`${modelPath} is not an anomalens model file`);
  return JSON.parse(bytes.toString('utf8', 12, 12 + bytes.readUInt32LE(8)));
}

export const sorted = (v) => [...v].sort((a, b) => a - b);
export const median = (v) => {
  const s = sorted(v), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
// 1.4826 x the median absolute deviation: the rule's robust sd.
export const robustSd = (v) => { const m = median(v); return 1.4826 * median(v.map((x) => Math.abs(x - m))); };

export function normalQuantile(p) {
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

// The images of an evaluation manifest with their scores, recovered from the
// decision and the confidence: confidence = sigmoid(|score - threshold| / tau),
// so score = threshold +- tau x logit(confidence).
export function manifestScores(path, threshold, tau) {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => {
    const e = JSON.parse(line);
    const conf = e['anomaly-label-detected-metadata'].confidence;
    const distance = tau * Math.log(conf / (1 - conf));
    return { label: e['anomaly-label'], score: e['anomaly-label-detected'] === 1 ? threshold + distance : threshold - distance };
  });
}

export function f1At(rows, t) {
  let tp = 0, fp = 0, fn = 0;
  for (const r of rows) {
    const called = r.score >= t;
    if (called && r.label === 1) tp += 1;
    else if (called) fp += 1;
    else if (r.label === 1) fn += 1;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0, recall = tp + fn ? tp / (tp + fn) : 0;
  return { f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, precision, recall, tp, fp };
}

// The best F1 any threshold gives on these rows.
export const bestF1 = (rows) => Math.max(...rows.map((r) => f1At(rows, r.score).f1));
