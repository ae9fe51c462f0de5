#include "core/dark_spot_channel.h"

#include <algorithm>
#include <cmath>

#include "core/image_scorer.h"

namespace anomalens {
namespace {

void Scale(PatchGrid& grid, const float* scales) {
  for (size_t c = 0; c < grid.cells(); ++c)
    for (int d = 0; d < kDarkSpotFeatures; ++d) grid.data[c * kDarkSpotFeatures + d] *= scales[d];
}

// Mean and population standard deviation (floored, so a constant set divides safely).
void MeanAndSd(const std::vector<double>& v, double* mean, double* sd) {
  double sum = 0, sum_sq = 0;
  for (double x : v) sum += x, sum_sq += x * x;
  const double n = static_cast<double>(std::max<size_t>(v.size(), 1));
  *mean = sum / n;
  *sd = std::max(std::sqrt(std::max(sum_sq / n - *mean * *mean, 0.0)), 1e-6 * std::max(std::fabs(*mean), 1.0));
}

}  // namespace

PatchGrid DarkSpotGrid(const DarkSpotChannel& channel, const RgbImage& image, const WorkingGeometry& geometry) {
  PatchGrid grid = DarkSpotFeatures(image, geometry, channel.position.stride);
  Scale(grid, channel.feature_scales);
  return grid;
}

double DarkSpotImageScore(const std::vector<float>& cell_scores, int grid_width, int grid_height,
                          const WorkingGeometry& geometry) {
  return ScoreCells(cell_scores, grid_width, grid_height, geometry, kDarkSpotSmoothingSigma).score;
}

std::vector<float> MeanCellScores(const std::vector<float>& backbone, const std::vector<float>& channel) {
  std::vector<float> mean(backbone.size());
  for (size_t i = 0; i < mean.size(); ++i) mean[i] = 0.5f * (backbone[i] + channel[i]);
  return mean;
}

double FuseImageScores(const DarkSpotChannel& channel, double backbone_score, double channel_score) {
  const double za = (backbone_score - channel.backbone_mean) / channel.backbone_sd;
  const double zb = (channel_score - channel.channel_mean) / channel.channel_sd;
  return channel.backbone_mean + channel.backbone_sd * 0.5 * (za + zb);
}

DarkSpotFit FitDarkSpotChannel(const std::vector<PatchGrid*>& normals, const std::vector<PatchGrid*>& anomalies,
                               int folds, int stride, const std::vector<WorkingGeometry>& normal_geometry,
                               const std::vector<WorkingGeometry>& anomaly_geometry,
                               const std::vector<double>& backbone_normal_scores) {
  DarkSpotFit fit;
  DarkSpotChannel& channel = fit.channel;
  // Feature scales: the spread of each feature over every normal training cell.
  for (int d = 0; d < kDarkSpotFeatures; ++d) {
    double sum = 0, sum_sq = 0, n = 0;
    for (const PatchGrid* g : normals)
      for (size_t c = 0; c < g->cells(); ++c) {
        const double v = g->data[c * kDarkSpotFeatures + d];
        sum += v, sum_sq += v * v, n += 1;
      }
    const double sd = std::sqrt(std::max(sum_sq / n - (sum / n) * (sum / n), 0.0));
    channel.feature_scales[d] = sd > 1e-12 ? static_cast<float>(1.0 / sd) : 1.0f;
  }
  for (PatchGrid* g : normals) Scale(*g, channel.feature_scales);
  for (PatchGrid* g : anomalies) Scale(*g, channel.feature_scales);
  const std::vector<const PatchGrid*> n(normals.begin(), normals.end()), a(anomalies.begin(), anomalies.end());
  PositionFit position = FitPositionModel(n, a, folds, kDarkSpotFeatures, stride, kDarkSpotShift);
  const int w = position.model.grid_width, h = position.model.grid_height;
  for (size_t i = 0; i < normals.size(); ++i)
    fit.normal_scores.push_back(DarkSpotImageScore(position.normal_scores[i], w, h, normal_geometry[i]));
  for (size_t i = 0; i < anomalies.size(); ++i)
    fit.anomaly_scores.push_back(DarkSpotImageScore(position.anomaly_scores[i], w, h, anomaly_geometry[i]));
  fit.anomaly_cell_scores = std::move(position.anomaly_scores);
  channel.position = std::move(position.model);
  MeanAndSd(backbone_normal_scores, &channel.backbone_mean, &channel.backbone_sd);
  MeanAndSd(fit.normal_scores, &channel.channel_mean, &channel.channel_sd);
  return fit;
}

}  // namespace anomalens
