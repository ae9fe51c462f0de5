// Image scores from cell scores: the smoothed map's maximum (the core's
// rule), region scores, and the held-out-standardized image scores that
// let several scorers be averaged (the "image z-avg" rows).
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_IMAGE_SCORES_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_IMAGE_SCORES_H_

#include <vector>

#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

// Image scores: the smoothed map's maximum (the core's rule).
std::vector<double> MapMax(const Data& data, const Scores& S, int w, int h, float sigma = 4.0f);

// Image score from regions: cells above tau (the 99.9th percentile of the
// held-out train cell scores) form 8-connected components; mode 0 scores a
// component by its mass (sum of score - tau), 1 by area x peak, 2 by peak
// over components of at most `max_area` cells (small spots only).
std::vector<double> RegionScore(const Data& data, const Split& sp, const Scores& S, int w, int h, int mode,
                                int max_area = 0);

// Image scores standardized by the held-out train image scores (mean, sd),
// so different scorers can be averaged without looking at the test set.
std::vector<double> TrainZ(const std::vector<double>& v, const Split& sp);

// Image scores of several variants, each standardized by its held-out train
// image scores (TrainZ), averaged.
std::vector<double> MeanTrainZ(const std::vector<std::vector<double>>& parts, const Split& sp);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_IMAGE_SCORES_H_
