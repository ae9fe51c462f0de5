#include "native/jobs/dataset_loader.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "native/jobs/file_io.h"

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

// `what` names the file's role ("image", "mask") in errors.
StatusOr<std::string> ResolveRef(const std::string& ref, const std::string& manifest_dir, int line,
                                 const char* what = "image") {
  const std::string where = "manifest line " + std::to_string(line) + ": ";
  if (ref.rfind("s3://", 0) == 0) {
    return Unsupported(where + "'" + ref +
                       "' is an S3 location; the command-line tools read local paths (relative to the manifest)");
  }
  if (!ref.empty() && ref[0] == '/') {
    if (IsRegularFile(ref)) return ref;
    return InvalidInput(where + what + " '" + ref + "' does not exist");
  }
  const std::string beside = JoinPath(manifest_dir, ref);
  if (IsRegularFile(beside)) return beside;
  const std::string above = JoinPath(ParentDirectory(manifest_dir), ref);
  if (IsRegularFile(above)) return above;
  return InvalidInput(where + what + " '" + ref + "' not found in " + manifest_dir + " or its parent folder");
}

// A manifest line for a file found in a folder, so every source carries the
// same raw JSON that evaluation manifests extend.
// A manifest line for a file found in a folder, so every source carries the
// same raw JSON that evaluation manifests extend. `relative` (to the dataset
// folder) names the entry; `dir` locates it.
ManifestEntry EntryForFile(const std::string& dir, const std::string& relative, ImageLabel label,
                           const std::string& mask_relative) {
  ManifestEntry e;
  e.source_ref = relative;
  e.image_path = JoinPath(dir, relative);
  e.label = label;
  e.mask_ref = mask_relative;
  if (!mask_relative.empty()) e.mask_path = JoinPath(dir, mask_relative);
  const bool anomaly = label == ImageLabel::kAnomaly;
  nlohmann::ordered_json j;
  j["source-ref"] = relative;
  j["anomaly-label"] = anomaly ? 1 : 0;
  j["anomaly-label-metadata"] = {{"class-name", anomaly ? "anomaly" : "normal"},
                                 {"human-annotated", "yes"},
                                 {"type", "groundtruth/image-classification"},
                                 {"job-name", "anomaly-label"}};
  if (!mask_relative.empty()) j["anomaly-mask-ref"] = mask_relative;
  e.raw_json = j.dump();
  return e;
}

// The image files in `dir/sub`, as paths relative to `dir`.
StatusOr<std::vector<std::string>> ImagesIn(const std::string& dir, const std::string& sub) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(JoinPath(dir, sub)));
  std::vector<std::string> paths;
  for (const std::string& n : names)
    if (HasImageExtension(n) && IsRegularFile(JoinPath(JoinPath(dir, sub), n))) paths.push_back(sub + "/" + n);
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
    ASSIGN_OR_RETURN(e.image_path, ResolveRef(e.source_ref, dir, e.line_number));
    if (!e.mask_ref.empty()) {
      ASSIGN_OR_RETURN(e.mask_path, ResolveRef(e.mask_ref, dir, e.line_number, "mask"));
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
      if (!IsDirectory(JoinPath(dir, label))) continue;
      ASSIGN_OR_RETURN(std::vector<std::string> images, ImagesIn(dir, label));
      const ImageLabel l = std::string(label) == "normal" ? ImageLabel::kNormal : ImageLabel::kAnomaly;
      for (const std::string& p : images) data.train.push_back(EntryForFile(dir, p, l, ""));
    }
    return data;
  }
  const std::string good = JoinPath(JoinPath(dir, "train"), "good");
  if (IsDirectory(good)) {
    data.description = "MVTec folder " + dir;
    ASSIGN_OR_RETURN(std::vector<std::string> train, ImagesIn(dir, "train/good"));
    for (const std::string& p : train) data.train.push_back(EntryForFile(dir, p, ImageLabel::kNormal, ""));
    const std::string test = JoinPath(dir, "test");
    if (IsDirectory(test)) {
      data.has_test_set = true;
      ASSIGN_OR_RETURN(std::vector<std::string> types, ListDirectory(test));
      for (const std::string& type : types) {
        if (!IsDirectory(JoinPath(test, type))) continue;
        ASSIGN_OR_RETURN(std::vector<std::string> images, ImagesIn(dir, "test/" + type));
        const bool normal = type == "good";
        for (const std::string& p : images) {
          std::string mask;
          if (!normal) {
            mask = "ground_truth/" + type + "/" + Stem(p) + "_mask.png";
            if (!IsRegularFile(JoinPath(dir, mask))) mask.clear();
          }
          data.test.push_back(EntryForFile(dir, p, normal ? ImageLabel::kNormal : ImageLabel::kAnomaly, mask));
        }
      }
    }
    return data;
  }
  return InvalidInput("dataset folder '" + dir +
                      "' has neither normal/ + anomaly/ subfolders nor MVTec's train/good; see `anomalens train --help`");
}

}  // namespace anomalens
