#include "core/trainer.h"

#include <algorithm>
#include <cmath>

#include "core/calibration.h"
#include "core/coreset.h"
#include "core/feature_extractor.h"
#include "core/image_scorer.h"
#include "core/nearest_neighbor.h"

namespace anomalens {
namespace {

// Each layer's spread: the root of its channels' mean variance over all
// normal training patches. Dividing by it gives both layers unit spread, so
// the 32 fine channels and the 96 coarse ones both count.
void ComputeLayerScales(const std::vector<PatchGrid>& grids, float scales[2]) {
  const int dim = kPatchFeatureDim;
  std::vector<double> sum(dim, 0.0), sum_sq(dim, 0.0);
  size_t n = 0;
  for (const PatchGrid& g : grids) {
    for (size_t i = 0; i < g.cells(); ++i) {
      const float* f = g.cell(i);
      for (int d = 0; d < dim; ++d) {
        sum[d] += f[d];
        sum_sq[d] += double(f[d]) * f[d];
      }
    }
    n += g.cells();
  }
  const int begin[2] = {0, kStride8Features}, end[2] = {kStride8Features, dim};
  for (int layer = 0; layer < 2; ++layer) {
    double variance = 0;
    for (int d = begin[layer]; d < end[layer]; ++d) {
      const double mean = sum[d] / n;
      variance += std::max(sum_sq[d] / n - mean * mean, 0.0);
    }
    const double sd = std::sqrt(variance / (end[layer] - begin[layer]));
    scales[layer] = sd > 1e-12 ? static_cast<float>(1.0 / sd) : 1.0f;
  }
}

void ApplyLayerScales(PatchGrid& grid, const float scales[2]) {
  for (size_t i = 0; i < grid.cells(); ++i) {
    float* f = &grid.data[i * grid.dim];
    for (int d = 0; d < grid.dim; ++d) f[d] *= scales[d < kStride8Features ? 0 : 1];
  }
}

// Concatenates the chosen grids' patches and keeps a greedy k-centre coreset.
std::vector<float> BuildBank(const std::vector<const PatchGrid*>& grids, const ModelConfig& config,
                             size_t* total_patches) {
  std::vector<float> all;
  for (const PatchGrid* g : grids) all.insert(all.end(), g->data.begin(), g->data.end());
  const size_t count = all.size() / kPatchFeatureDim;
  *total_patches = count;
  size_t target = static_cast<size_t>(std::ceil(config.coreset_ratio * count));
  target = std::min(std::max<size_t>(target, 1), static_cast<size_t>(config.max_bank_rows));
  if (target >= count) return all;
  const std::vector<size_t> picked = GreedyCoreset(all.data(), count, kPatchFeatureDim, target);
  std::vector<float> bank(picked.size() * kPatchFeatureDim);
  for (size_t i = 0; i < picked.size(); ++i)
    std::copy_n(&all[picked[i] * kPatchFeatureDim], kPatchFeatureDim, &bank[i * kPatchFeatureDim]);
  return bank;
}

// The `count` most anomalous patches of each labelled anomalous image, by
// distance to the normal bank: where its defect most likely is.
std::vector<float> BuildAnomalyBank(const std::vector<const PatchGrid*>& anomalies, const NearestNeighborIndex& normal,
                                    int count) {
  std::vector<float> bank;
  if (count <= 0) return bank;
  for (const PatchGrid* g : anomalies) {
    const std::vector<float> d = normal.MinDistances(g->data.data(), g->cells());
    std::vector<size_t> order(d.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    const size_t keep = std::min<size_t>(count, order.size());
    std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                      [&d](size_t a, size_t b) { return d[a] != d[b] ? d[a] > d[b] : a < b; });
    for (size_t i = 0; i < keep; ++i) bank.insert(bank.end(), g->cell(order[i]), g->cell(order[i]) + g->dim);
  }
  return bank;
}

// A normal bank and an anomaly bank, with their search indexes.
struct Banks {
  std::vector<float> normal, anomaly;
  NearestNeighborIndex normal_index, anomaly_index;
  size_t training_patches = 0;
};

Banks BuildBanks(const std::vector<const PatchGrid*>& normals, const std::vector<const PatchGrid*>& anomalies,
                 const ModelConfig& config) {
  Banks b;
  b.normal = BuildBank(normals, config, &b.training_patches);
  b.normal_index = NearestNeighborIndex(b.normal.data(), b.normal.size() / kPatchFeatureDim, kPatchFeatureDim);
  b.anomaly = BuildAnomalyBank(anomalies, b.normal_index, config.anomaly_patches_per_image);
  b.anomaly_index = NearestNeighborIndex(b.anomaly.data(), b.anomaly.size() / kPatchFeatureDim, kPatchFeatureDim);
  return b;
}

}  // namespace

Trainer::Trainer(std::shared_ptr<const MobileNetV2> backbone, ModelConfig config)
    : backbone_(std::move(backbone)), config_(config) {}

Status Trainer::CheckConfig() const {
  if (config_.short_side < 32 || config_.short_side > 4096)
    return InvalidInput("working resolution " + std::to_string(config_.short_side) + " px is outside 32 to 4096");
  if (!(config_.coreset_ratio > 0 && config_.coreset_ratio <= 1))
    return InvalidInput("coreset ratio must be in (0, 1], got " + std::to_string(config_.coreset_ratio));
  if (config_.max_bank_rows < 1) return InvalidInput("max bank rows must be at least 1");
  if (config_.smoothing_sigma < 0 || config_.smoothing_sigma > 64)
    return InvalidInput("smoothing sigma must be 0 to 64 px");
  if (config_.calibration_folds < 2 || config_.calibration_folds > 100)
    return InvalidInput("calibration folds must be 2 to 100");
  if (config_.anomaly_patches_per_image < 0 || config_.anomaly_patches_per_image > 4096)
    return InvalidInput("anomaly patches per image must be 0 to 4096");
  return Status::Ok();
}

Status Trainer::AddImage(const RgbImage& image, ImageLabel label) {
  if (normal_.empty() && anomaly_.empty()) {
    RETURN_IF_ERROR(CheckConfig());
    image_width_ = image.width;
    image_height_ = image.height;
    working_ = ChooseWorkingSize(image.width, image.height, config_.short_side, MobileNetV2::kInputMultiple);
  }
  const float unit[2] = {1.0f, 1.0f};
  ASSIGN_OR_RETURN(PatchGrid grid, ExtractFeatures(*backbone_, image, working_, unit));
  (label == ImageLabel::kNormal ? normal_ : anomaly_).push_back(std::move(grid));
  return Status::Ok();
}

StatusOr<Model> Trainer::Finish(const Hooks& hooks) {
  if (normal_.size() < 2) {
    return InvalidInput("training needs at least 2 normal images; got " + std::to_string(normal_.size()));
  }
  Model model;
  model.backbone_id = backbone_->id();
  model.backbone_checksum = backbone_->checksum();
  model.config = config_;
  model.working_size = working_;
  model.feature_dim = kPatchFeatureDim;
  ComputeLayerScales(normal_, model.layer_scales);
  for (PatchGrid& g : normal_) ApplyLayerScales(g, model.layer_scales);
  for (PatchGrid& g : anomaly_) ApplyLayerScales(g, model.layer_scales);

  // Held-out scores: each fold's images are scored against banks built
  // without that fold's normal and anomalous images, as a new image would be.
  const int folds = std::min<int>(config_.calibration_folds, static_cast<int>(normal_.size()));
  std::vector<double> normal_scores(normal_.size()), anomaly_scores(anomaly_.size());
  for (int f = 0; f < folds; ++f) {
    if (hooks.Cancelled()) return Cancelled("training cancelled");
    hooks.Report("calibration", f, folds + 1);
    std::vector<const PatchGrid*> normals, anomalies;
    for (size_t i = 0; i < normal_.size(); ++i)
      if (static_cast<int>(i % folds) != f) normals.push_back(&normal_[i]);
    for (size_t i = 0; i < anomaly_.size(); ++i)
      if (static_cast<int>(i % folds) != f) anomalies.push_back(&anomaly_[i]);
    const Banks banks = BuildBanks(normals, anomalies, config_);
    for (size_t i = f; i < normal_.size(); i += folds)
      normal_scores[i] = ScorePatchGrid(normal_[i], banks.normal_index, banks.anomaly_index, working_,
                                        config_.smoothing_sigma).score;
    for (size_t i = f; i < anomaly_.size(); i += folds)
      anomaly_scores[i] = ScorePatchGrid(anomaly_[i], banks.normal_index, banks.anomaly_index, working_,
                                         config_.smoothing_sigma).score;
  }
  if (hooks.Cancelled()) return Cancelled("training cancelled");
  hooks.Report("calibration", folds, folds + 1);

  std::vector<const PatchGrid*> normals, anomalies;
  for (const PatchGrid& g : normal_) normals.push_back(&g);
  for (const PatchGrid& g : anomaly_) anomalies.push_back(&g);
  Banks banks = BuildBanks(normals, anomalies, config_);
  model.stats.training_patches = banks.training_patches;
  model.bank = std::move(banks.normal);
  model.bank_rows = model.bank.size() / kPatchFeatureDim;
  model.anomaly_bank = std::move(banks.anomaly);
  model.anomaly_bank_rows = model.anomaly_bank.size() / kPatchFeatureDim;
  hooks.Report("calibration", folds + 1, folds + 1);

  const Calibration calibration = Calibrate(normal_scores, anomaly_scores);
  model.threshold = calibration.threshold;
  model.confidence_scale = calibration.confidence_scale;
  model.threshold_rule = calibration.rule;
  model.stats.normal_images = static_cast<int>(normal_.size());
  model.stats.anomaly_images = static_cast<int>(anomaly_.size());
  model.stats.image_width = image_width_;
  model.stats.image_height = image_height_;
  model.stats.calibration_normal_scores = normal_scores;
  model.stats.calibration_anomaly_scores = anomaly_scores;
  return model;
}

}  // namespace anomalens
