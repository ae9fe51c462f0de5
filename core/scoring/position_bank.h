// PositionBank: a per-position nearest-neighbour model. Each cell of the grid
// keeps up to `entries` of the normal training images' feature vectors at
// that cell (a greedy k-centre coreset of them), and a cell scores the
// distance of its features to the nearest kept vector, standardized by the
// cell's held-out normal distances: max(0, (d - mean) / sd).
//
// Why not a Gaussian per cell (position_model.h): on bsdata-pitting the
// normal photos at one position come from 15 wear sequences, so a cell's
// normal features form clusters, not one ellipsoid; a Gaussian wide enough
// for all of them also covers an early pit. The nearest kept vector follows
// the clusters (docs/model.md, "Study, fifth round").
//
// Bounded: `entries` vectors a cell whatever the number of training images
// (64 measured as good as keeping all 200: docs/model.md).
#ifndef ANOMALENS_CORE_SCORING_POSITION_BANK_H_
#define ANOMALENS_CORE_SCORING_POSITION_BANK_H_

#include <vector>

#include "core/features/patch_features.h"

namespace anomalens {

// Vectors a cell at most, and the largest features a vector.
constexpr int kPositionBankEntries = 64;
constexpr int kMaxPositionBankFeatures = 64;

struct PositionBank {
  int grid_width = 0;
  int grid_height = 0;
  int features = 0;  // floats a vector (FitPositionBank needs a multiple of 4)
  int entries = 0;   // vectors a cell (cells with fewer training images repeat their first)
  // cells x entries x features, row-major cells; each value a half
  // (half_float.h), as the model file stores them.
  std::vector<float> vectors;
  // Per cell: mean and standard deviation of the held-out normal distances.
  std::vector<float> distance_mean;
  std::vector<float> distance_sd;

  size_t cells() const { return static_cast<size_t>(grid_width) * grid_height; }
  bool empty() const { return cells() == 0; }
};

// Per-cell scores of a grid of the bank's size and features.
std::vector<float> PositionBankScores(const PositionBank& bank, const PatchGrid& grid);

struct PositionBankFit {
  PositionBank bank;
  // Per image, per cell: each normal image's standardized scores against the
  // bank of the other folds' images (image i is in fold i % folds), and each
  // anomalous image's against that of fold i % folds.
  std::vector<std::vector<float>> normal_scores;
  std::vector<std::vector<float>> anomaly_scores;
};

// Fits the bank to normal grids (all of one size and `dim`, a multiple of 4,
// at most kMaxPositionBankFeatures), keeping at most `entries` vectors a
// cell. With folds >= 2 and at least `folds` normal images, the normalizers
// come from held-out distances; otherwise from each image against the others.
// `anomaly_folds` as FitPositionModel's (position_model.h).
PositionBankFit FitPositionBank(const std::vector<const PatchGrid*>& normals,
                                const std::vector<const PatchGrid*>& anomalies, int folds, int entries,
                                const std::vector<int>& anomaly_folds = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SCORING_POSITION_BANK_H_
