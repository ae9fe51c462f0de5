// The page's Web Worker: owns the anomalens WebAssembly module, so training
// and detection never block the page. Messages in are { id, type, ... };
// every answer carries the same id: { id, ok: true, ... } or
// { id, ok: false, error: { name, message, code } }. Progress reports come as
// { id, progress: { stage, done, total } } before the answer.
import { Anomalens } from './pkg/index.mjs';

let lv = null;       // the Anomalens instance
let model = null;    // the model loaded for inspection
let training = null; // the AbortController of the training in progress

const TYPES = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' };
// Files arrive as File objects (structured clone, no copy on the page); the
// content type is the extension's, as the CLI takes it from the bytes.
async function bytesOf(file) {
  return new Uint8Array(await file.arrayBuffer());
}
function contentTypeOf(file) {
  return TYPES[(file.name.split('.').pop() || '').toLowerCase()] ?? '';
}

const handlers = {
  async init() {
    const started = performance.now();
    lv = await Anomalens.create();
    return { backboneId: lv.backboneId, ms: performance.now() - started };
  },

  parseManifest({ text }) {
    return { entries: lv.parseManifest(text) };
  },

  split({ items }) {
    return { heldOut: lv.splitDataset(items) };
  },

  minimums({ kind, counts }) {
    return { message: lv.datasetMinimumsMessage(kind, counts) };
  },

  // train: [{ file, path, label, mask (File or null), colorMap }]; test: [{ file, path, label }];
  // falsePositiveRate, quick: the npm options of those names (undefined: their defaults).
  // Trains, loads the model for inspection and evaluates it on the test images.
  async train({ train, test, falsePositiveRate, quick }, report) {
    training = new AbortController();
    const { signal } = training;
    try {
      const started = performance.now();
      // An array (not a stream) so the package picks the CLI's resolution
      // for a dataset with masks; the bytes are read as training goes.
      const items = await Promise.all(train.map(async (item) => ({
        Body: await bytesOf(item.file), ContentType: contentTypeOf(item.file), Label: item.label,
        Mask: item.mask ? await bytesOf(item.mask) : null, ColorMap: item.mask ? item.colorMap : undefined,
      })));
      // A failing image is the one after the last reported: name its file.
      let featuresDone = 0;
      const onProgress = (progress) => {
        if (progress.stage === 'features') featuresDone = progress.done;
        report(progress);
      };
      const bytes = await lv.train(items, { onProgress, signal, falsePositiveRate, quick }).catch((error) => {
        if (error?.name !== 'AbortError' && featuresDone < train.length) {
          error.message = `${train[featuresDone].path ?? train[featuresDone].file.name}: ${error.message}`;
        }
        throw error;
      });
      const trainMs = performance.now() - started;
      await setModel(bytes);
      const evaluationStarted = performance.now();
      const testItems = (async function* () {
        for (const item of test) yield { Body: await bytesOf(item.file), ContentType: contentTypeOf(item.file), Label: item.label };
      })();
      let evaluated = 0;
      const onEvaluation = (progress) => {
        evaluated = progress.done;
        report(progress);
      };
      const evaluation = test.length === 0 ? null : await model.evaluate(testItems, { onProgress: onEvaluation, signal, modelArn: 'web' })
        .catch((error) => {
          if (error?.name !== 'AbortError' && evaluated < test.length) {
            error.message = `${test[evaluated].path ?? test[evaluated].file.name}: ${error.message}`;
          }
          throw error;
        });
      return { model: bytes, evaluation, trainMs, evaluationMs: performance.now() - evaluationStarted,
               description: lv.describeModel(bytes) };
    } finally {
      training = null;
    }
  },

  cancel() {
    training?.abort();
    return {};
  },

  async load({ bytes }) {
    await setModel(new Uint8Array(bytes));
    return {};
  },

  // An encoded image (file) or RGBA pixels ({ data, width, height }).
  async detect({ file, pixels }) {
    if (!model) throw Object.assign(new Error('no model loaded: train one or open a model file'), { name: 'ResourceNotFoundException' });
    const request = file ? { Body: await bytesOf(file), ContentType: contentTypeOf(file) } : pixels;
    const started = performance.now();
    const json = model.detectAnomaliesJson(request);
    return { json, ms: performance.now() - started };
  },
};

async function setModel(bytes) {
  const next = await lv.loadModel(bytes);
  model?.dispose();
  model = next;
}

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  const report = (progress) => self.postMessage({ id, progress });
  try {
    if (!lv && type !== 'init') throw new Error('the worker has not finished loading');
    const answer = await handlers[type](data, report);
    const transfer = answer?.model ? [answer.model.buffer] : [];
    self.postMessage({ id, ok: true, ...answer }, transfer);
  } catch (error) {
    self.postMessage({ id, ok: false, error: { name: error?.name ?? 'Error', message: String(error?.message ?? error),
                                               code: error?.code } });
  }
};
