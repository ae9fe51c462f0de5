// anomalens: Lookout for Vision's DetectAnomalies (and training) on the
// anomalens WebAssembly core, in browsers and Node.
//
//   import { Anomalens } from 'anomalens';
//   const lv = await Anomalens.create();
//   const model = await lv.loadModel(modelBytes);
//   const { DetectAnomalyResult } = model.detectAnomalies({ Body: jpegBytes, ContentType: 'image/jpeg' });
//   model.dispose(); lv.dispose();
//
// Every object holding WebAssembly memory has dispose(). Inputs are copied
// into the module and results copied out: nothing returned is a view of it.
import { loadBackboneWeights, loadWasmBinary } from '#assets';

export { lookoutHandler } from './lookout-handler.mjs';

// A module whose one function returns a v128 constant: it validates only
// where WebAssembly SIMD is supported, which the core is built for.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,        // type: () -> v128
  0x03, 0x02, 0x01, 0x00,                          // one function of that type
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c,        // code: v128.const
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0x0b,                                            // end
]);

/** True when this runtime runs WebAssembly SIMD (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+). */
export function isWebAssemblySimdSupported() {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

function namedError(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

// The bindings return an Error (named after Lookout's exception) instead of
// throwing through the module; this throws it.
function check(value) {
  if (value instanceof Error) throw value;
  return value;
}

// A dataset item's ColorMap as parallel arrays of class names and colours.
function colorMapOf(item, index, hasMask) {
  const map = item.ColorMap;
  if (map == null) {
    if (hasMask) throw namedError('ValidationException', `dataset item ${index}: a Mask needs its ColorMap`);
    return [[], []];
  }
  if (typeof map !== 'object') {
    throw namedError('ValidationException', `dataset item ${index}: ColorMap must be an object`);
  }
  const names = [], colors = [];
  for (const [key, value] of Object.entries(map)) {
    const lookout = value !== null && typeof value === 'object';
    const name = lookout ? value['class-name'] : key;
    const color = lookout ? value['hex-color'] : value;
    if (typeof name !== 'string' || typeof color !== 'string') {
      throw namedError('ValidationException', `dataset item ${index}: ColorMap entry '${key}' needs a class name and a '#RRGGBB' colour`);
    }
    names.push(name);
    colors.push(color);
  }
  return [names, colors];
}

function toBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw namedError('ValidationException', `${what} must be a Uint8Array, ArrayBuffer or typed array`);
}

// ImageData, or anything shaped like it: { data: RGBA bytes, width, height }.
function isPixels(value) {
  return value != null && typeof value === 'object' && !ArrayBuffer.isView(value) &&
         ArrayBuffer.isView(value.data) && Number.isInteger(value.width) && Number.isInteger(value.height);
}

function contentTypeOf(request) {
  const type = request.ContentType ?? '';
  if (typeof type !== 'string') throw namedError('ValidationException', 'ContentType must be a string');
  return type;
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; ++i) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// ---- When the module aborts ------------------------------------------------
// A WebAssembly module does not come back from an abort: the C++ frames it was
// in never unwind, so its heap is left half-way through that call. Running
// out of memory ends that way (malloc fails once the memory cannot grow past
// 4 GB; wasm/bindings.cc's new-handler leaves a note on the module first),
// and so does a trap (a bug). guardModule wraps every function the bindings
// export: the call that aborts throws a named error, code WASM_OUT_OF_MEMORY
// or WASM_ABORTED, and every later call on that instance or its models
// throws WASM_INSTANCE_ABORTED without entering the module. Nothing is
// recreated behind the caller's back: the models loaded and a training run in
// progress are gone with the module, so making a new instance
// (Anomalens.create) is the caller's choice.

// The module-level functions and classes of wasm/bindings.cc's
// EMSCRIPTEN_BINDINGS, found by Embind's own marks (Emscripten 3.1.6): a bound
// function carries `argCount` (Embind's replacePublicSymbol sets it), and a
// bound class's prototype inherits ClassHandle's `isDeleted`. So a binding
// added later is guarded without being listed here.
function boundNames(module) {
  const functions = [];
  const classes = [];
  for (const name of Object.keys(module)) {
    const value = module[name];
    if (typeof value !== 'function') continue;
    if (typeof value.prototype?.isDeleted === 'function') classes.push(name);
    else if (Object.hasOwn(value, 'argCount')) functions.push(name);
  }
  return { functions, classes };
}

// What this package calls: if the marks above stop finding these (another
// Emscripten), create() says so rather than leave them unguarded.
const USED_FUNCTIONS = ['defaultShortSide', 'parseManifest', 'splitDataset', 'datasetMinimumsMessage',
                        'synthesizeDefect', 'planDefects', 'describeModel', 'heapBytesInUse'];
const USED_CLASSES = ['Backbone', 'Detector', 'Evaluation', 'Trainer'];

const mib = (bytes) => Math.round(bytes / 2 ** 20);

function withCode(error, code, cause) {
  error.code = code;
  if (cause !== undefined) error.cause = cause;
  return error;
}

// The named error for a WebAssembly.RuntimeError out of the module.
function abortedError(module, runtimeError) {
  const note = module.anomalensOutOfMemory;
  if (note) {
    const figures = `${mib(note.heapBytesInUse)} MiB in use, in ${mib(note.memoryBytes)} MiB of memory`;
    const request = note.requestedBytes > 0 ? `a request for ${mib(note.requestedBytes)} MiB, ` : '';
    // dlmalloc grows the heap by less than 2 GB at a time (its sbrk increment is signed).
    const what = note.requestedBytes >= 2 ** 31
      ? `this needed a block of ${mib(note.requestedBytes)} MiB at once (a wasm32 module's allocator grows by less ` +
        `than 2 GB at a time, to 4 GB in all; ${figures})`
      : 'this needed more than the 4 GB a wasm32 module can address (or than this runtime lets it grow to; ' +
        `${request}${figures})`;
    return withCode(namedError('ServiceQuotaExceededException',
      `anomalens: out of WebAssembly memory: ${what}; train on fewer or smaller images (a smaller shortSide ` +
      'option, the CLI\'s --resolution), load fewer models at once, or use the native CLI, which has no such limit. ' +
      'This Anomalens instance cannot be used again: create a new one (Anomalens.create) and load its models again.'),
      'WASM_OUT_OF_MEMORY', runtimeError);
  }
  return withCode(namedError('InternalServerException',
    `anomalens: the WebAssembly module stopped (${runtimeError.message}). This Anomalens instance cannot be used ` +
    'again: create a new one (Anomalens.create) and load its models again. This is a bug: please report it with ' +
    'the input that caused it.'), 'WASM_ABORTED', runtimeError);
}

// What every call after the abort throws.
function instanceAbortedError(module) {
  const cause = module.anomalensAborted;
  const why = cause.code === 'WASM_OUT_OF_MEMORY' ? 'it ran out of WebAssembly memory' : 'its WebAssembly module stopped';
  return withCode(namedError('ResourceNotFoundException',
    `anomalens: this Anomalens instance cannot be used again: ${why} earlier (${cause.code}). ` +
    'Create a new one (Anomalens.create) and load its models again.'), 'WASM_INSTANCE_ABORTED', cause);
}

function throwIfAborted(module) {
  if (module.anomalensAborted) throw instanceAbortedError(module);
}

// Wraps `fn` (a function or a class the bindings export) in the guard above.
function guarded(module, fn) {
  return function guard(...args) {
    throwIfAborted(module);
    try {
      return new.target ? new fn(...args) : fn.apply(this, args);
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      module.anomalensAborted = abortedError(module, error);
      throw module.anomalensAborted;
    }
  };
}

function guardModule(module) {
  const bound = boundNames(module);
  for (const name of USED_FUNCTIONS) {
    if (!bound.functions.includes(name)) throw new Error(`anomalens: the WebAssembly module lacks ${name}: rebuild it`);
  }
  for (const name of USED_CLASSES) {
    if (!bound.classes.includes(name)) throw new Error(`anomalens: the WebAssembly module lacks ${name}: rebuild it`);
  }
  for (const name of bound.functions) module[name] = guarded(module, module[name]);
  for (const name of bound.classes) {
    const prototype = module[name].prototype;
    for (const key of Object.getOwnPropertyNames(prototype)) {
      const { value } = Object.getOwnPropertyDescriptor(prototype, key);  // methods; not accessors
      if (key !== 'constructor' && typeof value === 'function') prototype[key] = guarded(module, value);
    }
    module[name] = guarded(module, module[name]);
  }
  return module;
}

// Frees an Embind object, unless its module has aborted: then there is
// nothing to free into (and calling in would run on a broken heap).
function deleteHandle(module, handle) {
  if (handle && !module.anomalensAborted && !handle.isDeleted()) handle.delete();
}

// Whoever forgets dispose() still gets the memory back when the wrapper is
// collected; dispose() is the prompt way.
const collector = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(({ module, handle }) => deleteHandle(module, handle))
  : { register() {}, unregister() {} };

function track(owner, module, handle) {
  collector.register(owner, { module, handle }, owner);
  return handle;
}

function release(owner, module, handle) {
  collector.unregister(owner);
  deleteHandle(module, handle);
}

// Training options and whether each is an integer (ModelConfig's fields).
const TRAINING_OPTIONS = { shortSide: true, coresetRatio: false, coarseWeight: false, anomalyPatchesPerImage: true };
// The normal models `normalModel` names (the CLI's --normal-model).
const NORMAL_MODELS = ['auto', 'shared-bank', 'per-position'];
const yieldToEventLoop = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A trained model loaded for DetectAnomalies. */
export class AnomalensModel {
  #detector;
  #owner;
  #module;

  /** @internal Use Anomalens#loadModel. */
  constructor(owner, module, detector) {
    this.#owner = owner;
    this.#module = module;
    this.#detector = track(this, module, detector);
  }

  #live() {
    if (!this.#detector) throw namedError('ResourceNotFoundException', 'this model has been disposed');
    throwIfAborted(this.#module);
    return this.#detector;
  }

  /**
   * DetectAnomalies' JSON document, exactly as the native CLI prints it.
   * `request`: { Body: PNG/JPEG bytes, ContentType } or decoded RGBA pixels
   * (ImageData, or { data, width, height }, also as Body).
   */
  detectAnomaliesJson(request) {
    const detector = this.#live();
    if (isPixels(request)) return check(detector.detectRgba(request.data, request.width, request.height));
    if (request == null || typeof request !== 'object') {
      throw namedError('ValidationException', 'detectAnomalies takes { Body, ContentType } or RGBA pixels');
    }
    const body = request.Body;
    if (isPixels(body)) return check(detector.detectRgba(body.data, body.width, body.height));
    return check(detector.detect(toBytes(body, 'Body'), contentTypeOf(request)));
  }

  /** Lookout's DetectAnomalies response: { DetectAnomalyResult }, AnomalyMask (when present) as PNG bytes. */
  detectAnomalies(request) {
    const response = JSON.parse(this.detectAnomaliesJson(request));
    const result = response.DetectAnomalyResult;
    if (typeof result.AnomalyMask === 'string') result.AnomalyMask = fromBase64(result.AnomalyMask);
    return response;
  }

  /**
   * Lookout's model evaluation on labelled test images, computed as
   * `anomalens evaluate` computes it. `dataset`: an array or (async) iterable
   * of { Body: PNG/JPEG bytes, ContentType, Label: 'normal' | 'anomaly' }.
   * Resolves to { EvaluationResult (Lookout's document: Metrics ROCAUC,
   * AveragePrecision, Precision, Recall, F1Score, null where undefined),
   * Images: [{ Label, DetectAnomalyResult, Correct }] in dataset order }.
   * `options.onProgress({ stage: 'evaluation', done, total })` reports,
   * `options.signal` cancels; `options.modelArn` names the model in the result.
   */
  async evaluate(dataset, options = {}) {
    const detector = this.#live();
    const { onProgress, signal } = options;
    const total = Array.isArray(dataset) ? dataset.length : undefined;
    const evaluation = new this.#owner._module.Evaluation();
    const images = [];
    try {
      for await (const item of dataset) {
        if (signal?.aborted) throw signal.reason ?? namedError('AbortError', 'evaluation was aborted');
        const index = images.length;
        if (item == null || typeof item !== 'object' || (item.Label !== 'normal' && item.Label !== 'anomaly')) {
          throw namedError('ValidationException', `test item ${index} must be { Body, ContentType, Label: 'normal' | 'anomaly' }`);
        }
        const json = check(evaluation.add(this.#live(), toBytes(item.Body, `test item ${index}: Body`), contentTypeOf(item),
                                          item.Label === 'anomaly'));
        const result = JSON.parse(json).DetectAnomalyResult;
        if (typeof result.AnomalyMask === 'string') result.AnomalyMask = fromBase64(result.AnomalyMask);
        images.push({ Label: item.Label, DetectAnomalyResult: result, Correct: result.IsAnomalous === (item.Label === 'anomaly') });
        onProgress?.({ stage: 'evaluation', done: images.length, total: total ?? images.length });
        await yieldToEventLoop();
      }
      const document = evaluation.resultJson(detector, String(options.modelArn ?? ''), new Date().toISOString());
      return { EvaluationResult: JSON.parse(document), Images: images };
    } finally {
      deleteHandle(this.#module, evaluation);
    }
  }

  /** Frees the model's memory. Later calls throw ResourceNotFoundException. */
  dispose() {
    release(this, this.#module, this.#detector);
    this.#detector = null;
    this.#owner?._forget(this);
    this.#owner = null;
  }
}

/** The self-check's synthetic defect families (Anomalens#synthesizeDefect). */
export const DEFECT_FAMILIES = Object.freeze(['spot', 'scratch', 'cutpaste', 'texture', 'local-change', 'missing-piece', 'foreign-material']);

/** The WebAssembly module with the backbone loaded: loads models and trains them. */
export class Anomalens {
  #module;
  #backbone;
  #models = new Set();

  /** @internal Use Anomalens.create. */
  constructor(module, backbone) {
    this.#module = module;
    this.#backbone = track(this, module, backbone);
  }

  /**
   * Loads the WebAssembly module (after checking for SIMD) and the backbone
   * weights shipped in the package. `options.wasmBinary` and
   * `options.backboneWeights` supply those bytes instead (e.g. from a CDN).
   */
  static async create(options = {}) {
    if (!isWebAssemblySimdSupported()) {
      throw namedError('NotSupportedError',
                       'anomalens needs WebAssembly SIMD (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+)');
    }
    const [{ default: createModule }, wasmBinary, weights] = await Promise.all([
      import('./anomalens_wasm.mjs'),
      options.wasmBinary ? toBytes(options.wasmBinary, 'wasmBinary') : loadWasmBinary(),
      options.backboneWeights ? toBytes(options.backboneWeights, 'backboneWeights') : loadBackboneWeights(),
    ]);
    const module = guardModule(await createModule({
      wasmBinary,
      // The abort's own line ("Aborted()"): the error thrown says more.
      printErr: (text) => { if (!String(text).startsWith('Aborted(')) console.warn(text); },
    }));
    const backbone = new module.Backbone();
    const loaded = backbone.load(weights);
    if (loaded instanceof Error) {
      deleteHandle(module, backbone);
      throw loaded;
    }
    return new Anomalens(module, backbone);
  }

  #live() {
    if (!this.#backbone) throw namedError('ResourceNotFoundException', 'this Anomalens instance has been disposed');
    throwIfAborted(this.#module);
    return this.#backbone;
  }

  /** The backbone's id, e.g. "mobilenet_v2_1.0_224/block_10". */
  get backboneId() {
    return this.#live().id();
  }

  /** Size of the WebAssembly memory in bytes (it grows as needed and never shrinks). */
  get memoryBytes() {
    this.#live();
    return this.#module.HEAPU8.length;
  }

  /**
   * Bytes of the WebAssembly heap held by live allocations: for leak checks.
   * memoryBytes only grows once the free space is used up; this moves with
   * every allocation and returns to where it was when all are freed.
   */
  get heapBytesInUse() {
    this.#live();
    return this.#module.heapBytesInUse();
  }

  /** Loads a model file (from `anomalens train` or Anomalens#train). */
  async loadModel(bytes) {
    const backbone = this.#live();
    const detector = new this.#module.Detector();
    const loaded = detector.load(backbone, toBytes(bytes, 'model'));
    if (loaded instanceof Error) {
      deleteHandle(this.#module, detector);
      throw loaded;
    }
    const model = new AnomalensModel(this, this.#module, detector);
    this.#models.add(model);
    return model;
  }

  /** @internal The Embind module, for the models this instance loaded. */
  get _module() {
    this.#live();
    return this.#module;
  }

  /**
   * Parses a Lookout manifest (JSON Lines) with the CLI's checks: an array of
   * { sourceRef, label: 'normal' | 'anomaly', maskRef (or null), colorMap: { className: '#RRGGBB' } }.
   * Throws a ValidationException naming the line.
   */
  parseManifest(text) {
    this.#live();
    if (typeof text !== 'string') throw namedError('ValidationException', 'a manifest must be given as text');
    return check(this.#module.parseManifest(text));
  }

  /**
   * Lookout's automatic split of a single dataset, the one `anomalens train`
   * makes without a test set: for [{ sourceRef, label }], an array of
   * booleans, true for the images held out for testing (about 1 in 5 per label).
   */
  splitDataset(items) {
    this.#live();
    if (!Array.isArray(items)) throw namedError('ValidationException', 'splitDataset takes an array of { sourceRef, label }');
    const refs = items.map((item, i) => {
      if (typeof item?.sourceRef !== 'string') throw namedError('ValidationException', `item ${i} needs a sourceRef string`);
      return item.sourceRef;
    });
    return check(this.#module.splitDataset(refs, items.map((item) => String(item.label))));
  }

  /**
   * Lookout's minimum image counts: `kind` 'single' (one dataset, split
   * automatically: 20 normal, 10 anomalous), 'normal-only' (one dataset
   * without labelled anomalies, ours: 20 normal), 'train' (10 normal) or
   * 'test' (10 of each). Returns null when met, else the message the CLI gives.
   */
  datasetMinimumsMessage(kind, { normal, anomaly }) {
    this.#live();
    if (!['single', 'normal-only', 'train', 'test'].includes(kind)) {
      throw namedError('ValidationException', "kind must be 'single', 'normal-only', 'train' or 'test'");
    }
    if (!Number.isInteger(normal) || !Number.isInteger(anomaly) || normal < 0 || anomaly < 0) {
      throw namedError('ValidationException', 'normal and anomaly must be counts (integers >= 0)');
    }
    return this.#module.datasetMinimumsMessage(kind, normal, anomaly);
  }

  /**
   * Pastes one of the self-check's synthetic defects into a normal image (PNG
   * or JPEG bytes): the same bytes as `anomalens synth-defects`. Options:
   * family ('spot', 'scratch', 'cutpaste', 'texture', 'local-change',
   * 'missing-piece', 'foreign-material'), areaFraction (0.0001 to 0.02 of the image) or areaPixels (7 to 50), contrast
   * (0.05 to 1, default 1), seed (a whole number below 2^53, default 0), donor
   * (another normal image's bytes; the texture family needs it). Returns
   * { image, mask } as PNG bytes (mask: 255 on the defect's pixels) with
   * family, variant, areaFraction, contrast, seed, box { x, y, width, height },
   * maskPixels and changedPixels.
   */
  synthesizeDefect(image, { family, areaFraction, contrast = 1, seed = 0, areaPixels = 0, donor } = {}) {
    this.#live();
    if (typeof family !== 'string') throw namedError('ValidationException', 'family must be a string, e.g. \'spot\'');
    // Required unless areaPixels (the few-pixel class) gives the size.
    if (areaFraction === undefined && areaPixels !== 0) areaFraction = 0;
    for (const [name, value] of [['areaFraction', areaFraction], ['contrast', contrast], ['seed', seed],
                                 ['areaPixels', areaPixels]]) {
      if (typeof value !== 'number') throw namedError('ValidationException', `${name} must be a number`);
    }
    if (!Number.isInteger(areaPixels)) throw namedError('ValidationException', 'areaPixels must be a whole number');
    const d = check(this.#module.synthesizeDefect(toBytes(image, 'image'), donor == null ? null : toBytes(donor, 'donor'),
                                                  family, areaFraction, contrast, seed, areaPixels));
    return { image: d.image, mask: d.mask, family, variant: d.variant, areaFraction, contrast, seed, areaPixels,
             box: { x: d.boxX, y: d.boxY, width: d.boxWidth, height: d.boxHeight },
             maskPixels: d.maskPixels, changedPixels: d.changedPixels };
  }

  /**
   * The self-check's planner: `count` defects from `seed`, spread over
   * `families` (default all), sizes (0.01% to 2% of the image) and
   * contrasts, then `fewPixel` (default 0) of the self-check's few-pixel
   * class (7 to 50 px: areaPixels, contrast 1 or 0.6), as
   * [{ family, areaFraction, contrast, seed, areaPixels }] ready for
   * synthesizeDefect: the plans of `anomalens synth-defects --count --few-pixel`.
   */
  planDefects({ seed = 1, count, families = DEFECT_FAMILIES, fewPixel = 0 } = {}) {
    this.#live();
    if (!Number.isInteger(count) || count < 0) throw namedError('ValidationException', 'count must be an integer >= 0');
    if (!Number.isInteger(fewPixel) || fewPixel < 0) {
      throw namedError('ValidationException', 'fewPixel must be an integer >= 0');
    }
    if (!Array.isArray(families)) throw namedError('ValidationException', 'families must be an array of family names');
    if (typeof seed !== 'number') throw namedError('ValidationException', 'seed must be a number');
    return check(this.#module.planDefects(seed, count, families.map(String), fewPixel));
  }

  /**
   * What a model file says about itself: { normalModel, shortSide, scale,
   * coarseWeight, darkSpots, thresholdRule, falsePositiveRate, normalImages,
   * anomalyImages, segmentationClasses, selfCheck (null when it did not run:
   * defects, imageRocAuc, pixelAupro, recall, falsePositiveRate, families,
   * sizes), configurationSearch (the candidates tried, the chosen one with
   * chosen: true; empty for a quick model) }. Throws a ValidationException
   * for bytes that are not a model file.
   */
  describeModel(bytes) {
    this.#live();
    return JSON.parse(check(this.#module.describeModel(toBytes(bytes, 'model'))));
  }

  /** @internal */
  _forget(model) {
    this.#models.delete(model);
  }

  /**
   * Trains a model and returns its file's bytes (what `anomalens train`
   * writes). `dataset`: an array or (async) iterable of
   * { Body, ContentType, Label: 'normal' | 'anomaly', Mask?, ColorMap? }, Body
   * being PNG/JPEG bytes or RGBA pixels. A Mask (label PNG) needs its ColorMap,
   * { className: '#RRGGBB' } or Lookout's internal-color-map
   * { "0": { "class-name", "hex-color" } }; masks make a segmentation model. Every image trains: there is no held-out
   * split. `options.shortSide` is the working resolution (default: 224, or
   * 288 for an array dataset with masks, as `anomalens train`; a streamed
   * dataset gets 224 unless given). `options.normalModel` ('auto',
   * 'shared-bank', 'per-position') and `options.darkSpots` (false leaves the
   * dark-spot channel out) are the CLI's --normal-model and --no-dark-spots.
   * `options.falsePositiveRate` (above 0, below 0.5; default 0.03) is the
   * CLI's --false-positive-rate: with normal images only, the threshold aims
   * at that false-positive rate on normal images.
   * Unless `options.quick` is true, training runs the configuration search
   * (`anomalens train` without --quick): candidate scales, normal models, taps
   * and the dark-spot channel, ranked by the self-check and any labelled
   * anomalies; shortSide, normalModel, coarseWeight and darkSpots: false pin
   * their dimension. Anomalens#describeModel shows what it chose and why.
   * `options.onProgress({ stage, done, total })` reports progress,
   * `options.signal` (an AbortSignal) cancels.
   */
  async train(dataset, options = {}) {
    const backbone = this.#live();
    const { onProgress, signal } = options;
    const config = {};
    for (const [key, integer] of Object.entries(TRAINING_OPTIONS)) {
      const value = options[key];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw namedError('ValidationException', `${key} must be a finite number`);
      }
      if (integer && !(Number.isInteger(value) && Math.abs(value) < 2 ** 31)) {
        throw namedError('ValidationException', `${key} must be an integer, got ${value}`);
      }
      config[key] = value;
    }
    if (options.normalModel !== undefined) {
      if (!NORMAL_MODELS.includes(options.normalModel)) {
        throw namedError('ValidationException',
                         `normalModel must be 'auto', 'shared-bank' or 'per-position', got ${JSON.stringify(options.normalModel)}`);
      }
      config.normalModel = options.normalModel;
    }
    if (options.falsePositiveRate !== undefined) {
      const rate = options.falsePositiveRate;
      if (typeof rate !== 'number' || !(rate > 0 && rate < 0.5)) {
        throw namedError('ValidationException',
                         `falsePositiveRate must be a number above 0 and below 0.5, got ${JSON.stringify(rate)}`);
      }
      config.falsePositiveRate = rate;
    }
    if (options.darkSpots !== undefined) {
      if (typeof options.darkSpots !== 'boolean') {
        throw namedError('ValidationException', `darkSpots must be true or false, got ${JSON.stringify(options.darkSpots)}`);
      }
      config.darkSpots = options.darkSpots;
    }
    if (options.quick !== undefined) {
      if (typeof options.quick !== 'boolean') {
        throw namedError('ValidationException', `quick must be true or false, got ${JSON.stringify(options.quick)}`);
      }
      config.quick = options.quick;
    }
    // The options the user gave remove their dimension from the
    // configuration search, as on the CLI (darkSpots: true is the default,
    // not a pin). Read before shortSide gets its derived default below.
    config.searchPins = {
      shortSide: options.shortSide !== undefined,
      normalModel: options.normalModel !== undefined,
      coarseWeight: options.coarseWeight !== undefined,
      darkSpots: options.darkSpots === false,
    };
    // The working resolution the CLI picks: finer for segmentation models
    // (a dataset with masks). A streamed dataset cannot be looked into first:
    // pass shortSide to match the CLI there.
    if (config.shortSide === undefined && Array.isArray(dataset)) {
      config.shortSide = this.#module.defaultShortSide(dataset.some((item) => item?.Mask != null));
    }
    let callbackError;
    const report = (stage, done, total) => {
      if (!onProgress || callbackError !== undefined) return;
      try {
        onProgress({ stage, done, total });
      } catch (error) {
        callbackError = error;
      }
    };
    const stop = () => {
      if (callbackError !== undefined) throw callbackError;
      if (signal?.aborted) throw signal.reason ?? namedError('AbortError', 'training was aborted');
    };
    const total = Array.isArray(dataset) ? dataset.length : undefined;
    const trainer = new this.#module.Trainer(backbone, config);
    try {
      let done = 0;
      for await (const item of dataset) {
        stop();
        check(this.#addImage(trainer, item, done));
        report('features', ++done, total ?? done);
        await yieldToEventLoop();
      }
      stop();
      const bytes = trainer.finish(report, () => callbackError !== undefined || Boolean(signal?.aborted));
      stop();
      return check(bytes);
    } finally {
      deleteHandle(this.#module, trainer);
    }
  }

  #addImage(trainer, item, index) {
    if (item == null || typeof item !== 'object') {
      throw namedError('ValidationException', `dataset item ${index} must be { Body, ContentType, Label }`);
    }
    const label = item.Label;
    if (label !== 'normal' && label !== 'anomaly') {
      throw namedError('ValidationException', `dataset item ${index}: Label must be 'normal' or 'anomaly'`);
    }
    const body = item.Body;
    if (isPixels(body)) return trainer.addRgba(body.data, body.width, body.height, label);
    const mask = item.Mask == null ? null : toBytes(item.Mask, `dataset item ${index}: Mask`);
    const [names, colors] = colorMapOf(item, index, mask !== null);
    return trainer.addImage(toBytes(body, `dataset item ${index}: Body`), contentTypeOf(item), label, mask, names,
                            colors);
  }

  /**
   * Frees the backbone and every model this instance loaded. Safe on an
   * instance whose module aborted (WASM_OUT_OF_MEMORY): it lets go of it.
   */
  dispose() {
    for (const model of [...this.#models]) model.dispose();
    release(this, this.#module, this.#backbone);
    this.#backbone = null;
  }
}
