// Rounds 1 and 2's numbers, with the metrics `anomalens evaluate` uses
// (core/lookout/metrics.h, core/lookout/pixel_metrics.h): image ROCAUC, F1
// at the normal-only threshold (median + 3 robust sd of the held-out train
// image scores, as the trainer), the oracle F1, pixel ROCAUC and AUPRO.
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_EVALUATION_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_EVALUATION_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

struct Masks {
  std::map<std::string, std::vector<uint8_t>> by_name;  // pitting test image -> mask (1 = defect)
};

// The ground-truth masks of the test/pitting images of `data`.
Masks LoadMasks(const std::string& dir, const Data& data);

struct EvalOptions {
  float sigma = 4.0f;
  int topk = 0;  // 0: image score = map max; k: mean of the k highest patch scores
};

struct Result {
  double roc = 0, f1 = 0, f1_best = 0, pix = 0, aupro = 0;
};

// The test images' numbers for cell scores S: each image's anomaly map
// (BuildAnomalyMap at o.sigma) and score (the map's maximum or the top-k
// mean), at the threshold calibrated on the held-out train image scores.
Result Evaluate(const Data& data, const Features& F, const Split& sp, const Scores& S, const Masks& masks,
                const EvalOptions& o);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_EVALUATION_H_
