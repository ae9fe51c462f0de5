// The train folds every scorer shares. A scorer fills scores[img][cell] for
// every image: train images get held-out scores (5 folds by index % 5 among
// train images, as the trainer), test images scores from the model fitted
// on all train images.
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_SPLIT_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_SPLIT_H_

#include <vector>

#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

constexpr int kFolds = 5;

struct Split {
  std::vector<int> train;         // item indices
  std::vector<int> fold_of;       // per item: fold for train, kFolds for test
};

// Every `every`-th train/good image in folds (the rest unused: fold -1),
// every test image in fold kFolds.
Split MakeSplit(const Data& data, int every = 1);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_SPLIT_H_
