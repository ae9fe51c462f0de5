#include "core/lookout/manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

namespace anomalens {
namespace {

// nlohmann::json keeps object keys in a std::map. ordered_json would keep the
// line's own key order, but it inserts by linear search: a 1 MB line of
// distinct keys would take quadratic time.
using Json = nlohmann::json;

// Every nlohmann call below is one that cannot throw: parse with
// allow_exceptions = false, find(), get_ptr<>() (nullptr on a type mismatch),
// get<double>() only after is_number(), and dump() with the "replace" error
// handler (the default handler throws on invalid UTF-8).
std::string Dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string At(int line_number) { return "manifest line " + std::to_string(line_number) + ": "; }

// Quotes a value for a message, cut short so that a 1 MB string cannot
// become a 1 MB error message.
std::string Excerpt(std::string_view text) {
  constexpr size_t kMaxShown = 40;
  if (text.size() <= kMaxShown) return std::string(text);
  return std::string(text.substr(0, kMaxShown)) + "...";
}

// True when arrays and objects nest deeper than `limit`. A cheap scan that
// only tracks strings (so brackets inside them do not count); anything else
// malformed is left for the parser to report.
bool NestsDeeperThan(std::string_view json, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // skip the escaped character, which may be a quote
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

bool IsBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

const Json* Find(const Json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const std::string* AsString(const Json* value) {
  return value == nullptr ? nullptr : value->get_ptr<const Json::string_t*>();
}

StatusOr<ImageLabel> ParseLabel(const Json& line, const std::string& at) {
  bool has_value = false;
  ImageLabel from_value = ImageLabel::kNormal;
  if (const Json* value = Find(line, "anomaly-label")) {
    const double v = value->is_number() ? value->get<double>() : -1.0;
    if (v != 0.0 && v != 1.0) {
      return InvalidInput(at + "\"anomaly-label\" must be 0 or 1, not " + Excerpt(Dump(*value)));
    }
    has_value = true;
    from_value = v == 1.0 ? ImageLabel::kAnomaly : ImageLabel::kNormal;
  }
  const Json* metadata = Find(line, "anomaly-label-metadata");
  if (metadata != nullptr && !metadata->is_object()) {
    return InvalidInput(at + "\"anomaly-label-metadata\" must be an object");
  }
  if (const Json* class_name = metadata ? Find(*metadata, "class-name") : nullptr) {
    // class-name decides, even against anomaly-label (see manifest.h).
    const std::string* name = AsString(class_name);
    if (name != nullptr && *name == "normal") return ImageLabel::kNormal;
    if (name != nullptr && *name == "anomaly") return ImageLabel::kAnomaly;
    return InvalidInput(at + "\"class-name\" must be \"normal\" or \"anomaly\", not " + Excerpt(Dump(*class_name)));
  }
  if (!has_value) {
    return InvalidInput(at + "missing \"anomaly-label\" (or \"anomaly-label-metadata\".\"class-name\")");
  }
  return from_value;
}

// "0", "1", ..., "12": canonical decimal, so that each index has exactly one
// spelling and sorting by value is the documented key order.
bool ParseColorMapKey(const std::string& key, int* index) {
  if (key.empty() || key.size() > 6) return false;
  if (key.size() > 1 && key[0] == '0') return false;
  int value = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *index = value;
  return true;
}

StatusOr<std::vector<MaskColor>> ParseColorMap(const Json& map, const std::string& at) {
  if (!map.is_object()) return InvalidInput(at + "\"internal-color-map\" must be an object");
  std::vector<std::pair<int, MaskColor>> indexed;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string& key = it.key();
    const std::string entry_at = at + "\"internal-color-map\" entry \"" + Excerpt(key) + "\"";
    int index = 0;
    if (!ParseColorMapKey(key, &index)) {
      return InvalidInput(entry_at + ": the key must be a number such as \"0\"");
    }
    const Json& entry = it.value();
    if (!entry.is_object()) return InvalidInput(entry_at + " must be an object");
    const std::string* class_name = AsString(Find(entry, "class-name"));
    if (class_name == nullptr || class_name->empty()) {
      return InvalidInput(entry_at + " needs a non-empty string \"class-name\"");
    }
    const std::string* hex = AsString(Find(entry, "hex-color"));
    if (hex == nullptr) return InvalidInput(entry_at + " needs a string \"hex-color\"");
    StatusOr<uint32_t> rgb = ParseHexColor(*hex);
    if (!rgb.ok()) return InvalidInput(entry_at + ": " + rgb.status().message());
    indexed.push_back({index, MaskColor{*class_name, *rgb}});
  }
  // Keys are unique strings and canonical, so indices are unique: the order
  // is total and sort's instability cannot show.
  std::sort(indexed.begin(), indexed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<MaskColor> colors;
  colors.reserve(indexed.size());
  for (auto& [index, color] : indexed) colors.push_back(std::move(color));
  return colors;
}

StatusOr<ManifestEntry> ParseLine(std::string_view text, int line_number) {
  const std::string at = At(line_number);
  if (NestsDeeperThan(text, kMaxManifestJsonDepth)) {
    return InvalidInput(at + "JSON nests deeper than " + std::to_string(kMaxManifestJsonDepth) + " levels");
  }
  const Json line = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (line.is_discarded()) return InvalidInput(at + "not valid JSON");
  if (!line.is_object()) return InvalidInput(at + "not a JSON object");

  ManifestEntry entry;
  entry.line_number = line_number;
  const Json* source_ref = Find(line, "source-ref");
  if (source_ref == nullptr) return InvalidInput(at + "missing \"source-ref\"");
  const std::string* source = AsString(source_ref);
  if (source == nullptr || source->empty()) {
    return InvalidInput(at + "\"source-ref\" must be a non-empty string");
  }
  entry.source_ref = *source;

  StatusOr<ImageLabel> label = ParseLabel(line, at);
  if (!label.ok()) return label.status();
  entry.label = *label;

  const Json* mask_ref = Find(line, "anomaly-mask-ref");
  if (mask_ref != nullptr) {
    const std::string* mask = AsString(mask_ref);
    if (mask == nullptr || mask->empty()) {
      return InvalidInput(at + "\"anomaly-mask-ref\" must be a non-empty string");
    }
    entry.mask_ref = *mask;
  }
  const Json* mask_metadata = Find(line, "anomaly-mask-ref-metadata");
  if (mask_metadata != nullptr && !mask_metadata->is_object()) {
    return InvalidInput(at + "\"anomaly-mask-ref-metadata\" must be an object");
  }
  const Json* color_map = mask_metadata ? Find(*mask_metadata, "internal-color-map") : nullptr;
  if (color_map != nullptr) {
    StatusOr<std::vector<MaskColor>> colors = ParseColorMap(*color_map, at);
    if (!colors.ok()) return colors.status();
    entry.color_map = std::move(colors).value();
  } else if (mask_ref != nullptr) {
    // Without the map the mask's colours cannot be read as anomaly types.
    return InvalidInput(at +
                        "\"anomaly-mask-ref\" needs \"anomaly-mask-ref-metadata\"."
                        "\"internal-color-map\"");
  }
  entry.raw_json = std::string(text);
  return entry;
}

}  // namespace

StatusOr<std::vector<ManifestEntry>> ParseManifest(std::string_view text) {
  std::vector<ManifestEntry> entries;
  int line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);

    // Limits come first, so an oversized input costs no parsing or copying.
    if (line.size() > kMaxManifestLineBytes) {
      return InvalidInput(At(line_number) + "the line is " + std::to_string(line.size()) + " bytes; the limit is " +
                          std::to_string(kMaxManifestLineBytes) + " bytes per line");
    }
    if (IsBlank(line)) continue;
    if (entries.size() >= kMaxManifestEntries) {
      return InvalidInput(At(line_number) + "more than " + std::to_string(kMaxManifestEntries) +
                          " entries; the limit is " + std::to_string(kMaxManifestEntries) + " images per manifest");
    }
    StatusOr<ManifestEntry> entry = ParseLine(line, line_number);
    if (!entry.ok()) return entry.status();
    entries.push_back(std::move(entry).value());
  }
  return entries;
}

StatusOr<uint32_t> ParseHexColor(std::string_view text) {
  const auto error = [&] { return InvalidInput("hex color \"" + Excerpt(text) + "\" must be \"#RRGGBB\""); };
  if (text.size() != 7 || text[0] != '#') return error();
  uint32_t rgb = 0;
  for (char c : text.substr(1)) {
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return error();
    }
    rgb = rgb << 4 | digit;
  }
  return rgb;
}

std::string EvaluationManifestLine(const ManifestEntry& entry, const DetectedLabel& detected) {
  const bool anomaly = entry.label == ImageLabel::kAnomaly;
  Json line;
  if (!NestsDeeperThan(entry.raw_json, kMaxManifestJsonDepth)) {
    line = Json::parse(entry.raw_json, nullptr, /*allow_exceptions=*/false);
  }
  if (!line.is_object()) {
    line = Json::object();
    line["source-ref"] = entry.source_ref;
    line["anomaly-label"] = anomaly ? 1 : 0;
    line["anomaly-label-metadata"] = Json::object();
    line["anomaly-label-metadata"]["class-name"] = anomaly ? "anomaly" : "normal";
  }
  Json metadata = Json::object();
  metadata["class-name"] = detected.is_anomalous ? "anomaly" : "normal";
  metadata["confidence"] = detected.confidence;
  metadata["type"] = "groundtruth/image-classification";
  metadata["human-annotated"] = "no";
  metadata["creation-date"] = detected.creation_date;
  metadata["job-name"] = "training-job/anomaly-detection";
  metadata["model-arn"] = detected.model_arn;
  metadata["project-name"] = detected.project_name;
  metadata["model-version"] = detected.model_version;
  line["anomaly-label-detected"] = detected.is_anomalous ? 1 : 0;
  line["anomaly-label-detected-metadata"] = std::move(metadata);
  return Dump(line);
}

}  // namespace anomalens
