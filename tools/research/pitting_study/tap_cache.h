// The dataset as the study sees it: every bsdata-pitting image's backbone
// taps, extracted once and cached under build/pitting_study/, so that the
// variant groups run in seconds to minutes instead of re-running the
// network. The cache files are the harness's own (no format promise):
// delete them after changing the backbone.
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_TAP_CACHE_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_TAP_CACHE_H_

#include <filesystem>
#include <string>
#include <vector>

#include "core/base/tensor.h"
#include "core/features/working_geometry.h"

namespace anomalens::pitting_study {

enum Kind { kTrain = 0, kTestGood = 1, kTestPit = 2 };

struct Item {
  int kind = 0;
  std::string name;
  Tensor s4, s8, s16;  // s4 only for short sides up to kMaxStride4Side
  Tensor s2;           // round 4 only: expanded_conv (stride 2, 16 channels)
};

constexpr int kMaxStride4Side = 320;

struct Data {
  WorkingGeometry geometry;
  std::vector<Item> items;
  double backbone_seconds_per_image = 0;
};

// Round 4: the early taps only, on the portable network cut after block_2:
// the stride-2 tap (expanded_conv's output, 16 channels) when the short side
// is at most kMaxStride2Side, and the stride-4 tap (block_2_add, 24) at any
// short side, up to the native 460 px. The whole padded image is one input
// (no tiles: tiles blend the same features, differing only near tile edges).
// Cached as build/pitting_study/early_<side>.bin.
constexpr int kMaxStride2Side = 320;

// The file names of a folder, sorted.
std::vector<std::string> ListDir(const std::filesystem::path& dir);

// train/good, test/good and test/pitting of `dir` at `short_side`: the
// stride-4 (up to kMaxStride4Side), 8 and 16 taps of every image, read
// from `cache` if it exists, else extracted and written there.
Data LoadOrExtract(const std::string& dir, int short_side, const std::string& cache);

// Round 4's taps (see kMaxStride2Side): s2 and s4 of every image, cached
// the same way in their own file.
Data LoadOrExtractEarly(const std::string& dir, int short_side, const std::string& cache);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_TAP_CACHE_H_
