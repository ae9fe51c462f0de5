// What the variant groups of rounds 1, 2, 3 and 5 share (round 4 loads its
// own taps): the dataset folder, the taps at one short side, the train
// folds, the defect masks, which groups --variants asked for, and the
// feature grids built so far (kept for the whole run: groups reuse them).
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_STUDY_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_STUDY_H_

#include <map>
#include <string>

#include "tools/research/pitting_study/evaluation.h"
#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

class Study {
 public:
  Study(std::string dir, int short_side, std::string only, const Data& data, const Split& sp,
        const Masks& masks);

  // Whether --variants asked for `group`: empty or "all", or a comma-separated
  // list with a prefix of it.
  bool Want(const std::string& group) const;
  // One row of the rounds 1 and 2 table: Evaluate's numbers, the fit seconds,
  // backbone + scoring ms an image and the model MiB.
  void Report(const std::string& name, const Features& F, const Scores& S, const Cost& c,
              const EvalOptions& o) const;
  // BuildFeatures(data, k, cw, tap), built once a run.
  const Features& Feats(int k, float cw, int tap = 8);

  const std::string dir;
  const int short_side;
  const std::string only;  // --variants
  const Data& data;
  const Split& sp;
  const Masks& masks;
  const std::string row_prefix;  // "s<short side> ", which starts the rounds 1 and 2 row names

 private:
  std::map<std::string, Features> features_;
};

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_STUDY_H_
