// Reads datasets from disk into manifest entries with resolved file paths:
// Lookout manifests, the console's normal/ + anomaly/ folders, and MVTec's
// train/good, test/<type>, ground_truth/<type> layout.
#ifndef ANOMALENS_NATIVE_JOBS_DATASET_LOADER_H_
#define ANOMALENS_NATIVE_JOBS_DATASET_LOADER_H_

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/lookout/manifest.h"

namespace anomalens {

struct LoadedDataset {
  std::vector<ManifestEntry> train;
  std::vector<ManifestEntry> test;  // empty unless the source has its own test set
  bool has_test_set = false;
  std::string description;  // "manifest train.manifest", "MVTec folder DIR", ...
};

// Parses a manifest file. Relative paths resolve against the manifest's folder,
// or, when not found there, against its parent (Lookout's getting-started set
// keeps manifests/ beside its image folders). Every image must exist.
StatusOr<std::vector<ManifestEntry>> LoadManifestFile(const std::string& path);

// Reads a folder: `normal/` + `anomaly/` (one dataset, split automatically),
// or MVTec (`train/good` for training, `test/*` as the test set, masks from
// `ground_truth/<type>/<stem>_mask.png`).
StatusOr<LoadedDataset> LoadFolderDataset(const std::string& dir);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_JOBS_DATASET_LOADER_H_
