// Lookout's dataset rules: how a single dataset is split into training and
// test sets, and the minimum image counts a model needs.
#ifndef ANOMALENS_CORE_LOOKOUT_DATASET_SPLIT_H_
#define ANOMALENS_CORE_LOOKOUT_DATASET_SPLIT_H_

#include <cstdint>
#include <vector>

#include "core/base/status.h"
#include "core/lookout/manifest.h"

namespace anomalens {

struct LabelCounts {
  int normal = 0;
  int anomaly = 0;
};
LabelCounts CountLabels(const std::vector<ManifestEntry>& entries);

// Lookout's minimums for a classification model:
// - a single dataset (split automatically): 20 normal and 10 anomalous images;
// - separate datasets: training 10 normal; test 10 normal and 10 anomalous.
// Each returns kInvalidInput naming the counts found and the rule, e.g.
// "the dataset has 15 normal and 8 anomalous images; a single-dataset project
// needs at least 20 normal and 10 anomalous images".
Status CheckSingleDatasetMinimums(const LabelCounts& counts);
Status CheckTrainingDatasetMinimums(const LabelCounts& counts);
Status CheckTestDatasetMinimums(const LabelCounts& counts);

// Ours, not Lookout's: a single dataset trained on its normal images alone
// (no labelled anomalies, or anomalies kept for testing only) needs 20
// normal images, Lookout's single-dataset normal minimum, so the held-out
// fifth still leaves 16 to train and calibrate on. Anomalies may number
// anything. "the dataset has 12 normal images; a normal-only dataset needs
// at least 20 normal images".
Status CheckNormalOnlyDatasetMinimums(const LabelCounts& counts);

struct DatasetSplit {
  std::vector<ManifestEntry> train;
  std::vector<ManifestEntry> test;
};

// Splits one dataset for a single-dataset project. Lookout splits internally
// but documents neither the ratio nor stratification; this rule is ours:
// for each label with n images, round(n / 5) are held out for testing, at
// least 1 when n >= 2 and never all n (so n = 1 stays in training).
// 31 normal + 32 anomalous -> test 6 + 6, train 25 + 26.
// The choice is deterministic: within a label, the entries with the smallest
// key are held out, where
//   key = Fmix64(Fnv1a64(source-ref) ^ Fmix64(seed))
// with FNV-1a 64 (offset 0xcbf29ce484222325, prime 0x100000001b3) over the
// source-ref bytes and MurmurHash3's fmix64 finalizer; ties fall back to
// source-ref, then raw_json. The same manifest always splits the same way on
// every platform (no std::hash), whatever its line order. Both outputs keep
// the input's order.
DatasetSplit SplitDataset(const std::vector<ManifestEntry>& entries, uint64_t seed = 0);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_DATASET_SPLIT_H_
