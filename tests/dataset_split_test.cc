#include "core/lookout/dataset_split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "test_support.h"

namespace anomalens {
namespace {

ManifestEntry Entry(const std::string& source_ref, ImageLabel label) {
  ManifestEntry e;
  e.source_ref = source_ref;
  e.label = label;
  return e;
}

// The cookie training set's names: normal-1..31 and anomaly-1..32.
std::vector<ManifestEntry> CookieLikeEntries() {
  std::vector<ManifestEntry> entries;
  for (int i = 1; i <= 32; ++i) {
    entries.push_back(Entry("training-images/anomaly-" + std::to_string(i) + ".jpg", ImageLabel::kAnomaly));
  }
  for (int i = 1; i <= 31; ++i) {
    entries.push_back(Entry("training-images/normal-" + std::to_string(i) + ".jpg", ImageLabel::kNormal));
  }
  return entries;
}

std::vector<ManifestEntry> Labelled(int normal, int anomaly) {
  std::vector<ManifestEntry> entries;
  for (int i = 0; i < normal; ++i) entries.push_back(Entry("n" + std::to_string(i), ImageLabel::kNormal));
  for (int i = 0; i < anomaly; ++i) entries.push_back(Entry("a" + std::to_string(i), ImageLabel::kAnomaly));
  return entries;
}

std::set<std::string> Refs(const std::vector<ManifestEntry>& entries) {
  std::set<std::string> refs;
  for (const ManifestEntry& e : entries) refs.insert(e.source_ref);
  return refs;
}

// --- Counting and minimums ----------------------------------------------------

TEST(DatasetSplitTest, CountLabels) {
  const LabelCounts counts = CountLabels(CookieLikeEntries());
  EXPECT_EQ(counts.normal, 31);
  EXPECT_EQ(counts.anomaly, 32);
  const LabelCounts none = CountLabels({});
  EXPECT_EQ(none.normal, 0);
  EXPECT_EQ(none.anomaly, 0);
}

TEST(DatasetMinimumsTest, SingleDataset) {
  EXPECT_TRUE(CheckSingleDatasetMinimums({20, 10}).ok());
  EXPECT_TRUE(CheckSingleDatasetMinimums({31, 32}).ok());
  for (const LabelCounts& counts : {LabelCounts{19, 10}, LabelCounts{20, 9}, LabelCounts{0, 0}}) {
    const Status status = CheckSingleDatasetMinimums(counts);
    EXPECT_EQ(status.code(), StatusCode::kInvalidInput);
    EXPECT_EQ(status.message(), "the dataset has " + std::to_string(counts.normal) + " normal and " +
                                    std::to_string(counts.anomaly) +
                                    " anomalous images; a single-dataset project needs at least 20 "
                                    "normal and 10 anomalous images");
  }
}

TEST(DatasetMinimumsTest, NormalOnlyDataset) {
  EXPECT_TRUE(CheckNormalOnlyDatasetMinimums({20, 0}).ok());
  EXPECT_TRUE(CheckNormalOnlyDatasetMinimums({200, 3}).ok());  // anomalies only go to the test split
  const Status status = CheckNormalOnlyDatasetMinimums({19, 0});
  EXPECT_EQ(status.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(status.message(), "the dataset has 19 normal images; a normal-only dataset needs at least 20 normal images");
}

TEST(DatasetMinimumsTest, TrainingDataset) {
  EXPECT_TRUE(CheckTrainingDatasetMinimums({10, 0}).ok());  // anomalies are optional in training
  const Status status = CheckTrainingDatasetMinimums({9, 50});
  EXPECT_EQ(status.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(status.message(),
            "the training dataset has 9 normal images; a training dataset needs at least 10 normal images");
}

TEST(DatasetMinimumsTest, TestDataset) {
  EXPECT_TRUE(CheckTestDatasetMinimums({10, 10}).ok());
  // The cookie test manifest: 14 normal, 8 anomalous.
  const Status status = CheckTestDatasetMinimums({14, 8});
  EXPECT_EQ(status.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(status.message(),
            "the test dataset has 14 normal and 8 anomalous images; a test dataset needs at least 10 normal "
            "and 10 anomalous images");
  EXPECT_FALSE(CheckTestDatasetMinimums({9, 10}).ok());
}

// --- Splitting ------------------------------------------------------------------

TEST(DatasetSplitTest, CookieCountsSplitSixAndSix) {
  const DatasetSplit split = SplitDataset(CookieLikeEntries());
  const LabelCounts test = CountLabels(split.test);
  const LabelCounts train = CountLabels(split.train);
  EXPECT_EQ(test.normal, 6);   // round(31 / 5)
  EXPECT_EQ(test.anomaly, 6);  // round(32 / 5)
  EXPECT_EQ(train.normal, 25);
  EXPECT_EQ(train.anomaly, 26);
}

TEST(DatasetSplitTest, HeldOutCountsPerLabel) {
  // n -> round(n / 5), at least 1 from n = 2, never all.
  const std::vector<std::pair<int, int>> expected = {{0, 0}, {1, 0},  {2, 1},  {3, 1},  {5, 1},  {7, 1},
                                                     {8, 2}, {10, 2}, {12, 2}, {13, 3}, {20, 4}, {100, 20}};
  for (const auto& [n, held_out] : expected) {
    const DatasetSplit split = SplitDataset(Labelled(n, n));
    EXPECT_EQ(CountLabels(split.test).normal, held_out) << "n = " << n;
    EXPECT_EQ(CountLabels(split.test).anomaly, held_out) << "n = " << n;
    EXPECT_EQ(split.train.size() + split.test.size(), static_cast<size_t>(2 * n));
  }
  // Labels are split independently: a lone anomaly stays in training.
  const DatasetSplit split = SplitDataset(Labelled(20, 1));
  EXPECT_EQ(CountLabels(split.test).normal, 4);
  EXPECT_EQ(CountLabels(split.test).anomaly, 0);
}

TEST(DatasetSplitTest, PartitionKeepsInputOrder) {
  const std::vector<ManifestEntry> entries = CookieLikeEntries();
  const DatasetSplit split = SplitDataset(entries);
  std::set<std::string> all = Refs(split.train);
  for (const std::string& ref : Refs(split.test)) EXPECT_TRUE(all.insert(ref).second) << ref << " in both";
  EXPECT_EQ(all, Refs(entries));
  // Each output is a subsequence of the input.
  for (const auto* part : {&split.train, &split.test}) {
    auto from = entries.begin();
    for (const ManifestEntry& e : *part) {
      from = std::find_if(from, entries.end(), [&](const ManifestEntry& x) { return x.source_ref == e.source_ref; });
      ASSERT_NE(from, entries.end()) << e.source_ref << " out of order";
    }
  }
}

TEST(DatasetSplitTest, SameSplitWhateverTheLineOrder) {
  std::vector<ManifestEntry> entries = CookieLikeEntries();
  const std::set<std::string> expected = Refs(SplitDataset(entries).test);
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 20; ++trial) {
    std::shuffle(entries.begin(), entries.end(), rng);
    EXPECT_EQ(Refs(SplitDataset(entries).test), expected) << "trial " << trial;
  }
  std::reverse(entries.begin(), entries.end());
  EXPECT_EQ(Refs(SplitDataset(entries).test), expected);
}

TEST(DatasetSplitTest, PinnedChoiceForSeedZeroAndOne) {
  // Computed independently (Python) from the formula in dataset_split.h:
  // key = fmix64(fnv1a64(source-ref) ^ fmix64(seed)), smallest keys held out.
  // A change here changes every user's split: it must be deliberate.
  const auto refs = [](const std::string& kind, std::vector<int> ids) {
    std::set<std::string> out;
    for (int id : ids) out.insert("training-images/" + kind + "-" + std::to_string(id) + ".jpg");
    return out;
  };
  std::set<std::string> seed0 = refs("normal", {22, 13, 16, 7, 26, 4});
  for (const std::string& r : refs("anomaly", {5, 18, 27, 26, 20, 28})) seed0.insert(r);
  EXPECT_EQ(Refs(SplitDataset(CookieLikeEntries(), 0).test), seed0);

  std::set<std::string> seed1 = refs("normal", {20, 29, 10, 23, 9, 22});
  for (const std::string& r : refs("anomaly", {16, 28, 14, 7, 10, 29})) seed1.insert(r);
  EXPECT_EQ(Refs(SplitDataset(CookieLikeEntries(), 1).test), seed1);
}

TEST(DatasetSplitTest, DuplicateSourceRefsSplitByContent) {
  // Identical source-refs tie on the hash; raw_json decides, not position.
  std::vector<ManifestEntry> entries = Labelled(10, 0);
  for (int i = 0; i < 10; ++i) {
    entries[i].source_ref = "same.jpg";
    entries[i].raw_json = "{\"i\":" + std::to_string(i) + "}";
  }
  const auto held_out_json = [](const std::vector<ManifestEntry>& in) {
    std::set<std::string> out;
    for (const ManifestEntry& e : SplitDataset(in).test) out.insert(e.raw_json);
    return out;
  };
  const std::set<std::string> expected = held_out_json(entries);
  EXPECT_EQ(expected, (std::set<std::string>{"{\"i\":0}", "{\"i\":1}"}));
  std::reverse(entries.begin(), entries.end());
  EXPECT_EQ(held_out_json(entries), expected);
}

TEST(DatasetSplitTest, RealCookieManifest) {
  REQUIRE_SHARED_DATA();
  const std::vector<uint8_t> bytes =
      testing::ReadFileOrDie(testing::SharedPath("data/lookout-cookies/manifests/train.manifest"));
  StatusOr<std::vector<ManifestEntry>> entries = ParseManifest(std::string(bytes.begin(), bytes.end()));
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  EXPECT_TRUE(CheckSingleDatasetMinimums(CountLabels(*entries)).ok());
  const DatasetSplit split = SplitDataset(*entries);
  EXPECT_EQ(CountLabels(split.test).normal, 6);
  EXPECT_EQ(CountLabels(split.test).anomaly, 6);
  // The real manifest has the same names as CookieLikeEntries, so it splits
  // the same way: only source-ref matters, not the rest of the line.
  EXPECT_EQ(Refs(split.test), Refs(SplitDataset(CookieLikeEntries()).test));
}

}  // namespace
}  // namespace anomalens
