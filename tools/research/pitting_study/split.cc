// The train folds (split.h).
#include "tools/research/pitting_study/split.h"

namespace anomalens::pitting_study {

Split MakeSplit(const Data& data, int every) {
  Split s;
  s.fold_of.assign(data.items.size(), -1);  // -1: unused train image
  int seen = 0;
  for (size_t i = 0; i < data.items.size(); ++i)
    if (data.items[i].kind != kTrain) s.fold_of[i] = kFolds;
    else if (seen++ % every == 0) {
      s.fold_of[i] = static_cast<int>(s.train.size() % kFolds);
      s.train.push_back(static_cast<int>(i));
    }
  return s;
}

}  // namespace anomalens::pitting_study
