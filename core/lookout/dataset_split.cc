#include "core/lookout/dataset_split.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>

namespace anomalens {
namespace {

// Lookout's documented minimums (developer guide, "Preparing images for a
// dataset", and the quotas table).
constexpr int kSingleMinNormal = 20;
constexpr int kSingleMinAnomaly = 10;
constexpr int kTrainingMinNormal = 10;
constexpr int kTestMinNormal = 10;
constexpr int kTestMinAnomaly = 10;
constexpr int kNormalOnlyMinNormal = 20;  // ours (dataset_split.h)

// FNV-1a, 64-bit: tiny, fully specified, and identical on every platform and
// standard library, unlike std::hash.
uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// MurmurHash3's fmix64. FNV-1a barely stirs the high bits when only the
// last characters differ ("normal-1.jpg", "normal-2.jpg"), and the high bits
// decide the sort; the finalizer spreads every input bit over the output.
uint64_t Fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

// round(n / 5) in integers (n / 5 is never exactly half-way), at least one
// so a label present twice or more is tested, never all so it is trained.
size_t HeldOutCount(size_t n) {
  if (n < 2) return 0;
  const size_t rounded = (2 * n + 5) / 10;
  return std::min(std::max<size_t>(rounded, 1), n - 1);
}

// Adds the held-out entries of `label` to `held_out` (indices into entries).
void ChooseHeldOut(const std::vector<ManifestEntry>& entries, ImageLabel label, uint64_t seed,
                   std::vector<bool>* held_out) {
  struct Keyed {
    uint64_t key;
    size_t index;
  };
  const uint64_t seed_mix = Fmix64(seed);
  std::vector<Keyed> keyed;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].label == label) keyed.push_back({Fmix64(Fnv1a64(entries[i].source_ref) ^ seed_mix), i});
  }
  // A total order on content (never on position), so the choice does not
  // depend on line order; entries equal in all three are interchangeable.
  std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
    const ManifestEntry& x = entries[a.index];
    const ManifestEntry& y = entries[b.index];
    return std::tie(a.key, x.source_ref, x.raw_json) < std::tie(b.key, y.source_ref, y.raw_json);
  });
  const size_t count = HeldOutCount(keyed.size());
  for (size_t k = 0; k < count; ++k) (*held_out)[keyed[k].index] = true;
}

}  // namespace

LabelCounts CountLabels(const std::vector<ManifestEntry>& entries) {
  LabelCounts counts;
  for (const ManifestEntry& e : entries) {
    (e.label == ImageLabel::kAnomaly ? counts.anomaly : counts.normal) += 1;
  }
  return counts;
}

Status CheckSingleDatasetMinimums(const LabelCounts& counts) {
  if (counts.normal >= kSingleMinNormal && counts.anomaly >= kSingleMinAnomaly) return Status::Ok();
  return InvalidInput("the dataset has " + std::to_string(counts.normal) + " normal and " +
                      std::to_string(counts.anomaly) + " anomalous images; a single-dataset project needs at least " +
                      std::to_string(kSingleMinNormal) + " normal and " + std::to_string(kSingleMinAnomaly) +
                      " anomalous images");
}

Status CheckTrainingDatasetMinimums(const LabelCounts& counts) {
  if (counts.normal >= kTrainingMinNormal) return Status::Ok();
  return InvalidInput("the training dataset has " + std::to_string(counts.normal) +
                      " normal images; a training dataset needs at least " + std::to_string(kTrainingMinNormal) +
                      " normal images");
}

Status CheckTestDatasetMinimums(const LabelCounts& counts) {
  if (counts.normal >= kTestMinNormal && counts.anomaly >= kTestMinAnomaly) return Status::Ok();
  return InvalidInput("the test dataset has " + std::to_string(counts.normal) + " normal and " +
                      std::to_string(counts.anomaly) + " anomalous images; a test dataset needs at least " +
                      std::to_string(kTestMinNormal) + " normal and " + std::to_string(kTestMinAnomaly) +
                      " anomalous images");
}

Status CheckNormalOnlyDatasetMinimums(const LabelCounts& counts) {
  if (counts.normal >= kNormalOnlyMinNormal) return Status::Ok();
  return InvalidInput("the dataset has " + std::to_string(counts.normal) +
                      " normal images; a normal-only dataset needs at least " + std::to_string(kNormalOnlyMinNormal) +
                      " normal images");
}

DatasetSplit SplitDataset(const std::vector<ManifestEntry>& entries, uint64_t seed) {
  std::vector<bool> held_out(entries.size(), false);
  ChooseHeldOut(entries, ImageLabel::kNormal, seed, &held_out);
  ChooseHeldOut(entries, ImageLabel::kAnomaly, seed, &held_out);
  DatasetSplit split;
  for (size_t i = 0; i < entries.size(); ++i) {
    (held_out[i] ? split.test : split.train).push_back(entries[i]);
  }
  return split;
}

}  // namespace anomalens
