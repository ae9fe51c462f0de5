#include "core/lookout/pixel_metrics.h"

#include <cmath>  // std::isnan, std::isfinite: exact classification, no libm arithmetic
#include <limits>
#include <string>

#include "core/image/connected_components.h"

namespace anomalens {

PixelMetricsAccumulator::PixelMetricsAccumulator(double max_score, int bins) : max_score_(max_score), bins_(bins) {
  valid_ = std::isfinite(max_score) && max_score > 0 && bins >= 1 && bins <= kMaxBins;
  if (!valid_) return;
  bins_per_score_ = static_cast<double>(bins) / max_score;
  normal_counts_.assign(static_cast<size_t>(bins), 0);
  defect_counts_.assign(static_cast<size_t>(bins), 0);
  region_fractions_.assign(static_cast<size_t>(bins), 0.0);
}

int PixelMetricsAccumulator::BinOf(float score) const {
  // One IEEE multiply, correctly rounded on every target, and monotone in
  // the score; the comparisons also catch infinities before the cast.
  const double position = static_cast<double>(score) * bins_per_score_;
  if (!(position > 0)) return 0;
  if (!(position < bins_)) return bins_ - 1;
  return static_cast<int>(position);  // truncation is floor here: position > 0
}

Status PixelMetricsAccumulator::AddImage(const float* scores, const uint8_t* mask, int width, int height) {
  if (!valid_) {
    return InvalidInput("pixel metrics need a finite max_score > 0 and 1 to " + std::to_string(kMaxBins) +
                        " bins; got max_score " + std::to_string(max_score_) + " and " + std::to_string(bins_) +
                        " bins");
  }
  if (scores == nullptr || mask == nullptr) return InvalidInput("pixel metrics: null anomaly map or mask");
  if (width < 1 || height < 1) {
    return InvalidInput("pixel metrics: image is " + std::to_string(width) + "x" + std::to_string(height) +
                        " px; each side must be >= 1");
  }
  const ComponentLabels regions = LabelConnectedComponents(mask, width, height);
  const size_t count = static_cast<size_t>(width) * static_cast<size_t>(height);
  if (regions.labels.size() != count) {
    return InvalidInput("pixel metrics: image is " + std::to_string(width) + "x" + std::to_string(height) +
                        " px; at most 2147483647 pixels are supported");
  }

  std::vector<uint64_t> region_size(static_cast<size_t>(regions.count) + 1, 0);
  for (int32_t label : regions.labels) ++region_size[static_cast<size_t>(label)];
  // 1 / size, computed once a region so that every pixel of a region adds
  // the identical value.
  std::vector<double> pixel_fraction(region_size.size(), 0.0);
  for (size_t label = 1; label < region_size.size(); ++label) {
    pixel_fraction[label] = 1.0 / static_cast<double>(region_size[label]);
  }

  for (size_t i = 0; i < count; ++i) {
    if (std::isnan(scores[i])) {
      saw_nan_ = true;  // the metrics become NaN; the pixel joins no histogram
      continue;
    }
    const size_t bin = static_cast<size_t>(BinOf(scores[i]));
    const int32_t label = regions.labels[i];
    if (label == 0) {
      ++normal_counts_[bin];
      ++normal_pixels_;
    } else {
      ++defect_counts_[bin];
      ++defect_pixels_;
      region_fractions_[bin] += pixel_fraction[static_cast<size_t>(label)];
    }
  }
  regions_ += static_cast<uint64_t>(regions.count);
  return Status::Ok();
}

double PixelMetricsAccumulator::PixelRocAuc() const {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (!valid_ || saw_nan_ || defect_pixels_ == 0 || normal_pixels_ == 0) return kNaN;
  // Each defect pixel in bin k outscores every normal pixel below k and ties
  // with those in k; summed doubled so that the half counts stay integers.
  // Doubles (53-bit) rather than integers, since the pair count can pass
  // 2^64; the summation order is fixed, so the result is too.
  double doubled_wins = 0;
  uint64_t normals_below = 0;
  for (size_t k = 0; k < normal_counts_.size(); ++k) {
    if (defect_counts_[k] != 0) {
      doubled_wins += static_cast<double>(defect_counts_[k]) *
                      (2.0 * static_cast<double>(normals_below) + static_cast<double>(normal_counts_[k]));
    }
    normals_below += normal_counts_[k];
  }
  return doubled_wins / (2.0 * static_cast<double>(defect_pixels_) * static_cast<double>(normal_pixels_));
}

double PixelMetricsAccumulator::PixelRocAucBinningError() const {
  if (std::isnan(PixelRocAuc())) return std::numeric_limits<double>::quiet_NaN();
  // Pairs sharing a bin are counted half; their true share is 0, 1/2 or 1.
  double shared_pairs = 0;
  for (size_t k = 0; k < normal_counts_.size(); ++k) {
    shared_pairs += static_cast<double>(defect_counts_[k]) * static_cast<double>(normal_counts_[k]);
  }
  return shared_pairs / (2.0 * static_cast<double>(defect_pixels_) * static_cast<double>(normal_pixels_));
}

PixelMetricsAccumulator::ProIntegral PixelMetricsAccumulator::IntegratePro(double max_fpr) const {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (!valid_ || saw_nan_ || regions_ == 0 || normal_pixels_ == 0 || !(max_fpr > 0 && max_fpr <= 1)) {
    return {kNaN, kNaN};
  }
  const double normals = static_cast<double>(normal_pixels_);
  const double region_count = static_cast<double>(regions_);
  // Walk the thresholds from the top bin down: lowering the threshold past
  // bin k calls its pixels anomalous, adding its normal pixels to the false
  // positives and its region fractions to PRO.
  ProIntegral integral{0, 0};
  double fpr = 0;
  double pro = 0;
  uint64_t false_positives = 0;
  double overlap_sum = 0;
  for (size_t k = normal_counts_.size(); k-- > 0;) {
    if (normal_counts_[k] == 0 && region_fractions_[k] == 0) continue;
    false_positives += normal_counts_[k];
    overlap_sum += region_fractions_[k];
    const double next_fpr = static_cast<double>(false_positives) / normals;
    // Rounding in the sum of fractions can push PRO a hair past 1 at the
    // lowest threshold; MVTec clips it the same way.
    const double quotient = overlap_sum / region_count;
    const double next_pro = quotient < 1 ? quotient : 1;
    // The exact curve between the two points stays in the box they span,
    // so the trapezoid is off by at most half the box; a bin of one class
    // spans a flat box and costs nothing.
    if (next_fpr <= max_fpr) {
      integral.area += (next_fpr - fpr) * (pro + next_pro) * 0.5;
      integral.error += (next_fpr - fpr) * (next_pro - pro) * 0.5;
      fpr = next_fpr;
      pro = next_pro;
      continue;
    }
    // This segment crosses max_fpr: integrate up to it and stop. Here the
    // chord and the exact curve may differ by the box's full height.
    const double pro_at_limit = pro + (next_pro - pro) * (max_fpr - fpr) / (next_fpr - fpr);
    integral.area += (max_fpr - fpr) * (pro + pro_at_limit) * 0.5;
    integral.error += (max_fpr - fpr) * (next_pro - pro);
    break;
  }
  integral.area /= max_fpr;
  integral.error /= max_fpr;
  return integral;
}

double PixelMetricsAccumulator::Aupro(double max_fpr) const { return IntegratePro(max_fpr).area; }

double PixelMetricsAccumulator::AuproBinningError(double max_fpr) const { return IntegratePro(max_fpr).error; }

}  // namespace anomalens
