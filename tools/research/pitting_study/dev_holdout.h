// Round 3's split of test/ into dev and holdout, and its table rows. The
// test images of one wear sequence (same spindle position and angle: name
// fields 3 and 4, e.g. 01_<timestamp>_277500_315_crop_2.jpg) look alike, so
// the test set is split by sequence: the sorted sequences alternate dev,
// holdout, dev, ... Variants are chosen on dev; holdout is looked at once,
// for the chosen ones. bench/pitting_dev_holdout.mjs applies the same split
// to an `anomalens evaluate` run.
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_DEV_HOLDOUT_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_DEV_HOLDOUT_H_

#include <string>
#include <vector>

#include "tools/research/pitting_study/evaluation.h"
#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

// "<position>_<angle>" of an image name, or the name if it has fewer fields.
std::string SequenceOf(const std::string& name);

// Per item: 0 train, 1 dev, 2 holdout.
std::vector<int> DevHoldout(const Data& data);

// The wear sequence whose labels contradict themselves: the dark spot
// labelled pitting on 2020-09-02 (two frames) and 2020-09-05/06 is already
// there on 2020-09-01 and stays through 2020-09-03/04, labelled good (four
// test/good and, in train/good, e.g. 01_200905161849; docs/model.md).
constexpr const char* kInconsistentSequence = "585000_090";

struct Result3 {
  double roc[3] = {0, 0, 0}, pix[3] = {0, 0, 0};  // full, dev, holdout
  double f1 = 0, aupro = 0;
  double roc_consistent = 0;  // full without kInconsistentSequence (a sensitivity check, not a result)
};

// Image ROCAUC and pixel ROCAUC on full / dev / holdout; F1 at the
// normal-only threshold and AUPRO on full. The maps come from S (sigma 4).
Result3 Evaluate3(const Data& data, const Split& sp, const std::vector<int>& part, const std::vector<double>& image_score,
                  const Scores& S, int w, int h, const Masks& masks);

// Per-image scores of one variant, with the test part, for looking at errors.
// Columns: kind, part, name, image score, and the native pixel (x, y) of
// the centre of the highest-scoring content cell of S.
void DumpScores(const std::string& path, const Data& data, const std::vector<int>& part, const std::vector<double>& v,
                const Scores& S, int w);

// One row of a dev / holdout table (Evaluate3); given a prefix, also the
// variant's per-image scores, build/pitting_study/<prefix><name>.tsv.
void ReportDevHoldout(const Data& data, const Split& sp, const std::vector<int>& part, const Masks& masks,
                      const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h,
                      const std::string& dump_prefix);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_DEV_HOLDOUT_H_
