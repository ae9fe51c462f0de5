// `--variants dump,dump4`: per-image scores and peak cells of round 1's
// stride-8 k3 r1 Gaussian (build/pitting_study/dump.tsv) and round 2's
// stride-4 k5 r0 z (dump4.tsv), for looking at the errors.
#include "tools/research/pitting_study/rounds.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "core/scoring/anomaly_map.h"
#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/gaussian_scorers.h"
#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

void RunPerImageDumps(Study& study) {
  // The names the groups below were written with (they ran in main).
  const Data& data = study.data;
  const Split& sp = study.sp;
  auto want = [&](const std::string& group) { return study.Want(group); };
  auto feats = [&](int k, float cw, int tap = 8) -> const Features& { return study.Feats(k, cw, tap); };

  if (want("dump4")) {
    // Per-image scores of the stride-4 k5 r0 standardized model.
    Cost c;
    const Features& F = feats(5, 0, 4);
    const Scores S = CellStandardize(ScorePadim(F, sp, 0, 0.01, &c), sp, 0);
    std::FILE* out = std::fopen("build/pitting_study/dump4.tsv", "w");
    for (size_t i = 0; i < S.size(); ++i) {
      const AnomalyMap m = BuildAnomalyMap(S[i], F.w, F.h, data.geometry, 4.0f);
      size_t arg = std::max_element(S[i].begin(), S[i].end()) - S[i].begin();
      std::fprintf(out, "%d\t%s\t%.4f\t%zu\t%zu\n", data.items[i].kind, data.items[i].name.c_str(), m.ContentMax(),
                   arg % F.w, arg / F.w);
    }
    std::fclose(out);
  }
  // Per-image dump of one variant, for looking at the errors.
  if (want("dump")) {
    Cost c;
    const Features& F = feats(3, 0);
    const Scores S = ScorePadim(F, sp, 1, 0.01, &c);
    std::FILE* out = std::fopen("build/pitting_study/dump.tsv", "w");
    for (size_t i = 0; i < S.size(); ++i) {
      const AnomalyMap m = BuildAnomalyMap(S[i], F.w, F.h, data.geometry, 4.0f);
      size_t arg = std::max_element(S[i].begin(), S[i].end()) - S[i].begin();
      std::fprintf(out, "%d\t%s\t%.4f\t%zu\t%zu\n", data.items[i].kind, data.items[i].name.c_str(), m.ContentMax(),
                   arg % F.w, arg / F.w);
    }
    std::fclose(out);
  }
}

}  // namespace anomalens::pitting_study
