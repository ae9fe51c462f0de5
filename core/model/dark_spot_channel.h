// DarkSpotChannel: a second per-position model, on the dark-spot features
// (dark_spot_features.h) instead of the backbone's, whose image score is
// averaged with the backbone model's, and its cell scores with the backbone
// model's for the anomaly map.
//
// Why: on bsdata-pitting the earliest pits are 6x10 original pixels, 3x4
// working pixels at 224 px, and the backbone's channels at any tap or
// resolution the network allows rank them below the normal photos' grease
// and wear (docs/model.md, study rounds 3 and 4). Hand-made dark-spot
// responses on the original pixels see them (round 3: two scales, per-cell
// Gaussians, model file version 4); at six scales, with a per-position
// nearest-neighbour bank instead of the Gaussians, they rank images better
// than the backbone model does (round 5, version 5), so the fused score
// weighs the channel most (docs/model.md, "Dark-spot channel").
//
// Stride-4 per-position models carry one on their own grid
// (ModelConfig::dark_spots turns it off). Shared-bank models may carry a
// position-free one (model file version 7, ModelConfig::shared_dark_spots):
// the same features on a stride-4 grid of its own, scored by their distance
// to a shared nearest-neighbour bank of normal cells, for images that differ
// in size or do not line up. Why: on textures (the "granular" scene's
// sintered grains, tiny-defects, long-strip) the backbone's taps rank small
// pits and cracks near chance while these features alone rank them at 0.97
// to 1.0 image ROCAUC (bench/dark_spot_probe_main.cc, issue 16). The
// configuration search offers it as a candidate; its self-check decides.
// Stride-8 per-position models never compute the features.
#ifndef ANOMALENS_CORE_MODEL_DARK_SPOT_CHANNEL_H_
#define ANOMALENS_CORE_MODEL_DARK_SPOT_CHANNEL_H_

#include <utility>
#include <vector>

#include "core/features/colour_spot_features.h"
#include "core/features/dark_spot_features.h"
#include "core/base/status.h"
#include "core/features/working_geometry.h"
#include "core/image/image.h"
#include "core/scoring/anomaly_map.h"
#include "core/scoring/nearest_neighbor_search.h"
#include "core/scoring/position_bank.h"
#include "core/scoring/position_model.h"

namespace anomalens {

// Version-4 channels: per-cell Gaussians with a shift tolerance
// (PositionModel::shift) of +-1: measured dev 0.943 against 0.936 without,
// +-2 0.928.
constexpr int kDarkSpotShift = 1;
// The channel's map is smoothed less than the backbone's (working pixels)
// for its image score: sigma 2 measured dev 0.947 against 0.943 at 4.
constexpr float kDarkSpotSmoothingSigma = 2.0f;
// Version-5 channels: the backbone model's share of the image score and map.
// On the pitting study's dev split, with the per-position bank on six
// scales: 0 -> 0.9657, 0.1 -> 0.9666, 0.25 -> 0.9659, 0.5 -> 0.9636. A
// quarter keeps the backbone's view of what is not a spot (colour, texture)
// at no measured cost. Version-4 channels weigh both halves.
constexpr double kDarkSpotBackboneWeight = 0.25;
constexpr double kDarkSpotBackboneWeightV4 = 0.5;

struct DarkSpotChannel {
  // The scales of its features (kDarkSpotSigmas, or kDarkSpotSigmasV4 in
  // version-4 files); features() = kDarkSpotFeaturesPerScale a scale.
  std::vector<float> sigmas;
  // Exactly one model is set: the per-position bank (version 5) or the
  // per-cell Gaussians (version 4).
  PositionBank bank;
  PositionModel position;
  // Shared-bank models (version 7): rows of features() floats, normal
  // training cells (scaled by feature_scales) picked by a greedy coreset.
  // A cell's score is its distance to the nearest row.
  std::vector<float> shared;
  // Shared channels also read the colour-spot features
  // (colour_spot_features.h), after the dark-spot ones: the foreign-coloured
  // grains of a busy texture that no grey feature sees.
  bool colour = false;
  // Each feature divided by its spread over the normal training cells, so
  // all features count alike in the bank's distances (and the Gaussians' ridge).
  std::vector<float> feature_scales;
  // Mean and standard deviation of the held-out normal training images'
  // scores: the backbone model's (its map's maximum) and this channel's.
  double backbone_mean = 0, backbone_sd = 1;
  double channel_mean = 0, channel_sd = 1;
  // The backbone model's share of the fused image score and map.
  double backbone_weight = kDarkSpotBackboneWeight;

  int features() const {
    return kDarkSpotFeaturesPerScale * static_cast<int>(sigmas.size()) + (colour ? kColourSpotFeatures : 0);
  }
  bool empty() const { return bank.empty() && position.empty() && shared.empty(); }
  size_t shared_rows() const { return features() > 0 ? shared.size() / features() : 0; }
};

// The channel's features of one image: DarkSpotFeatures divided by the
// channel's feature scales.
PatchGrid DarkSpotGrid(const DarkSpotChannel& channel, const RgbImage& image, const WorkingGeometry& geometry);

// Whether the channel's parts agree with each other and with the stride-4
// per-position model `grid` they share a grid with: one model set, on the
// same grid, with features() features and as many feature scales, 1 to
// kMaxDarkSpotScales positive scales, a backbone weight in [0, 1], and
// parameter arrays of their stated sizes.
bool DarkSpotChannelFits(const DarkSpotChannel& channel, const PositionModel& grid);

// Whether a shared (position-free) channel is well formed: the shared bank
// alone set, features() floats a row, 1 to kMaxSharedDarkSpotRows rows,
// finite; scales and weight as DarkSpotChannelFits checks.
bool SharedDarkSpotChannelFits(const DarkSpotChannel& channel);

// The most rows a shared channel's bank keeps, and the most normal cells
// its greedy coreset chooses them from (an even subsample of every normal
// cell beyond that, so the fit costs at most 32768 x 2048 x 12 products).
constexpr size_t kMaxSharedDarkSpotRows = 2048;
constexpr size_t kSharedDarkSpotCoresetPool = 32768;

// The channel's per-cell scores of one image (standardized per cell).
// Shared channels: use SharedDarkSpotCellScores.
std::vector<float> DarkSpotCellScores(const DarkSpotChannel& channel, const RgbImage& image,
                                      const WorkingGeometry& geometry);

// The channel's image score from its per-cell scores: their map, smoothed
// by kDarkSpotSmoothingSigma, maximum over the content.
double DarkSpotImageScore(const std::vector<float>& cell_scores, int grid_width, int grid_height,
                          const WorkingGeometry& geometry);

// The anomaly map's cells of a model with the channel: the weighted mean of
// the backbone model's and the channel's per-cell scores (both standardized
// per cell), the backbone's weight channel.backbone_weight.
std::vector<float> MeanCellScores(const DarkSpotChannel& channel, const std::vector<float>& backbone,
                                  const std::vector<float>& spots);

// The image score of a model with the channel, in the backbone model's
// units: m_a + s_a (w z_a + (1 - w) z_b) with z_a = (a - m_a) / s_a and
// z_b = (b - m_b) / s_b, a the backbone score, b the channel's, w its
// backbone_weight. It ranks images as the weighted z-score does, and equals
// `a` when the channel agrees, so thresholds and maps keep their scale.
double FuseImageScores(const DarkSpotChannel& channel, double backbone_score, double channel_score);

// A shared channel's raw features: each cell's dark-spot features, then its
// colour-spot features (grids of one size).
PatchGrid SharedSpotFeatures(const PatchGrid& dark, const PatchGrid& colour);

// A shared channel's per-cell distances on its stride-4 grid of `image`
// (grid size in *grid_width x *grid_height), searched with `search`, a
// search built over channel.shared.
std::vector<float> SharedDarkSpotCellScores(const DarkSpotChannel& channel, const NearestNeighborSearch& search,
                                            const RgbImage& image, const WorkingGeometry& geometry,
                                            int* grid_width, int* grid_height);

// A shared-bank model's map with the channel: per working pixel the same
// weighted z-score FuseImageScores gives the image, in the backbone's units
// (`backbone` and `spots` are maps of one geometry; the backbone's is
// overwritten).
void FuseMaps(const DarkSpotChannel& channel, const AnomalyMap& spots, AnomalyMap* backbone);

// The fit, with held-out image scores for calibration.
struct DarkSpotFit {
  DarkSpotChannel channel;
  std::vector<double> normal_scores;   // per normal image, against its fold's Gaussians
  std::vector<double> anomaly_scores;  // per anomalous image, likewise
  // Per anomalous image, its held-out per-cell scores (for the map).
  std::vector<std::vector<float>> anomaly_cell_scores;
};

// Fits a version-5 channel (kDarkSpotSigmas, the per-position bank) to the
// raw features (DarkSpotFeatures at kDarkSpotSigmas) of the normal and
// anomalous training images, all grids of one size, with `folds` as
// FitPositionBank; scales the grids in place. `backbone_normal_scores` (the
// backbone model's held-out normal image scores) set the fusion.
// `anomaly_folds` as FitPositionModel's.
DarkSpotFit FitDarkSpotChannel(const std::vector<PatchGrid*>& normals, const std::vector<PatchGrid*>& anomalies,
                               int folds, const std::vector<WorkingGeometry>& normal_geometry,
                               const std::vector<WorkingGeometry>& anomaly_geometry,
                               const std::vector<double>& backbone_normal_scores,
                               const std::vector<int>& anomaly_folds = {});

// Fits a shared (position-free) channel to the raw features of the normal
// and anomalous training images, of any sizes: scales the grids in place,
// picks the bank by greedy coreset over (an even subsample of) the normal
// cells, and scores each image against the rows taken from the other folds'
// normal images (normal image i is in fold i % folds; anomalies in
// anomaly_folds, default i % folds). anomaly_cell_scores are left empty;
// anomaly_maps hold the held-out maps (kDarkSpotSmoothingSigma).
//
// Compression floor. `compression_pairs` (normal index, anomaly index) name
// anomalies that are normal images after a JPEG-like round trip (the
// self-check's compression check, model.h). Each feature's spread is then at
// least kCompressionSpreadFloor x the root mean square change the round trip
// makes to it, so a feature counts in units no finer than what a re-encode
// moves it by. Why: on near-grey scenes the colour-spot features' spread over
// normal cells is under one grey level (granular 0.4 to 1.0, brushed-metal
// 0.35 to 0.64), and JPEG's chroma quantization and 4:2:0 subsampling move
// them by more: every re-encoded normal image went above every PNG one
// (bench/dark_spot_probe_main.cc). With the floor, on the scenes' test goods
// re-encoded by png_to_jpeg (quality 90), defects against them rank
// granular 0.30 -> 0.97, brushed-metal 0.58 -> 1.00, at a floor of 1x 0.83
// and 0.89, at 3x 0.97 and 1.00; on PNGs 0.977 -> 0.973, 1.0 -> 1.0.
struct SharedDarkSpotFit {
  DarkSpotChannel channel;
  std::vector<double> normal_scores, anomaly_scores;
  std::vector<AnomalyMap> anomaly_maps;
};
constexpr double kCompressionSpreadFloor = 2.0;
StatusOr<SharedDarkSpotFit> FitSharedDarkSpotChannel(
    const std::vector<PatchGrid*>& normals, const std::vector<PatchGrid*>& anomalies, int folds,
    const std::vector<WorkingGeometry>& normal_geometry, const std::vector<WorkingGeometry>& anomaly_geometry,
    const std::vector<double>& backbone_normal_scores, const std::vector<int>& anomaly_folds,
    const std::vector<std::pair<size_t, size_t>>& compression_pairs, const BuildSearch& search,
    const ParallelFor& parallel);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_MODEL_DARK_SPOT_CHANNEL_H_
