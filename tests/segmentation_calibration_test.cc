// SegmentationCalibration: a refinement is chosen only when it raises the
// held-out mean IoU, and with it the pixel rule found on the refined maps.
#include <gtest/gtest.h>

#include "core/image/gaussian_blur.h"
#include "core/segmentation/segmentation_calibration.h"

namespace anomalens {
namespace {

// A 64x48 working image with a dark diagonal line 2 px wide: its mask, its
// guide, and an anomaly map that knows roughly where it is (the mask blurred
// with sigma 4, as the map's smoothing leaves it).
struct Scene {
  WorkingGeometry geometry;
  std::vector<uint8_t> mask;
  std::vector<float> guide;
  AnomalyMap map;
};

Scene LineScene(int offset) {
  Scene s;
  const int w = 64, h = 48;
  s.geometry.original = s.geometry.content = s.geometry.padded = {w, h};
  s.geometry.scale = 1;
  s.mask.assign(w * h, 0);
  s.guide.assign(w * h, 0.7f);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int d = x - (y / 2 + 10 + offset);
      if (d >= 0 && d < 2) s.mask[y * w + x] = 1, s.guide[y * w + x] = 0.2f;
    }
  s.map.geometry = s.geometry;
  s.map.values.assign(s.mask.begin(), s.mask.end());
  GaussianBlur(s.map.values, w, h, 4.0f);
  return s;
}

TEST(SegmentationCalibration, ChoosesARefinementWhereTheGuideShowsTheDefect) {
  SegmentationCalibration calibration(4 * 64 * 48, MapRefinementCandidates());
  for (int k = 0; k < 4; ++k) {
    const Scene s = LineScene(5 * k);
    calibration.Add(s.map, s.guide, s.mask);
  }
  PixelThresholdCalibration plain(4 * 64 * 48);
  for (int k = 0; k < 4; ++k) {
    const Scene s = LineScene(5 * k);
    plain.Add(s.map, s.mask);
  }
  const SegmentationRule best = calibration.Best();
  EXPECT_TRUE(best.refinement.enabled());
  EXPECT_GT(best.pixel_rule.mean_iou, plain.Best().mean_iou + 0.1);
  EXPECT_EQ(calibration.images(), 4u);
}

TEST(SegmentationCalibration, KeepsTheUnrefinedMapWhenNoRefinementPays) {
  // The map is the mask itself: nothing beats IoU 1, so the first
  // candidate, no refinement, stays.
  SegmentationCalibration calibration(64 * 48, MapRefinementCandidates());
  Scene s = LineScene(0);
  s.map.values.assign(s.mask.begin(), s.mask.end());
  calibration.Add(s.map, s.guide, s.mask);
  const SegmentationRule best = calibration.Best();
  EXPECT_FALSE(best.refinement.enabled());
  EXPECT_DOUBLE_EQ(best.pixel_rule.mean_iou, 1.0);
}

}  // namespace
}  // namespace anomalens
