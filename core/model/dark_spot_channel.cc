#include "core/model/dark_spot_channel.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/scoring/image_scorer.h"

namespace anomalens {
namespace {

void Scale(PatchGrid& grid, const std::vector<float>& scales) {
  const size_t D = scales.size();
  for (size_t c = 0; c < grid.cells(); ++c)
    for (size_t d = 0; d < D; ++d) grid.data[c * D + d] *= scales[d];
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

bool DarkSpotChannelFits(const DarkSpotChannel& channel, const PositionModel& grid) {
  if (grid.stride != 4 || channel.sigmas.empty() || channel.sigmas.size() > kMaxDarkSpotScales) return false;
  for (float s : channel.sigmas)
    if (!(s > 0 && s <= 256)) return false;
  const int D = channel.features();
  if (channel.feature_scales.size() != static_cast<size_t>(D)) return false;
  if (!(channel.backbone_weight >= 0 && channel.backbone_weight <= 1)) return false;
  const PositionBank& b = channel.bank;
  const PositionModel& p = channel.position;
  if (!b.empty()) {
    return p.empty() && b.grid_width == grid.grid_width && b.grid_height == grid.grid_height && b.features == D &&
           b.entries >= 1 && b.vectors.size() == b.cells() * b.entries * D && b.distance_mean.size() == b.cells() &&
           b.distance_sd.size() == b.cells();
  }
  return !p.empty() && p.grid_width == grid.grid_width && p.grid_height == grid.grid_height && p.stride == 4 &&
         p.features == D && p.params.size() == p.cells() * p.floats_per_cell();
}

PatchGrid DarkSpotGrid(const DarkSpotChannel& channel, const RgbImage& image, const WorkingGeometry& geometry) {
  PatchGrid grid = DarkSpotFeatures(image, geometry, 4, channel.sigmas);
  Scale(grid, channel.feature_scales);
  return grid;
}

std::vector<float> DarkSpotCellScores(const DarkSpotChannel& channel, const RgbImage& image,
                                      const WorkingGeometry& geometry) {
  const PatchGrid grid = DarkSpotGrid(channel, image, geometry);
  return channel.bank.empty() ? PositionScores(channel.position, grid) : PositionBankScores(channel.bank, grid);
}

double DarkSpotImageScore(const std::vector<float>& cell_scores, int grid_width, int grid_height,
                          const WorkingGeometry& geometry) {
  return ScoreCells(cell_scores, grid_width, grid_height, geometry, kDarkSpotSmoothingSigma).score;
}

std::vector<float> MeanCellScores(const DarkSpotChannel& channel, const std::vector<float>& backbone,
                                  const std::vector<float>& spots) {
  const float w = static_cast<float>(channel.backbone_weight);
  std::vector<float> mean(backbone.size());
  for (size_t i = 0; i < mean.size(); ++i) mean[i] = w * backbone[i] + (1.0f - w) * spots[i];
  return mean;
}

double FuseImageScores(const DarkSpotChannel& channel, double backbone_score, double channel_score) {
  const double za = (backbone_score - channel.backbone_mean) / channel.backbone_sd;
  const double zb = (channel_score - channel.channel_mean) / channel.channel_sd;
  const double w = channel.backbone_weight;
  return channel.backbone_mean + channel.backbone_sd * (w * za + (1.0 - w) * zb);
}

DarkSpotFit FitDarkSpotChannel(const std::vector<PatchGrid*>& normals, const std::vector<PatchGrid*>& anomalies,
                               int folds, const std::vector<WorkingGeometry>& normal_geometry,
                               const std::vector<WorkingGeometry>& anomaly_geometry,
                               const std::vector<double>& backbone_normal_scores,
                               const std::vector<int>& anomaly_folds) {
  DarkSpotFit fit;
  DarkSpotChannel& channel = fit.channel;
  channel.sigmas.assign(std::begin(kDarkSpotSigmas), std::end(kDarkSpotSigmas));
  const int D = channel.features();
  // Feature scales: the spread of each feature over every normal training cell.
  channel.feature_scales.assign(D, 1.0f);
  for (int d = 0; d < D; ++d) {
    double sum = 0, sum_sq = 0, n = 0;
    for (const PatchGrid* g : normals)
      for (size_t c = 0; c < g->cells(); ++c) {
        const double v = g->data[c * D + d];
        sum += v, sum_sq += v * v, n += 1;
      }
    const double sd = std::sqrt(std::max(sum_sq / n - (sum / n) * (sum / n), 0.0));
    channel.feature_scales[d] = sd > 1e-12 ? static_cast<float>(1.0 / sd) : 1.0f;
  }
  for (PatchGrid* g : normals) Scale(*g, channel.feature_scales);
  for (PatchGrid* g : anomalies) Scale(*g, channel.feature_scales);
  const std::vector<const PatchGrid*> n(normals.begin(), normals.end()), a(anomalies.begin(), anomalies.end());
  PositionBankFit bank = FitPositionBank(n, a, folds, kPositionBankEntries, anomaly_folds);
  const int w = bank.bank.grid_width, h = bank.bank.grid_height;
  for (size_t i = 0; i < normals.size(); ++i)
    fit.normal_scores.push_back(DarkSpotImageScore(bank.normal_scores[i], w, h, normal_geometry[i]));
  for (size_t i = 0; i < anomalies.size(); ++i)
    fit.anomaly_scores.push_back(DarkSpotImageScore(bank.anomaly_scores[i], w, h, anomaly_geometry[i]));
  fit.anomaly_cell_scores = std::move(bank.anomaly_scores);
  channel.bank = std::move(bank.bank);
  MeanAndSd(backbone_normal_scores, &channel.backbone_mean, &channel.backbone_sd);
  MeanAndSd(fit.normal_scores, &channel.channel_mean, &channel.channel_sd);
  return fit;
}

}  // namespace anomalens
