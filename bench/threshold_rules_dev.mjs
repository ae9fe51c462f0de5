// Candidate normal-only threshold rules (core/model/calibration.h) compared
// on dev sets, offline: each model's held-out normal calibration scores (in
// the model file) give each rule's threshold at rate R; the evaluation
// manifests give the dev images' scores (recovered from decision and
// confidence, as bench/threshold_normal_only.mjs). Prints, per rule, how many
// dev sets reach F1 >= 0.8 x their best F1, the worst and mean ratio, and the
// defects caught / normals flagged; with --per-set, each set's ratio. Also
// the fold-size check (hypothesis 1): the held-out normals' median and robust
// sd beside the fresh dev normals'.
//
//   node bench/threshold_rules_dev.mjs [--rate 0.03] [--per-set] MODEL.anlm=NAME:EVAL.manifest[,NAME:EVAL.manifest]...
//
// Dev data only (bench/threshold-scenes-dev's seeds 2 and 3, the cookies'
// train split, bsdata's dev part): never pass a test split.
import { bestF1, f1At, manifestScores, median, modelMetadata, normalQuantile, robustSd as mad, sorted } from './normal_only_scores.mjs';

const args = process.argv.slice(2);
let rate = 0.03, perSet = false;
const specs = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--rate') rate = Number(args[++i]);
  else if (args[i] === '--per-set') perSet = true;
  else specs.push(args[i]);
}

// Empirical quantile, linear interpolation between order statistics (type 7).
const quantile = (v, p) => {
  const s = sorted(v), h = (s.length - 1) * p, lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
};
// Harrell-Davis quantile: a Beta-weighted mean of all order statistics.
function lbeta(a, b) { return lgamma(a) + lgamma(b) - lgamma(a + b); }
function lgamma(x) {  // Lanczos
  const g = 7, c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; ++i) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
function betaCdf(x, a, b) {  // numeric integration, fine for a plot-free bench
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const steps = 4000, lb = lbeta(a, b);
  let sum = 0;
  for (let i = 0; i < steps; ++i) {
    const u = x * (i + 0.5) / steps;
    sum += Math.exp((a - 1) * Math.log(u) + (b - 1) * Math.log(1 - u) - lb);
  }
  return sum * x / steps;
}
function harrellDavis(v, p) {
  const s = sorted(v), n = s.length, a = p * (n + 1), b = (1 - p) * (n + 1);
  let q = 0, prev = 0;
  for (let i = 1; i <= n; ++i) {
    const cur = betaCdf(i / n, a, b);
    q += (cur - prev) * s[i - 1];
    prev = cur;
  }
  return q;
}
const z = normalQuantile(1 - rate);
// The rules: each maps held-out normal scores to a threshold at rate R.
const rules = {
  'median+z*MAD (current)': (s) => median(s) + z * mad(s),
  'empirical quantile': (s) => quantile(s, 1 - rate),
  'Harrell-Davis quantile': (s) => harrellDavis(s, 1 - rate),
  'mean+z*sd': (s) => { const m = s.reduce((x, y) => x + y, 0) / s.length;
    return m + z * Math.sqrt(s.reduce((x, y) => x + (y - m) ** 2, 0) / (s.length - 1)); },
  'log scores: median+z*MAD': (s) => (s.every((x) => x > 0) ? Math.exp(median(s.map(Math.log)) + z * mad(s.map(Math.log))) : NaN),
  'upper-half MAD': (s) => { const m = median(s); const up = s.filter((x) => x >= m).map((x) => x - m);
    return m + z * 1.4826 * median(up); },  // the upper half's own spread
  'median+z*(Q84-median)': (s) => median(s) + z * (quantile(s, 0.8413) - median(s)),
  'mean(current, HD quantile)': (s) => (rules['median+z*MAD (current)'](s) + harrellDavis(s, 1 - rate)) / 2,
  'max(current, HD quantile)': (s) => Math.max(rules['median+z*MAD (current)'](s), harrellDavis(s, 1 - rate)),
  'min(current, HD quantile)': (s) => Math.min(rules['median+z*MAD (current)'](s), harrellDavis(s, 1 - rate)),
};

const sets = [];
for (const spec of specs) {
  const at = spec.indexOf('=');
  const modelPath = spec.slice(0, at);
  const meta = modelMetadata(modelPath);
  const normals = meta.stats.calibration_normal_scores;
  for (const part of spec.slice(at + 1).split(',')) {
    const [name, path] = part.split(':');
    const rows = manifestScores(path, meta.threshold, meta.confidence_scale);
    sets.push({ name, model: modelPath, normals, modelThreshold: meta.threshold, rows, best: bestF1(rows) });
  }
}
const f = (x) => x.toFixed(3);
console.log(`R = ${rate}, z = ${f(z)}, ${sets.length} dev sets`);
console.log('fold-size check: set, held-out n, median, robust sd | fresh normals n, median, robust sd | model threshold');
for (const s of sets) {
  const fresh = s.rows.filter((r) => r.label === 0).map((r) => r.score);
  console.log(`  ${s.name}\t${s.normals.length}\t${f(median(s.normals))}\t${f(mad(s.normals))}\t| ${fresh.length}\t${f(median(fresh))}\t${f(mad(fresh))}\t| ${f(s.modelThreshold)}`);
}
const table = [['model threshold (as trained)', () => null], ...Object.entries(rules)];
for (const [name, rule] of table) {
  let pass = 0, worst = Infinity, sum = 0, tp = 0, fp = 0;
  const per = [];
  for (const s of sets) {
    const t = rule(s.normals) ?? s.modelThreshold;
    const m = f1At(s.rows, t);
    const ratio = s.best > 0 ? m.f1 / s.best : 1;
    pass += ratio >= 0.8;
    worst = Math.min(worst, ratio);
    sum += ratio;
    tp += m.tp, fp += m.fp;
    per.push(`${s.name} ${f(ratio)}`);
  }
  console.log(`${name.padEnd(30)}\t${pass}/${sets.length} >= 0.8\tworst ${f(worst)}\tmean ${f(sum / sets.length)}\tcaught ${tp}\tnormals flagged ${fp}`);
  if (perSet) console.log('    ' + per.join(', '));
}
