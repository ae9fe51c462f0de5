// PixelMetricsAccumulator: pixel-level ROC AUC and AUPRO (the per-region
// overlap measure of MVTec AD) over a whole test set, streamed image by image
// into fixed-size histograms so that memory does not grow with the number of
// pixels or defect regions.
//
//   PixelMetricsAccumulator pixel(/*max_score=*/4.0);
//   for (const auto& [map, mask] : test_set) {
//     RETURN_IF_ERROR(pixel.AddImage(map.data(), mask.data(), width, height));
//   }
//   double roc_auc = pixel.PixelRocAuc();
//   double aupro = pixel.Aupro();  // up to a false-positive rate of 0.3
//
// Binning. A score s goes to bin floor(s * bins / max_score); scores below 0
// go to bin 0 and scores >= max_score to the top bin. Binning is monotone,
// so every point of the binned ROC and PRO curves is an exact point of the
// pixel-exact curves, at a threshold on a bin boundary; the only
// approximation is that scores sharing a bin are treated as tied. Pick
// max_score just above the largest score expected: resolution is
// max_score / bins, and scores beyond max_score all tie in the top bin.
//
// Memory: three arrays of `bins` 8-byte values (1.5 MiB at the default 65536
// bins), whatever the number of images, pixels or regions. AddImage
// temporarily needs 4 bytes a pixel of its image for component labels, plus
// union-find tables of 8 bytes a provisional label: at most 8 more bytes a
// pixel, far less for real masks, whose pixels are mostly background.
//
// Results are NaN, not a made-up number, when undefined (as in metrics.h):
// a class of pixels is missing, or a score was NaN. They are deterministic
// and the same on every target; ROC AUC does not depend on the order of
// images, AUPRO may differ in the last bits for another order (it sums
// floating-point region weights).
#ifndef ANOMALENS_CORE_LOOKOUT_PIXEL_METRICS_H_
#define ANOMALENS_CORE_LOOKOUT_PIXEL_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/base/status.h"

namespace anomalens {

class PixelMetricsAccumulator {
 public:
  static constexpr int kDefaultBins = 65536;
  static constexpr int kMaxBins = 1 << 22;

  // Scores are binned linearly over [0, max_score). max_score must be finite
  // and > 0, and bins 1 to kMaxBins; otherwise AddImage refuses every image
  // and the metrics are NaN.
  explicit PixelMetricsAccumulator(double max_score, int bins = kDefaultBins);

  // Adds one image's anomaly map. `scores` and `mask` are width * height
  // values, row-major; a nonzero mask byte marks a defect pixel. The defect
  // regions AUPRO averages over are the mask's 8-connected components, so
  // regions never span images. kInvalidInput, with nothing added, for null
  // pointers, a side < 1, more than 2^31 - 1 pixels, or an accumulator built
  // with invalid arguments.
  Status AddImage(const float* scores, const uint8_t* mask, int width, int height);

  // Area under the pixel ROC curve: the probability that a random defect
  // pixel outscores a random normal pixel, ties (scores in the same bin)
  // counted half, i.e. the Mann-Whitney statistic of the binned scores. It
  // differs from the exact value by at most half the fraction of
  // (defect, normal) pixel pairs that share a bin, and so by at most half the
  // largest fraction of normal pixels in one bin. NaN when there are no
  // defect or no normal pixels, or a score was NaN.
  double PixelRocAuc() const;

  // The bound above for this data: half the fraction of (defect, normal)
  // pixel pairs that share a bin. |PixelRocAuc() - exact| <= this.
  double PixelRocAucBinningError() const;

  // Area under the PRO curve up to a false-positive rate of max_fpr, divided
  // by max_fpr (Bergmann et al., "The MVTec Anomaly Detection Dataset",
  // IJCV 2021, and their evaluation code). At threshold t, PRO(t) is the mean
  // over regions of the fraction of the region's pixels scoring >= t, and
  // FPR(t) the fraction of all normal pixels scoring >= t. The curve starts
  // at (0, 0), is integrated with the trapezoid rule, and the point at
  // FPR = max_fpr is interpolated linearly on the segment that crosses it.
  // Thresholds are the bin boundaries. The pixel-exact curve between two
  // adjacent binned points stays inside the box they span, so the result
  // differs from the pixel-exact AUPRO by at most the largest step of the
  // binned curve in one bin: the PRO gained in one bin, and also the FPR
  // gained in one bin / max_fpr. Bins holding only normal or only defect
  // pixels span flat boxes and cost nothing, so the error is usually far
  // smaller: AuproBinningError() computes it for the data at hand.
  // NaN when there are no regions or no normal pixels, a score was NaN, or
  // max_fpr is not in (0, 1].
  double Aupro(double max_fpr = 0.3) const;

  // A bound on |Aupro(max_fpr) - pixel-exact AUPRO| for this data: the sum
  // over integrated bins of half their box's area (all of it for the bin
  // that crosses max_fpr), divided by max_fpr. NaN when Aupro is.
  double AuproBinningError(double max_fpr = 0.3) const;

  size_t defect_pixels() const { return static_cast<size_t>(defect_pixels_); }
  size_t normal_pixels() const { return static_cast<size_t>(normal_pixels_); }
  size_t regions() const { return static_cast<size_t>(regions_); }
  int bins() const { return bins_; }
  double max_score() const { return max_score_; }

 private:
  struct ProIntegral {
    double area;   // normalized by max_fpr
    double error;  // bound on |area - pixel-exact area|, normalized too
  };

  int BinOf(float score) const;
  ProIntegral IntegratePro(double max_fpr) const;

  double max_score_;
  int bins_;
  double bins_per_score_ = 0;  // bins / max_score
  bool valid_ = false;
  bool saw_nan_ = false;
  uint64_t defect_pixels_ = 0;
  uint64_t normal_pixels_ = 0;
  uint64_t regions_ = 0;
  std::vector<uint64_t> normal_counts_;  // normal pixels a bin
  std::vector<uint64_t> defect_counts_;  // defect pixels a bin
  // For each bin, the sum over regions of the fraction of the region's
  // pixels in the bin: each defect pixel adds 1 / (its region's size). This
  // is the MVTec evaluation's own formulation, and it replaces a histogram
  // per region: PRO(t) is the sum over bins >= t divided by the number of
  // regions, so memory is one array however many regions there are, at full
  // bin resolution.
  std::vector<double> region_fractions_;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_PIXEL_METRICS_H_
