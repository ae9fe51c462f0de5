#include "core/image_scorer.h"

namespace anomalens {

std::vector<float> PatchScores(const PatchGrid& grid, const NearestNeighborIndex& bank,
                               const NearestNeighborIndex& anomaly_bank) {
  std::vector<float> d = bank.MinDistances(grid.data.data(), grid.cells());
  if (anomaly_bank.size() == 0) return d;
  const std::vector<float> da = anomaly_bank.MinDistances(grid.data.data(), grid.cells());
  for (size_t i = 0; i < d.size(); ++i) {
    const float sum = d[i] + da[i];
    d[i] = sum > 0.0f ? 2.0f * d[i] * d[i] / sum : 0.0f;
  }
  return d;
}

ScoredImage ScoreCells(const std::vector<float>& cell_scores, int grid_width, int grid_height,
                       const WorkingGeometry& geometry, float smoothing_sigma) {
  ScoredImage scored;
  scored.map = BuildAnomalyMap(cell_scores, grid_width, grid_height, geometry, smoothing_sigma);
  scored.score = scored.map.ContentMax();
  return scored;
}

ScoredImage ScorePatchGrid(const PatchGrid& grid, const NearestNeighborIndex& bank,
                           const NearestNeighborIndex& anomaly_bank, const WorkingGeometry& geometry,
                           float smoothing_sigma) {
  return ScoreCells(PatchScores(grid, bank, anomaly_bank), grid.width, grid.height, geometry, smoothing_sigma);
}

}  // namespace anomalens
