#include "native/server/s3_paths.h"

#include <nlohmann/json.hpp>

#include "native/jobs/file_io.h"

namespace anomalens {
namespace {

constexpr size_t kMaxManifestFileBytes = 256u << 20;

bool ClimbsOut(const std::string& key) {
  size_t start = 0;
  while (start <= key.size()) {
    const size_t slash = key.find('/', start);
    const std::string part = key.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") return true;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return false;
}

// Resolves `ref` to a file; sets *uri to its s3:// form. Relative refs start
// at `manifest` (bucket, key): the manifest's S3 folder, then its parent.
StatusOr<std::string> ResolveRef(const BucketMap& buckets, const std::string& bucket, const std::string& manifest_key,
                                 const std::string& ref, int line, const char* what, std::string* uri) {
  const std::string where = "manifest line " + std::to_string(line) + ": ";
  if (ref.rfind("s3://", 0) == 0) {
    auto resolved = buckets.ResolveUri(ref);
    if (!resolved.ok()) return InvalidInput(where + resolved.status().message());
    if (!IsRegularFile(*resolved)) return InvalidInput(where + what + " '" + ref + "' does not exist");
    *uri = ref;
    return resolved;
  }
  if (bucket.empty() || ref.empty() || ref[0] == '/' || ClimbsOut(ref)) {
    return InvalidInput(where + what + " '" + ref + "' is neither an s3:// ref nor relative to the manifest");
  }
  const std::string key_dir = ParentDirectory(manifest_key);
  for (const std::string& dir : {key_dir, ParentDirectory(key_dir)}) {
    const std::string key = (dir.empty() || dir == "." || dir == "/") ? ref : dir + "/" + ref;
    auto path = buckets.Resolve(bucket, key);
    if (path.ok() && IsRegularFile(*path)) {
      *uri = "s3://" + bucket + "/" + key;
      return path;
    }
  }
  return InvalidInput(where + what + " '" + ref + "' not found beside s3://" + bucket + "/" + manifest_key +
                      " or in its parent folder");
}

}  // namespace

Status BucketMap::Add(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
    return InvalidInput("--bucket takes NAME=DIR; got '" + spec + "'");
  }
  const std::string dir = spec.substr(eq + 1);
  if (!IsDirectory(dir)) return InvalidInput("--bucket " + spec + ": folder '" + dir + "' does not exist");
  dirs_[spec.substr(0, eq)] = dir;
  return Status::Ok();
}

StatusOr<std::string> BucketMap::Resolve(const std::string& bucket, const std::string& key) const {
  const auto it = dirs_.find(bucket);
  if (it == dirs_.end()) {
    return InvalidInput("bucket '" + bucket + "' is not mapped to a folder (start the server with --bucket " + bucket +
                        "=DIR)");
  }
  if (ClimbsOut(key)) return InvalidInput("S3 key '" + key + "' must not contain '..'");
  std::string k = key;
  while (!k.empty() && k[0] == '/') k.erase(0, 1);
  return k.empty() ? it->second : JoinPath(it->second, k);
}

bool SplitS3Uri(const std::string& uri, std::string* bucket, std::string* key) {
  if (uri.rfind("s3://", 0) != 0) return false;
  const std::string rest = uri.substr(5);
  const size_t slash = rest.find('/');
  if (slash == 0 || rest.empty()) return false;
  *bucket = rest.substr(0, slash);
  *key = slash == std::string::npos ? "" : rest.substr(slash + 1);
  return true;
}

StatusOr<std::string> BucketMap::ResolveUri(const std::string& uri) const {
  std::string bucket, key;
  if (!SplitS3Uri(uri, &bucket, &key)) return InvalidInput("'" + uri + "' is not an s3://bucket/key location");
  return Resolve(bucket, key);
}

Status ResolveEntryPaths(const BucketMap& buckets, const std::string& bucket, const std::string& manifest_key,
                         ManifestEntry* e) {
  std::string uri;
  ASSIGN_OR_RETURN(e->image_path, ResolveRef(buckets, bucket, manifest_key, e->source_ref, e->line_number, "image", &uri));
  const bool rewrite_image = uri != e->source_ref;
  e->source_ref = uri;
  bool rewrite_mask = false;
  if (!e->mask_ref.empty()) {
    ASSIGN_OR_RETURN(e->mask_path, ResolveRef(buckets, bucket, manifest_key, e->mask_ref, e->line_number, "mask", &uri));
    rewrite_mask = uri != e->mask_ref;
    e->mask_ref = uri;
  }
  if (rewrite_image || rewrite_mask) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(e->raw_json, nullptr, false);
    if (j.is_object()) {
      j["source-ref"] = e->source_ref;
      if (!e->mask_ref.empty()) j["anomaly-mask-ref"] = e->mask_ref;
      e->raw_json = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<ManifestEntry>> LoadS3Manifest(const BucketMap& buckets, const std::string& bucket,
                                                    const std::string& key) {
  ASSIGN_OR_RETURN(std::string path, buckets.Resolve(bucket, key));
  if (!IsRegularFile(path)) return InvalidInput("manifest s3://" + bucket + "/" + key + " does not exist");
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFile(path, kMaxManifestFileBytes));
  auto parsed = ParseManifest(std::string(bytes.begin(), bytes.end()));
  const std::string uri = "s3://" + bucket + "/" + key;
  if (!parsed.ok()) return Status(parsed.status().code(), uri + ": " + parsed.status().message());
  std::vector<ManifestEntry> entries = std::move(parsed).value();
  for (ManifestEntry& e : entries) {
    const Status s = ResolveEntryPaths(buckets, bucket, key, &e);
    if (!s.ok()) return Status(s.code(), uri + ": " + s.message());
  }
  return entries;
}

}  // namespace anomalens
