// Detect's stages after the search on a thread split: the gate's product,
// the refinement's guide and the map's crop and resize to the image give
// the same floats, bit for bit, with no hook and with uneven ranges run last
// to first, as a pool's threads might (the guided filter, the blur, the
// segmentation and the mask PNG have their own split tests).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "core/features/working_geometry.h"
#include "core/image/image_resize.h"
#include "core/scoring/anomaly_map.h"
#include "core/segmentation/cell_labels.h"
#include "core/segmentation/defect_head.h"
#include "core/segmentation/map_refinement.h"
#include "thread_splits.h"

namespace anomalens {
namespace {

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// A 100x70 image at scale 0.6: a content of 60x42 on a padded 64x48 grid,
// so the crop and the resize both have work (odd factors, padding).
WorkingGeometry Geometry() { return PlanGeometry({100, 70}, 0.6, 16); }

TEST(PostBackboneThreads, Gate_guide_and_map_to_image_are_the_same_bits_on_any_split) {
  const WorkingGeometry g = Geometry();
  ASSERT_NE(g.content.width, g.padded.width);
  std::mt19937 rng(20);
  std::uniform_real_distribution<float> value(0.0f, 3.0f);
  const int gw = g.padded.width / kCellSize, gh = g.padded.height / kCellSize;
  std::vector<float> scores(static_cast<size_t>(gw) * gh), probabilities(scores.size());
  for (float& s : scores) s = value(rng);
  for (float& p : probabilities) p = value(rng) / 3.0f;
  RgbImage image;
  image.width = 100, image.height = 70;
  image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
  for (uint8_t& p : image.pixels) p = static_cast<uint8_t>(rng());

  const AnomalyMap map = BuildAnomalyMap(scores, gw, gh, g, 1.5f);
  AnomalyMap gated = map;
  GateByDefectProbabilities(probabilities, gw, gh, 1.5f, &gated);
  const std::vector<float> guide = WorkingGuide(image, g);
  const std::vector<float> original = gated.ToOriginal();
  ASSERT_EQ(original.size(), static_cast<size_t>(100 * 70));
  for (size_t length : {1u, 3u, 10u}) {
    const ParallelFor split = RangesLastToFirst(length);
    AnomalyMap split_gated = map;
    GateByDefectProbabilities(probabilities, gw, gh, 1.5f, &split_gated, split);
    EXPECT_TRUE(SameBits(split_gated.values, gated.values)) << length;
    EXPECT_TRUE(SameBits(WorkingGuide(image, g, split), guide)) << length;
    EXPECT_TRUE(SameBits(gated.ToOriginal(split), original)) << length;
  }
}

// A content as wide as the padded grid (only padded below): ToOriginal
// resizes the map's first rows in place, without the crop's copy (only
// CookieSegmentation's images took this path before): the same floats as
// the crop then the resize, on any split.
TEST(PostBackboneThreads, Map_to_image_from_a_content_as_wide_as_its_grid_is_the_cropped_maps_resize) {
  const WorkingGeometry g = PlanGeometry({80, 70}, 0.6, 16);
  ASSERT_EQ(g.content.width, g.padded.width);
  ASSERT_LT(g.content.height, g.padded.height);
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> value(0.0f, 3.0f);
  const int gw = g.padded.width / kCellSize, gh = g.padded.height / kCellSize;
  std::vector<float> scores(static_cast<size_t>(gw) * gh);
  for (float& s : scores) s = value(rng);
  const AnomalyMap map = BuildAnomalyMap(scores, gw, gh, g, 1.5f);
  ASSERT_EQ(map.values.size(), static_cast<size_t>(g.padded.width) * g.padded.height);

  const std::vector<float> content(map.values.begin(),
                                   map.values.begin() + static_cast<size_t>(g.content.width) * g.content.height);
  std::vector<float> want(static_cast<size_t>(80 * 70));
  ResizePlane(content.data(), g.content.width, g.content.height, want.data(), 80, 70);
  EXPECT_TRUE(SameBits(map.ToOriginal(), want));
  for (size_t length : {1u, 3u, 10u}) EXPECT_TRUE(SameBits(map.ToOriginal(RangesLastToFirst(length)), want)) << length;
}

}  // namespace
}  // namespace anomalens
