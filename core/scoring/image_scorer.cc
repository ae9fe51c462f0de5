#include "core/scoring/image_scorer.h"

#include <algorithm>

namespace anomalens {

namespace {

// d (distances to the normal bank) becomes the patch score, given da.
std::vector<float> WithAnomalyBank(std::vector<float> d, const std::vector<float>& da) {
  if (da.empty()) return d;
  for (size_t i = 0; i < d.size(); ++i) {
    const float sum = d[i] + da[i];
    d[i] = sum > 0.0f ? 2.0f * d[i] * d[i] / sum : 0.0f;
  }
  return d;
}

std::vector<float> AnomalyDistances(const PatchGrid& grid, const NearestNeighborSearch& anomaly_bank) {
  return anomaly_bank.size() == 0 ? std::vector<float>() : anomaly_bank.MinDistances(grid.data.data(), grid.cells());
}

}  // namespace

std::vector<float> PatchScores(const PatchGrid& grid, const NearestNeighborSearch& bank,
                               const NearestNeighborSearch& anomaly_bank) {
  return WithAnomalyBank(bank.MinDistances(grid.data.data(), grid.cells()), AnomalyDistances(grid, anomaly_bank));
}

ScoredImage ScoreCells(const std::vector<float>& cell_scores, int grid_width, int grid_height,
                       const WorkingGeometry& geometry, float smoothing_sigma, const ParallelFor& parallel) {
  ScoredImage scored;
  scored.map = BuildAnomalyMap(cell_scores, grid_width, grid_height, geometry, smoothing_sigma, parallel);
  scored.score = scored.map.ContentMax();
  return scored;
}

ScoredImage ScorePatchGrid(const PatchGrid& grid, const NearestNeighborSearch& bank,
                           const NearestNeighborSearch& anomaly_bank, const WorkingGeometry& geometry,
                           float smoothing_sigma, const NearestNeighborSearch* clean_bank,
                           const ScoreOptions& options) {
  const std::vector<float> d = bank.MinDistances(grid.data.data(), grid.cells());
  const std::vector<float> da = AnomalyDistances(grid, anomaly_bank);
  ScoredImage scored =
      ScoreCells(WithAnomalyBank(d, da), grid.width, grid.height, geometry, smoothing_sigma, options.parallel);
  if (clean_bank != nullptr && clean_bank->size() > 0 && scored.score >= options.clean_map_from) {
    // The nearer of the two banks: only clean rows nearer than the normal
    // bank's need be found.
    std::vector<float> nearer = clean_bank->MinDistancesWithin(grid.data.data(), grid.cells(), d.data());
    scored.clean_map = BuildAnomalyMap(WithAnomalyBank(nearer, da), grid.width, grid.height, geometry,
                                       smoothing_sigma, options.parallel);
    scored.clean_distances = std::move(nearer);
  }
  scored.normal_distances = d;
  scored.anomaly_distances = da;
  return scored;
}

}  // namespace anomalens
