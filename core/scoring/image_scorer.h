// ImageScorer: scores one image against a memory bank. Training (for its
// held-out calibration) and detection share it, so both compute scores the
// same way.
#ifndef ANOMALENS_CORE_SCORING_IMAGE_SCORER_H_
#define ANOMALENS_CORE_SCORING_IMAGE_SCORER_H_

#include <limits>

#include "core/backbone/mobilenet_v2.h"
#include "core/base/status.h"
#include "core/features/patch_features.h"
#include "core/scoring/anomaly_map.h"
#include "core/scoring/nearest_neighbor_search.h"

namespace anomalens {

struct ScoredImage {
  AnomalyMap map;    // on the padded working grid
  double score = 0;  // the map's maximum over the image's own pixels
  // Segmentation models with a clean bank: the map their defect pixels are
  // cut from (see below). Empty otherwise; segmentation_map() falls back.
  AnomalyMap clean_map;
  const AnomalyMap& segmentation_map() const { return clean_map.values.empty() ? map : clean_map; }
  // Each cell's distances (ScorePatchGrid only): to the normal bank, to the
  // anomaly bank (empty without one), and to the nearer of the normal and
  // clean banks (empty without clean_map). A segmentation model's defect
  // head reads them (core/segmentation/defect_head.h).
  std::vector<float> normal_distances, anomaly_distances, clean_distances;
};

// Scores a patch grid already extracted (training reuses its features).
//
// A patch's score is its distance d to the nearest normal patch. When the
// model has an anomaly bank (patches of labelled anomalous images), with d_a
// the distance to its nearest entry, the score becomes
//
//     2 d^2 / (d + d_a)
//
// which keeps d for a patch as far from the labelled anomalies as from the
// normal bank (a defect of a kind never labelled), raises it up to 2d for a
// patch that looks like a labelled defect, and lowers it for one that is
// unlike both but nearer to normal (a lighting or background change).
// An empty `anomaly_bank` leaves d alone.
//
// A non-empty `clean_bank` (the unlabelled parts of masked anomalous training
// images) adds `clean_map`, scored the same way but with d the distance to
// the nearer of `bank` and `clean_bank`. Defect pixels are cut from it: the
// intact rest of a defective part then looks normal, which tightens the
// mask. The image's score and decision stay on `bank` alone, which measured
// better for them (docs/model.md).
//
// `options.clean_map_from` skips `clean_map` for images scoring below it:
// detection only cuts defects from images it calls anomalous, so a plain
// detect passes the threshold; evaluation, whose pixel metrics read every
// image's map, keeps the default.
// The searches run on whatever engine (and threads) built them
// (nearest_neighbor_search.h).
struct ScoreOptions {
  double clean_map_from = -std::numeric_limits<double>::infinity();
  ParallelFor parallel;  // the maps' upsampling and smoothing rows (the same values)
};
ScoredImage ScorePatchGrid(const PatchGrid& grid, const NearestNeighborSearch& bank,
                           const NearestNeighborSearch& anomaly_bank, const WorkingGeometry& geometry,
                           float smoothing_sigma, const NearestNeighborSearch* clean_bank = nullptr,
                           const ScoreOptions& options = {});

// An image's map and score from per-cell scores (grid_width x grid_height on
// the padded grid): upsampled, smoothed, the maximum over the content.
ScoredImage ScoreCells(const std::vector<float>& cell_scores, int grid_width, int grid_height,
                       const WorkingGeometry& geometry, float smoothing_sigma, const ParallelFor& parallel = {});

// The per-patch scores, before upsampling and smoothing.
std::vector<float> PatchScores(const PatchGrid& grid, const NearestNeighborSearch& bank,
                               const NearestNeighborSearch& anomaly_bank);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SCORING_IMAGE_SCORER_H_
