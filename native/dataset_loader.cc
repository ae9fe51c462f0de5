#include "native/dataset_loader.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "native/file_io.h"

namespace anomalens {
namespace {

// Lookout's largest manifest is 16,000 training lines; 1 MiB a line bounds it.
constexpr size_t kMaxManifestFileBytes = 256u << 20;

bool HasImageExtension(const std::string& name) {
  const size_t dot = name.find_last_of('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == "png" || ext == "jpg" || ext == "jpeg";
}

StatusOr<std::string> ResolveRef(const std::string& ref, const std::string& manifest_dir, int line) {
  const std::string where = "manifest line " + std::to_string(line) + ": ";
  if (ref.rfind("s3://", 0) == 0) {
    return Unsupported(where + "'" + ref +
                       "' is an S3 location; the command-line tools read local paths (relative to the manifest)");
  }
  if (!ref.empty() && ref[0] == '/') {
    if (IsRegularFile(ref)) return ref;
    return InvalidInput(where + "image '" + ref + "' does not exist");
  }
  const std::string beside = JoinPath(manifest_dir, ref);
  if (IsRegularFile(beside)) return beside;
  const std::string above = JoinPath(ParentDirectory(manifest_dir), ref);
  if (IsRegularFile(above)) return above;
  return InvalidInput(where + "image '" + ref + "' not found in " + manifest_dir + " or its parent folder");
}

// A manifest line for a file found in a folder, so every source carries the
// same raw JSON that evaluation manifests extend.
ManifestEntry EntryForFile(const std::string& path, ImageLabel label, const std::string& mask) {
  ManifestEntry e;
  e.source_ref = path;
  e.label = label;
  e.mask_ref = mask;
  const bool anomaly = label == ImageLabel::kAnomaly;
  nlohmann::ordered_json j;
  j["source-ref"] = path;
  j["anomaly-label"] = anomaly ? 1 : 0;
  j["anomaly-label-metadata"] = {{"class-name", anomaly ? "anomaly" : "normal"},
                                 {"human-annotated", "yes"},
                                 {"type", "groundtruth/image-classification"},
                                 {"job-name", "anomaly-label"}};
  if (!mask.empty()) j["anomaly-mask-ref"] = mask;
  e.raw_json = j.dump();
  return e;
}

StatusOr<std::vector<std::string>> ImagesIn(const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir));
  std::vector<std::string> paths;
  for (const std::string& n : names)
    if (HasImageExtension(n) && IsRegularFile(JoinPath(dir, n))) paths.push_back(JoinPath(dir, n));
  return paths;
}

std::string Stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

}  // namespace

StatusOr<std::vector<ManifestEntry>> LoadManifestFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFile(path, kMaxManifestFileBytes));
  const std::string text(bytes.begin(), bytes.end());
  auto parsed = ParseManifest(text);
  if (!parsed.ok()) return Status(parsed.status().code(), path + ": " + parsed.status().message());
  std::vector<ManifestEntry> entries = std::move(parsed).value();
  const std::string dir = ParentDirectory(path);
  for (ManifestEntry& e : entries) {
    ASSIGN_OR_RETURN(e.source_ref, ResolveRef(e.source_ref, dir, e.line_number));
    if (!e.mask_ref.empty()) {
      ASSIGN_OR_RETURN(e.mask_ref, ResolveRef(e.mask_ref, dir, e.line_number));
    }
  }
  return entries;
}

StatusOr<LoadedDataset> LoadFolderDataset(const std::string& dir) {
  if (!IsDirectory(dir)) return InvalidInput("dataset folder '" + dir + "' does not exist");
  LoadedDataset data;
  if (IsDirectory(JoinPath(dir, "normal")) || IsDirectory(JoinPath(dir, "anomaly"))) {
    data.description = "folder " + dir + " (normal/ + anomaly/)";
    for (const char* label : {"normal", "anomaly"}) {
      const std::string sub = JoinPath(dir, label);
      if (!IsDirectory(sub)) continue;
      ASSIGN_OR_RETURN(std::vector<std::string> images, ImagesIn(sub));
      const ImageLabel l = std::string(label) == "normal" ? ImageLabel::kNormal : ImageLabel::kAnomaly;
      for (const std::string& p : images) data.train.push_back(EntryForFile(p, l, ""));
    }
    return data;
  }
  const std::string good = JoinPath(JoinPath(dir, "train"), "good");
  if (IsDirectory(good)) {
    data.description = "MVTec folder " + dir;
    ASSIGN_OR_RETURN(std::vector<std::string> train, ImagesIn(good));
    for (const std::string& p : train) data.train.push_back(EntryForFile(p, ImageLabel::kNormal, ""));
    const std::string test = JoinPath(dir, "test");
    if (IsDirectory(test)) {
      data.has_test_set = true;
      ASSIGN_OR_RETURN(std::vector<std::string> types, ListDirectory(test));
      for (const std::string& type : types) {
        const std::string type_dir = JoinPath(test, type);
        if (!IsDirectory(type_dir)) continue;
        ASSIGN_OR_RETURN(std::vector<std::string> images, ImagesIn(type_dir));
        const bool normal = type == "good";
        for (const std::string& p : images) {
          std::string mask;
          if (!normal) {
            mask = JoinPath(JoinPath(JoinPath(dir, "ground_truth"), type), Stem(p) + "_mask.png");
            if (!IsRegularFile(mask)) mask.clear();
          }
          data.test.push_back(EntryForFile(p, normal ? ImageLabel::kNormal : ImageLabel::kAnomaly, mask));
        }
      }
    }
    return data;
  }
  return InvalidInput("dataset folder '" + dir +
                      "' has neither normal/ + anomaly/ subfolders nor MVTec's train/good; see `anomalens train --help`");
}

}  // namespace anomalens
