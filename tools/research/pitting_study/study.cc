// What the variant groups share (study.h).
#include "tools/research/pitting_study/study.h"

#include <cstdio>
#include <sstream>
#include <utility>

namespace anomalens::pitting_study {

Study::Study(std::string dir, int short_side, std::string only, const Data& data, const Split& sp,
             const Masks& masks)
    : dir(std::move(dir)),
      short_side(short_side),
      only(std::move(only)),
      data(data),
      sp(sp),
      masks(masks),
      row_prefix("s" + std::to_string(short_side) + " ") {}

bool Study::Want(const std::string& name) const {
  if (only.empty() || only == "all") return true;
  std::stringstream ss(only);
  std::string tok;
  while (std::getline(ss, tok, ','))
    if (name.rfind(tok, 0) == 0) return true;
  return false;
}

void Study::Report(const std::string& name, const Features& F, const Scores& S, const Cost& c,
                   const EvalOptions& o) const {
  const Result r = Evaluate(data, F, sp, S, masks, o);
  std::printf("%-44s %7.4f %7.4f %7.4f %7.4f %7.4f %8.2f %8.2f %8.2f\n", name.c_str(), r.roc, r.f1, r.f1_best,
              r.pix, r.aupro, c.fit_seconds, c.score_ms + data.backbone_seconds_per_image * 1000, c.model_mib);
  std::fflush(stdout);
}

const Features& Study::Feats(int k, float cw, int tap) {
  const std::string key = std::to_string(k) + "/" + std::to_string(cw) + "/" + std::to_string(tap);
  auto it = features_.find(key);
  if (it == features_.end()) it = features_.emplace(key, BuildFeatures(data, k, cw, tap)).first;
  return it->second;
}

}  // namespace anomalens::pitting_study
