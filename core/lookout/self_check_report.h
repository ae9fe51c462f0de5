// The report of the trainer's self-check (core/model/trainer.h): synthetic
// defects pasted into held-out normal training images, scored by the model
// fitted without their source image's fold, as new images would be. With normal images only, this stands in for
// the evaluation Lookout needed labelled anomalies for: it says how many
// defects of which kind and size the model would catch at its threshold.
//
//   SelfCheckTally tally;
//   tally.Add({family, size_class, score});       // per synthetic defect image
//   SelfCheckReport report = tally.Summarize(normal_scores, threshold, &pixels);
#ifndef ANOMALENS_CORE_LOOKOUT_SELF_CHECK_REPORT_H_
#define ANOMALENS_CORE_LOOKOUT_SELF_CHECK_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/lookout/pixel_metrics.h"

namespace anomalens {

// Defect sizes, as fractions of the image's area: the self-check's rows,
// and last the few-pixel class (7 to 50 of the image's own pixels, a disc 3
// to 8 px across, synthetic_defect.h), which no fraction maps to.
constexpr int kSelfCheckSizeClasses = 4;
constexpr int kFewPixelSizeClass = 3;
// Bounds between the fraction classes: [0, 0.1%), [0.1%, 0.5%), [0.5%, ...).
constexpr double kSelfCheckSizeBounds[2] = {0.001, 0.005};
const char* SelfCheckSizeClassName(int size_class);  // "0.01-0.1%", "0.1-0.5%", "0.5-2%", "3-8 px"
int SelfCheckSizeClass(double area_fraction);        // 0 to 2

// One row of the report: the defects of one family or one size class.
struct SelfCheckGroup {
  std::string name;
  int defects = 0;
  int detected = 0;          // scoring at or above the threshold
  double image_rocauc = 0;   // against the held-out clean normals; NaN without any
  double recall() const { return defects > 0 ? static_cast<double>(detected) / defects : 0; }
};

struct SelfCheckReport {
  int defects = 0;        // synthetic defect images scored; 0: no self-check ran
  int normal_images = 0;  // held-out clean normal images they are ranked against
  double image_rocauc = 0;
  double pixel_rocauc = 0;  // over the defect images' pixels (NaN when not measured)
  double pixel_aupro = 0;
  double recall = 0;               // defects scoring at or above the threshold
  double false_positive_rate = 0;  // held-out normals scoring at or above it
  // The compression check: held-out normals after a JPEG-like round trip
  // (among the normal_images above), and how many score at or above the
  // threshold. A model that flags most of them would fail a user's
  // re-saved photos of good parts (CandidateRanksAbove).
  int compressed_normals = 0;
  int compressed_flagged = 0;
  std::vector<SelfCheckGroup> families;  // in the order families first appear
  std::vector<SelfCheckGroup> sizes;     // the size classes that had defects
  bool ran() const { return defects > 0; }
};

struct SyntheticDefectScore {
  std::string family;
  int size_class = 0;
  double score = 0;
};

class SelfCheckTally {
 public:
  void Add(SyntheticDefectScore s) { scores_.push_back(std::move(s)); }
  size_t size() const { return scores_.size(); }
  // `pixels` (optional) holds the defect images' held-out maps against their
  // exact masks.
  SelfCheckReport Summarize(const std::vector<double>& normal_scores, double threshold,
                            const PixelMetricsAccumulator* pixels) const;

 private:
  std::vector<SyntheticDefectScore> scores_;
};

// One line per figure, for `train` to print (no trailing newline).
std::string FormatSelfCheck(const SelfCheckReport& report);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_SELF_CHECK_REPORT_H_
