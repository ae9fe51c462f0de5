// The anomalens npm package on the wasm build, against the native CLI: the
// same DetectAnomalies JSON byte for byte, the same model file from training,
// Lookout-named errors, and dispose().
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import {
  COOKIES, cookiesSkipReason, encodePngRgba, makeDataset, NPM_DIR, patternRgba, runCli, skipReason, stagePackage,
} from './wasm_support.mjs';

const skip = skipReason();

describe('anomalens npm package (wasm)', { skip }, () => {
  let api;
  let lv;
  let set;
  let model;

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

  const png = (entry) => ({ Body: readFileSync(entry.path), ContentType: 'image/png' });
  const rejects = (fn, name, pattern) => assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, 'an Error');
    assert.equal(e.name, name, e.message);
    assert.match(e.message, pattern);
    return true;
  });

  test('detect JSON equals the native CLI output byte for byte', () => {
    const images = set.test.map((e) => e.path);
    const r = runCli('detect', set.model, ...images);
    assert.equal(r.code, 0, r.stderr);
    const native = r.stdout.split('\n').slice(0, -1);
    assert.equal(native.length, images.length);
    set.test.forEach((entry, i) => {
      assert.equal(model.detectAnomaliesJson(png(entry)), native[i], entry.path);
      assert.equal(model.detectAnomaliesJson({ Body: readFileSync(entry.path) }), native[i], 'content type sniffed');
    });
  });

  test('detectAnomalies answers in Lookout\'s shape', () => {
    const normal = model.detectAnomalies(png(set.test.find((e) => e.label === 'normal')));
    assert.deepEqual(Object.keys(normal), ['DetectAnomalyResult']);
    const result = normal.DetectAnomalyResult;
    assert.deepEqual(result.Source, { Type: 'direct' });
    assert.equal(result.IsAnomalous, false);
    assert.ok(result.Confidence >= 0.5 && result.Confidence <= 1);
    const anomalous = model.detectAnomalies(png(set.test.find((e) => e.label === 'anomaly'))).DetectAnomalyResult;
    assert.equal(typeof anomalous.IsAnomalous, 'boolean');
    // The body may be any byte container.
    const bytes = readFileSync(set.test[0].path);
    const asArrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    assert.equal(model.detectAnomaliesJson({ Body: asArrayBuffer, ContentType: 'image/png' }),
                 model.detectAnomaliesJson(png(set.test[0])));
  });

  test('an AnomalyMask in the JSON (base64, as Lookout\'s) becomes PNG bytes', () => {
    // The synthetic set has masks, so its model is a segmentation model.
    const anomalous = set.test.find((e) => e.label === 'anomaly');
    const json = JSON.parse(model.detectAnomaliesJson(png(anomalous))).DetectAnomalyResult;
    const result = model.detectAnomalies(png(anomalous)).DetectAnomalyResult;
    assert.ok(result.AnomalyMask instanceof Uint8Array);
    assert.ok(Buffer.from(result.AnomalyMask).equals(Buffer.from(json.AnomalyMask, 'base64')));
    assert.deepEqual([...result.AnomalyMask.subarray(1, 4)], [80, 78, 71], 'a PNG');
    assert.deepEqual(result.Anomalies, json.Anomalies);
    assert.equal(result.Anomalies[0].Name, 'background');
  });

  test('RGBA pixels give the result of the same pixels as a PNG', () => {
    const [width, height] = [96, 72];
    const rgba = patternRgba(width, height);
    const fromPng = model.detectAnomaliesJson({ Body: encodePngRgba(rgba, width, height), ContentType: 'image/png' });
    assert.equal(model.detectAnomaliesJson({ data: rgba, width, height }), fromPng, 'ImageData-shaped request');
    assert.equal(model.detectAnomaliesJson({ Body: { data: new Uint8Array(rgba.buffer), width, height } }), fromPng);
  });

  test('training on RGBA pixels writes the model the same pixels as PNGs write', async () => {
    const [width, height] = [96, 72];
    const images = [0, 1, 2, 3].map((shift) => patternRgba(width, height).map((v, i) => (i % 4 === 3 ? v : v + shift * 9)));
    const fromPng = await lv.train(images.map((rgba) => ({ Body: encodePngRgba(rgba, width, height),
                                                          ContentType: 'image/png', Label: 'normal' })));
    const fromPixels = await lv.train(images.map((data) => ({ Body: { data, width, height }, Label: 'normal' })));
    assert.ok(Buffer.from(fromPixels).equals(Buffer.from(fromPng)));
  });

  test('a model trained in wasm is the native model file, byte for byte', async () => {
    const progress = [];
    const dataset = set.train.map((e) => ({ Body: readFileSync(e.path), ContentType: 'image/png', Label: e.label,
                                            Mask: e.mask ? readFileSync(e.mask) : undefined,
                                            ColorMap: e.colorMap ?? undefined }));
    const bytes = await lv.train(dataset, { onProgress: (p) => progress.push(p) });
    assert.ok(bytes instanceof Uint8Array);
    assert.ok(Buffer.from(bytes).equals(readFileSync(set.model)), 'same bytes as `anomalens train`');
    assert.deepEqual(progress.filter((p) => p.stage === 'features').map((p) => p.done),
                     dataset.map((_, i) => i + 1));
    // The configuration search reports one step a candidate, and the final fit.
    const last = progress.at(-1);
    assert.equal(last.stage, 'search');
    assert.equal(last.done, last.total);
    // What the model says of the search and its self-check, as the page shows it.
    const description = lv.describeModel(bytes);
    assert.ok(description.configurationSearch.length >= 2, JSON.stringify(description.configurationSearch));
    assert.equal(description.configurationSearch.filter((c) => c.chosen).length, 1);
    const chosen = description.configurationSearch.find((c) => c.chosen);
    assert.equal(chosen.shortSide, description.shortSide);
    // The compression check's counts, per candidate and the chosen model's.
    for (const c of description.configurationSearch) {
      assert.ok(Number.isInteger(c.compressedNormals) && c.compressedFlagged >= 0 &&
                c.compressedFlagged <= c.compressedNormals, JSON.stringify(c));
    }
    assert.equal(description.selfCheck.compressedNormals, chosen.compressedNormals);
    assert.equal(description.selfCheck.compressedFlagged, chosen.compressedFlagged);
    // Two in each of normal images 1 to 9, and one of the few-pixel class in each.
    assert.equal(description.selfCheck.defects, 27);
    assert.equal(description.selfCheck.families.length, 7);  // 27 defects reach all seven families
    assert.throws(() => lv.describeModel(new Uint8Array([1, 2, 3])), { name: 'ValidationException' });
  });

  test('a classification model with the shared dark-spot candidate is the native file, byte for byte', async () => {
    // Without masks the search also tries the position-free dark-spot
    // channel (model file version 7 when chosen): its features, coreset and
    // searches must give the CLI's bytes too.
    const dataset = set.train.map((e) => ({ Body: readFileSync(e.path), ContentType: 'image/png', Label: e.label }));
    const bytes = await lv.train(dataset, {});
    const native = join(set.dir, 'classification.anlm');
    const r = runCli('train', '--manifest', join(set.data, 'train.manifest'), '--test-manifest',
                     join(set.data, 'test.manifest'), '--ignore-masks', '--output', native, '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Buffer.from(bytes).equals(readFileSync(native)), 'same bytes as `anomalens train --ignore-masks`');
    const names = lv.describeModel(bytes).configurationSearch.map((c) => c.name);
    assert.ok(names.some((n) => n.endsWith('dark spots')), JSON.stringify(names));
  });

  // 50 aligned normal plates: `auto` picks the per-position model, at stride
  // 4 with the dark-spot channel (a version-5 file), in wasm as natively
  // (--quick: the alignment rule, not the search, picks it; the second
  // half pins the normal model, so the search runs with it pinned).
  test('a per-position model with the dark-spot channel trained in wasm is the native model file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anomalens-wasm-spots-'));
    try {
      let r = runCli('synth', '--output', join(dir, 'data'), '--seed', '7', '--train-normal', '50', '--train-anomaly',
                     '0', '--test-normal', '10', '--test-anomaly', '10');
      assert.equal(r.code, 0, r.stderr);
      const modelPath = join(dir, 'position.anlm');
      r = runCli('train', '--manifest', join(dir, 'data', 'train.manifest'), '--test-manifest',
                 join(dir, 'data', 'test.manifest'), '--output', modelPath, '--quiet', '--quick');
      assert.equal(r.code, 0, r.stderr);
      const native = readFileSync(modelPath);
      assert.equal(native[4], 5, 'the native model carries the dark-spot channel (version 5)');
      const entries = (name) => readFileSync(join(dir, 'data', name), 'utf8').trim().split('\n')
        .map((line) => JSON.parse(line))
        .map((e) => ({ path: join(dir, 'data', e['source-ref']), label: e['anomaly-label'] === 1 ? 'anomaly' : 'normal' }));
      const train = entries('train.manifest');
      const bytes = await lv.train(train.map((e) => ({ Body: readFileSync(e.path), ContentType: 'image/png',
                                                      Label: e.label })), { quick: true });
      assert.ok(Buffer.from(bytes).equals(native), 'same bytes as `anomalens train`');
      const test = entries('test.manifest').map((e) => e.path);
      r = runCli('detect', modelPath, ...test);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n').slice(0, -1);
      const loaded = await lv.loadModel(native);
      test.forEach((path, i) => assert.equal(loaded.detectAnomaliesJson({ Body: readFileSync(path) }), lines[i], path));
      loaded.dispose?.();
      // The CLI's --no-dark-spots is the package's darkSpots: false.
      const offPath = join(dir, 'no-dark-spots.anlm');
      r = runCli('train', '--manifest', join(dir, 'data', 'train.manifest'), '--test-manifest',
                 join(dir, 'data', 'test.manifest'), '--output', offPath, '--quiet', '--no-dark-spots',
                 '--normal-model', 'per-position', '--false-positive-rate', '0.02');
      assert.equal(r.code, 0, r.stderr);
      const off = await lv.train(train.map((e) => ({ Body: readFileSync(e.path), ContentType: 'image/png',
                                                     Label: e.label })), { darkSpots: false, normalModel: 'per-position',
                                                                             falsePositiveRate: 0.02 });
      assert.equal(off[4], 3, 'without the channel: a version-3 file');
      assert.ok(Buffer.from(off).equals(readFileSync(offPath)),
                'same bytes as `anomalens train --no-dark-spots --false-positive-rate 0.02`');
      assert.match(Buffer.from(off).toString('latin1'), /"false_positive_rate":0\.02/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad images and content types are ValidationExceptions', () => {
    const bytes = readFileSync(set.test[0].path);
    rejects(() => model.detectAnomalies({ Body: bytes.subarray(0, 200), ContentType: 'image/png' }),
            'ValidationException', /corrupt|truncated/i);
    rejects(() => model.detectAnomalies({ Body: bytes, ContentType: 'image/jpeg' }),
            'ValidationException', /content type is image\/jpeg but the bytes are a PNG/);
    rejects(() => model.detectAnomalies({ Body: bytes, ContentType: 'image/gif' }), 'ValidationException', /gif/);
    rejects(() => model.detectAnomalies({ Body: new Uint8Array(0), ContentType: 'image/png' }),
            'ValidationException', /./);
    rejects(() => model.detectAnomalies({ Body: 'not bytes', ContentType: 'image/png' }),
            'ValidationException', /Body must be/);
    rejects(() => model.detectAnomalies({ data: new Uint8Array(10), width: 64, height: 64 }),
            'ValidationException', /RGBA data has 10 bytes/);
    rejects(() => model.detectAnomalies({ data: new Uint8Array(32 * 32 * 4), width: 32, height: 32 }),
            'ValidationException', /32x32 px; each side must be 64 to 4096/);
  });

  test('bad model files and datasets are ValidationExceptions', async () => {
    const corrupt = Buffer.from(readFileSync(set.model));
    corrupt[corrupt.length >> 1] ^= 0xff;
    await assert.rejects(lv.loadModel(corrupt), { name: 'ValidationException', message: /checksum mismatch/ });
    await assert.rejects(lv.loadModel(new Uint8Array(16)), { name: 'ValidationException', message: /ANLM/ });
    const image = readFileSync(set.train[0].path);
    await assert.rejects(lv.train([{ Body: image, ContentType: 'image/png', Label: 'normal' }]),
                         { name: 'ValidationException', message: /at least 2 normal images/ });
    await assert.rejects(lv.train([{ Body: image, ContentType: 'image/png', Label: 'good' }]),
                         { name: 'ValidationException', message: /Label must be 'normal' or 'anomaly'/ });
    await assert.rejects(lv.train([{ Body: image, ContentType: 'image/png', Label: 'normal' }], { shortSide: 8 }),
                         { name: 'ValidationException', message: /working resolution 8 px/ });
    await assert.rejects(lv.train([], { coresetRatio: 'all' }),
                         { name: 'ValidationException', message: /coresetRatio must be a finite number/ });
    await assert.rejects(lv.train([], { normalModel: 'gaussian' }),
                         { name: 'ValidationException', message: /normalModel must be 'auto', 'shared-bank' or 'per-position', got "gaussian"/ });
    await assert.rejects(lv.train([], { quick: 'yes' }),
                         { name: 'ValidationException', message: /quick must be true or false/ });
    await assert.rejects(lv.train([], { darkSpots: 'no' }),
                         { name: 'ValidationException', message: /darkSpots must be true or false, got "no"/ });
    for (const rate of [0, 0.5, -0.1, '0.01', Number.NaN]) {
      await assert.rejects(lv.train([], { falsePositiveRate: rate }),
                           { name: 'ValidationException', message: /falsePositiveRate must be a number above 0 and below 0.5/ });
    }
    assert.match(lv.datasetMinimumsMessage('normal-only', { normal: 19, anomaly: 0 }),
                 /19 normal images; a normal-only dataset needs at least 20 normal images/);
    assert.equal(lv.datasetMinimumsMessage('normal-only', { normal: 20, anomaly: 0 }), null);
    await assert.rejects(lv.train([], { shortSide: 1e12 }),
                         { name: 'ValidationException', message: /shortSide must be an integer/ });
  });

  test('training stops on an aborted signal or a throwing progress callback', async () => {
    const dataset = set.train.slice(0, 4).map((e) => ({ Body: readFileSync(e.path), ContentType: 'image/png',
                                                        Label: 'normal' }));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(lv.train(dataset, { signal: controller.signal }), { name: 'AbortError' });
    const boom = new Error('boom');
    await assert.rejects(lv.train(dataset, { onProgress: () => { throw boom; } }), (e) => e === boom);
    // Still usable afterwards.
    assert.ok((await lv.train(dataset)).length > 0);
  });

  test('dispose() frees models and the instance; later calls say so', async () => {
    const own = await api.Anomalens.create();
    const first = await own.loadModel(readFileSync(set.model));
    const second = await own.loadModel(readFileSync(set.model));
    const request = png(set.test[0]);
    assert.equal(first.detectAnomaliesJson(request), model.detectAnomaliesJson(request));
    first.dispose();
    first.dispose();  // twice is harmless
    rejects(() => first.detectAnomalies(request), 'ResourceNotFoundException', /disposed/);
    assert.ok(second.detectAnomalies(request));
    own.dispose();
    rejects(() => second.detectAnomalies(request), 'ResourceNotFoundException', /disposed/);
    await assert.rejects(own.loadModel(readFileSync(set.model)), { name: 'ResourceNotFoundException' });
    own.dispose();
  });

  test('detect, load/detect/dispose and refusals leak no heap bytes', async () => {
    // heapBytesInUse is malloc's count of live bytes: after a warm-up (the
    // allocations that persist, such as the module's own), a leak of even one
    // byte per detect, model or refused request would leave it higher. The
    // memory's size (memoryBytes) must not grow either.
    const own = await api.Anomalens.create();
    const bytes = readFileSync(set.model);
    const requests = set.test.map(png);
    const cycle = async (i) => {
      const loaded = await own.loadModel(bytes);
      assert.ok(loaded.detectAnomalies(requests[i % requests.length]).DetectAnomalyResult);
      loaded.dispose();
    };
    const refuse = () =>
      assert.throws(() => model.detectAnomalies({ Body: Buffer.from('not an image'), ContentType: 'image/png' }));
    for (let i = 0; i < requests.length; ++i) {
      await cycle(i);
      model.detectAnomaliesJson(requests[i]);
      refuse();
    }
    const own0 = { inUse: own.heapBytesInUse, memory: own.memoryBytes };
    const shared0 = { inUse: lv.heapBytesInUse, memory: lv.memoryBytes };
    assert.ok(own0.inUse > 0 && own0.inUse < own0.memory, `heapBytesInUse ${own0.inUse} of ${own0.memory}`);
    for (let i = 0; i < 3 * requests.length; ++i) model.detectAnomaliesJson(requests[i % requests.length]);
    for (let i = 0; i < 30; ++i) refuse();
    assert.equal(lv.heapBytesInUse, shared0.inUse, 'detects and refusals left heap bytes allocated');
    assert.equal(lv.memoryBytes, shared0.memory, 'detects and refusals grew the heap');
    for (let i = 0; i < 2 * requests.length; ++i) await cycle(i);
    assert.equal(own.heapBytesInUse, own0.inUse, 'load/detect/dispose cycles left heap bytes allocated');
    assert.equal(own.memoryBytes, own0.memory, 'load/detect/dispose cycles grew the heap');
    // The check itself: a model not disposed is seen at once.
    const kept = await own.loadModel(bytes);
    assert.ok(own.heapBytesInUse > own0.inUse, 'a live model must show in heapBytesInUse');
    kept.dispose();
    assert.equal(own.heapBytesInUse, own0.inUse);
    own.dispose();
  });

  test('the CommonJS entry gives the same API', async () => {
    const cjs = createRequire(import.meta.url)(join(NPM_DIR, 'index.cjs'));
    assert.equal(cjs.isWebAssemblySimdSupported(), true);
    const other = await cjs.Anomalens.create();
    assert.ok(other instanceof cjs.Anomalens);
    const loaded = await other.loadModel(readFileSync(set.model));
    assert.ok(loaded instanceof cjs.AnomalensModel);
    assert.equal(loaded.detectAnomaliesJson(png(set.test[1])), model.detectAnomaliesJson(png(set.test[1])));
    other.dispose();
  });
});

describe('Lookout\'s cookies (JPEG): wasm detect equals the native CLI', { skip: cookiesSkipReason() }, () => {
  let dir;
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every test image, byte for byte', async () => {
    dir = mkdtempSync(join(tmpdir(), 'anomalens-wasm-cookies-'));
    const modelPath = join(dir, 'cookies.anlm');
    let r = runCli('train', '--manifest', join(COOKIES, 'manifests', 'train.manifest'), '--output', modelPath, '--quiet',
                   '--quick');
    assert.equal(r.code, 0, r.stderr);
    const images = readdirSync(join(COOKIES, 'test-images')).filter((f) => f.endsWith('.jpg')).sort()
      .map((f) => join(COOKIES, 'test-images', f));
    assert.ok(images.length >= 20);
    r = runCli('detect', modelPath, ...images, '--content-type', 'image/jpeg');
    assert.equal(r.code, 0, r.stderr);
    const native = r.stdout.split('\n').slice(0, -1);
    stagePackage();
    const { Anomalens } = await import(pathToFileURL(join(NPM_DIR, 'index.mjs')).href);
    const lv = await Anomalens.create();
    try {
      const model = await lv.loadModel(readFileSync(modelPath));
      images.forEach((image, i) => {
        assert.equal(model.detectAnomaliesJson({ Body: readFileSync(image), ContentType: 'image/jpeg' }), native[i], image);
      });
    } finally {
      lv.dispose();
    }
  });
});
