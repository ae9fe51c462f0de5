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
import { bestF1, f1At, manifestScores, median, modelMetadata, normalQuantile, robustSd as robustSdOf } from './normal_only_scores.mjs';

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

const meta = modelMetadata(modelPath);
const { threshold, confidence_scale: tau } = meta;
const normals = meta.stats.calibration_normal_scores;

const med = median(normals);
const robustSd = robustSdOf(normals);

const evaluated = sets.map((spec) => {
  const at = spec.indexOf('=');
  return { name: spec.slice(0, at), rows: manifestScores(spec.slice(at + 1), threshold, tau) };
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
