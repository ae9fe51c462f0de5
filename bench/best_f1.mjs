// The best F1 any image threshold would give on a test set, beside the F1 of
// the threshold the model chose: it measures the threshold rule apart from the
// ranking. Reads the evaluation manifest `anomalens train --evaluation-manifest`
// (or `evaluate --evaluation-manifest`) writes. Each image's rank comes from
// its decision and confidence (confidence rises with the score's distance
// from the threshold on either side, so it orders images as the score does,
// up to ties where it rounds to 1); tied images move together, as one
// threshold cannot split them.
//
//   node bench/best_f1.mjs EVAL.manifest
//   # prints: best_f1 threshold_f1 image_rocauc ties
import { readFileSync } from 'node:fs';

export function readRanks(path) {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => {
    const e = JSON.parse(line);
    const conf = e['anomaly-label-detected-metadata'].confidence;
    return { label: e['anomaly-label'], detected: e['anomaly-label-detected'],
             rank: e['anomaly-label-detected'] === 1 ? 1 + conf : 1 - conf };
  });
}

function f1(tp, fp, fn) {
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

// The best F1 over every cut between distinct ranks (anomalous: rank >= cut).
export function bestF1(rows) {
  const positives = rows.filter((r) => r.label === 1).length;
  const cuts = [...new Set(rows.map((r) => r.rank))].sort((a, b) => a - b);
  let best = 0;
  for (const cut of cuts) {
    let tp = 0, fp = 0;
    for (const r of rows) if (r.rank >= cut) (r.label === 1 ? tp++ : fp++);
    best = Math.max(best, f1(tp, fp, positives - tp));
  }
  return best;
}

export function thresholdF1(rows) {
  let tp = 0, fp = 0, fn = 0;
  for (const r of rows) {
    if (r.detected === 1 && r.label === 1) tp++;
    else if (r.detected === 1) fp++;
    else if (r.label === 1) fn++;
  }
  return f1(tp, fp, fn);
}

export function rocAuc(rows) {
  let pairs = 0, wins = 0;
  for (const a of rows) if (a.label === 1) for (const n of rows) if (n.label === 0) {
    pairs += 1;
    wins += a.rank > n.rank ? 1 : a.rank === n.rank ? 0.5 : 0;
  }
  return wins / pairs;
}

if (process.argv[1] && process.argv[1].endsWith('best_f1.mjs')) {
  const rows = readRanks(process.argv[2]);
  const ties = rows.length - new Set(rows.map((r) => r.rank)).size;
  const f = (x) => x.toFixed(4);
  console.log(f(bestF1(rows)), f(thresholdF1(rows)), f(rocAuc(rows)), ties);
}
