// Cell scores (one float a cell of a grid, per image; empty for a train
// image a split leaves out), what a scorer costs, and the transforms the
// variant groups apply to cell scores before an image score is taken.
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_SCORES_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_SCORES_H_

#include <vector>

#include "tools/research/pitting_study/split.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

using Scores = std::vector<std::vector<float>>;

struct Cost {
  double fit_seconds = 0;     // fitting on all train images
  double score_ms = 0;        // scoring one test image (patch scores only)
  double model_mib = 0;
};

// The q-quantile of v (nth element at q * size).
float Percentile(std::vector<float> v, double q);

// Fusion: each score map divided by the median of its held-out train patch
// scores' 99th percentile, then combined.
Scores Normalize(const Scores& S, const Split& sp);

// Per-cell standardization of distances by the held-out train distances at
// that cell. mode 0: (d - mean) / sd, clipped at 0 (the core's); 1: robust,
// (d - median) / (1.4826 MAD), clipped; 2: (d - mean) / (max - mean) over
// the held-out train distances, clipped (tail-normalized); 3: (d - mean) / sd
// unclipped.
Scores CellStandardize(Scores S, const Split& sp, int mode);

// Stride-8 cell scores spread to a grid twice as fine (each cell to 2x2).
Scores Upsample2(const Scores& S, int w8, int h8, int w4, int h4);

// Content cells of a grid (the padding excluded).
std::vector<float> ContentCells(const Data& data, const std::vector<float>& s, int w);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_SCORES_H_
