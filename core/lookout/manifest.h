// Lookout for Vision manifests: JSON Lines in SageMaker Ground Truth format.
//
//   {"source-ref": "training-images/anomaly-1.jpg", "anomaly-label": 1,
//    "anomaly-label-metadata": {"class-name": "anomaly", ...},
//    "anomaly-mask-ref": "mask-images/anomaly-1.png",
//    "anomaly-mask-ref-metadata": {"internal-color-map": {"0": {"class-name": "cracked", "hex-color": "#23A436"}}}}
//
// Parsing works on text already read; the caller resolves paths and reads files.
#ifndef ANOMALENS_CORE_LOOKOUT_MANIFEST_H_
#define ANOMALENS_CORE_LOOKOUT_MANIFEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace anomalens {

enum class ImageLabel { kNormal, kAnomaly };

struct MaskColor {
  std::string class_name;  // "cracked"
  uint32_t rgb = 0;        // 0x23A436
};

struct ManifestEntry {
  int line_number = 0;        // 1-based, for error messages
  std::string source_ref;     // as written: relative path, absolute path, or s3://bucket/key
  ImageLabel label = ImageLabel::kNormal;
  std::string mask_ref;       // empty when the line has no anomaly-mask-ref
  std::vector<MaskColor> color_map;  // from internal-color-map, in key order ("0", "1", ...)
  std::string raw_json;       // the line as read (no line ending), kept so an evaluation manifest can extend it
  // Where the host found the image and mask (set by whoever reads the files;
  // the core never does). Kept apart from the refs as written, which name the
  // entry wherever the dataset lies: the automatic split hashes source_ref.
  std::string image_path;
  std::string mask_path;
};

// Lookout's limits on manifests.
constexpr size_t kMaxManifestLineBytes = 1u << 20;  // one JSON line, without its line ending
constexpr size_t kMaxManifestEntries = 20000;       // 16,000 training + 4,000 test images
// Ours: a Ground Truth line nests 4 deep. The cap keeps re-serializing a line
// (EvaluationManifestLine), which recurses, far from the stack limit.
constexpr int kMaxManifestJsonDepth = 64;

// Parses a whole manifest (JSON Lines; "\n" or "\r\n"; a UTF-8 byte order
// mark is ignored). Blank lines are skipped but counted for line numbers.
// An entry needs a non-empty string "source-ref" and a label:
// - "anomaly-label": 0 (normal) or 1 (anomaly), and/or
// - "anomaly-label-metadata"."class-name": "normal" or "anomaly".
// When both are present and disagree, class-name wins: Lookout's docs say
// class-name decides, and they contradict themselves on the numeric value.
// Both are validated when present; any other class-name is an error here
// (Lookout would silently treat the image as unlabeled).
// "anomaly-mask-ref", when present, needs "anomaly-mask-ref-metadata".
// "internal-color-map" entries {"class-name", "hex-color"} keyed "0", "1", ...
// A missing "confidence" is accepted, and a "BACKGROUND" entry is kept like
// any other. Only these fixed attribute names are read.
// Limits are checked before a line is parsed. Every error is kInvalidInput
// with a message starting "manifest line N: ".
StatusOr<std::vector<ManifestEntry>> ParseManifest(std::string_view text);

// Parses "#23A436" (hex digits case-insensitive) into 0x23A436. Only the
// seven-character "#RRGGBB" form is accepted.
StatusOr<uint32_t> ParseHexColor(std::string_view text);

// Renders `entry` as an evaluation manifest line: its original JSON with
// "anomaly-label-detected" (1 anomaly, 0 normal) and
// "anomaly-label-detected-metadata" {class-name, confidence, type,
// human-annotated: "no", creation-date, job-name, model-arn, project-name,
// model-version} added, as Lookout's evaluation manifest has them (type
// "groundtruth/image-classification", job-name "training-job/anomaly-detection";
// a NaN confidence becomes null). Keys already there with those names are
// replaced. The line is compact JSON without a line ending; objects' keys come
// out in sorted order (nlohmann::json), which JSON readers ignore. If raw_json
// is not a JSON object (an entry not made by ParseManifest), the line is built
// from source_ref and label alone. Invalid UTF-8 in the caller's strings is
// written as U+FFFD rather than failing.
struct DetectedLabel {
  bool is_anomalous = false;
  double confidence = 0;
  std::string creation_date;  // ISO 8601, supplied by the caller (the core has no clock)
  std::string model_arn;
  std::string project_name;
  std::string model_version;
};
std::string EvaluationManifestLine(const ManifestEntry& entry, const DetectedLabel& detected);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_MANIFEST_H_
