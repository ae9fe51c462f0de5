// The anomalens CLI as scripts use it: spellings, output shapes, exit codes
// (0 ok, 2 bad usage or invalid input, 1 other failures) and error messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = process.env.ANOMALENS_CLI || join(repo, 'build', 'native', 'anomalens');
const built = existsSync(cli);
const skip = built ? false : `anomalens CLI not built at ${cli}; run tools/build`;

function run(...args) {
  const r = spawnSync(cli, args, { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir;
before(() => {
  if (!built) return;
  dir = mkdtempSync(join(tmpdir(), 'anomalens-cli-'));
  const r = run('synth', '--output', join(dir, 'data'), '--seed', '5', '--train-normal', '10', '--train-anomaly', '3',
                '--test-normal', '10', '--test-anomaly', '10');
  assert.equal(r.code, 0, r.stderr);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('every command answers --help with exit 0', { skip }, () => {
  for (const command of [[], ['train'], ['detect'], ['evaluate'], ['synth']]) {
    const r = run(...command, '--help');
    assert.equal(r.code, 0, `${command} --help`);
    assert.match(r.stdout, /usage/);
  }
});

test('bad usage exits 2 and names the problem', { skip }, () => {
  let r = run('train', '--manifest', 'x', '--bogus', '1');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option --bogus/);
  r = run('frobnicate');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  r = run('detect', 'only-a-model');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /give a MODEL and at least one IMAGE/);
  r = run('train', '--manifest', join(dir, 'data', 'train.manifest'), '--output', join(dir, 'm'), '--resolution', '9');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--resolution must be a number from 32/);
});

test('--exact-search is a switch of detect, evaluate and serve, not of train (always exact)', { skip }, () => {
  for (const command of ['detect', 'evaluate', 'serve']) {
    const r = run(command, 'model.anlm', '--exact-search=yes');
    assert.equal(r.code, 2, command);
    assert.match(r.stderr, /--exact-search takes no value/, command);
  }
  const r = run('train', '--manifest', 'x', '--output', 'y', '--exact-search');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option --exact-search/);
});

test('synth --scene names the valid scenes when given a bad one, and writes an MVTec folder', { skip }, () => {
  let r = run('synth', '--scene', 'marble', '--output', join(dir, 'marble'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown scene 'marble'; the scenes are: granular, brushed-metal, woven, circuit, long-strip, mixed-sizes, tiny-defects, circuit-640, or all/);
  assert.ok(!existsSync(join(dir, 'marble')), 'nothing written');
  r = run('synth', '--scene', 'woven', '--output', join(dir, 'woven'), '--train-anomaly', '2');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--train-anomaly applies to the plate set, not to --scene/);
  r = run('synth', '--scene', 'circuit', '--output', join(dir, 'circuit'), '--train-normal', '1', '--test-normal', '1',
          '--test-anomaly', '2');
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['train/good/000.png', 'test/good/000.png', 'test/pinhole/000.png', 'ground_truth/pinhole/000_mask.png',
                   'test/spur/000.png', 'ground_truth/spur/000_mask.png', 'SOURCE.md']) {
    assert.ok(existsSync(join(dir, 'circuit', f)), f);
  }
  // A second set into the same folder would mix with the first: refused.
  r = run('synth', '--scene', 'circuit', '--output', join(dir, 'circuit'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is not empty: synth --scene writes into a new or empty folder/);
});

test('train, detect and evaluate on the synthetic set', { skip }, () => {
  const model = join(dir, 'model.anlm');
  const evalJson = join(dir, 'eval.json');
  const evalManifest = join(dir, 'eval.manifest');
  let r = run('train', '--manifest', join(dir, 'data', 'train.manifest'), '--test-manifest',
              join(dir, 'data', 'test.manifest'), '--output', model, '--evaluation', evalJson,
              '--evaluation-manifest', evalManifest);
  assert.equal(r.code, 0, r.stderr);
  // Without --quick, train compares candidate configurations and says which it kept.
  assert.match(r.stderr, /configuration search \(\* chosen; compared on at most 40 normal images\):/);
  assert.match(r.stderr, /\n\* \d+ px, shared-bank, taps? 8/);
  assert.match(r.stderr, /normal model: shared-bank \(chosen by the configuration search/);
  const evaluation = JSON.parse(readFileSync(evalJson, 'utf8'));
  assert.equal(evaluation.Version, 1);
  assert.equal(evaluation.EvaluationDetails.NumberOfTestingImages, 20);
  const metrics = evaluation.AggregatedEvaluationResults.Metrics;
  // The synthetic masks carry an internal-color-map: a segmentation model,
  // so Lookout's per-label metrics follow the classification ones.
  assert.deepEqual(Object.keys(metrics),
                   ['ROCAUC', 'AveragePrecision', 'Precision', 'Recall', 'F1Score', 'PixelAnomalyClassMetrics']);
  assert.ok(metrics.ROCAUC >= 0.9, `synthetic ROCAUC ${metrics.ROCAUC}`);
  assert.deepEqual(metrics.PixelAnomalyClassMetrics.map((c) => c.ClassName).sort(), ['dent', 'scratch', 'stain']);
  for (const c of metrics.PixelAnomalyClassMetrics) {
    assert.deepEqual(Object.keys(c), ['Precision', 'Recall', 'F1Score', 'AIOU', 'ClassName']);
  }
  const lines = readFileSync(evalManifest, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 20);
  for (const line of lines) {
    assert.ok(line['anomaly-label-detected'] === 0 || line['anomaly-label-detected'] === 1);
    assert.equal(line['anomaly-label-detected-metadata']['human-annotated'], 'no');
    assert.ok(line['source-ref'].startsWith('images/'), 'source-ref kept as written');
  }

  r = run('detect', model, join(dir, 'data', 'images', 'normal-11.png'), join(dir, 'data', 'images', 'anomaly-4.png'));
  assert.equal(r.code, 0, r.stderr);
  const results = r.stdout.trim().split('\n');
  assert.equal(results.length, 2);
  for (const line of results) {
    assert.match(line, /^\{"DetectAnomalyResult":\{"Source":\{"Type":"direct"\},"IsAnomalous":(true|false),"Confidence":[0-9.e-]+,"Anomalies":\[.*\],"AnomalyMask":"[A-Za-z0-9+/=]+"\}\}$/);
    const result = JSON.parse(line).DetectAnomalyResult;
    assert.ok(result.Confidence >= 0.5 && result.Confidence <= 1, `confidence ${result.Confidence}`);
    assert.equal(result.Anomalies[0].Name, 'background');
    assert.equal(result.IsAnomalous, result.Anomalies.length > 1, 'IsAnomalous agrees with the types found');
    const png = Buffer.from(result.AnomalyMask, 'base64');
    assert.equal(png.readUInt32BE(16), 320, 'mask width is the image width');
    assert.equal(png.readUInt32BE(20), 240, 'mask height is the image height');
  }
  assert.equal(JSON.parse(results[0]).DetectAnomalyResult.IsAnomalous, false, 'normal-11 is normal');
  assert.equal(JSON.parse(results[1]).DetectAnomalyResult.IsAnomalous, true, 'anomaly-4 is anomalous');

  r = run('evaluate', model, '--manifest', join(dir, 'data', 'test.manifest'), '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).AggregatedEvaluationResults.Metrics.ROCAUC, metrics.ROCAUC);
});

test('detect --mask-dir writes each AnomalyMask as a PNG file and leaves the JSON as it was', { skip }, () => {
  const model = join(dir, 'model.anlm');
  const images = [join(dir, 'data', 'images', 'normal-11.png'), join(dir, 'data', 'images', 'anomaly-4.png')];
  const plain = run('detect', model, ...images);
  const masks = join(dir, 'masks', 'nested');
  const r = run('detect', model, ...images, '--mask-dir', masks);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, plain.stdout, "the JSON lines are Lookout's exact answer either way");
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l).DetectAnomalyResult);
  assert.deepEqual(readFileSync(join(masks, 'normal-11-mask.png')), Buffer.from(lines[0].AnomalyMask, 'base64'));
  assert.deepEqual(readFileSync(join(masks, 'anomaly-4-mask.png')), Buffer.from(lines[1].AnomalyMask, 'base64'));
  // The same name twice: the second keeps its argument number.
  const twice = run('detect', model, images[1], images[1], '--mask-dir', masks);
  assert.equal(twice.code, 0, twice.stderr);
  assert.ok(existsSync(join(masks, 'anomaly-4-2-mask.png')), 'a repeated name is numbered');
  const none = run('detect', model, images[0], '--mask-dir', '');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--mask-dir needs a folder/);
});

test('detect rejects bad images with exit 2, and still answers the good ones', { skip }, () => {
  const model = join(dir, 'model.anlm');
  const bad = join(dir, 'truncated.png');
  writeFileSync(bad, readFileSync(join(dir, 'data', 'images', 'normal-1.png')).subarray(0, 200));
  const good = join(dir, 'data', 'images', 'normal-12.png');
  let r = run('detect', model, bad, good);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /truncated\.png: .*(corrupt|truncated)/i);
  assert.equal(r.stdout.trim().split('\n').length, 1, 'the good image is still answered');
  r = run('detect', model, good, '--content-type', 'image/jpeg');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /content type is image\/jpeg but the bytes are a PNG/);
  r = run('detect', model, good, '--content-type', 'image/gif');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /must be image\/png or image\/jpeg/);
});

test('a corrupt model file is rejected with exit 2', { skip }, () => {
  const model = readFileSync(join(dir, 'model.anlm'));
  const corrupt = join(dir, 'corrupt.anlm');
  const copy = Buffer.from(model);
  copy[copy.length >> 1] ^= 0xff;
  writeFileSync(corrupt, copy);
  const r = run('detect', corrupt, join(dir, 'data', 'images', 'normal-12.png'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /checksum mismatch/);
});

test("Lookout's minimum image counts are enforced with a clear error", { skip }, () => {
  const r = run('train', '--manifest', join(dir, 'data', 'test.manifest'), '--output', join(dir, 'small.anlm'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /20 normal/);
  assert.ok(!existsSync(join(dir, 'small.anlm')), 'no model written');
});

// The most common start: a folder of good parts and nothing else, as
// normal/ alone or as MVTec's train/good alone.
test('a dataset of normal images only trains, and says where its threshold comes from', { skip }, () => {
  const root = join(dir, 'normal-only');
  mkdirSync(root);
  let r = run('synth', '--output', join(root, 'synth'), '--seed', '9', '--train-normal', '20', '--train-anomaly', '0',
              '--test-normal', '0', '--test-anomaly', '0');
  assert.equal(r.code, 0, r.stderr);
  const images = readFileSync(join(root, 'synth', 'train.manifest'), 'utf8').trim().split('\n')
    .map((line) => join(root, 'synth', JSON.parse(line)['source-ref']));
  assert.equal(images.length, 20);
  for (const folder of ['plain/normal', 'mvtec/train/good']) {
    mkdirSync(join(root, folder), { recursive: true });
    images.forEach((p, i) => copyFileSync(p, join(root, folder, `good-${i}.png`)));
  }
  r = run('train', '--dataset', join(root, 'plain'), '--output', join(root, 'plain.anlm'), '--false-positive-rate', '0.02',
          '--quick');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /trained on 16 normal \+ 0 anomalous images/);
  assert.match(r.stderr, /no labelled anomalies were given to training, so the threshold comes from normal images only/);
  assert.match(r.stderr, /expected false-positive rate of 2% on normal images \(--false-positive-rate 0\.02\); \d+ of 16 held-out normal images score above it/);
  r = run('train', '--dataset', join(root, 'mvtec'), '--output', join(root, 'mvtec.anlm'), '--quiet');
  assert.equal(r.code, 0, r.stderr);
  const metadata = readFileSync(join(root, 'mvtec.anlm')).toString('latin1');
  assert.match(metadata, /"false_positive_rate":0\.03[,}]/);
  assert.match(metadata, /"threshold_rule":"normal-false-positive-rate"/);
  // Too few, and a rate out of range: clear errors naming the limit.
  mkdirSync(join(root, 'few', 'normal'), { recursive: true });
  images.slice(0, 12).forEach((p, i) => copyFileSync(p, join(root, 'few', 'normal', `good-${i}.png`)));
  r = run('train', '--dataset', join(root, 'few'), '--output', join(root, 'x.anlm'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /the dataset has 12 normal images; a normal-only dataset needs at least 20 normal images/);
  for (const rate of ['0', '0.5', 'x']) {
    r = run('train', '--dataset', join(root, 'plain'), '--output', join(root, 'x.anlm'), '--false-positive-rate', rate);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`--false-positive-rate must be a number above 0 and below 0\\.5; got '${rate}'`));
  }
  assert.ok(!existsSync(join(root, 'x.anlm')), 'no model written');
});

test('bad masks stop training with the manifest line named', { skip }, () => {
  const data = join(dir, 'data');
  const lines = readFileSync(join(data, 'train.manifest'), 'utf8').trim().split('\n');
  const index = lines.findIndex((l) => JSON.parse(l)['anomaly-mask-ref']);
  const entry = JSON.parse(lines[index]);
  const variants = [
    // Mask pixels of a colour its internal-color-map does not declare.
    ['colour', (e) => { e['anomaly-mask-ref-metadata']['internal-color-map']['0'] = { 'class-name': 'unlisted', 'hex-color': '#123456' }; },
     /manifest line \d+ .*colours outside its internal-color-map, the first #[0-9A-F]{6} at x=\d+, y=\d+; the map declares unlisted #123456/],
    // A mask file that is not there.
    ['missing', (e) => { e['anomaly-mask-ref'] = 'masks/no-such-mask.png'; }, /manifest line \d+: mask 'masks\/no-such-mask\.png' not found/],
    // A mask of another size than its image.
    ['size', (e) => { e['anomaly-mask-ref'] = 'images/small-mask.png'; }, /manifest line \d+ .*mask is 64x64 but its image is 320x240/],
  ];
  // A 64x64 opaque black PNG: valid, but of the wrong size.
  const run64 = run('synth', '--output', join(dir, 'small'), '--width', '64', '--height', '64', '--train-normal', '1',
                    '--train-anomaly', '0', '--test-normal', '0', '--test-anomaly', '0');
  assert.equal(run64.code, 0, run64.stderr);
  writeFileSync(join(data, 'images', 'small-mask.png'), readFileSync(join(dir, 'small', 'images', 'normal-1.png')));
  for (const [name, change, message] of variants) {
    const e = structuredClone(entry);
    change(e);
    const copy = [...lines];
    copy[index] = JSON.stringify(e);
    const manifest = join(data, `bad-${name}.manifest`);
    writeFileSync(manifest, copy.join('\n') + '\n');
    const output = join(dir, `bad-${name}.anlm`);
    const r = run('train', '--manifest', manifest, '--test-manifest', join(data, 'test.manifest'), '--output', output);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message, name);
    assert.match(r.stderr, new RegExp(`manifest line ${index + 1}\\b`), `${name}: the line number`);
    assert.ok(!existsSync(output), `${name}: no model written`);
  }
});
