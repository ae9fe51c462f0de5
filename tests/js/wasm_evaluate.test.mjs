// The package's evaluation and dataset helpers (what the inspection page
// uses), against the native CLI: model.evaluate's EvaluationResult metrics
// are `anomalens evaluate`'s, parseManifest reads (and rejects) manifests as
// the CLI does, splitDataset holds out the images `anomalens train` holds
// out, and datasetMinimumsMessage gives Lookout's minimums.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { makeDataset, NPM_DIR, runCli, skipReason, stagePackage } from './wasm_support.mjs';

const skip = skipReason();
const METRICS = ['ROCAUC', 'AveragePrecision', 'Precision', 'Recall', 'F1Score'];

describe('anomalens package: evaluation and dataset rules', { skip }, () => {
  let api, lv, set, model;

  before(async () => {
    stagePackage();
    api = await import(pathToFileURL(join(NPM_DIR, 'index.mjs')).href);
    set = makeDataset();
    lv = await api.Anomalens.create();
    model = await lv.loadModel(readFileSync(set.model));
  });

  after(() => {
    lv?.dispose();
    if (set) rmSync(set.dir, { recursive: true, force: true });
  });

  const item = (entry) => ({ Body: readFileSync(entry.path), ContentType: 'image/png', Label: entry.label });

  test('evaluate gives the metrics `anomalens evaluate` gives, and each image\'s result', async () => {
    const progress = [];
    const evaluation = await model.evaluate(set.test.map(item), { onProgress: (p) => progress.push(p), modelArn: 'm' });
    const cli = runCli('evaluate', set.model, '--manifest', join(set.data, 'test.manifest'), '--quiet');
    assert.equal(cli.code, 0, cli.stderr);
    const want = JSON.parse(cli.stdout).AggregatedEvaluationResults.Metrics;
    const got = evaluation.EvaluationResult.AggregatedEvaluationResults.Metrics;
    for (const key of METRICS) assert.equal(got[key], want[key], key);
    assert.equal(evaluation.EvaluationResult.EvaluationDetails.ModelArn, 'm');
    assert.equal(evaluation.Images.length, set.test.length);
    for (const [i, image] of evaluation.Images.entries()) {
      const detect = runCli('detect', set.model, set.test[i].path);
      const expected = JSON.parse(detect.stdout).DetectAnomalyResult;
      assert.equal(image.DetectAnomalyResult.IsAnomalous, expected.IsAnomalous);
      assert.equal(image.DetectAnomalyResult.Confidence, expected.Confidence);
      assert.equal(image.Correct, expected.IsAnomalous === (set.test[i].label === 'anomaly'));
    }
    assert.deepEqual(progress.at(-1), { stage: 'evaluation', done: set.test.length, total: set.test.length });
  });

  test('evaluate: bad items are ValidationExceptions; an aborted signal stops it', async () => {
    await assert.rejects(model.evaluate([{ Body: new Uint8Array(4), Label: 'anomaly' }]), { name: 'ValidationException' });
    await assert.rejects(model.evaluate([{ ...item(set.test[0]), Label: 'bad' }]), { name: 'ValidationException', message: /test item 0/ });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(model.evaluate(set.test.map(item), { signal: controller.signal }), { name: 'AbortError' });
    // Without both labels ROCAUC is undefined: null, not a made-up number.
    const normals = set.test.filter((e) => e.label === 'normal').map(item);
    const { EvaluationResult } = await model.evaluate(normals);
    assert.equal(EvaluationResult.AggregatedEvaluationResults.Metrics.ROCAUC, null);
  });

  test('parseManifest reads a manifest as the CLI does and names the bad line', () => {
    const entries = lv.parseManifest(readFileSync(join(set.data, 'train.manifest'), 'utf8'));
    assert.deepEqual(entries.map((e) => [e.sourceRef, e.label]), set.train.map((e) => [e.path.slice(set.data.length + 1), e.label]));
    const line = '{"source-ref": "a.png", "anomaly-label": 1, "anomaly-mask-ref": "m.png", ' +
      '"anomaly-mask-ref-metadata": {"internal-color-map": {"0": {"class-name": "cracked", "hex-color": "#23a436"}}}}';
    assert.deepEqual(lv.parseManifest(line), [{ sourceRef: 'a.png', label: 'anomaly', maskRef: 'm.png', colorMap: { cracked: '#23A436' } }]);
    assert.throws(() => lv.parseManifest('{"source-ref": "a.png", "anomaly-label": 1}\n{"source-ref": "b.png"}'),
                  { name: 'ValidationException', message: /^manifest line 2: / });
    assert.throws(() => lv.parseManifest(42), { name: 'ValidationException' });
  });

  test('splitDataset holds out the images `anomalens train` holds out', () => {
    const manifest = join(set.data, 'all.manifest');
    const lines = [...readFileSync(join(set.data, 'train.manifest'), 'utf8').trim().split('\n'),
                   ...readFileSync(join(set.data, 'test.manifest'), 'utf8').trim().split('\n')];
    const entries = lv.parseManifest(lines.join('\n'));
    const heldOut = entries.filter((_, i) => lv.splitDataset(entries)[i]).map((e) => e.sourceRef);
    // The CLI's split, from the evaluation manifest of a single-dataset training.
    writeFileSync(manifest, lines.join('\n') + '\n');
    const r = runCli('train', '--manifest', manifest, '--output', join(set.dir, 'split.anlm'),
                     '--evaluation-manifest', join(set.dir, 'split.manifest'), '--quiet', '--quick');
    assert.equal(r.code, 0, r.stderr);
    const cliHeldOut = readFileSync(join(set.dir, 'split.manifest'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)['source-ref']);
    assert.deepEqual([...heldOut].sort(), [...cliHeldOut].sort());
    assert.throws(() => lv.splitDataset([{ label: 'normal' }]), { name: 'ValidationException' });
  });

  test('datasetMinimumsMessage: Lookout\'s minimums, with the CLI\'s message', () => {
    assert.equal(lv.datasetMinimumsMessage('single', { normal: 20, anomaly: 10 }), null);
    assert.match(lv.datasetMinimumsMessage('single', { normal: 19, anomaly: 10 }), /19 normal and 10 anomalous.*at least 20 normal and 10 anomalous/);
    assert.equal(lv.datasetMinimumsMessage('train', { normal: 10, anomaly: 0 }), null);
    assert.match(lv.datasetMinimumsMessage('test', { normal: 14, anomaly: 8 }), /at least 10 normal and 10 anomalous/);
    assert.throws(() => lv.datasetMinimumsMessage('other', { normal: 1, anomaly: 1 }), { name: 'ValidationException' });
    assert.throws(() => lv.datasetMinimumsMessage('test', { normal: -1, anomaly: 1 }), { name: 'ValidationException' });
  });
});
