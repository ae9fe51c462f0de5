// Embind bindings over the core: no logic of their own. Bytes are copied in
// from JS typed arrays and results copied out (never a view of the heap).
//
// Failures come back as JS Error objects (name: Lookout's exception name,
// message: the core's) rather than being thrown from here: a JS exception
// unwinding through wasm frames skips C++ destructors and would leak. The
// npm package throws them (npm/index.mjs). JS callbacks passed in must not
// throw, for the same reason; the package wraps them. Running out of memory
// cannot come back that way: it aborts the module (AbortOutOfMemory below).
#include <emscripten/bind.h>
#include <emscripten/em_asm.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/backbone/backbone_weights.h"
#include "core/backbone/mobilenet_v2.h"
#include "core/base/hooks.h"
#include "core/base/tensor.h"
#include "core/image/image.h"
#include "core/image/image_decode.h"
#include "core/image/png_encode.h"
#include "core/lookout/anomaly_classes.h"
#include "core/lookout/class_mask.h"
#include "core/lookout/dataset_split.h"
#include "core/lookout/evaluation.h"
#include "core/lookout/manifest.h"
#include "core/lookout/result_json.h"
#include "core/model/detector.h"
#include "core/model/model_file.h"
#include "core/model/configuration_search.h"
#include "core/model/model_summary.h"
#include "core/model/trainer.h"
#include "core/selfcheck/synthetic_defect.h"

namespace anomalens {
namespace {

using emscripten::val;

// Status codes to the exception names of Lookout for Vision's API (plus the
// DOM's AbortError for a cancelled training).
const char* LookoutErrorName(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidInput:
    case StatusCode::kUnsupported:
    case StatusCode::kDataLoss:
      return "ValidationException";
    case StatusCode::kResourceExhausted:
      return "ServiceQuotaExceededException";
    case StatusCode::kCancelled:
      return "AbortError";
    case StatusCode::kOk:
    case StatusCode::kInternal:
      break;
  }
  return "InternalServerException";
}

val ErrorValue(const Status& status) {
  val error = val::global("Error").new_(val(status.message()));
  error.set("name", val(LookoutErrorName(status.code())));
  return error;
}

// The most bytes one input may have: the copy into the module needs them in
// one block, and dlmalloc grows the heap by less than 2 GB at a time.
constexpr size_t kMaxInputBytes = 0x7fffffff;

// `what` (a JS Uint8Array, or an array of numbers) copied into the heap,
// after its length is checked: an input the module cannot hold is refused
// by its length, naming the limit, instead of aborting inside the copy.
StatusOr<std::vector<uint8_t>> CopyIn(const val& bytes, const std::string& what) {
  const val length = bytes.isNull() || bytes.isUndefined() ? val::undefined() : bytes["length"];
  if (!length.isNumber()) return InvalidInput(what + " must be a Uint8Array");
  const double size = length.as<double>();
  if (size > static_cast<double>(kMaxInputBytes)) {
    return ResourceExhausted(what + " is " + std::to_string(static_cast<uint64_t>(size)) +
                             " bytes; the WebAssembly module takes at most " + std::to_string(kMaxInputBytes) +
                             " bytes (2 GiB - 1) in one input: use the native CLI for larger ones");
  }
  return emscripten::convertJSArrayToNumberVector<uint8_t>(bytes);
}

// An encoded image's bytes, checked as DecodeImage checks them first.
StatusOr<std::vector<uint8_t>> CopyInImage(const val& bytes) {
  const val length = bytes.isNull() || bytes.isUndefined() ? val::undefined() : bytes["length"];
  if (!length.isNumber()) return InvalidInput("image must be a Uint8Array");
  RETURN_IF_ERROR(CheckEncodedImageSize(static_cast<size_t>(length.as<double>())));
  return emscripten::convertJSArrayToNumberVector<uint8_t>(bytes);
}

// A fresh Uint8Array holding a copy of `bytes`.
val CopyOut(const std::vector<uint8_t>& bytes) {
  return val(emscripten::typed_memory_view(bytes.size(), bytes.data())).call<val>("slice");
}

// RGBA pixels (ImageData.data's layout) as the core's RGB image; alpha is
// dropped as DecodeImage drops it. The side limits are DetectAnomalies'.
StatusOr<RgbImage> RgbFromRgba(const val& rgba, int width, int height) {
  const ImageLimits limits;
  if (width < limits.min_side || height < limits.min_side || width > limits.max_side || height > limits.max_side) {
    return InvalidInput("image is " + std::to_string(width) + "x" + std::to_string(height) + " px; each side must be " +
                        std::to_string(limits.min_side) + " to " + std::to_string(limits.max_side) + " px");
  }
  const size_t pixels = static_cast<size_t>(width) * height;
  // The length before the copy: never more than the 64 MiB of 4096 x 4096.
  const val length = rgba.isNull() || rgba.isUndefined() ? val::undefined() : rgba["length"];
  if (!length.isNumber()) return InvalidInput("RGBA data must be a Uint8Array or Uint8ClampedArray");
  if (length.as<double>() != static_cast<double>(pixels * 4)) {
    return InvalidInput("RGBA data has " + std::to_string(static_cast<uint64_t>(length.as<double>())) + " bytes; a " +
                        std::to_string(width) + "x" + std::to_string(height) + " image needs " +
                        std::to_string(pixels * 4));
  }
  const std::vector<uint8_t> in = emscripten::convertJSArrayToNumberVector<uint8_t>(rgba);
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(pixels * 3);
  for (size_t i = 0; i < pixels; ++i) {
    image.pixels[i * 3 + 0] = in[i * 4 + 0];
    image.pixels[i * 3 + 1] = in[i * 4 + 1];
    image.pixels[i * 3 + 2] = in[i * 4 + 2];
  }
  return image;
}

Status NoBackboneStatus() { return InvalidInput("the backbone has no weights loaded"); }

// The converted MobileNetV2 weights (an ANWB file), parsed and checked.
class WasmBackbone {
 public:
  // Returns null, or an Error.
  val Load(val bytes) {
    StatusOr<std::vector<uint8_t>> copied = CopyIn(bytes, "backbone weights");
    if (!copied.ok()) return ErrorValue(copied.status());
    StatusOr<BackboneWeights> weights = ParseBackboneWeights(*copied);
    if (!weights.ok()) return ErrorValue(weights.status());
    StatusOr<MobileNetV2> net = MobileNetV2::Create(std::move(weights).value());
    if (!net.ok()) return ErrorValue(net.status());
    net_ = std::make_shared<const MobileNetV2>(std::move(net).value());
    return val::null();
  }
  std::string Id() const { return net_ ? net_->id() : ""; }
  uint32_t Checksum() const { return net_ ? net_->checksum() : 0; }

  // The network alone, for benchmarks (bench/wasm-vs-tfjs): an NHWC float
  // input in [-1, 1] (height x width x 3, sides multiples of 16) through
  // MobileNetV2::Run. Returns block_10_project_BN's output (a Float32Array,
  // height/16 x width/16 x 96), or an Error.
  val Run(val input, int height, int width) const {
    if (!net_) return ErrorValue(NoBackboneStatus());
    Tensor tensor;
    tensor.height = height;
    tensor.width = width;
    tensor.channels = 3;
    const std::vector<float> floats = emscripten::convertJSArrayToNumberVector<float>(input);
    tensor.data.assign(floats.begin(), floats.end());
    if (height < 0 || width < 0 || tensor.data.size() != tensor.pixels() * 3) {
      return ErrorValue(InvalidInput("input needs height x width x 3 floats"));
    }
    // MobileNetV2::Run checks the sides.
    StatusOr<MobileNetV2::Taps> taps = net_->Run(tensor);
    if (!taps.ok()) return ErrorValue(taps.status());
    const auto& out = taps->stride16.data;
    return val(emscripten::typed_memory_view(out.size(), out.data())).call<val>("slice");
  }

  const std::shared_ptr<const MobileNetV2>& net() const { return net_; }

 private:
  std::shared_ptr<const MobileNetV2> net_;
};

Status NoBackbone() { return NoBackboneStatus(); }

// A model file loaded for DetectAnomalies.
class WasmDetector {
 public:
  // Returns null, or an Error.
  val Load(const WasmBackbone& backbone, val model_bytes) {
    if (!backbone.net()) return ErrorValue(NoBackbone());
    StatusOr<std::vector<uint8_t>> copied = CopyIn(model_bytes, "model");
    if (!copied.ok()) return ErrorValue(copied.status());
    StatusOr<std::unique_ptr<Detector>> detector = Detector::Create(*copied, backbone.net());
    if (!detector.ok()) return ErrorValue(detector.status());
    detector_ = std::move(detector).value();
    return val::null();
  }

  // Encoded PNG or JPEG bytes; content type "image/png", "image/jpeg" or ""
  // (sniffed). Returns DetectAnomalyResultJson's string, or an Error.
  val Detect(val image_bytes, std::string content_type) const {
    if (!detector_) return ErrorValue(InvalidInput("no model is loaded"));
    StatusOr<std::vector<uint8_t>> copied = CopyInImage(image_bytes);
    if (!copied.ok()) return ErrorValue(copied.status());
    return JsonOrError(detector_->Detect(*copied, content_type));
  }

  // RGBA pixels, row-major (ImageData.data). Returns the JSON, or an Error.
  val DetectRgba(val rgba, int width, int height) const {
    if (!detector_) return ErrorValue(InvalidInput("no model is loaded"));
    StatusOr<RgbImage> image = RgbFromRgba(rgba, width, height);
    if (!image.ok()) return ErrorValue(image.status());
    return JsonOrError(detector_->DetectImage(*image));
  }

 private:
  static val JsonOrError(const StatusOr<DetectAnomalyResult>& result) {
    if (!result.ok()) return ErrorValue(result.status());
    return val(DetectAnomalyResultJson(*result));
  }

  std::unique_ptr<Detector> detector_;
  friend class WasmEvaluation;
};

// Lookout's evaluation of a model on labelled test images: each image is
// detected and kept (with its raw score, which the JSON lacks), then
// core/lookout/evaluation.h's metrics, as `anomalens evaluate` computes them.
class WasmEvaluation {
 public:
  // Returns the image's DetectAnomalyResult JSON, or an Error.
  val Add(const WasmDetector& detector, val image_bytes, std::string content_type, bool anomalous) {
    if (!detector.detector_) return ErrorValue(InvalidInput("no model is loaded"));
    StatusOr<std::vector<uint8_t>> copied = CopyInImage(image_bytes);
    if (!copied.ok()) return ErrorValue(copied.status());
    StatusOr<DetectAnomalyResult> result = detector.detector_->Detect(*copied, content_type);
    if (!result.ok()) return ErrorValue(result.status());
    images_.push_back({anomalous, *result});
    return val(DetectAnomalyResultJson(*result));
  }

  // Lookout's EvaluationResult JSON for the images added so far (null
  // metrics where undefined, e.g. ROCAUC without both labels).
  std::string ResultJson(const WasmDetector& detector, std::string model_arn, std::string end_timestamp) const {
    EvaluationDetails details;
    details.model_arn = std::move(model_arn);
    details.end_timestamp = std::move(end_timestamp);
    if (detector.detector_) {
      const Model& model = detector.detector_->model();
      details.training_images = model.stats.normal_images + model.stats.anomaly_images;
    }
    return EvaluationResultJson(Evaluate(images_), details);
  }

 private:
  std::vector<EvaluatedImage> images_;
};

// A Lookout manifest's entries as JS objects
// { sourceRef, label, maskRef, colorMap: { className: '#RRGGBB' } }, or an
// Error naming the line (core/lookout/manifest.h's checks, as the CLI's).
val ParseManifestText(std::string text) {
  StatusOr<std::vector<ManifestEntry>> entries = ParseManifest(text);
  if (!entries.ok()) return ErrorValue(entries.status());
  val out = val::array();
  for (const ManifestEntry& e : *entries) {
    val entry = val::object();
    entry.set("sourceRef", val(e.source_ref));
    entry.set("label", val(e.label == ImageLabel::kAnomaly ? "anomaly" : "normal"));
    entry.set("maskRef", e.mask_ref.empty() ? val::null() : val(e.mask_ref));
    val colors = val::object();
    for (const MaskColor& c : e.color_map) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "#%06X", static_cast<unsigned>(c.rgb & 0xFFFFFF));
      colors.set(c.class_name, val(std::string(hex)));
    }
    entry.set("colorMap", colors);
    out.call<void>("push", entry);
  }
  return out;
}

// Lookout's automatic 80/20 split of a single dataset (core/lookout/dataset_split.h),
// as `anomalens train` makes it without a test set: for parallel arrays of
// source refs and labels, an array of booleans, true for a held-out test image.
val SplitDatasetRefs(val source_refs, val labels) {
  const std::vector<std::string> refs = emscripten::vecFromJSArray<std::string>(source_refs);
  const std::vector<std::string> names = emscripten::vecFromJSArray<std::string>(labels);
  if (refs.size() != names.size()) return ErrorValue(InvalidInput("one label per source ref is needed"));
  std::vector<ManifestEntry> entries(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    entries[i].line_number = static_cast<int>(i) + 1;
    entries[i].source_ref = refs[i];
    entries[i].raw_json = std::to_string(i);  // the split's last tie-break; keeps equal refs apart
    entries[i].label = names[i] == "anomaly" ? ImageLabel::kAnomaly : ImageLabel::kNormal;
  }
  const DatasetSplit split = SplitDataset(entries);
  val held_out = val::array();
  for (size_t i = 0; i < refs.size(); ++i) held_out.call<void>("push", val(false));
  for (const ManifestEntry& e : split.test) held_out.set(e.line_number - 1, val(true));
  return held_out;
}

// Lookout's minimum image counts (core/lookout/dataset_split.h): `kind` is "single"
// (one dataset, split automatically), "normal-only" (one dataset without
// labelled anomalies: ours), "train" or "test". Returns null when
// met, else the message the CLI gives.
val DatasetMinimumsMessage(std::string kind, int normal, int anomaly) {
  const LabelCounts counts{normal, anomaly};
  Status status;
  if (kind == "single") status = CheckSingleDatasetMinimums(counts);
  else if (kind == "normal-only") status = CheckNormalOnlyDatasetMinimums(counts);
  else if (kind == "train") status = CheckTrainingDatasetMinimums(counts);
  else if (kind == "test") status = CheckTestDatasetMinimums(counts);
  else return val("kind must be 'single', 'normal-only', 'train' or 'test'");
  return status.ok() ? val::null() : val(status.message());
}

// A JS number that must be a whole seed below 2^53 (exactly representable).
StatusOr<uint64_t> SeedFromNumber(double seed) {
  const bool in_range = seed >= 0 && seed <= static_cast<double>(kMaxDefectSeed);  // false for NaN
  if (!in_range || seed != static_cast<double>(static_cast<uint64_t>(seed))) {
    return InvalidInput("seed must be a whole number from 0 to 2^53 - 1");
  }
  return static_cast<uint64_t>(seed);
}

// A self-check synthetic defect (core/selfcheck/synthetic_defect.h) pasted
// into a PNG or JPEG image: `donor` (image bytes, or null) gives the texture
// family its texture. Returns { image, mask } as PNG bytes (the same bytes
// `anomalens synth-defects` writes) with variant, box and pixel counts, or an
// Error.
val SynthesizeDefectPng(val image_bytes, val donor_bytes, std::string family_name, double area_fraction,
                        double contrast, double seed, int area_pixels) {
  StatusOr<std::vector<uint8_t>> copied = CopyInImage(image_bytes);
  if (!copied.ok()) return ErrorValue(copied.status());
  StatusOr<RgbImage> image = DecodeImage(*copied, "");
  if (!image.ok()) return ErrorValue(image.status());
  std::optional<RgbImage> donor;
  if (!donor_bytes.isNull() && !donor_bytes.isUndefined()) {
    StatusOr<std::vector<uint8_t>> donor_copied = CopyInImage(donor_bytes);
    StatusOr<RgbImage> decoded = donor_copied.ok() ? DecodeImage(*donor_copied, "") : donor_copied.status();
    if (!decoded.ok()) return ErrorValue(Status(decoded.status().code(), "donor: " + decoded.status().message()));
    donor = std::move(decoded).value();
  }
  StatusOr<DefectFamily> family = ParseDefectFamily(family_name);
  if (!family.ok()) return ErrorValue(family.status());
  StatusOr<uint64_t> plan_seed = SeedFromNumber(seed);
  if (!plan_seed.ok()) return ErrorValue(plan_seed.status());
  StatusOr<SyntheticDefect> d =
      SynthesizeDefect(*image, {*family, area_fraction, contrast, *plan_seed, area_pixels}, donor ? &*donor : nullptr);
  if (!d.ok()) return ErrorValue(d.status());
  val out = val::object();
  out.set("image", CopyOut(EncodePng(d->image.pixels.data(), d->image.width, d->image.height, 3)));
  out.set("mask", CopyOut(EncodePng(d->mask.data(), d->image.width, d->image.height, 1)));
  out.set("variant", val(d->variant));
  out.set("boxX", val(d->box_x));
  out.set("boxY", val(d->box_y));
  out.set("boxWidth", val(d->box_width));
  out.set("boxHeight", val(d->box_height));
  out.set("maskPixels", val(static_cast<double>(d->mask_pixels)));
  out.set("changedPixels", val(static_cast<double>(d->changed_pixels)));
  return out;
}

// PlanDefects: `count` plans from `seed` over the named families (an array
// of names), then `few_pixel` plans of PlanFewPixelDefects (same seed and
// families, as `synth-defects --few-pixel`), as
// [{ family, areaFraction, contrast, seed, areaPixels }], or an Error.
val PlanSyntheticDefects(double seed, int count, val family_names, int few_pixel) {
  StatusOr<uint64_t> plan_seed = SeedFromNumber(seed);
  if (!plan_seed.ok()) return ErrorValue(plan_seed.status());
  if (count < 0 || count > 100000) return ErrorValue(InvalidInput("count must be 0 to 100000"));
  if (few_pixel < 0 || few_pixel > 100000) return ErrorValue(InvalidInput("fewPixel must be 0 to 100000"));
  std::vector<DefectFamily> families;
  for (const std::string& name : emscripten::vecFromJSArray<std::string>(family_names)) {
    StatusOr<DefectFamily> family = ParseDefectFamily(name);
    if (!family.ok()) return ErrorValue(family.status());
    families.push_back(*family);
  }
  val out = val::array();
  std::vector<DefectPlan> plans = PlanDefects(*plan_seed, count, families);
  for (const DefectPlan& p : PlanFewPixelDefects(*plan_seed, few_pixel, families)) plans.push_back(p);
  for (const DefectPlan& p : plans) {
    val plan = val::object();
    plan.set("family", val(std::string(DefectFamilyName(p.family))));
    plan.set("areaFraction", val(p.area_fraction));
    plan.set("contrast", val(p.contrast));
    plan.set("seed", val(static_cast<double>(p.seed)));
    plan.set("areaPixels", val(p.area_pixels));
    out.call<void>("push", plan);
  }
  return out;
}

// A model file's own account of itself (model_summary.h): JSON text, or an Error.
val DescribeModel(val model_bytes) {
  StatusOr<std::vector<uint8_t>> bytes = CopyIn(model_bytes, "model");
  if (!bytes.ok()) return ErrorValue(bytes.status());
  StatusOr<Model> model = ParseModelFile(*bytes);
  if (!model.ok()) return ErrorValue(model.status());
  return val(ModelSummaryJson(*model));
}

// core/model/trainer.h, one image at a time, then Finish to a model file.
class WasmTrainer {
 public:
  // `options` may set any of: shortSide, coresetRatio, coarseWeight,
  // anomalyPatchesPerImage, falsePositiveRate (ModelConfig's fields; the rest keep the core's
  // defaults). The trainer checks them when the first image arrives.
  WasmTrainer(const WasmBackbone& backbone, val options) : backbone_(backbone.net()) {
    auto set = [&options](const char* key, auto* field) {
      if (options.isUndefined() || options.isNull()) return;
      const val v = options[key];
      if (v.typeOf().as<std::string>() == "number") *field = static_cast<std::remove_pointer_t<decltype(field)>>(v.as<double>());
    };
    set("shortSide", &config_.short_side);
    set("coresetRatio", &config_.coreset_ratio);
    set("coarseWeight", &config_.coarse_weight);
    set("anomalyPatchesPerImage", &config_.anomaly_patches_per_image);
    // normalModel ('auto', 'shared-bank', 'per-position') and darkSpots (a
    // boolean): the CLI's --normal-model and --no-dark-spots. index.mjs
    // checks them first; a wrong one here fails every call, naming it.
    if (!options.isUndefined() && !options.isNull()) {
      const val kind = options["normalModel"];
      if (!kind.isUndefined() && (kind.typeOf().as<std::string>() != "string" ||
                                  !ParseNormalModelKind(kind.as<std::string>(), &config_.normal_model))) {
        options_error_ = InvalidInput("normalModel must be 'auto', 'shared-bank' or 'per-position'");
      }
      // falsePositiveRate: the CLI's --false-positive-rate (0 < R < 0.5).
      const val rate = options["falsePositiveRate"];
      if (!rate.isUndefined()) {
        if (rate.typeOf().as<std::string>() == "number" && rate.as<double>() > 0 && rate.as<double>() < 0.5) {
          config_.false_positive_rate = rate.as<double>();
        } else {
          options_error_ = InvalidInput("falsePositiveRate must be a number above 0 and below 0.5");
        }
      }
      const val spots = options["darkSpots"];
      if (!spots.isUndefined()) {
        if (spots.typeOf().as<std::string>() == "boolean") config_.dark_spots = spots.as<bool>();
        else options_error_ = InvalidInput("darkSpots must be true or false");
      }
      // quick (a boolean): the CLI's --quick, one model with the defaults.
      // searchPins: which of the options the user gave, each removing its
      // dimension from the configuration search (index.mjs fills it; the
      // short side it derives for masks is not the user's pin).
      const val quick = options["quick"];
      if (!quick.isUndefined()) {
        if (quick.typeOf().as<std::string>() == "boolean") quick_ = quick.as<bool>();
        else options_error_ = InvalidInput("quick must be true or false");
      }
      const val pins = options["searchPins"];
      if (!pins.isUndefined() && !pins.isNull()) {
        const auto pinned = [&pins](const char* key) { return !pins[key].isUndefined() && pins[key].as<bool>(); };
        pins_.short_side = pinned("shortSide");
        pins_.normal_model = pinned("normalModel");
        pins_.coarse_weight = pinned("coarseWeight");
        pins_.dark_spots = pinned("darkSpots");
      }
    }
    if (backbone_) {
      if (quick_) trainer_ = std::make_unique<Trainer>(backbone_, config_);
      else search_ = std::make_unique<ConfigurationSearch>(backbone_, config_, std::vector<AnomalyClass>{}, pins_);
    }
  }

  // Label "normal" or "anomaly". `mask_bytes` (a label mask PNG, or null)
  // with `class_names` and `class_colors` (its colour map: parallel arrays
  // of names and "#RRGGBB") makes a segmentation model, as a manifest's
  // anomaly-mask-ref and internal-color-map do. Returns null, or an Error.
  val AddImage(val image_bytes, std::string content_type, std::string label, val mask_bytes, val class_names,
               val class_colors) {
    if (!options_error_.ok()) return ErrorValue(options_error_);
    StatusOr<ImageLabel> parsed = ParseLabel(label);
    if (!parsed.ok()) return ErrorValue(parsed.status());
    StatusOr<std::vector<uint8_t>> copied = CopyInImage(image_bytes);
    if (!copied.ok()) return ErrorValue(copied.status());
    StatusOr<RgbImage> image = DecodeImage(*copied, content_type);
    if (!image.ok()) return ErrorValue(image.status());
    if (mask_bytes.isNull() || mask_bytes.isUndefined()) return Add(*image, *parsed);
    if (!started()) return ErrorValue(finished_ ? InvalidInput("this trainer has already finished") : NoBackbone());
    // The same checks as a manifest's lines get (anomaly_classes.h).
    ManifestEntry entry;
    entry.line_number = ++masks_;
    entry.source_ref = "dataset item with mask " + std::to_string(masks_);
    entry.mask_ref = "Mask";
    const std::vector<std::string> names = emscripten::vecFromJSArray<std::string>(class_names);
    const std::vector<std::string> colors = emscripten::vecFromJSArray<std::string>(class_colors);
    if (names.size() != colors.size()) return ErrorValue(InvalidInput("a colour map needs one colour per class name"));
    for (size_t i = 0; i < names.size(); ++i) {
      StatusOr<uint32_t> rgb = ParseHexColor(colors[i]);
      if (!rgb.ok()) return ErrorValue(InvalidInput("class '" + names[i] + "': " + rgb.status().message()));
      entry.color_map.push_back({names[i], *rgb});
    }
    masked_entries_.push_back(entry);
    StatusOr<std::vector<AnomalyClass>> classes = CollectAnomalyClasses(masked_entries_);
    if (!classes.ok()) return ErrorValue(classes.status());
    const Status extended = trainer_ ? trainer_->ExtendClasses(*classes) : search_->ExtendClasses(*classes);
    if (!extended.ok()) return ErrorValue(extended);
    StatusOr<std::vector<uint8_t>> mask_copied = CopyInImage(mask_bytes);
    if (!mask_copied.ok()) return ErrorValue(Status(mask_copied.status().code(), "Mask: " + mask_copied.status().message()));
    StatusOr<ClassMask> mask = DecodeClassMask(*mask_copied, {image->width, image->height}, entry.color_map,
                                               trainer_ ? trainer_->classes() : search_->classes());
    if (!mask.ok()) return ErrorValue(Status(mask.status().code(), "Mask: " + mask.status().message()));
    const Status added = trainer_ ? trainer_->AddImage(*image, *parsed, &*mask) : search_->AddImage(*image, *parsed, &*mask);
    if (!added.ok()) return ErrorValue(added);
    return val::null();
  }

  // The same from RGBA pixels.
  val AddRgba(val rgba, int width, int height, std::string label) {
    StatusOr<ImageLabel> parsed = ParseLabel(label);
    if (!parsed.ok()) return ErrorValue(parsed.status());
    StatusOr<RgbImage> image = RgbFromRgba(rgba, width, height);
    if (!image.ok()) return ErrorValue(image.status());
    return Add(*image, *parsed);
  }

  // Builds the model. `progress(stage, done, total)` and `cancelled()` are JS
  // functions (or null); neither may throw. Returns the model file's bytes
  // (Uint8Array), or an Error. A trainer finishes once.
  val Finish(val progress, val cancelled) {
    if (!options_error_.ok()) return ErrorValue(options_error_);
    if (finished_) return ErrorValue(InvalidInput("this trainer has already finished"));
    if (!started()) return ErrorValue(NoBackbone());
    finished_ = true;
    Hooks hooks;
    if (progress.typeOf().as<std::string>() == "function") {
      hooks.progress = [&progress](std::string_view stage, size_t done, size_t total) {
        progress(val(std::string(stage)), val(static_cast<double>(done)), val(static_cast<double>(total)));
      };
    }
    if (cancelled.typeOf().as<std::string>() == "function") {
      hooks.cancelled = [&cancelled]() { return cancelled().as<bool>(); };
    }
    StatusOr<Model> model = trainer_ ? trainer_->Finish(hooks) : search_->Finish(hooks);
    trainer_.reset();  // the features are no longer needed
    search_.reset();
    if (!model.ok()) return ErrorValue(model.status());
    return CopyOut(SerializeModel(*model));
  }

  int NormalImages() const { return trainer_ ? trainer_->normal_images() : search_ ? search_->normal_images() : 0; }
  int AnomalyImages() const { return trainer_ ? trainer_->anomaly_images() : search_ ? search_->anomaly_images() : 0; }

 private:
  static StatusOr<ImageLabel> ParseLabel(const std::string& label) {
    if (label == "normal") return ImageLabel::kNormal;
    if (label == "anomaly") return ImageLabel::kAnomaly;
    return InvalidInput("label must be 'normal' or 'anomaly', got '" + label + "'");
  }

  val Add(const RgbImage& image, ImageLabel label) {
    if (!options_error_.ok()) return ErrorValue(options_error_);
    if (!started()) return ErrorValue(finished_ ? InvalidInput("this trainer has already finished") : NoBackbone());
    const Status added = trainer_ ? trainer_->AddImage(image, label) : search_->AddImage(image, label);
    if (!added.ok()) return ErrorValue(added);
    return val::null();
  }

  std::shared_ptr<const MobileNetV2> backbone_;
  ModelConfig config_;
  Status options_error_;  // a normalModel or darkSpots option this build cannot take
  bool started() const { return trainer_ || search_; }

  bool quick_ = false;
  SearchPins pins_;
  std::unique_ptr<Trainer> trainer_;              // quick
  std::unique_ptr<ConfigurationSearch> search_;   // otherwise
  bool finished_ = false;
  int masks_ = 0;
  std::vector<ManifestEntry> masked_entries_;  // the colour maps seen, for CollectAnomalyClasses
};

// Bytes held by live heap allocations (dlmalloc's count). The WebAssembly
// memory's size only shows a leak once the free space is used up; this shows
// one of a single byte, so a leak check needs a few cycles, not thousands.
// (mallinfo's fields are ints: past 2 GB they wrap, so read them unsigned.)
double HeapBytesInUse() { return static_cast<double>(static_cast<uint32_t>(mallinfo().uordblks)); }

// Out of memory: malloc returns null once the memory cannot grow (it is at
// MAXIMUM_MEMORY, 4 GB, all wasm32 can address, or the host refuses) or it
// would have to grow by 2 GB or more at once (dlmalloc's sbrk increment is
// signed: a block that large fails unless free space at the top makes up
// the difference). Without exceptions nothing can unwind the C++ frames, so
// this aborts as libc++'s operator new would, but first leaves a note on the
// Module: the npm package (npm/index.mjs) turns the abort's bare
// "RuntimeError: Aborted()" into its named out-of-memory error with these
// figures. `requested_bytes` is 0 where unknown.
[[noreturn]] void AbortOutOfMemory(double requested_bytes) {
  // (No commas in the JS: EM_ASM's macro would split the code there.)
  EM_ASM(
      {
        var note = {};
        note["requestedBytes"] = $0;
        note["heapBytesInUse"] = $1;
        note["memoryBytes"] = HEAPU8.length;
        Module["anomalensOutOfMemory"] = note;
      },
      requested_bytes, HeapBytesInUse());
  std::abort();
}

// The new-handler, for the operator new forms not replaced below (aligned).
void OnOutOfMemory() { AbortOutOfMemory(0); }

// Test-only (tests/js/wasm_memory.test.mjs), not part of the package's API:
// asks operator new for `count` blocks of `bytes` bytes, holds them all, then
// frees them. No image or model reaches the out-of-memory path cheaply (the
// decoders check sizes first), while these requests do at once: nothing
// touches the blocks, so the memory grows without using the machine's.
void AllocateForTesting(double bytes, int count) {
  const double clamped = std::max(0.0, std::min(bytes, static_cast<double>(SIZE_MAX)));
  std::vector<void*> blocks;
  for (int i = 0; i < count; ++i) blocks.push_back(::operator new(static_cast<size_t>(clamped)));
  for (void* block : blocks) ::operator delete(block);
}

}  // namespace
}  // namespace anomalens

// libc++'s operator new, replaced (it is a replaceable function) so that the
// out-of-memory note names the request's size; operator new[] and the
// nothrow forms call this one. Like libc++'s without exceptions, it never
// returns null.
void* operator new(std::size_t size) {
  if (void* block = std::malloc(size == 0 ? 1 : size)) return block;
  anomalens::AbortOutOfMemory(static_cast<double>(size));
}

// npm/index.mjs finds every function and class bound here (by Embind's own
// marks, boundNames) and guards each call against an aborted module.
EMSCRIPTEN_BINDINGS(anomalens) {
  using namespace emscripten;
  using namespace anomalens;
  std::set_new_handler(&OnOutOfMemory);
  function("defaultShortSide", &DefaultShortSide);
  function("parseManifest", &ParseManifestText);
  function("splitDataset", &SplitDatasetRefs);
  function("datasetMinimumsMessage", &DatasetMinimumsMessage);
  function("synthesizeDefect", &SynthesizeDefectPng);
  function("planDefects", &PlanSyntheticDefects);
  function("describeModel", &DescribeModel);
  function("heapBytesInUse", &HeapBytesInUse);
  function("allocateForTesting", &AllocateForTesting);
  class_<WasmBackbone>("Backbone")
      .constructor<>()
      .function("load", &WasmBackbone::Load)
      .function("id", &WasmBackbone::Id)
      .function("checksum", &WasmBackbone::Checksum)
      .function("run", &WasmBackbone::Run);
  class_<WasmDetector>("Detector")
      .constructor<>()
      .function("load", &WasmDetector::Load)
      .function("detect", &WasmDetector::Detect)
      .function("detectRgba", &WasmDetector::DetectRgba);
  class_<WasmEvaluation>("Evaluation")
      .constructor<>()
      .function("add", &WasmEvaluation::Add)
      .function("resultJson", &WasmEvaluation::ResultJson);
  class_<WasmTrainer>("Trainer")
      .constructor<const WasmBackbone&, val>()
      .function("addImage", &WasmTrainer::AddImage)
      .function("addRgba", &WasmTrainer::AddRgba)
      .function("finish", &WasmTrainer::Finish)
      .function("normalImages", &WasmTrainer::NormalImages)
      .function("anomalyImages", &WasmTrainer::AnomalyImages);
}
