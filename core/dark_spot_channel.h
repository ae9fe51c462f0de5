// DarkSpotChannel: a second per-position model, on the dark-spot features
// (dark_spot_features.h) instead of the backbone's, whose image score is
// averaged with the backbone model's, and its cell scores with the backbone
// model's for the anomaly map.
//
// Why: on bsdata-pitting the earliest pits are 6x10 original pixels, 3x4
// working pixels at 224 px, and the backbone's channels at any tap or
// resolution the network allows rank them below the normal photos' grease
// and wear (docs/model.md, study rounds 3 and 4). Four hand-made dark-spot
// responses on the original pixels see them; averaging the two models' image
// scores, each standardized by its held-out normal training images, ranks
// images better than either (docs/model.md, "Dark-spot channel").
//
// Only stride-4 per-position models carry one (the trainer fits it on the
// same grid; ModelConfig::dark_spots turns it off). Shared-bank models and
// stride-8 per-position models never compute the features.
#ifndef ANOMALENS_CORE_DARK_SPOT_CHANNEL_H_
#define ANOMALENS_CORE_DARK_SPOT_CHANNEL_H_

#include <vector>

#include "core/dark_spot_features.h"
#include "core/image.h"
#include "core/position_model.h"
#include "core/working_geometry.h"

namespace anomalens {

// Shift tolerance of the channel's Gaussians (PositionModel::shift): +-1
// measured dev 0.943 against 0.936 without, +-2 0.928.
constexpr int kDarkSpotShift = 1;
// The channel's map is smoothed less than the backbone's (working pixels)
// for its image score: sigma 2 measured dev 0.947 against 0.943 at 4.
constexpr float kDarkSpotSmoothingSigma = 2.0f;

struct DarkSpotChannel {
  // Empty: the model has no channel.
  PositionModel position;
  // Each feature divided by its spread over the normal training cells, so
  // the Gaussians' ridge (a fraction of the mean variance) treats all alike.
  float feature_scales[kDarkSpotFeatures] = {};
  // Mean and standard deviation of the held-out normal training images'
  // scores: the backbone model's (its map's maximum) and this channel's.
  double backbone_mean = 0, backbone_sd = 1;
  double channel_mean = 0, channel_sd = 1;

  bool empty() const { return position.empty(); }
};

// The channel's features of one image: DarkSpotFeatures divided by the
// channel's feature scales.
PatchGrid DarkSpotGrid(const DarkSpotChannel& channel, const RgbImage& image, const WorkingGeometry& geometry);

// The channel's image score from its per-cell scores
// (PositionScores(channel.position, DarkSpotGrid(...))): their map, smoothed
// by kDarkSpotSmoothingSigma, maximum over the content.
double DarkSpotImageScore(const std::vector<float>& cell_scores, int grid_width, int grid_height,
                          const WorkingGeometry& geometry);

// The anomaly map's cells of a model with the channel: the mean of the
// backbone model's and the channel's per-cell scores (both standardized per
// cell). On bsdata-pitting: pixel ROCAUC 0.9825 and AUPRO 0.791, against
// 0.9794 / 0.733 for the backbone model's alone and 0.971 / 0.855 for the
// channel's alone.
std::vector<float> MeanCellScores(const std::vector<float>& backbone, const std::vector<float>& channel);

// The image score of a model with the channel, in the backbone model's
// units: m_a + s_a (z_a + z_b) / 2 with z_a = (a - m_a) / s_a and
// z_b = (b - m_b) / s_b, a the backbone score, b the channel's. It ranks
// images as the average of the two z-scores does, and equals `a` when the
// channel agrees, so thresholds and maps keep their scale.
double FuseImageScores(const DarkSpotChannel& channel, double backbone_score, double channel_score);

// The fit, with held-out image scores for calibration.
struct DarkSpotFit {
  DarkSpotChannel channel;
  std::vector<double> normal_scores;   // per normal image, against its fold's Gaussians
  std::vector<double> anomaly_scores;  // per anomalous image, likewise
  // Per anomalous image, its held-out per-cell scores (for the map).
  std::vector<std::vector<float>> anomaly_cell_scores;
};

// Fits the channel to the raw features (DarkSpotFeatures) of the normal and
// anomalous training images, all grids of one size, with `folds` as
// FitPositionModel; scales the grids in place. `backbone_normal_scores`
// (the backbone model's held-out normal image scores) set the fusion.
DarkSpotFit FitDarkSpotChannel(const std::vector<PatchGrid*>& normals, const std::vector<PatchGrid*>& anomalies,
                               int folds, int stride, const std::vector<WorkingGeometry>& normal_geometry,
                               const std::vector<WorkingGeometry>& anomaly_geometry,
                               const std::vector<double>& backbone_normal_scores);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_DARK_SPOT_CHANNEL_H_
