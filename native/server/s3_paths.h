// S3 locations on a local disk: `--bucket NAME=DIR` maps a bucket to a
// folder, so s3://NAME/KEY is DIR/KEY. Manifests and requests keep their S3
// references unchanged.
//
// Manifest entries: an s3://bucket/key ref resolves through the map; a
// relative ref (as in Lookout's getting-started manifests) resolves like the
// CLI's, in key space: against the manifest's S3 folder, then its parent, in
// the manifest's bucket. Stored datasets keep the s3:// URI it resolved to.
#ifndef ANOMALENS_NATIVE_SERVER_S3_PATHS_H_
#define ANOMALENS_NATIVE_SERVER_S3_PATHS_H_

#include <map>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/lookout/manifest.h"

namespace anomalens {

class BucketMap {
 public:
  // "NAME=DIR"; the folder must exist. Errors are kInvalidInput.
  Status Add(const std::string& spec);
  // DIR/KEY for a mapped bucket. Rejects unmapped buckets and keys that
  // climb out of the folder ("..") with kInvalidInput.
  StatusOr<std::string> Resolve(const std::string& bucket, const std::string& key) const;
  // s3://bucket/key -> DIR/key.
  StatusOr<std::string> ResolveUri(const std::string& uri) const;
  const std::map<std::string, std::string>& buckets() const { return dirs_; }

 private:
  std::map<std::string, std::string> dirs_;
};

// Splits "s3://bucket/key"; false when `uri` is not of that form.
bool SplitS3Uri(const std::string& uri, std::string* bucket, std::string* key);

// Reads the manifest at s3://bucket/key and resolves its entries' image and
// mask paths (errors name the manifest line), refs rewritten as s3:// URIs.
StatusOr<std::vector<ManifestEntry>> LoadS3Manifest(const BucketMap& buckets, const std::string& bucket,
                                                    const std::string& key);

// Resolves one entry's refs to files (image_path, mask_path) and rewrites
// relative refs, in the fields and in raw_json, as the s3:// URIs they
// resolved to, so a stored dataset names its images wherever it came from.
// Relative refs start at the manifest s3://bucket/manifest_key's folder, then
// its parent; with an empty bucket they are an error.
Status ResolveEntryPaths(const BucketMap& buckets, const std::string& bucket, const std::string& manifest_key,
                         ManifestEntry* entry);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_S3_PATHS_H_
