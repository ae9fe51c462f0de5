// Types of the anomalens package (ES module and CommonJS entries alike).

/** Bytes in: a Uint8Array (or Node Buffer), an ArrayBuffer or any typed array view. */
export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/** Decoded pixels, RGBA row-major: an ImageData or anything of its shape. */
export interface RgbaPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** Lookout's DetectAnomalies request: encoded image bytes and their type. */
export interface DetectAnomaliesRequest {
  /** PNG or JPEG bytes (64 to 4096 px a side, at most 8 MB), or decoded RGBA pixels. */
  Body: Bytes | RgbaPixels;
  /** 'image/png' or 'image/jpeg', checked against the bytes; omitted: taken from the bytes. */
  ContentType?: 'image/png' | 'image/jpeg' | string;
}

/** Where the result came from; always { Type: 'direct' } here, as in Lookout. */
export interface ImageSource {
  Type: string;
}

/** A segmentation model's pixel area of one anomaly type. */
export interface PixelAnomaly {
  /** Fraction of the image's pixels, 0 to 1. */
  TotalPercentageArea: number;
  /** The type's colour in AnomalyMask, e.g. '#23A436'. */
  Color: string;
}

/** One anomaly type found in the image (segmentation models). */
export interface Anomaly {
  Name: string;
  PixelAnomaly?: PixelAnomaly;
}

/** Lookout's DetectAnomalyResult. */
export interface DetectAnomalyResult {
  Source: ImageSource;
  IsAnomalous: boolean;
  /** Confidence in the IsAnomalous decision, 0 to 1. */
  Confidence: number;
  /** Segmentation models: the anomaly types found (the first is 'background'). */
  Anomalies?: Anomaly[];
  /** Segmentation models: the mask PNG (the JSON form carries it base64-encoded). */
  AnomalyMask?: Uint8Array;
}

/** Lookout's DetectAnomalies response. */
export interface DetectAnomaliesResponse {
  DetectAnomalyResult: DetectAnomalyResult;
}

/** An image's label in a training dataset. */
export type ImageLabel = 'normal' | 'anomaly';

/** One training image. */
export interface TrainingImage {
  Body: Bytes | RgbaPixels;
  ContentType?: 'image/png' | 'image/jpeg' | string;
  Label: ImageLabel;
  /** Label mask PNG (Lookout's anomaly-mask-ref). Masks make a segmentation model. */
  Mask?: Bytes | null;
  /**
   * The mask's classes: { cracked: '#23A436' }, or Lookout's internal-color-map
   * { "0": { "class-name": "cracked", "hex-color": "#23A436" } }. Required with a Mask.
   */
  ColorMap?: Record<string, string> | Record<string, { 'class-name': string; 'hex-color': string }>;
}

/** A progress report: features per image, then the memory banks' calibration. */
export interface TrainingProgress {
  stage: 'features' | 'calibration' | string;
  done: number;
  total: number;
}

/** Training options; omitted ones take the core's (and the CLI's) defaults. */
export interface TrainOptions {
  onProgress?: (progress: TrainingProgress) => void;
  /** Cancels training: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Working resolution's shorter side in px (CLI --resolution; default 224, or 288 for an array dataset with masks). */
  shortSide?: number;
  /** Fraction of training patches kept in the memory bank (CLI --coreset-ratio; default 0.1). */
  coresetRatio?: number;
  /** Weight of the stride-16 features (CLI --coarse-weight; default 1). */
  coarseWeight?: number;
  /** Patches each labelled anomaly adds to the anomaly bank (CLI --anomaly-patches; default 10). */
  anomalyPatchesPerImage?: number;
  /** The normal model (CLI --normal-model; default 'auto': per-position when the training photos line up). */
  normalModel?: 'auto' | 'shared-bank' | 'per-position';
  /** false leaves the dark-spot channel out of stride-4 per-position models (CLI --no-dark-spots; default true). */
  darkSpots?: boolean;
  /**
   * With normal images only, the threshold aims at this false-positive rate on normal images:
   * above 0, below 0.5 (CLI --false-positive-rate; default 0.03). Labelled anomalies set an F1-optimal threshold instead.
   */
  falsePositiveRate?: number;
  /** true: one model with the defaults (`anomalens train --quick`); default false: the configuration search. */
  quick?: boolean;
}

/** Options of Anomalens.create. */
export interface CreateOptions {
  /** The .wasm bytes, instead of the package's file (read in Node, fetched in browsers). */
  wasmBinary?: Bytes;
  /** Backbone weights (.anwb) bytes, instead of the package's file. */
  backboneWeights?: Bytes;
}

/** Names of the errors thrown: Lookout's exception names, plus the DOM's for cancelling and missing SIMD. */
export type AnomalensErrorName =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'ServiceQuotaExceededException'
  | 'InternalServerException'
  | 'AbortError'
  | 'NotSupportedError';

/**
 * Codes of the errors that end an instance: its WebAssembly module aborted and
 * cannot run again (create a new instance; README, "Memory").
 * WASM_OUT_OF_MEMORY: the call that needed more than the 4 GB wasm32 can
 * address (a ServiceQuotaExceededException); WASM_ABORTED: any other abort, a
 * bug (an InternalServerException); WASM_INSTANCE_ABORTED: every later call on
 * that instance or its models (a ResourceNotFoundException, `cause` the first).
 */
export type AnomalensErrorCode = 'WASM_OUT_OF_MEMORY' | 'WASM_ABORTED' | 'WASM_INSTANCE_ABORTED';

/** What the API throws: an Error whose name is one of AnomalensErrorName. */
export interface AnomalensError extends Error {
  name: AnomalensErrorName;
  /** Set when the instance's WebAssembly module has aborted. */
  code?: AnomalensErrorCode;
}

/** One labelled test image of an evaluation. */
export interface TestImage {
  Body: Bytes;
  ContentType?: 'image/png' | 'image/jpeg' | string;
  Label: ImageLabel;
}

/** Options of AnomalensModel#evaluate. */
export interface EvaluateOptions {
  onProgress?: (progress: TrainingProgress) => void;
  signal?: AbortSignal;
  /** Names the model in EvaluationDetails.ModelArn. */
  modelArn?: string;
}

/** Lookout's EvaluationResult document (what `anomalens evaluate` prints). */
export interface EvaluationResult {
  Version: number;
  EvaluationDetails: Record<string, unknown>;
  AggregatedEvaluationResults: {
    Metrics: {
      ROCAUC: number | null;
      AveragePrecision: number | null;
      Precision: number | null;
      Recall: number | null;
      F1Score: number | null;
      [name: string]: unknown;
    };
  };
  [name: string]: unknown;
}

/** An evaluation: Lookout's document and every test image's result. */
export interface Evaluation {
  EvaluationResult: EvaluationResult;
  Images: { Label: ImageLabel; DetectAnomalyResult: DetectAnomalyResult; Correct: boolean }[];
}

/** A manifest line, as Anomalens#parseManifest returns it. */
export interface ManifestEntry {
  sourceRef: string;
  label: ImageLabel;
  maskRef: string | null;
  /** { className: '#RRGGBB' }; empty without a mask. */
  colorMap: Record<string, string>;
}

/** A family of the self-check's synthetic defects. */
export type DefectFamily = 'spot' | 'scratch' | 'cutpaste' | 'texture' | 'local-change' | 'missing-piece' | 'foreign-material';

/** The families, in order. */
export declare const DEFECT_FAMILIES: readonly DefectFamily[];

/** One synthetic defect to paste, as Anomalens#planDefects plans it. */
export interface DefectPlan {
  family: DefectFamily;
  /** Mask area as a fraction of the image, 0.0001 to 0.02. */
  areaFraction: number;
  /** How strongly it stands out, 0.05 (faint) to 1. */
  contrast: number;
  /** A whole number below 2^53. */
  seed: number;
  /** When not 0: the few-pixel class, the mask's area in pixels (7 to 50), in place of areaFraction (then 0). */
  areaPixels?: number;
}

export interface SynthesizeDefectOptions extends Partial<DefectPlan> {
  family: DefectFamily;
  /** Required unless areaPixels is given. */
  areaFraction?: number;
  /** Another normal image (PNG/JPEG bytes): where the texture family takes its texture from. */
  donor?: Bytes;
}

/** A synthetic defect pasted into an image, with its exact mask. */
export interface SyntheticDefect extends DefectPlan {
  /** The image with the defect, PNG. */
  image: Uint8Array;
  /** Grey PNG: 255 on the defect's pixels, 0 elsewhere; only these pixels differ from the input. */
  mask: Uint8Array;
  /** 'dark' | 'bright' (spot), 'scratch' | 'crack', 'colour' | 'contrast' | 'blur' (local-change), else the family. */
  variant: string;
  box: { x: number; y: number; width: number; height: number };
  maskPixels: number;
  changedPixels: number;
}

/** A trained model loaded for DetectAnomalies. */
export declare class AnomalensModel {
  private constructor();
  /** Lookout's DetectAnomalies; also takes RGBA pixels directly (camera frames). */
  detectAnomalies(request: DetectAnomaliesRequest | RgbaPixels): DetectAnomaliesResponse;
  /** The response as JSON text, byte for byte what `anomalens detect` prints. */
  detectAnomaliesJson(request: DetectAnomaliesRequest | RgbaPixels): string;
  /** Lookout's evaluation on labelled test images, as `anomalens evaluate` computes it. */
  evaluate(dataset: Iterable<TestImage> | AsyncIterable<TestImage>, options?: EvaluateOptions): Promise<Evaluation>;
  /** Frees the model's memory; later calls throw ResourceNotFoundException. */
  dispose(): void;
}

/** The WebAssembly module with the backbone loaded. */
export declare class Anomalens {
  private constructor();
  /** Loads the module (checking for WebAssembly SIMD) and the backbone weights shipped in the package. */
  static create(options?: CreateOptions): Promise<Anomalens>;
  /** The backbone's id, e.g. 'mobilenet_v2_1.0_224/block_10'. */
  readonly backboneId: string;
  /** Size of the WebAssembly memory in bytes (it grows as needed and never shrinks). */
  readonly memoryBytes: number;
  /** Bytes of the WebAssembly heap held by live allocations (returns to its value when all are freed): for leak checks. */
  readonly heapBytesInUse: number;
  /** Loads a model file, from `anomalens train` or Anomalens#train. */
  loadModel(bytes: Bytes): Promise<AnomalensModel>;
  /** Trains on every image given (no held-out split) and returns the model file's bytes. */
  train(dataset: Iterable<TrainingImage> | AsyncIterable<TrainingImage>, options?: TrainOptions): Promise<Uint8Array>;
  /** Parses a Lookout manifest with the CLI's checks; throws a ValidationException naming the line. */
  parseManifest(text: string): ManifestEntry[];
  /** What a model file says about itself: its configuration, the configuration search's candidates and its self-check. */
  describeModel(bytes: Uint8Array | ArrayBuffer): ModelDescription;
  /** Lookout's automatic split of one dataset (as `anomalens train` without a test set): true = held out for testing. */
  splitDataset(items: { sourceRef: string; label: ImageLabel }[]): boolean[];
  /** Pastes a self-check synthetic defect into a PNG/JPEG image: the bytes `anomalens synth-defects` writes. */
  synthesizeDefect(image: Bytes, options: SynthesizeDefectOptions): SyntheticDefect;
  /** The self-check's planner: `count` defects spread over families, sizes and contrasts, then `fewPixel` (default 0) of its few-pixel class (7 to 50 px): `anomalens synth-defects --count --few-pixel`. */
  planDefects(options: { seed?: number; count: number; families?: DefectFamily[]; fewPixel?: number }): DefectPlan[];
  /** Lookout's minimum image counts ('normal-only': ours, for one dataset without anomalies): null when met, else the CLI's message. */
  datasetMinimumsMessage(kind: 'single' | 'normal-only' | 'train' | 'test', counts: { normal: number; anomaly: number }): string | null;
  /** Frees the backbone and every model loaded through this instance. */
  dispose(): void;
}

/** True when this runtime runs WebAssembly SIMD, which anomalens needs. */
export declare function isWebAssemblySimdSupported(): boolean;

/** What lookoutHandler returns: the AWS SDK for JavaScript v3's request handler interface. */
export interface LookoutRequestHandler {
  handle(request: { method: string; path: string; headers: Record<string, string>; body?: unknown }):
    Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }>;
  updateHttpClientConfig(key: never, value: never): void;
  httpHandlerConfigs(): {};
  destroy(): void;
}

/**
 * A requestHandler for @aws-sdk/client-lookoutvision's LookoutVisionClient that answers
 * DetectAnomalies, DescribeModel and ListModels in-process from loaded models
 * (`models`: { 'project/version': AnomalensModel }); other operations get a
 * ValidationException naming those three. DetectAnomalies' body is the bytes
 * `anomalens serve --backend portable` returns for the same model and image.
 */
export declare function lookoutHandler(options: {
  models: Record<string, AnomalensModel> | Map<string, AnomalensModel>;
  region?: string;
  account?: string;
}): LookoutRequestHandler;

/** One row of the configuration search, as Anomalens#describeModel returns it. */
export interface SearchCandidate {
  name: string;
  shortSide: number;
  normalModel: 'shared-bank' | 'per-position' | 'auto';
  coarseWeight: number;
  darkSpots: boolean;
  chosen: boolean;
  syntheticRocAuc: number | null;
  syntheticAupro: number | null;
  syntheticRecall: number | null;
  /** The compression check: JPEG-like round trips of held-out normal images, and how many it calls anomalous (0 and 0: not run). */
  compressedNormals: number;
  compressedFlagged: number;
  labelledRocAuc: number | null;
  error?: string;
}

export interface SelfCheckGroup {
  name: string;
  defects: number;
  detected: number;
  recall: number | null;
  imageRocAuc: number | null;
}

/** Anomalens#describeModel's result. */
export interface ModelDescription {
  normalModel: 'shared-bank' | 'per-position';
  shortSide: number;
  scale: number;
  coarseWeight: number;
  darkSpots: boolean;
  thresholdRule: string;
  falsePositiveRate: number;
  normalImages: number;
  anomalyImages: number;
  segmentationClasses: string[];
  selfCheck: null | {
    defects: number;
    normalImages: number;
    imageRocAuc: number | null;
    pixelRocAuc: number | null;
    pixelAupro: number | null;
    recall: number | null;
    falsePositiveRate: number | null;
    compressedNormals: number;
    compressedFlagged: number;
    families: SelfCheckGroup[];
    sizes: SelfCheckGroup[];
  };
  configurationSearch: SearchCandidate[];
}
