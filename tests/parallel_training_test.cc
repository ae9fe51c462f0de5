// Training's feature extraction and the search's candidate fits run whole
// images and whole candidates on the thread pool (Trainer::SetParallel,
// ConfigurationSearch::SetParallel). The model must not depend on it: the
// same bytes on one thread, on two, and with the jobs run in reverse order.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <vector>

#include "core/model/configuration_search.h"
#include "core/model/model_file.h"
#include "core/model/trainer.h"
#include "core/synthetic/synthetic_dataset.h"
#include "native/engine/thread_pool.h"
#include "test_support.h"

namespace anomalens {
namespace {

SyntheticOptions SmallPlates() {
  SyntheticOptions small;
  small.width = kSyntheticWidth / 2;  // 160 x 120: a finer and an upsampled scale over 64 px
  small.height = kSyntheticHeight / 2;
  return small;
}

ModelConfig SmallConfig() {
  ModelConfig config;
  config.short_side = 64;
  config.self_check_defects = 8;  // synthetic defects and compressed copies to extract beside the images
  return config;
}

// Runs every index on its own, last first: a job that read another's result,
// or an order the results depended on, would show.
ParallelFor Reversed() {
  ParallelFor p;
  p.run = [](size_t count, const ParallelFor::Body& body) {
    for (size_t i = count; i-- > 0;) body(i, i + 1);
  };
  return p;
}

ParallelFor TwoThreads() { return ParallelOn(std::make_shared<const ThreadPool>(2)); }

// The last normal plate is smaller: the search then drops its upsampled
// scale (for images of one size only) with extractions still pending.
template <typename Builder>
std::vector<uint8_t> Train(Builder& builder, const ParallelFor& parallel) {
  builder.SetParallel(parallel);
  builder.ExpectNormalImages(7);
  for (int i = 0; i < 6; ++i) {
    const Status added = builder.AddImage(GenerateSyntheticSample(5, i, false, SmallPlates()).image, ImageLabel::kNormal);
    EXPECT_TRUE(added.ok()) << added.ToString();
  }
  SyntheticOptions smaller = SmallPlates();
  smaller.width = 144, smaller.height = 112;
  const Status added = builder.AddImage(GenerateSyntheticSample(5, 6, false, smaller).image, ImageLabel::kNormal);
  EXPECT_TRUE(added.ok()) << added.ToString();
  for (int i = 0; i < 2; ++i) {
    const Status added = builder.AddImage(GenerateSyntheticSample(5, 20 + i, true, SmallPlates()).image, ImageLabel::kAnomaly);
    EXPECT_TRUE(added.ok()) << added.ToString();
  }
  Hooks hooks;
  hooks.parallel = parallel;
  auto model = builder.Finish(hooks);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? SerializeModel(*model) : std::vector<uint8_t>{};
}

std::vector<uint8_t> Search(const ParallelFor& parallel) {
  ConfigurationSearch search(testing::SharedBackbone(), SmallConfig(), {}, SearchPins{});
  std::vector<uint8_t> bytes = Train(search, parallel);
  // The upsampled scale (240 px over these 120 px plates) was dropped at the
  // smaller plate; the base and finer scales were searched.
  auto model = ParseModelFile(bytes);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  std::set<int> sides;
  if (model.ok())
    for (const CandidateFigures& c : model->stats.search) sides.insert(c.short_side);
  EXPECT_EQ(sides, (std::set<int>{64, 120}));  // 120: the first plate's own short side
  return bytes;
}

std::vector<uint8_t> TrainAlone(const ParallelFor& parallel) {
  Trainer trainer(testing::SharedBackbone(), SmallConfig());
  return Train(trainer, parallel);
}

TEST(ParallelTraining, TheSearchWritesTheSameModelOnAnyThreadsInAnyOrder) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const std::vector<uint8_t> alone = Search({});
  ASSERT_FALSE(alone.empty());
  EXPECT_EQ(Search(Reversed()), alone);
  EXPECT_EQ(Search(TwoThreads()), alone);
}

TEST(ParallelTraining, ATrainerWritesTheSameModelOnAnyThreadsInAnyOrder) {
  ASSERT_NE(testing::SharedBackbone(), nullptr);
  const std::vector<uint8_t> alone = TrainAlone({});
  ASSERT_FALSE(alone.empty());
  EXPECT_EQ(TrainAlone(Reversed()), alone);
  EXPECT_EQ(TrainAlone(TwoThreads()), alone);
}

}  // namespace
}  // namespace anomalens
