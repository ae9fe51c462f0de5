#include "core/model/trainer.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>

#include "core/features/feature_extractor.h"
#include "core/image/connected_components.h"
#include "core/image/jpeg_like_round_trip.h"
#include "core/model/calibration.h"
#include "core/features/colour_spot_features.h"
#include "core/model/dark_spot_channel.h"
#include "core/model/held_out_folds.h"
#include "core/scoring/coreset.h"
#include "core/scoring/image_scorer.h"
#include "core/scoring/nearest_neighbor.h"
#include "core/scoring/nearest_neighbor_search.h"
#include "core/scoring/position_model.h"
#include "core/segmentation/cell_labels.h"
#include "core/segmentation/class_head.h"
#include "core/segmentation/segmentation.h"
#include "core/segmentation/defect_head.h"
#include "core/selfcheck/synthetic_defect.h"

namespace anomalens {
namespace {

// Each layer's spread: the root of its channels' mean variance over all
// normal training patches. Dividing by it gives both layers unit spread, so
// the 32 fine channels and the 96 coarse ones both count.
template <typename Samples>
void ComputeLayerScales(const Samples& samples, float scales[2]) {
  const int dim = kPatchFeatureDim;
  std::vector<double> sum(dim, 0.0), sum_sq(dim, 0.0);
  size_t n = 0;
  for (const auto& s : samples) {
    const PatchGrid& g = s.grid;
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

// The memory bank of normal patches, with the image each row came from.
struct NormalBank {
  std::vector<float> rows;
  std::vector<size_t> source;  // the row's image index; its fold is source % folds
  size_t training_patches = 0;
};

// Normal patches of a labelled anomalous image: those its mask shows clean.
struct CleanPatches {
  std::vector<float> rows;
  size_t image = 0;  // index among the anomalous images (fold: image % folds)
};

// Cells of a masked anomalous image this far (in cells, either axis) from
// any labelled cell count as normal: nearer ones see the defect in their
// receptive field.
constexpr int kCleanCellMargin = 1;

std::vector<float> CleanRows(const PatchGrid& g, const std::vector<uint8_t>& cell_labels) {
  std::vector<float> rows;
  for (int y = 0; y < g.height; ++y)
    for (int x = 0; x < g.width; ++x) {
      bool clean = true;
      for (int dy = -kCleanCellMargin; dy <= kCleanCellMargin && clean; ++dy)
        for (int dx = -kCleanCellMargin; dx <= kCleanCellMargin && clean; ++dx) {
          const int nx = x + dx, ny = y + dy;
          if (nx >= 0 && ny >= 0 && nx < g.width && ny < g.height && cell_labels[ny * g.width + nx] != 0) clean = false;
        }
      const float* f = g.cell(static_cast<size_t>(y) * g.width + x);
      if (clean) rows.insert(rows.end(), f, f + g.dim);
    }
  return rows;
}

template <typename Samples>
NormalBank BuildNormalBank(const Samples& normals, const std::vector<CleanPatches>& clean, const ModelConfig& config,
                           const ParallelFor& parallel) {
  std::vector<CoresetSource> sources;
  NormalBank bank;
  if (normals.empty() && clean.empty()) return bank;
  for (const auto& s : normals) {
    sources.push_back({s.grid.data.data(), s.grid.cells()});
    bank.training_patches += s.grid.cells();
  }
  for (const CleanPatches& c : clean) {
    sources.push_back({c.rows.data(), c.rows.size() / kPatchFeatureDim});
    bank.training_patches += c.rows.size() / kPatchFeatureDim;
  }
  size_t target = static_cast<size_t>(std::ceil(config.coreset_ratio * bank.training_patches));
  target = std::min(std::max<size_t>(target, 1), static_cast<size_t>(config.max_bank_rows));
  for (const CoresetPick& p :
       TwoStageCoreset(sources, kPatchFeatureDim, target, config.coreset_candidate_factor, parallel)) {
    const bool normal = p.source < normals.size();
    const float* row = normal ? normals[p.source].grid.cell(p.row)
                              : &clean[p.source - normals.size()].rows[p.row * kPatchFeatureDim];
    bank.rows.insert(bank.rows.end(), row, row + kPatchFeatureDim);
    bank.source.push_back(normal ? p.source : clean[p.source - normals.size()].image);
  }
  return bank;
}

// The bank rows whose image is not in fold `fold` of `folds` (all rows when folds == 0).
std::vector<float> RowsOutsideFold(const NormalBank& bank, int fold, int folds) {
  if (folds == 0) return bank.rows;
  std::vector<float> rows;
  for (size_t r = 0; r < bank.source.size(); ++r) {
    if (static_cast<int>(bank.source[r] % folds) == fold) continue;
    rows.insert(rows.end(), &bank.rows[r * kPatchFeatureDim], &bank.rows[(r + 1) * kPatchFeatureDim]);
  }
  return rows;
}

// The `count` most anomalous patches of each labelled anomalous image, by
// distance to the normal bank: where its defect most likely is.
void AppendAnomalyPatches(const PatchGrid& g, const NearestNeighborSearch& normal, int count,
                          std::vector<float>* bank) {
  const std::vector<float> d = normal.MinDistances(g.data.data(), g.cells());
  std::vector<size_t> order(d.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const size_t keep = std::min<size_t>(count, order.size());
  std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                    [&d](size_t a, size_t b) { return d[a] != d[b] ? d[a] > d[b] : a < b; });
  for (size_t i = 0; i < keep; ++i) bank->insert(bank->end(), g.cell(order[i]), g.cell(order[i]) + g.dim);
}

// The patches a mask labels as defects (mixed cells excluded): what the
// labeller says a defect looks like.
void AppendLabelledPatches(const PatchGrid& g, const std::vector<uint8_t>& cell_labels, std::vector<float>* bank) {
  for (size_t i = 0; i < g.cells(); ++i) {
    if (cell_labels[i] != 0 && cell_labels[i] != kMixedCell) bank->insert(bank->end(), g.cell(i), g.cell(i) + g.dim);
  }
}

// The labels of the stride-4 cells of a padded working grid from its defect
// mask (WorkingDefectMask): 1 where at least half a cell's pixels are
// defects, 0 where none are, kMixedCell between.
std::vector<uint8_t> FineCellLabels(const std::vector<uint8_t>& working_mask, Size padded) {
  const int w = padded.width / 4, h = padded.height / 4;
  std::vector<uint8_t> labels(static_cast<size_t>(w) * h, 0);
  for (int cy = 0; cy < h; ++cy)
    for (int cx = 0; cx < w; ++cx) {
      int defects = 0;
      for (int y = 4 * cy; y < 4 * cy + 4; ++y)
        for (int x = 4 * cx; x < 4 * cx + 4; ++x) defects += working_mask[static_cast<size_t>(y) * padded.width + x] != 0;
      labels[static_cast<size_t>(cy) * w + cx] = defects == 0 ? 0 : defects >= 8 ? 1 : kMixedCell;
    }
  return labels;
}

// The defect head's training rows: every labelled cell of the listed masked
// anomalies (defects), and their clean cells with the listed normal images'
// cells (not defects) on a regular stride to at most kMaxHeadNegatives, from
// held-out inputs (DefectHeadInputs); mixed cells are left out. Inputs are
// built an image at a time (`inputs(k)` for the k-th listed image, the
// anomalies first), so only the rows kept are ever held together.
constexpr size_t kMaxHeadNegatives = 8192;
DefectHead FitHeadOn(const std::vector<const std::vector<uint8_t>*>& anomaly_labels,
                     const std::vector<size_t>& normal_cells,
                     const std::function<std::vector<float>(size_t)>& inputs, int dim) {
  size_t count = 0;
  for (const std::vector<uint8_t>* cell_labels : anomaly_labels)
    count += static_cast<size_t>(std::count(cell_labels->begin(), cell_labels->end(), 0));
  for (size_t cells : normal_cells) count += cells;
  const size_t stride = count / kMaxHeadNegatives + 1;
  std::vector<float> rows, negatives;
  std::vector<uint8_t> labels;
  size_t k = 0, negative_count = 0;
  const auto take = [&](const float* row) {
    if (k++ % stride != 0) return;
    negatives.insert(negatives.end(), row, row + dim);
    ++negative_count;
  };
  for (size_t i = 0; i < anomaly_labels.size(); ++i) {
    const std::vector<float> in = inputs(i);
    const std::vector<uint8_t>& cell_labels = *anomaly_labels[i];
    for (size_t c = 0; c < cell_labels.size() && (c + 1) * dim <= in.size(); ++c) {
      if (cell_labels[c] == kMixedCell) continue;
      if (cell_labels[c] != 0) {
        rows.insert(rows.end(), &in[c * dim], &in[(c + 1) * dim]);
        labels.push_back(1);
      } else {
        take(&in[c * dim]);
      }
    }
  }
  for (size_t j = 0; j < normal_cells.size(); ++j) {
    const std::vector<float> in = inputs(anomaly_labels.size() + j);
    for (size_t r = 0; r < in.size() / dim; ++r) take(&in[r * dim]);
  }
  rows.insert(rows.end(), negatives.begin(), negatives.end());
  labels.insert(labels.end(), negative_count, 0);
  return FitDefectHead(rows, labels, dim);
}

// A bank of at most `limit` rows, by greedy k-centre selection when larger.
std::vector<float> Thin(std::vector<float> rows, size_t limit, const ParallelFor& parallel = {}) {
  const size_t count = rows.size() / kPatchFeatureDim;
  if (count <= limit) return rows;
  std::vector<float> kept;
  for (size_t r : GreedyCoreset(rows.data(), count, kPatchFeatureDim, limit, 0, parallel))
    kept.insert(kept.end(), &rows[r * kPatchFeatureDim], &rows[(r + 1) * kPatchFeatureDim]);
  return kept;
}

constexpr size_t kMaxClassRows = 2048;  // each class's patch memory
constexpr size_t kMaxClassHeadRows = 16384;  // the class head's training cells

using SearchPtr = std::unique_ptr<const NearestNeighborSearch>;

}  // namespace

Trainer::Trainer(std::shared_ptr<const Backbone> backbone, ModelConfig config, std::vector<AnomalyClass> classes)
    : backbone_(std::move(backbone)), config_(config), classes_(std::move(classes)) {}

Status Trainer::CheckConfig() const {
  if (config_.short_side < 32 || config_.short_side > 4096)
    return InvalidInput("working resolution " + std::to_string(config_.short_side) + " px is outside 32 to 4096");
  if (!(config_.coreset_ratio > 0 && config_.coreset_ratio <= 1))
    return InvalidInput("coreset ratio must be in (0, 1], got " + std::to_string(config_.coreset_ratio));
  if (config_.max_bank_rows < 1) return InvalidInput("max bank rows must be at least 1");
  if (config_.coreset_candidate_factor < 1 || config_.coreset_candidate_factor > 64)
    return InvalidInput("coreset candidate factor must be 1 to 64");
  if (!(config_.coarse_weight >= 0 && config_.coarse_weight <= 16))
    return InvalidInput("coarse feature weight must be 0 to 16");
  if (config_.smoothing_sigma < 0 || config_.smoothing_sigma > 64)
    return InvalidInput("smoothing sigma must be 0 to 64 px");
  if (config_.calibration_folds < 2 || config_.calibration_folds > 100)
    return InvalidInput("calibration folds must be 2 to 100");
  if (config_.anomaly_patches_per_image < 0 || config_.anomaly_patches_per_image > 4096)
    return InvalidInput("anomaly patches per image must be 0 to 4096");
  if (config_.self_check_defects < 0 || config_.self_check_defects > kMaxSelfCheckDefects)
    return InvalidInput("self-check defects must be 0 to " + std::to_string(kMaxSelfCheckDefects) + "; got " +
                        std::to_string(config_.self_check_defects));
  if (!(config_.max_scale >= 1 && config_.max_scale <= kMaxWorkingScale))
    return InvalidInput("the largest working scale must be 1 to 2, got " + std::to_string(config_.max_scale));
  if (!(config_.false_positive_rate > 0 && config_.false_positive_rate < 0.5))
    return InvalidInput("false-positive rate must be above 0 and below 0.5, got " +
                        std::to_string(config_.false_positive_rate));
  const TilingConfig& t = config_.tiling;
  if (t.tile < 64 || t.tile > 4096 || t.tile % MobileNetV2::kInputMultiple != 0 || t.overlap < 0 ||
      t.overlap % MobileNetV2::kInputMultiple != 0 || t.overlap > t.tile / 2) {
    return InvalidInput("tiles must be multiples of 16 from 64 to 4096 px, overlapping by a multiple of 16 up to "
                        "half a tile; got tile " + std::to_string(t.tile) + ", overlap " + std::to_string(t.overlap));
  }
  return Status::Ok();
}

Status Trainer::ExtendClasses(const std::vector<AnomalyClass>& classes) {
  if (classes.size() > kMaxProjectAnomalyClasses) {
    return InvalidInput("at most " + std::to_string(kMaxProjectAnomalyClasses) + " anomaly classes; got " +
                        std::to_string(classes.size()));
  }
  for (size_t k = 0; k < classes_.size(); ++k) {
    if (k >= classes.size() || classes[k].name != classes_[k].name || classes[k].color != classes_[k].color) {
      return InvalidInput("the classes may only grow: class " + std::to_string(k + 1) + " was '" + classes_[k].name +
                          "' " + HexColor(classes_[k].color));
    }
  }
  classes_ = classes;
  return Status::Ok();
}

void Trainer::ExpectNormalImages(int count) { expected_normals_ = count; }

bool Trainer::has_dark_spot_features() const {
  return stride4_ && !normal_.empty() && normal_[0].dark_spots.cells() > 0;
}

bool Trainer::has_shared_dark_spot_features() const {
  if (normal_.empty()) return false;
  for (const auto* samples : {&normal_, &anomaly_})
    for (const Sample& s : *samples)
      if (s.dark_spots.cells() == 0 || s.colour_spots.cells() == 0) return false;
  for (const SyntheticSample& s : synthetic_)
    if (s.sample.dark_spots.cells() == 0 || s.sample.colour_spots.cells() == 0) return false;
  for (const CompressedSample& s : compressed_)
    if (s.sample.dark_spots.cells() == 0 || s.sample.colour_spots.cells() == 0) return false;
  return true;
}

Status Trainer::Reconfigure(const ModelConfig& variant) {
  RETURN_IF_ERROR(RunPendingExtractions());
  ModelConfig same = variant;
  same.normal_model = config_.normal_model;
  same.dark_spots = config_.dark_spots;
  same.shared_dark_spots = config_.shared_dark_spots;
  same.coarse_weight = config_.coarse_weight;
  same.max_bank_rows = config_.max_bank_rows;
  same.defect_head = config_.defect_head;
  same.map_refinement = config_.map_refinement;
  if (same.short_side != config_.short_side || same.tiling.tile != config_.tiling.tile ||
      same.tiling.overlap != config_.tiling.overlap || same.self_check_defects != config_.self_check_defects ||
      same.max_scale != config_.max_scale) {
    return InvalidInput("a trial configuration may change only the normal model, dark spots, coarse weight, bank size, defect head "
                        "and map refinement");
  }
  if (variant.normal_model == NormalModelKind::kPerPosition && !stride4_ && !normal_.empty() &&
      normal_[0].grid.cells() > kMaxPositionCells) {
    return InvalidInput("the features kept do not allow a per-position model");
  }
  if (variant.dark_spots && variant.normal_model == NormalModelKind::kPerPosition && stride4_ &&
      !normal_.empty() && !has_dark_spot_features()) {
    return InvalidInput("the features kept have no dark-spot channel");
  }
  if (variant.shared_dark_spots && variant.normal_model != NormalModelKind::kPerPosition && !normal_.empty() &&
      !has_shared_dark_spot_features()) {
    return InvalidInput("the features kept have no dark-spot features for a shared-bank model");
  }
  config_ = variant;
  return CheckConfig();
}

StatusOr<Trainer> Trainer::Trial(const ModelConfig& variant, int max_normals) const {
  if (!pending_.empty()) return Internal("a trial of a trainer whose features are still being extracted");
  Trainer trial(backbone_, config_, classes_);
  trial.scale_ = scale_;
  trial.first_image_ = first_image_;
  trial.stride4_ = stride4_;
  trial.fine_for_head_ = fine_for_head_;
  trial.expected_normals_ = expected_normals_;
  trial.search_ = search_;
  trial.ranking_only_ = true;
  const size_t keep = max_normals > 0 ? std::min<size_t>(max_normals, normal_.size()) : normal_.size();
  // The trial copies only the grids its Finish reads: the stride-4 grids
  // for a per-position model, the dark-spot and colour-spot features for
  // the channel it carries. A shared bank's trial would otherwise copy, and
  // only then drop, every image's stride-4 grid (issue 16: the search's
  // peak memory). A ranking trial fits no defect head, so no segmentation
  // reads the stride-4 grids of a shared bank.
  const bool per_position = variant.normal_model != NormalModelKind::kSharedBank && stride4_;
  const bool spots = (per_position && variant.dark_spots) ||
                     (variant.normal_model != NormalModelKind::kPerPosition && variant.shared_dark_spots);
  // The synthetic defects and compressed copies are only scored, one at a
  // time, by a shared bank: their grids are read from this trainer.
  const bool share = variant.normal_model == NormalModelKind::kSharedBank;
  const auto copy = [per_position, spots](const Sample& s, bool shared_grid = false) {
    Sample c;
    if (shared_grid) {
      c.parent_grid = &s.grid;
    } else {
      c.grid = s.grid;
    }
    if (per_position) c.fine = s.fine;
    if (spots) c.dark_spots = s.dark_spots, c.colour_spots = s.colour_spots;
    c.geometry = s.geometry;
    c.cell_labels = s.cell_labels;
    c.working_mask = s.working_mask;
    c.guide = s.guide;
    return c;
  };
  for (size_t i = 0; i < keep; ++i) trial.normal_.push_back(copy(normal_[i]));
  for (const Sample& s : anomaly_) trial.anomaly_.push_back(copy(s));
  for (const SyntheticSample& s : synthetic_)
    if (static_cast<size_t>(s.source) < keep)
      trial.synthetic_.push_back({copy(s.sample, share), s.source, s.family, s.size_class});
  for (const CompressedSample& s : compressed_)
    if (static_cast<size_t>(s.source) < keep) trial.compressed_.push_back({copy(s.sample, share), s.source});
  RETURN_IF_ERROR(trial.Reconfigure(variant));
  // A trial's anomaly bank is no larger than its normal bank may be: both
  // shrink together when the search compares candidates on small banks.
  trial.anomaly_bank_limit_ = std::min<size_t>(kMaxAnomalyBankRows, variant.max_bank_rows);
  return trial;
}

Status Trainer::AddImage(const RgbImage& image, ImageLabel label, const ClassMask* mask) {
  if (mask != nullptr) {
    if (mask->width != image.width || mask->height != image.height) {
      return InvalidInput("mask is " + std::to_string(mask->width) + "x" + std::to_string(mask->height) +
                          " but its image is " + std::to_string(image.width) + "x" + std::to_string(image.height));
    }
    for (uint8_t k : mask->labels) {
      if (k > classes_.size()) return InvalidInput("mask labels a class the trainer was not given");
    }
    if (label == ImageLabel::kNormal) {
      if (mask->any_defect()) return InvalidInput("the image is labelled normal but its mask labels defects");
      mask = nullptr;
    }
  }
  if (normal_.empty() && anomaly_.empty()) {
    if (classes_.size() > kMaxProjectAnomalyClasses) {
      return InvalidInput("at most " + std::to_string(kMaxProjectAnomalyClasses) + " anomaly classes; got " +
                          std::to_string(classes_.size()));
    }
    RETURN_IF_ERROR(CheckConfig());
    first_image_ = {image.width, image.height};
    scale_ = ChooseScale(first_image_, config_.short_side, config_.max_scale);
    const Size padded = PlanGeometry(first_image_, scale_, MobileNetV2::kInputMultiple).padded;
    const bool auto_may_pick = expected_normals_ < 0 || expected_normals_ >= kMinPositionImages;
    stride4_ = (config_.normal_model == NormalModelKind::kPerPosition ||
                (config_.normal_model == NormalModelKind::kAuto && auto_may_pick)) &&
               static_cast<size_t>(padded.width / 4) * (padded.height / 4) <= kMaxPositionCells;
    // Not only when classes are known: a streamed dataset (the wasm
    // trainer) meets its first mask after its first images, and must keep
    // the same grids as the CLI, which knows its classes before, so both
    // write the same model.
    fine_for_head_ = config_.defect_head;
  }
  const WorkingGeometry geometry = PlanGeometry({image.width, image.height}, scale_, MobileNetV2::kInputMultiple);
  if (stride4_ && !(geometry.padded == PlanGeometry(first_image_, scale_, MobileNetV2::kInputMultiple).padded)) {
    // Extractions still pending here run first, so the drop below sees
    // every sample's grids. (Ones a caller took and runs later read stride4_
    // then, and keep just what the drop keeps; the search runs its own
    // before an image of another size anyway.)
    RETURN_IF_ERROR(RunPendingExtractions());
    // Another working size rules out a per-position model: drop the stride-4 grids.
    stride4_ = false;
    for (auto* samples : {&normal_, &anomaly_})
      for (Sample& s : *samples) {
        if (!fine_for_head_) s.fine = PatchGrid{};
        if (!config_.shared_dark_spots) s.dark_spots = PatchGrid{};
      }
    for (SyntheticSample& s : synthetic_) {
      s.sample.fine = PatchGrid{};
      if (!config_.shared_dark_spots) s.sample.dark_spots = PatchGrid{};
    }
    for (CompressedSample& s : compressed_) {
      s.sample.fine = PatchGrid{};
      if (!config_.shared_dark_spots) s.sample.dark_spots = PatchGrid{};
    }
  }
  // A failed image leaves the trainer as it was: the samples it added are
  // taken back with their extractions.
  const size_t before[5] = {normal_.size(), anomaly_.size(), synthetic_.size(), compressed_.size(), pending_.size()};
  const Status staged = StageImage(image, label, mask, geometry);
  if (!staged.ok()) {
    normal_.erase(normal_.begin() + std::min(before[0], normal_.size()), normal_.end());
    anomaly_.erase(anomaly_.begin() + std::min(before[1], anomaly_.size()), anomaly_.end());
    synthetic_.erase(synthetic_.begin() + std::min(before[2], synthetic_.size()), synthetic_.end());
    compressed_.erase(compressed_.begin() + std::min(before[3], compressed_.size()), compressed_.end());
    pending_.erase(pending_.begin() + std::min(before[4], pending_.size()), pending_.end());
  }
  return staged;
}

Status Trainer::StageImage(const RgbImage& image, ImageLabel label, const ClassMask* mask,
                           const WorkingGeometry& geometry) {
  ++images_added_;
  // The image's sample is added first, its features to come from an
  // extraction that may run later and on any thread (SetParallel,
  // DeferExtraction); then its self-check copies.
  std::vector<Sample>& samples = label == ImageLabel::kNormal ? normal_ : anomaly_;
  const size_t index = samples.size();
  samples.emplace_back();
  samples.back().geometry = geometry;
  PendingExtraction own;
  own.into = label == ImageLabel::kNormal ? PendingExtraction::Into::kNormal : PendingExtraction::Into::kAnomaly;
  own.index = index;
  own.image_number = images_added_;
  // Deferred extractions outlive the caller's image; the others run before
  // AddImage returns and read it in place.
  const std::shared_ptr<const RgbImage> pixels =
      defer_ ? std::make_shared<const RgbImage>(image) : std::shared_ptr<const RgbImage>(&image, [](const RgbImage*) {});
  own.image = pixels;
  if (mask != nullptr) own.mask = *mask;
  RETURN_IF_ERROR(Enqueue(std::move(own)));
  if (label == ImageLabel::kNormal) {
    RETURN_IF_ERROR(AddSyntheticDefects(image, static_cast<int>(index)));
    // The compression check's copies: for the self-check, and for the
    // position-free channel's and the per-position Gaussians' compression
    // floors (dark_spot_channel.h, position_model.h), which a model has
    // whether the self-check runs or not.
    if ((config_.self_check_defects > 0 || config_.shared_dark_spots || stride4_ ||
         config_.normal_model != NormalModelKind::kSharedBank) &&
        index < static_cast<size_t>(kCompressionCheckImages)) {
      CompressedSample c;
      c.source = static_cast<int>(index);
      c.sample.geometry = geometry;
      PendingExtraction copy;
      copy.into = PendingExtraction::Into::kCompressed;
      copy.index = compressed_.size();
      copy.image_number = images_added_;
      copy.image = pixels;
      copy.jpeg_like_round_trip = true;
      compressed_.push_back(std::move(c));
      RETURN_IF_ERROR(Enqueue(std::move(copy)));
    }
  }
  return defer_ ? Status::Ok() : RunPendingExtractions();
}

Trainer::Sample& Trainer::TargetOf(const PendingExtraction& job) {
  switch (job.into) {
    case PendingExtraction::Into::kNormal: return normal_[job.index];
    case PendingExtraction::Into::kAnomaly: return anomaly_[job.index];
    case PendingExtraction::Into::kSynthetic: return synthetic_[job.index].sample;
    case PendingExtraction::Into::kCompressed: break;
  }
  return compressed_[job.index].sample;
}

Status Trainer::RunExtraction(const PendingExtraction& job) {
  Sample& target = TargetOf(job);
  const bool training_image = job.into == PendingExtraction::Into::kNormal || job.into == PendingExtraction::Into::kAnomaly;
  StatusOr<Sample> extracted =
      Extract(job.jpeg_like_round_trip ? JpegLikeRoundTrip(*job.image, kCompressionCheckQuality) : *job.image,
              target.geometry, training_image);
  if (!extracted.ok()) {
    return Status(extracted.status().code(),
                  "training image " + std::to_string(job.image_number) + ": " + extracted.status().message());
  }
  target.grid = std::move(extracted->grid);
  target.fine = std::move(extracted->fine);
  target.dark_spots = std::move(extracted->dark_spots);
  target.colour_spots = std::move(extracted->colour_spots);
  if (job.mask) {
    target.cell_labels = CellClassLabels(*job.mask, target.geometry, target.grid.width, target.grid.height);
    target.working_mask = WorkingDefectMask(*job.mask, target.geometry);
    target.guide = WorkingGuide(*job.image, target.geometry);
  }
  return Status::Ok();
}

Status Trainer::Enqueue(PendingExtraction job) {
  pending_.push_back(std::move(job));
  return defer_ || parallel_.run ? Status::Ok() : RunPendingExtractions();
}

std::vector<Trainer::Extraction> Trainer::TakeExtractions() {
  std::vector<Extraction> jobs;
  for (PendingExtraction& p : pending_) {
    auto job = std::make_shared<const PendingExtraction>(std::move(p));
    const Size working = TargetOf(*job).geometry.padded;
    jobs.push_back({static_cast<double>(working.width) * working.height,
                    [this, job] { return RunExtraction(*job); }});
  }
  pending_.clear();
  return jobs;
}

Status Trainer::RunPendingExtractions() {
  if (pending_.empty()) return Status::Ok();
  std::vector<Extraction> jobs = TakeExtractions();
  std::vector<Status> results(jobs.size());
  parallel_(jobs.size(), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) results[i] = jobs[i].run();
  });
  for (const Status& r : results) RETURN_IF_ERROR(r);
  return Status::Ok();
}

StatusOr<Trainer::Sample> Trainer::Extract(const RgbImage& image, const WorkingGeometry& geometry,
                                           bool training_image) const {
  Sample sample;
  sample.geometry = geometry;
  const float unit[2] = {1.0f, 1.0f};
  // The stride-4 grid: for a per-position model, and for the defect head,
  // which learns from the training images only (the self-check's copies
  // keep theirs only for a per-position model).
  const bool fine = stride4_ || (fine_for_head_ && training_image);
  ASSIGN_OR_RETURN(sample.grid, ExtractFeatures(*backbone_, image, sample.geometry, unit, config_.tiling,
                                                fine ? &sample.fine : nullptr));
  if ((stride4_ && config_.dark_spots) || config_.shared_dark_spots) {
    sample.dark_spots = DarkSpotFeatures(image, sample.geometry, 4, {std::begin(kDarkSpotSigmas), std::end(kDarkSpotSigmas)});
  }
  if (config_.shared_dark_spots) sample.colour_spots = ColourSpotFeatures(image, sample.geometry, 4);
  return sample;
}

// The self-check's defects go into normal images 1, 2, 3, ... (image 0 is
// the first donor), kMaxSelfCheckDefectsPerImage each, until there are
// enough: consecutive images fall in consecutive folds, so the defects spread
// over the folds. The few-pixel class comes on top, one in each of images 1,
// 2, 3, ... until there are FewPixelSelfCheckDefects. The rule depends only
// on the order of the images, not on how many will come, so every host (CLI,
// server, wasm, tests) writes the same model for the same images.
int Trainer::SelfCheckDefectsFor(int index) const {
  int few = 0;
  for (const SyntheticSample& s : synthetic_) few += s.size_class == kFewPixelSizeClass;
  const int left = config_.self_check_defects - (static_cast<int>(synthetic_.size()) - few);
  return index < 1 ? 0 : std::max(0, std::min(kMaxSelfCheckDefectsPerImage, left));
}

Status Trainer::AddSyntheticDefects(const RgbImage& image, int index) {
  const int count = SelfCheckDefectsFor(index);
  const int few_total = FewPixelSelfCheckDefects(config_.self_check_defects);
  const bool few = index >= 1 && index - 1 < few_total;
  if ((count > 0 || few) && !donor_.pixels.empty()) {
    // Plans are drawn once for the whole run, in order, so which defect an
    // image gets depends only on how many were planted before it.
    std::vector<DefectPlan> plans;
    if (count > 0) {
      const std::vector<DefectPlan> all = PlanDefects(kSelfCheckSeed, config_.self_check_defects, AllDefectFamilies());
      const size_t planted = static_cast<size_t>(config_.self_check_defects - SelfCheckDefectsLeft());
      plans.assign(all.begin() + planted, all.begin() + planted + count);
    }
    if (few) plans.push_back(PlanFewPixelDefects(kSelfCheckSeed, few_total, AllDefectFamilies())[index - 1]);
    for (const DefectPlan& plan : plans) {
      ASSIGN_OR_RETURN(SyntheticDefect defect, SynthesizeDefect(image, plan, &donor_));
      SyntheticSample s;
      s.source = index;
      s.family = DefectFamilyName(plan.family);
      s.size_class = plan.area_pixels > 0 ? kFewPixelSizeClass
                                          : SelfCheckSizeClass(static_cast<double>(defect.mask_pixels) /
                                                               (static_cast<double>(image.width) * image.height));
      s.sample.geometry = PlanGeometry({image.width, image.height}, scale_, MobileNetV2::kInputMultiple);
      ClassMask mask{image.width, image.height, std::vector<uint8_t>(defect.mask.size())};
      for (size_t i = 0; i < defect.mask.size(); ++i) mask.labels[i] = defect.mask[i] != 0;
      s.sample.working_mask = WorkingDefectMask(mask, s.sample.geometry);
      PendingExtraction job;
      job.into = PendingExtraction::Into::kSynthetic;
      job.index = synthetic_.size();
      job.image_number = images_added_;
      job.image = std::make_shared<const RgbImage>(std::move(defect.image));
      synthetic_.push_back(std::move(s));
      RETURN_IF_ERROR(Enqueue(std::move(job)));
    }
  }
  // The next image's donor, while defects of either kind are left to plant.
  if (SelfCheckDefectsLeft() > 0 || index < few_total) {
    donor_ = image;
  } else {
    donor_ = RgbImage{};
  }
  return Status::Ok();
}

int Trainer::SelfCheckDefectsLeft() const {
  int few = 0;
  for (const SyntheticSample& s : synthetic_) few += s.size_class == kFewPixelSizeClass;
  return config_.self_check_defects - (static_cast<int>(synthetic_.size()) - few);
}

StatusOr<Model> Trainer::Finish(const Hooks& hooks) {
  RETURN_IF_ERROR(RunPendingExtractions());
  if (normal_.size() < 2) {
    return InvalidInput("training needs at least 2 normal images; got " + std::to_string(normal_.size()));
  }
  if (config_.shared_dark_spots && !classes_.empty()) {
    return InvalidInput("the position-free dark-spot channel is for classification models; this one has masks "
                        "(--ignore-masks trains without them)");
  }
  Model model;
  model.backbone_id = backbone_->id();
  model.backbone_checksum = backbone_->checksum();
  model.config = config_;
  model.scale = scale_;
  model.feature_dim = kPatchFeatureDim;
  ComputeLayerScales(normal_, model.layer_scales);
  model.layer_scales[1] *= config_.coarse_weight;
  for (Sample& s : normal_) ApplyLayerScales(s.grid, model.layer_scales);
  for (Sample& s : anomaly_) ApplyLayerScales(s.grid, model.layer_scales);
  for (SyntheticSample& s : synthetic_) ApplyLayerScales(s.sample.grid, model.layer_scales);
  for (CompressedSample& s : compressed_) ApplyLayerScales(s.sample.grid, model.layer_scales);

  // The model's normal-only threshold reads held-out scores as a new image's:
  // it holds out as few images at a time as it can afford (held_out_folds.h).
  // The search's trials keep the configured folds: they rank candidates on
  // the same folds, and the ranking was chosen with them.
  const int folds = ranking_only_ ? std::min<int>(config_.calibration_folds, static_cast<int>(normal_.size()))
                                  : HeldOutFolds(static_cast<int>(normal_.size()), config_.calibration_folds,
                                                 !anomaly_.empty());

  // The normal model: per-position Gaussians where the photos line up.
  std::vector<const PatchGrid*> normal_grids, anomaly_grids;
  bool one_size = true;
  for (const Sample& s : normal_) normal_grids.push_back(&s.grid);
  for (const Sample& s : anomaly_) anomaly_grids.push_back(&s.grid);
  for (const PatchGrid* g : normal_grids) one_size &= g->width == normal_grids[0]->width && g->height == normal_grids[0]->height;
  for (const PatchGrid* g : anomaly_grids) one_size &= g->width == normal_grids[0]->width && g->height == normal_grids[0]->height;
  const bool position_fits = one_size && normal_grids[0]->cells() <= kMaxPositionCells;
  if (position_fits) model.stats.alignment = PositionAlignment(normal_grids);
  NormalModelKind kind = config_.normal_model;
  if (kind == NormalModelKind::kPerPosition && !position_fits) {
    return InvalidInput("a per-position normal model needs training images of one size and a feature grid of at most " +
                        std::to_string(kMaxPositionCells) + " cells (got " + std::to_string(normal_grids[0]->width) +
                        "x" + std::to_string(normal_grids[0]->height) + (one_size ? "" : ", sizes differ") + ")");
  }
  if (kind == NormalModelKind::kAuto) {
    kind = position_fits && model.stats.alignment < kAlignedBelow &&
                   static_cast<int>(normal_.size()) >= kMinPositionImages
               ? NormalModelKind::kPerPosition
               : NormalModelKind::kSharedBank;
  }
  model.normal_model = kind;
  // Per-position models are fitted on the stride-4 grid where it was kept,
  // else on the stride-8 grid's fine features; shared banks never use it.
  const bool stride4 = kind == NormalModelKind::kPerPosition && stride4_;
  std::vector<const PatchGrid*> position_normals = normal_grids, position_anomalies = anomaly_grids;
  if (stride4) {
    for (size_t i = 0; i < normal_.size(); ++i) position_normals[i] = &normal_[i].fine;
    for (size_t i = 0; i < anomaly_.size(); ++i) position_anomalies[i] = &anomaly_[i].fine;
  } else {
    const bool keep_spots = kind == NormalModelKind::kSharedBank && config_.shared_dark_spots;
    for (auto* samples : {&normal_, &anomaly_})
      for (Sample& s : *samples) {
        if (!fine_for_head_ || classes_.empty()) s.fine = PatchGrid{};  // no head without masks
        if (!keep_spots) s.dark_spots = s.colour_spots = PatchGrid{};
      }
    for (SyntheticSample& s : synthetic_) {
      s.sample.fine = PatchGrid{};
      if (!keep_spots) s.sample.dark_spots = s.sample.colour_spots = PatchGrid{};
    }
    for (CompressedSample& s : compressed_) {
      s.sample.fine = PatchGrid{};
      if (!keep_spots) s.sample.dark_spots = s.sample.colour_spots = PatchGrid{};
    }
  }
  // The self-check's synthetic defects follow the labelled anomalies in the
  // scoring below; each is held out with its source image's fold, and only
  // scored: no bank, Gaussian or threshold sees them.
  const size_t real_anomalies = anomaly_.size();
  // A per-position model's Gaussians hold out fewer images at a time than
  // the configured folds when there are few (PositionCalibrationFolds): its
  // held-out scores then match a new image's against the model of all of
  // them. Labelled anomalies keep the configured folds (they fit nothing
  // there); a synthetic defect or round trip is held out with its source.
  const int position_folds =
      kind == NormalModelKind::kPerPosition ? PositionCalibrationFolds(static_cast<int>(normal_.size()), folds) : folds;
  std::vector<int> anomaly_folds, position_anomaly_folds;
  for (size_t i = 0; i < real_anomalies; ++i) anomaly_folds.push_back(static_cast<int>(i % folds));
  position_anomaly_folds = anomaly_folds;
  for (const SyntheticSample& s : synthetic_) {
    anomaly_folds.push_back(s.source % folds);
    position_anomaly_folds.push_back(s.source % position_folds);
  }
  // The compression check's images follow the synthetic defects, held out
  // alike; they are scored as normals (kCompressionCheckImages).
  const size_t compressed_first = real_anomalies + synthetic_.size();
  for (const CompressedSample& s : compressed_) {
    anomaly_folds.push_back(s.source % folds);
    position_anomaly_folds.push_back(s.source % position_folds);
  }
  std::vector<double> compressed_scores(compressed_.size());
  std::vector<double> synthetic_scores(synthetic_.size());
  std::vector<AnomalyMap> synthetic_maps(synthetic_.size());
  size_t training_patches = 0;
  for (const Sample& s : normal_) training_patches += s.grid.cells();

  // Segmentation: masked anomalies teach the pixel rule from held-out maps
  // (not in a search's trial, which only ranks).
  const bool segmentation = !classes_.empty() && !ranking_only_;
  size_t masked_pixels = 0;
  int masked_images = 0;
  for (const Sample& s : anomaly_) {
    if (!s.has_mask()) continue;
    masked_pixels += static_cast<size_t>(s.geometry.content.width) * s.geometry.content.height;
    ++masked_images;
  }
  SegmentationCalibration held_out_pixels(
      masked_pixels, config_.map_refinement ? MapRefinementCandidates() : std::vector<MapRefinement>{MapRefinement{}});

  std::vector<double> normal_scores(normal_.size()), anomaly_scores(anomaly_.size());
  if (kind == NormalModelKind::kPerPosition) {
    // Held-out scores: each image against the Gaussians fitted without its fold.
    hooks.Report("calibration", 0, 1);
    for (const SyntheticSample& s : synthetic_) position_anomalies.push_back(stride4 ? &s.sample.fine : &s.sample.grid);
    for (const CompressedSample& s : compressed_) position_anomalies.push_back(stride4 ? &s.sample.fine : &s.sample.grid);
    // The compressed normals also floor the Gaussians (kPositionCompressionWeight).
    std::vector<std::pair<size_t, size_t>> compression_pairs;
    for (size_t j = 0; j < compressed_.size(); ++j)
      compression_pairs.push_back({static_cast<size_t>(compressed_[j].source), compressed_first + j});
    PositionFit fit = stride4 ? FitPositionModel(position_normals, position_anomalies, position_folds, kStride4Features,
                                                 4, 0, position_anomaly_folds, compression_pairs)
                              : FitPositionModel(position_normals, position_anomalies, position_folds, kStride8Features,
                                                 8, 0, position_anomaly_folds, compression_pairs);
    if (hooks.Cancelled()) return Cancelled("training cancelled");
    const int w = fit.model.grid_width, h = fit.model.grid_height;
    for (size_t i = 0; i < normal_.size(); ++i)
      normal_scores[i] = ScoreCells(fit.normal_scores[i], w, h, normal_[i].geometry, config_.smoothing_sigma).score;
    for (size_t i = 0; i < anomaly_.size(); ++i)
      anomaly_scores[i] = ScoreCells(fit.anomaly_scores[i], w, h, anomaly_[i].geometry, config_.smoothing_sigma).score;
    for (size_t j = 0; j < synthetic_.size(); ++j)
      synthetic_scores[j] = ScoreCells(fit.anomaly_scores[real_anomalies + j], w, h, synthetic_[j].sample.geometry,
                                       config_.smoothing_sigma).score;
    for (size_t j = 0; j < compressed_.size(); ++j)
      compressed_scores[j] = ScoreCells(fit.anomaly_scores[compressed_first + j], w, h, compressed_[j].sample.geometry,
                                        config_.smoothing_sigma).score;
    model.position = std::move(fit.model);
    if (stride4 && config_.dark_spots) {
      // The dark-spot channel on the same grid; its held-out image scores
      // fuse with the backbone model's for calibration, as at detection.
      std::vector<PatchGrid*> spot_normals, spot_anomalies;
      std::vector<WorkingGeometry> normal_geometry, anomaly_geometry;
      for (Sample& s : normal_) spot_normals.push_back(&s.dark_spots), normal_geometry.push_back(s.geometry);
      for (Sample& s : anomaly_) spot_anomalies.push_back(&s.dark_spots), anomaly_geometry.push_back(s.geometry);
      for (SyntheticSample& s : synthetic_)
        spot_anomalies.push_back(&s.sample.dark_spots), anomaly_geometry.push_back(s.sample.geometry);
      for (CompressedSample& s : compressed_)
        spot_anomalies.push_back(&s.sample.dark_spots), anomaly_geometry.push_back(s.sample.geometry);
      DarkSpotFit spots = FitDarkSpotChannel(spot_normals, spot_anomalies, folds, normal_geometry, anomaly_geometry,
                                             normal_scores, anomaly_folds);
      for (size_t i = 0; i < normal_.size(); ++i)
        normal_scores[i] = FuseImageScores(spots.channel, normal_scores[i], spots.normal_scores[i]);
      for (size_t i = 0; i < anomaly_.size(); ++i)
        anomaly_scores[i] = FuseImageScores(spots.channel, anomaly_scores[i], spots.anomaly_scores[i]);
      for (size_t j = 0; j < synthetic_.size(); ++j)
        synthetic_scores[j] = FuseImageScores(spots.channel, synthetic_scores[j], spots.anomaly_scores[real_anomalies + j]);
      for (size_t j = 0; j < compressed_.size(); ++j)
        compressed_scores[j] = FuseImageScores(spots.channel, compressed_scores[j], spots.anomaly_scores[compressed_first + j]);
      for (size_t i = 0; i < anomaly_.size() + synthetic_.size(); ++i)
        fit.anomaly_scores[i] = MeanCellScores(spots.channel, fit.anomaly_scores[i], spots.anomaly_cell_scores[i]);
      model.dark_spots = std::move(spots.channel);
      for (auto* samples : {&normal_, &anomaly_})
        for (Sample& s : *samples) s.dark_spots = s.colour_spots = PatchGrid{};
      for (SyntheticSample& s : synthetic_) s.sample.dark_spots = s.sample.colour_spots = PatchGrid{};
      for (CompressedSample& s : compressed_) s.sample.dark_spots = s.sample.colour_spots = PatchGrid{};
    }
    for (size_t j = 0; j < synthetic_.size(); ++j)
      synthetic_maps[j] = ScoreCells(fit.anomaly_scores[real_anomalies + j], w, h, synthetic_[j].sample.geometry,
                                     config_.smoothing_sigma).map;
    // Held-out maps of masked anomalies teach the pixel rule (the detector's map).
    for (size_t i = 0; segmentation && i < anomaly_.size(); ++i) {
      if (anomaly_[i].has_mask())
        held_out_pixels.Add(ScoreCells(fit.anomaly_scores[i], w, h, anomaly_[i].geometry, config_.smoothing_sigma).map,
                            anomaly_[i].guide, anomaly_[i].working_mask);
    }
    hooks.Report("calibration", 1, 1);
  } else {
    hooks.Report("calibration", 0, folds + 1);
    std::vector<CleanPatches> clean;
    if (segmentation && config_.normal_patches_from_masks) {
      for (size_t i = 0; i < anomaly_.size(); ++i) {
        if (anomaly_[i].has_mask()) clean.push_back({CleanRows(anomaly_[i].grid, anomaly_[i].cell_labels), i});
      }
    }
    const NormalBank bank = BuildNormalBank(normal_, {}, config_, hooks.parallel);
    const NormalBank clean_bank = BuildNormalBank(std::vector<Sample>{}, clean, config_, hooks.parallel);
    if (hooks.Cancelled()) return Cancelled("training cancelled");
    hooks.Report("calibration", 1, folds + 1);

    // Held-out scores. Fold f's images are scored against the bank without
    // the rows taken from fold f's normal images, and an anomaly bank built
    // without fold f's anomalous images: as new images would be. (The rows
    // left were chosen with fold f present, so coverage is a little thinner
    // than a bank rebuilt without it: held-out scores err high, not low.)
    // The banks' searches, on the platform's engine when it gave one.
    const auto MakeIndex = [this](const std::vector<float>& rows, const ParallelFor& parallel) {
      return BuildNearestNeighborSearch(search_, rows.data(), rows.size() / kPatchFeatureDim, kPatchFeatureDim,
                                        parallel);
    };
    const auto append_anomaly_rows = [this](const Sample& s, const NearestNeighborSearch& normal_index,
                                            std::vector<float>* rows) {
      if (config_.anomaly_patches_per_image == 0) return;  // labelled anomalies only calibrate
      if (s.has_mask() && config_.anomaly_bank_from_masks) {
        AppendLabelledPatches(s.grid, s.cell_labels, rows);
      } else {
        AppendAnomalyPatches(s.grid, normal_index, config_.anomaly_patches_per_image, rows);
      }
    };
    // The defect head learns from held-out inputs, as unseen images give
    // them: each image's distances to banks without its fold. A masked
    // anomaly's held-out map is gated by a head fitted without its fold.
    const bool head = segmentation && masked_images > 0 && config_.defect_head;
    // The head reads the stride-4 tap too where every image kept it.
    bool fine_head = head && fine_for_head_;
    for (auto* samples : {&normal_, &anomaly_})
      for (const Sample& s : *samples) fine_head &= s.fine.cells() == 4 * s.grid.cells();
    // Each image's held-out distances; its inputs are rebuilt from them and
    // its grids when needed (all of them at once would be 155 floats a
    // stride-4 cell of every image).
    struct HeldOutDistances {
      std::vector<float> normal, anomaly, clean;
    };
    const auto head_inputs = [fine_head](const Sample& s, const HeldOutDistances& d) {
      return DefectHeadInputs(s.grid, fine_head ? &s.fine : nullptr, d.normal, d.anomaly, d.clean);
    };
    const auto distances_of = [](ScoredImage& scored) {
      return HeldOutDistances{std::move(scored.normal_distances), std::move(scored.anomaly_distances),
                              std::move(scored.clean_distances)};
    };
    std::vector<HeldOutDistances> anomaly_distances(anomaly_.size()), normal_distances(normal_.size());
    std::vector<AnomalyMap> held_out_maps(anomaly_.size());
    for (int f = 0; f < folds; ++f) {
      ASSIGN_OR_RETURN(const SearchPtr normal_index, MakeIndex(RowsOutsideFold(bank, f, folds), hooks.parallel));
      ASSIGN_OR_RETURN(const SearchPtr clean_index, MakeIndex(RowsOutsideFold(clean_bank, f, folds), hooks.parallel));
      std::vector<float> anomaly_rows;
      for (size_t i = 0; i < anomaly_.size(); ++i) {
        if (static_cast<int>(i % folds) == f) continue;
        append_anomaly_rows(anomaly_[i], *normal_index, &anomaly_rows);
      }
      ASSIGN_OR_RETURN(const SearchPtr anomaly_index,
                       MakeIndex(Thin(std::move(anomaly_rows), anomaly_bank_limit_, hooks.parallel), hooks.parallel));
      for (size_t i = f; i < normal_.size(); i += folds) {
        ScoredImage scored = ScorePatchGrid(normal_[i].grid, *normal_index, *anomaly_index, normal_[i].geometry,
                                            config_.smoothing_sigma, head ? clean_index.get() : nullptr);
        normal_scores[i] = scored.score;
        if (head) normal_distances[i] = distances_of(scored);
      }
      for (size_t i = f; i < anomaly_.size(); i += folds) {
        ScoredImage scored = ScorePatchGrid(anomaly_[i].grid, *normal_index, *anomaly_index, anomaly_[i].geometry,
                                            config_.smoothing_sigma, clean_index.get());
        anomaly_scores[i] = scored.score;
        if (segmentation && anomaly_[i].has_mask()) {
          if (head) {
            anomaly_distances[i] = distances_of(scored);
            held_out_maps[i] = scored.clean_map.values.empty() ? std::move(scored.map) : std::move(scored.clean_map);
          } else {
            held_out_pixels.Add(scored.segmentation_map(), anomaly_[i].guide, anomaly_[i].working_mask);
          }
        }
      }
      // A shared-bank trial's synthetic and compressed images: their
      // parent's grid, scaled as the others were (Sample::parent_grid).
      PatchGrid scratch;
      const auto grid_of = [&scratch, &model](const Sample& s) -> const PatchGrid& {
        if (s.parent_grid == nullptr) return s.grid;
        scratch = *s.parent_grid;
        ApplyLayerScales(scratch, model.layer_scales);
        return scratch;
      };
      for (size_t j = 0; j < synthetic_.size(); ++j) {
        if (anomaly_folds[real_anomalies + j] != f) continue;
        ScoredImage scored = ScorePatchGrid(grid_of(synthetic_[j].sample), *normal_index, *anomaly_index,
                                            synthetic_[j].sample.geometry, config_.smoothing_sigma);
        synthetic_scores[j] = scored.score;
        synthetic_maps[j] = std::move(scored.map);
      }
      for (size_t j = 0; j < compressed_.size(); ++j) {
        if (anomaly_folds[compressed_first + j] != f) continue;
        compressed_scores[j] = ScorePatchGrid(grid_of(compressed_[j].sample), *normal_index, *anomaly_index,
                                              compressed_[j].sample.geometry, config_.smoothing_sigma)
                                   .score;
      }
      if (hooks.Cancelled()) return Cancelled("training cancelled");
      hooks.Report("calibration", f + 2, folds + 1);
    }

    if (head) {
      // Fold f's held-out maps gated by a head fitted on the other folds;
      // the model's head on every fold's held-out inputs.
      // The head's labels: the mask's cells, on the stride-4 grid when the head reads it.
      std::vector<std::vector<uint8_t>> head_labels(anomaly_.size());
      for (size_t i = 0; i < anomaly_.size(); ++i) {
        if (anomaly_distances[i].normal.empty()) continue;
        head_labels[i] = fine_head ? FineCellLabels(anomaly_[i].working_mask, anomaly_[i].geometry.padded)
                                   : anomaly_[i].cell_labels;
      }
      const int dim = fine_head ? kFineDefectHeadInputs : kDefectHeadInputs;
      const auto fit_without = [&](int fold) {
        std::vector<const std::vector<uint8_t>*> labels;
        std::vector<size_t> normal_cells;
        std::vector<std::pair<const Sample*, const HeldOutDistances*>> images;
        for (size_t i = 0; i < anomaly_.size(); ++i) {
          if (static_cast<int>(i % folds) == fold || anomaly_distances[i].normal.empty()) continue;
          labels.push_back(&head_labels[i]);
          images.push_back({&anomaly_[i], &anomaly_distances[i]});
        }
        for (size_t i = 0; i < normal_.size(); ++i) {
          if (static_cast<int>(i % folds) == fold) continue;
          normal_cells.push_back(fine_head ? normal_[i].fine.cells() : normal_[i].grid.cells());
          images.push_back({&normal_[i], &normal_distances[i]});
        }
        return FitHeadOn(labels, normal_cells,
                         [&](size_t k) { return head_inputs(*images[k].first, *images[k].second); }, dim);
      };
      // The folds' heads and the model's are independent fits, each a
      // sequential computation: they run side by side on the platform's
      // threads and come out the same bytes as one after another.
      std::vector<DefectHead> heads(folds + 1);
      hooks.parallel(heads.size(), [&](size_t begin, size_t end) {
        for (size_t k = begin; k < end; ++k) heads[k] = fit_without(k < static_cast<size_t>(folds) ? static_cast<int>(k) : -1);
      });
      if (hooks.Cancelled()) return Cancelled("training cancelled");
      for (int f = 0; f < folds; ++f) {
        const DefectHead& fold_head = heads[f];
        for (size_t i = f; i < anomaly_.size(); i += folds) {
          if (anomaly_distances[i].normal.empty()) continue;
          const PatchGrid& g = fine_head ? anomaly_[i].fine : anomaly_[i].grid;
          GateByDefectHead(fold_head, head_inputs(anomaly_[i], anomaly_distances[i]), g.width, g.height,
                           config_.smoothing_sigma, &held_out_maps[i]);
          held_out_pixels.Add(held_out_maps[i], anomaly_[i].guide, anomaly_[i].working_mask);
        }
      }
      model.segmentation.head = std::move(heads[folds]);
    }
    model.bank = bank.rows;
    model.bank_rows = model.bank.size() / kPatchFeatureDim;
    ASSIGN_OR_RETURN(const SearchPtr normal_index, MakeIndex(model.bank, hooks.parallel));
    for (const Sample& s : anomaly_) append_anomaly_rows(s, *normal_index, &model.anomaly_bank);
    model.anomaly_bank = Thin(std::move(model.anomaly_bank), anomaly_bank_limit_, hooks.parallel);
    model.anomaly_bank_rows = model.anomaly_bank.size() / kPatchFeatureDim;
    model.segmentation.clean_bank = clean_bank.rows;
    if (config_.shared_dark_spots && classes_.empty()) {
      // The position-free dark-spot channel: its held-out image scores fuse
      // with the backbone bank's for calibration, and its maps with the
      // self-check's, as at detection.
      std::vector<PatchGrid*> spot_normals, spot_anomalies;
      std::vector<WorkingGeometry> normal_geometry, anomaly_geometry;
      // Each image's dark-spot and colour-spot features side by side.
      std::vector<PatchGrid> both;
      // (Reserved: the fit holds pointers into it.)
      both.reserve(normal_.size() + anomaly_.size() + synthetic_.size() + compressed_.size());
      const auto join = [&both](Sample& s) {
        both.push_back(SharedSpotFeatures(s.dark_spots, s.colour_spots));
        s.dark_spots = s.colour_spots = PatchGrid{};
        return &both.back();
      };
      for (Sample& s : normal_) spot_normals.push_back(join(s)), normal_geometry.push_back(s.geometry);
      for (Sample& s : anomaly_) spot_anomalies.push_back(join(s)), anomaly_geometry.push_back(s.geometry);
      for (SyntheticSample& s : synthetic_)
        spot_anomalies.push_back(join(s.sample)), anomaly_geometry.push_back(s.sample.geometry);
      std::vector<std::pair<size_t, size_t>> compression_pairs;
      for (CompressedSample& s : compressed_) {
        compression_pairs.push_back({static_cast<size_t>(s.source), spot_anomalies.size()});
        spot_anomalies.push_back(join(s.sample)), anomaly_geometry.push_back(s.sample.geometry);
      }
      ASSIGN_OR_RETURN(SharedDarkSpotFit spots,
                       FitSharedDarkSpotChannel(spot_normals, spot_anomalies, folds, normal_geometry, anomaly_geometry,
                                                normal_scores, anomaly_folds, compression_pairs, search_,
                                                hooks.parallel));
      for (size_t i = 0; i < normal_.size(); ++i)
        normal_scores[i] = FuseImageScores(spots.channel, normal_scores[i], spots.normal_scores[i]);
      for (size_t i = 0; i < anomaly_.size(); ++i)
        anomaly_scores[i] = FuseImageScores(spots.channel, anomaly_scores[i], spots.anomaly_scores[i]);
      for (size_t j = 0; j < synthetic_.size(); ++j) {
        synthetic_scores[j] = FuseImageScores(spots.channel, synthetic_scores[j], spots.anomaly_scores[real_anomalies + j]);
        FuseMaps(spots.channel, spots.anomaly_maps[real_anomalies + j], &synthetic_maps[j]);
      }
      for (size_t j = 0; j < compressed_.size(); ++j)
        compressed_scores[j] = FuseImageScores(spots.channel, compressed_scores[j], spots.anomaly_scores[compressed_first + j]);
      model.dark_spots = std::move(spots.channel);
    }
  }

  // A model with the position-free dark-spot channel also sets its
  // threshold over the compressed normals' held-out scores: the channel's
  // fine features are the ones a codec's artefacts move. Per-position models
  // did too (issue 16: the woven scene's, trained on PNGs, flagged 13 of its
  // 16 normal test images re-encoded at quality 90; 5 with the compressed
  // normals in its threshold, whose F1 fell 0.72 -> 0.40); their Gaussians
  // now take the round trips' changes into their covariance
  // (kPositionCompressionWeight), which flags none of the 16 with the
  // threshold from the clean normals alone (F1 0.48). Shared-bank models'
  // thresholds stay on the clean normals (their nearest-neighbour scores
  // moved little: 0 to 3 of 16 on the scenes). The self-check still ranks
  // defects against the compressed normals too, for every candidate.
  std::vector<double> calibration_normals = normal_scores;
  if (!model.dark_spots.shared.empty())
    calibration_normals.insert(calibration_normals.end(), compressed_scores.begin(), compressed_scores.end());
  const Calibration calibration = Calibrate(calibration_normals, anomaly_scores, config_.false_positive_rate);
  model.threshold = calibration.threshold;
  model.confidence_scale = calibration.confidence_scale;
  model.threshold_rule = calibration.rule;
  model.stats.normal_images = static_cast<int>(normal_.size());
  model.stats.anomaly_images = static_cast<int>(anomaly_.size());
  model.stats.image_width = first_image_.width;
  model.stats.image_height = first_image_.height;
  model.stats.working_size = PlanGeometry(first_image_, scale_, MobileNetV2::kInputMultiple).padded;
  model.stats.training_patches = training_patches;
  model.stats.calibration_normal_scores = normal_scores;
  model.stats.calibration_anomaly_scores = anomaly_scores;
  if (segmentation) {
    RETURN_IF_ERROR(BuildSegmentation(held_out_pixels, folds, hooks, &model));
    model.stats.masked_anomaly_images = masked_images;
  }
  // The self-check ranks defects against the clean held-out normals and
  // their compressed copies alike.
  std::vector<double> self_check_normals = normal_scores;
  self_check_normals.insert(self_check_normals.end(), compressed_scores.begin(), compressed_scores.end());
  model.stats.self_check = SummarizeSelfCheck(synthetic_scores, synthetic_maps, self_check_normals, model.threshold);
  if (model.stats.self_check.ran()) {
    model.stats.self_check.compressed_normals = static_cast<int>(compressed_scores.size());
    for (double s : compressed_scores) model.stats.self_check.compressed_flagged += s >= model.threshold;
  }
  return model;
}

SelfCheckReport Trainer::SummarizeSelfCheck(const std::vector<double>& scores, const std::vector<AnomalyMap>& maps,
                                            const std::vector<double>& normal_scores, double threshold) const {
  SelfCheckTally tally;
  for (size_t j = 0; j < synthetic_.size(); ++j)
    tally.Add({synthetic_[j].family, synthetic_[j].size_class, scores[j]});
  // Pixel figures over the defect images' own content: their clean pixels
  // are the normal ones, as in an evaluation of defective images alone.
  float max_score = 0;
  for (const AnomalyMap& m : maps)
    for (float v : m.values) max_score = std::max(max_score, v);
  PixelMetricsAccumulator pixels(max_score > 0 ? max_score * 1.0001 : 1.0);
  std::vector<float> values;
  std::vector<uint8_t> mask;
  for (size_t j = 0; j < synthetic_.size(); ++j) {
    const WorkingGeometry& g = synthetic_[j].sample.geometry;
    values.clear(), mask.clear();
    for (int y = 0; y < g.content.height; ++y)
      for (int x = 0; x < g.content.width; ++x) {
        const size_t i = static_cast<size_t>(y) * g.padded.width + x;
        values.push_back(maps[j].values[i]);
        mask.push_back(synthetic_[j].sample.working_mask[i]);
      }
    if (!pixels.AddImage(values.data(), mask.data(), g.content.width, g.content.height).ok()) continue;
  }
  return tally.Summarize(normal_scores, threshold, synthetic_.empty() ? nullptr : &pixels);
}

Status Trainer::BuildSegmentation(const SegmentationCalibration& held_out, int folds, const Hooks& hooks,
                                  Model* model) const {
  SegmentationModel& seg = model->segmentation;
  seg.classes = classes_;
  // The map refinement and pixel rule with the best held-out mean IoU over
  // the masked anomalous images; without masks to learn from, the image
  // threshold on the unrefined map.
  if (held_out.images() > 0) {
    const SegmentationRule rule = held_out.Best();
    seg.refinement = rule.refinement;
    seg.pixel_rule = rule.pixel_rule;
  } else {
    seg.pixel_rule = PixelThresholdRule{model->threshold, 0, 0};
  }
  model->stats.pixel_rule_mean_iou = seg.pixel_rule.mean_iou;
  if (classes_.size() < 2) return Status::Ok();
  ChooseTypeNaming(folds, hooks, model);
  return Status::Ok();
}

void Trainer::BuildClassMemory(int fold, int folds, SegmentationModel* seg) const {
  seg->class_bank.clear();
  seg->class_bank_labels.clear();
  for (size_t k = 0; k < classes_.size(); ++k) {
    std::vector<float> rows;
    for (size_t a = 0; a < anomaly_.size(); ++a) {
      const Sample& s = anomaly_[a];
      if (!s.has_mask() || static_cast<int>(a % folds) == fold) continue;
      for (size_t i = 0; i < s.grid.cells(); ++i) {
        if (s.cell_labels[i] == k + 1) rows.insert(rows.end(), s.grid.cell(i), s.grid.cell(i) + s.grid.dim);
      }
    }
    rows = Thin(std::move(rows), kMaxClassRows);
    seg->class_bank.insert(seg->class_bank.end(), rows.begin(), rows.end());
    seg->class_bank_labels.insert(seg->class_bank_labels.end(), rows.size() / kPatchFeatureDim, static_cast<uint16_t>(k));
  }
}

ClassHead Trainer::FitClassHeadWithout(int fold, int folds) const {
  // Every labelled cell outside the fold, on a regular stride past
  // kMaxClassHeadRows (the fit's cost is rows x steps x classes).
  size_t count = 0;
  for (size_t a = 0; a < anomaly_.size(); ++a) {
    if (!anomaly_[a].has_mask() || static_cast<int>(a % folds) == fold) continue;
    for (uint8_t label : anomaly_[a].cell_labels) count += label != 0 && label != kMixedCell;
  }
  const size_t stride = count / kMaxClassHeadRows + 1;
  std::vector<float> rows;
  std::vector<uint8_t> labels;
  size_t k = 0;
  for (size_t a = 0; a < anomaly_.size(); ++a) {
    const Sample& s = anomaly_[a];
    if (!s.has_mask() || static_cast<int>(a % folds) == fold) continue;
    for (size_t i = 0; i < s.grid.cells(); ++i) {
      const uint8_t label = s.cell_labels[i];
      if (label == 0 || label == kMixedCell || k++ % stride != 0) continue;
      rows.insert(rows.end(), s.grid.cell(i), s.grid.cell(i) + s.grid.dim);
      labels.push_back(static_cast<uint8_t>(label - 1));
    }
  }
  return FitClassHead(rows, labels, kPatchFeatureDim, static_cast<int>(classes_.size()));
}

void Trainer::ChooseTypeNaming(int folds, const Hooks& hooks, Model* model) const {
  SegmentationModel& seg = model->segmentation;
  const TypeNaming naming = config_.type_naming;
  if (naming == TypeNaming::kClassMemory) {
    BuildClassMemory(-1, folds, &seg);
    return;
  }
  // Fold f's labelled defects (8-connected labelled cells, their class the
  // most of theirs) are named by the memory and by the head built without
  // fold f, each by the most of the defect's cells, as detection names a
  // region by its pixels' cells. The last task builds the model's own.
  struct FoldNaming {
    int defects = 0, memory = 0, head = 0;
    size_t cells = 0, memory_cells = 0, head_cells = 0;
  };
  std::vector<FoldNaming> tallies(folds);
  std::vector<SegmentationModel> memories(folds + 1);
  std::vector<ClassHead> heads(folds + 1);
  const size_t classes = classes_.size();
  hooks.parallel(folds + 1, [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; ++t) {
      const int fold = t < static_cast<size_t>(folds) ? static_cast<int>(t) : -1;
      heads[t] = FitClassHeadWithout(fold, folds);
      if (fold < 0 && naming == TypeNaming::kClassHead && heads[t].enabled()) continue;
      memories[t].classes = classes_;
      BuildClassMemory(fold, folds, &memories[t]);
      if (fold < 0 || naming != TypeNaming::kMeasured) continue;
      SegmentationModel by_head = memories[t];
      by_head.class_head = heads[t];
      FoldNaming& tally = tallies[t];
      for (size_t a = fold; a < anomaly_.size(); a += folds) {
        const Sample& s = anomaly_[a];
        if (!s.has_mask()) continue;
        std::vector<uint8_t> labelled(s.cell_labels.size());
        for (size_t i = 0; i < labelled.size(); ++i) labelled[i] = s.cell_labels[i] != 0 && s.cell_labels[i] != kMixedCell;
        const ComponentLabels defects = LabelConnectedComponents(labelled.data(), s.grid.width, s.grid.height);
        std::vector<std::vector<size_t>> cells(defects.count + 1);
        for (size_t i = 0; i < labelled.size(); ++i)
          if (defects.labels[i] > 0) cells[defects.labels[i]].push_back(i);
        for (int d = 1; d <= defects.count; ++d) {
          const auto majority = [&](const std::vector<uint8_t>& names) {
            std::vector<size_t> votes(classes + 1, 0);
            for (uint8_t k : names) ++votes[k];
            return std::max_element(votes.begin() + 1, votes.end()) - votes.begin();
          };
          std::vector<uint8_t> truth;
          for (size_t i : cells[d]) truth.push_back(s.cell_labels[i]);
          const auto true_class = majority(truth);
          const std::vector<uint8_t> by_memory_names = CellClasses(s.grid, cells[d], memories[t]);
          const std::vector<uint8_t> by_head_names = CellClasses(s.grid, cells[d], by_head);
          ++tally.defects;
          tally.memory += majority(by_memory_names) == true_class;
          tally.head += majority(by_head_names) == true_class;
          tally.cells += cells[d].size();
          for (size_t j = 0; j < truth.size(); ++j) {
            tally.memory_cells += by_memory_names[j] == truth[j];
            tally.head_cells += by_head_names[j] == truth[j];
          }
        }
      }
    }
  });
  TrainingStats& stats = model->stats;
  for (const FoldNaming& f : tallies) {
    stats.held_out_defects += f.defects, stats.memory_named_defects += f.memory, stats.head_named_defects += f.head;
    stats.held_out_cells += f.cells, stats.memory_named_cells += f.memory_cells, stats.head_named_cells += f.head_cells;
  }
  // The head names the types only where it beats the memory: more held-out
  // defects named right, or as many and more of their cells.
  const bool head_wins = stats.head_named_defects > stats.memory_named_defects ||
                         (stats.head_named_defects == stats.memory_named_defects &&
                          stats.head_named_cells > stats.memory_named_cells);
  if (heads[folds].enabled() && (naming == TypeNaming::kClassHead || head_wins)) {
    seg.class_head = std::move(heads[folds]);  // the model holds the head or the memory, not both
  } else {
    seg.class_bank = std::move(memories[folds].class_bank);
    seg.class_bank_labels = std::move(memories[folds].class_bank_labels);
  }
}

}  // namespace anomalens
