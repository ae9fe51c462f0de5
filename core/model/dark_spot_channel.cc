#include "core/model/dark_spot_channel.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/scoring/coreset.h"
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

// Per feature, 1 / its spread over every normal training cell, so all
// features count alike in distances; with `floor` (per feature, may be
// empty), the spread is at least that.
std::vector<float> FeatureScales(const std::vector<PatchGrid*>& normals, int D, const std::vector<double>& floor = {}) {
  std::vector<float> scales(D, 1.0f);
  for (int d = 0; d < D; ++d) {
    double sum = 0, sum_sq = 0, n = 0;
    for (const PatchGrid* g : normals)
      for (size_t c = 0; c < g->cells(); ++c) {
        const double v = g->data[c * D + d];
        sum += v, sum_sq += v * v, n += 1;
      }
    double sd = n > 0 ? std::sqrt(std::max(sum_sq / n - (sum / n) * (sum / n), 0.0)) : 0.0;
    if (static_cast<size_t>(d) < floor.size()) sd = std::max(sd, floor[d]);
    scales[d] = sd > 1e-12 ? static_cast<float>(1.0 / sd) : 1.0f;
  }
  return scales;
}

// Per feature, kCompressionSpreadFloor x the root mean square change the
// compression pairs (normal index, anomaly index) make to it, cell by cell.
std::vector<double> CompressionFloor(const std::vector<PatchGrid*>& normals, const std::vector<PatchGrid*>& anomalies,
                                     const std::vector<std::pair<size_t, size_t>>& pairs, int D) {
  if (pairs.empty()) return {};
  std::vector<double> sq(D, 0.0);
  double cells = 0;
  for (const auto& [n, a] : pairs) {
    const PatchGrid& clean = *normals[n];
    const PatchGrid& compressed = *anomalies[a];
    if (clean.cells() != compressed.cells()) continue;
    for (size_t c = 0; c < clean.cells(); ++c)
      for (int d = 0; d < D; ++d) {
        const double diff = static_cast<double>(clean.cell(c)[d]) - compressed.cell(c)[d];
        sq[d] += diff * diff;
      }
    cells += static_cast<double>(clean.cells());
  }
  if (cells == 0) return {};
  std::vector<double> floor(D);
  for (int d = 0; d < D; ++d) floor[d] = kCompressionSpreadFloor * std::sqrt(sq[d] / cells);
  return floor;
}

}  // namespace

bool SharedDarkSpotChannelFits(const DarkSpotChannel& channel) {
  if (channel.sigmas.empty() || channel.sigmas.size() > kMaxDarkSpotScales) return false;
  for (float s : channel.sigmas)
    if (!(s > 0 && s <= 256)) return false;
  const size_t D = static_cast<size_t>(channel.features());
  if (!channel.colour || channel.feature_scales.size() != D || !channel.bank.empty() || !channel.position.empty())
    return false;
  if (!(channel.backbone_weight >= 0 && channel.backbone_weight <= 1)) return false;
  if (channel.shared.empty() || channel.shared.size() % D != 0 || channel.shared_rows() > kMaxSharedDarkSpotRows)
    return false;
  for (float v : channel.shared)
    if (!std::isfinite(v)) return false;
  return true;
}

PatchGrid SharedSpotFeatures(const PatchGrid& dark, const PatchGrid& colour) {
  PatchGrid both{dark.width, dark.height, dark.dim + colour.dim, {}};
  both.data.reserve(both.cells() * both.dim);
  for (size_t c = 0; c < dark.cells(); ++c) {
    both.data.insert(both.data.end(), dark.cell(c), dark.cell(c) + dark.dim);
    both.data.insert(both.data.end(), colour.cell(c), colour.cell(c) + colour.dim);
  }
  return both;
}

std::vector<float> SharedDarkSpotCellScores(const DarkSpotChannel& channel, const NearestNeighborSearch& search,
                                            const RgbImage& image, const WorkingGeometry& geometry,
                                            int* grid_width, int* grid_height) {
  PatchGrid grid = DarkSpotFeatures(image, geometry, 4, channel.sigmas);
  if (channel.colour) grid = SharedSpotFeatures(grid, ColourSpotFeatures(image, geometry, 4));
  Scale(grid, channel.feature_scales);
  *grid_width = grid.width;
  *grid_height = grid.height;
  return search.MinDistances(grid.data.data(), grid.cells());
}

void FuseMaps(const DarkSpotChannel& channel, const AnomalyMap& spots, AnomalyMap* backbone) {
  const double w = channel.backbone_weight;
  const size_t n = std::min(spots.values.size(), backbone->values.size());
  for (size_t i = 0; i < n; ++i) {
    const double za = (backbone->values[i] - channel.backbone_mean) / channel.backbone_sd;
    const double zb = (spots.values[i] - channel.channel_mean) / channel.channel_sd;
    backbone->values[i] = static_cast<float>(channel.backbone_mean + channel.backbone_sd * (w * za + (1.0 - w) * zb));
  }
}

bool DarkSpotChannelFits(const DarkSpotChannel& channel, const PositionModel& grid) {
  if (grid.stride != 4 || channel.colour || channel.sigmas.empty() || channel.sigmas.size() > kMaxDarkSpotScales)
    return false;
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
  channel.feature_scales = FeatureScales(normals, D);
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

StatusOr<SharedDarkSpotFit> FitSharedDarkSpotChannel(
    const std::vector<PatchGrid*>& normals, const std::vector<PatchGrid*>& anomalies, int folds,
    const std::vector<WorkingGeometry>& normal_geometry, const std::vector<WorkingGeometry>& anomaly_geometry,
    const std::vector<double>& backbone_normal_scores, const std::vector<int>& anomaly_folds,
    const std::vector<std::pair<size_t, size_t>>& compression_pairs, const BuildSearch& search,
    const ParallelFor& parallel) {
  SharedDarkSpotFit fit;
  DarkSpotChannel& channel = fit.channel;
  channel.sigmas.assign(std::begin(kDarkSpotSigmas), std::end(kDarkSpotSigmas));
  channel.colour = true;
  const int D = channel.features();
  for (const auto* grids : {&normals, &anomalies})
    for (const PatchGrid* g : *grids)
      if (g->dim != D) return InvalidInput("the shared dark-spot channel needs " + std::to_string(D) + " features a cell");
  for (const auto& [n, a] : compression_pairs)
    if (n >= normals.size() || a >= anomalies.size()) return InvalidInput("a compression pair names no image");
  channel.feature_scales = FeatureScales(normals, D, CompressionFloor(normals, anomalies, compression_pairs, D));
  for (PatchGrid* g : normals) Scale(*g, channel.feature_scales);
  for (PatchGrid* g : anomalies) Scale(*g, channel.feature_scales);
  // The coreset's pool: every normal cell, or an even subsample of them,
  // each row remembering its image (for the folds).
  size_t total = 0;
  for (const PatchGrid* g : normals) total += g->cells();
  const size_t step = std::max<size_t>(1, (total + kSharedDarkSpotCoresetPool - 1) / kSharedDarkSpotCoresetPool);
  std::vector<float> pool;
  std::vector<size_t> source;
  size_t k = 0;
  for (size_t i = 0; i < normals.size(); ++i)
    for (size_t c = 0; c < normals[i]->cells(); ++c, ++k) {
      if (k % step != 0) continue;
      pool.insert(pool.end(), normals[i]->cell(c), normals[i]->cell(c) + D);
      source.push_back(i);
    }
  const std::vector<size_t> picks =
      GreedyCoreset(pool.data(), source.size(), D, std::min(kMaxSharedDarkSpotRows, source.size()), 0, parallel);
  for (size_t p : picks) channel.shared.insert(channel.shared.end(), &pool[p * D], &pool[(p + 1) * D]);
  // Held-out scores: fold f's images against the rows of the other folds' images.
  fit.normal_scores.resize(normals.size());
  fit.anomaly_scores.resize(anomalies.size());
  fit.anomaly_maps.resize(anomalies.size());
  const auto score = [](const NearestNeighborSearch& index, const PatchGrid& g, const WorkingGeometry& geometry) {
    const std::vector<float> cells = index.MinDistances(g.data.data(), g.cells());
    return ScoreCells(cells, g.width, g.height, geometry, kDarkSpotSmoothingSigma);
  };
  for (int f = 0; f < folds; ++f) {
    std::vector<float> rows;
    for (size_t p : picks)
      if (folds < 2 || static_cast<int>(source[p] % folds) != f) rows.insert(rows.end(), &pool[p * D], &pool[(p + 1) * D]);
    ASSIGN_OR_RETURN(const auto index, BuildNearestNeighborSearch(search, rows.data(), rows.size() / D, D, parallel));
    for (size_t i = f; i < normals.size(); i += folds) fit.normal_scores[i] = score(*index, *normals[i], normal_geometry[i]).score;
    for (size_t i = 0; i < anomalies.size(); ++i) {
      const int fold = i < anomaly_folds.size() ? anomaly_folds[i] : static_cast<int>(i % folds);
      if (fold != f) continue;
      ScoredImage scored = score(*index, *anomalies[i], anomaly_geometry[i]);
      fit.anomaly_scores[i] = scored.score;
      fit.anomaly_maps[i] = std::move(scored.map);
    }
  }
  MeanAndSd(backbone_normal_scores, &channel.backbone_mean, &channel.backbone_sd);
  MeanAndSd(fit.normal_scores, &channel.channel_mean, &channel.channel_sd);
  return fit;
}

}  // namespace anomalens
