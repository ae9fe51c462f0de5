// Image ROCAUC of a bsdata-pitting evaluation on the pitting study's dev and
// holdout parts (DevHoldout, tools/research/pitting_study/dev_holdout.h):
// test/ split by wear sequence (the position and angle in
// `01_<time>_<position>_<angle>_...`),
// sorted sequences alternating dev, holdout, dev, ... Reads the evaluation
// manifest `anomalens train --evaluation-manifest` writes; each image's rank
// comes from its decision and confidence (confidence rises with the score's
// distance from the threshold on either side, so it orders images as the
// score does, up to ties where it rounds to 1).
//
//   node bench/pitting_dev_holdout.mjs EVAL.manifest   # prints: dev holdout full ties
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2], 'utf8').trim().split('\n').map((line) => {
  const e = JSON.parse(line);
  const name = e['source-ref'].split('/').pop();
  const f = name.split('_');
  const conf = e['anomaly-label-detected-metadata'].confidence;
  return { seq: f.length > 3 ? `${f[2]}_${f[3]}` : name, label: e['anomaly-label'],
           rank: e['anomaly-label-detected'] === 1 ? conf : 1 - conf };
});
const seqs = [...new Set(rows.map((r) => r.seq))].sort();
const part = (r) => (seqs.indexOf(r.seq) % 2 === 0 ? 'dev' : 'holdout');
function rocAuc(set) {
  let pairs = 0, wins = 0;
  for (const a of set) if (a.label === 1) for (const n of set) if (n.label === 0) {
    pairs += 1;
    wins += a.rank > n.rank ? 1 : a.rank === n.rank ? 0.5 : 0;
  }
  return wins / pairs;
}
const ranks = rows.map((r) => r.rank);
const ties = ranks.length - new Set(ranks).size;
const f = (x) => x.toFixed(4);
console.log(f(rocAuc(rows.filter((r) => part(r) === 'dev'))), f(rocAuc(rows.filter((r) => part(r) === 'holdout'))),
            f(rocAuc(rows)), ties);
