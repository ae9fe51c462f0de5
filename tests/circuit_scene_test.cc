// The circuit scene's normal boards are drawn to design rules
// (core/synthetic/scene_circuit.cc): traces never touch or cross, and copper
// of different traces keeps clear of each other. Without this the normals
// carried defect-like slivers, notches and drills through crossings, and
// nothing could tell them from the defects (docs/model.md, "Circuit").
#include <gtest/gtest.h>

#include <vector>

#include "core/synthetic/scene.h"

namespace anomalens {
namespace {

// Labels the 8-connected regions of pixels equal to `value` (copper 255 or
// substrate 0) of the image's first channel; -1 elsewhere. Returns the count.
int LabelRegions(const SceneSample& s, uint8_t value, bool eight_connected, std::vector<int>* labels) {
  const int w = s.image.width, h = s.image.height;
  labels->assign(static_cast<size_t>(w) * h, -1);
  int regions = 0;
  std::vector<int> stack;
  for (int start = 0; start < w * h; ++start) {
    if (s.image.pixels[static_cast<size_t>(start) * 3] != value || (*labels)[static_cast<size_t>(start)] >= 0) continue;
    (*labels)[static_cast<size_t>(start)] = regions;
    stack.push_back(start);
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      const int x = p % w, y = p / w;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          if (!eight_connected && dx != 0 && dy != 0) continue;
          const int nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const int q = ny * w + nx;
          if (s.image.pixels[static_cast<size_t>(q) * 3] != value || (*labels)[static_cast<size_t>(q)] >= 0) continue;
          (*labels)[static_cast<size_t>(q)] = regions;
          stack.push_back(q);
        }
    }
    ++regions;
  }
  return regions;
}

TEST(CircuitScene, NormalBoardsKeepClearanceBetweenTraces) {
  const Scene* scene = FindScene("circuit");
  ASSERT_NE(scene, nullptr);
  constexpr int kMinGap = 5;  // px of substrate at least between different traces' copper
  for (int index = 0; index < 6; ++index) {
    const SceneSample s = GenerateSceneSample(*scene, 1, index, false);
    const int w = s.image.width, h = s.image.height;
    std::vector<int> copper, substrate;
    const int traces = LabelRegions(s, 255, true, &copper);
    EXPECT_GE(traces, 6) << "board " << index << ": too few traces to judge";
    // Each trace is one piece of copper with its two drilled pads and nothing
    // else enclosed: a crossing would merge two traces and close loops.
    const int substrate_regions = LabelRegions(s, 0, false, &substrate);
    std::vector<bool> touches_border(static_cast<size_t>(substrate_regions), false);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        if ((x == 0 || y == 0 || x == w - 1 || y == h - 1) && substrate[static_cast<size_t>(y) * w + x] >= 0)
          touches_border[static_cast<size_t>(substrate[static_cast<size_t>(y) * w + x])] = true;
    int enclosed = 0;
    for (bool b : touches_border) enclosed += !b;
    EXPECT_EQ(enclosed, 2 * traces) << "board " << index << ": drill holes and enclosed substrate";
    // No copper of another trace within kMinGap px of any copper pixel.
    int too_close = 0;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const int own = copper[static_cast<size_t>(y) * w + x];
        if (own < 0) continue;
        for (int dy = -kMinGap; dy <= kMinGap; ++dy)
          for (int dx = -kMinGap; dx <= kMinGap; ++dx) {
            const int nx = x + dx, ny = y + dy;
            if (dx * dx + dy * dy > kMinGap * kMinGap || nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
            const int other = copper[static_cast<size_t>(ny) * w + nx];
            too_close += other >= 0 && other != own;
          }
      }
    EXPECT_EQ(too_close, 0) << "board " << index << ": copper pixel pairs of different traces within " << kMinGap
                            << " px";
  }
}

}  // namespace
}  // namespace anomalens
