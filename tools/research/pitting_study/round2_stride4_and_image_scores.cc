// Round 2 (`--variants z,s4,s4b`, with round 1's cn): the per-cell
// standardized Gaussian with other image scores, and the stride-4 tap.
// docs/model.md, "Study, second round".
#include "tools/research/pitting_study/rounds.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tools/research/pitting_study/evaluation.h"
#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/gaussian_scorers.h"
#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"

namespace anomalens::pitting_study {

void RunRound2(Study& study) {
  // The names the groups below were written with (they ran in main).
  const Split& sp = study.sp;
  const std::string& ss = study.row_prefix;
  auto want = [&](const std::string& group) { return study.Want(group); };
  auto report = [&](const std::string& name, const Features& F, const Scores& S, const Cost& c,
                    const EvalOptions& o) { study.Report(name, F, S, c, o); };
  auto feats = [&](int k, float cw, int tap = 8) -> const Features& { return study.Feats(k, cw, tap); };

  if (want("z")) {
    // The core's model (k3, r1, standardized) with other image scores.
    Cost c;
    const Features& F = feats(3, 0);
    const Scores D = ScorePadim(F, sp, 1, 0.01, &c);
    const char* modes[4] = {"z", "robust z", "tail z", "z unclipped"};
    for (int mode = 0; mode < 4; ++mode) {
      const Scores Z = CellStandardize(D, sp, mode);
      const std::string name = ss + "padim k3 r1 " + modes[mode];
      report(name, F, Z, c, {});
      if (mode != 0 && mode != 2) continue;
      for (float sigma : {0.5f, 2.0f, 8.0f}) report(name + " sigma" + std::to_string(sigma).substr(0, 3), F, Z, c, {sigma, 0});
      for (int k : {3, 10}) report(name + " top" + std::to_string(k), F, Z, c, {4.0f, k});
    }
  }
  if (want("s4")) {
    // Stride-4 tap (block_2_add, 24 channels), alone and with stride 8.
    for (int k : {3, 5}) {
      for (int r : {1, 2}) {
        if (k == 5 && r == 2) continue;
        Cost c;
        const Features& F = feats(k, 0, 4);
        const Scores Z = CellStandardize(ScorePadim(F, sp, r, 0.01, &c), sp, 0);
        const std::string name = ss + "s4 padim k" + std::to_string(k) + " r" + std::to_string(r) + " z";
        report(name, F, Z, c, {});
        if (k == 3 && r == 1) report(name + " sigma2", F, Z, c, {2.0f, 0});
      }
    }
    {
      Cost c;
      const Features& F = feats(3, 1, 4);
      const Scores Z = CellStandardize(ScorePadim(F, sp, 1, 0.01, &c), sp, 0);
      report(ss + "s4+s8 concat (56) padim k3 r1 z", F, Z, c, {});
    }
    {
      Cost c4, c8;
      const Features& F4 = feats(3, 0, 4);
      const Features& F8 = feats(3, 0, 8);
      const Scores A = CellStandardize(ScorePadim(F4, sp, 1, 0.01, &c4), sp, 0);
      const Scores B = Upsample2(CellStandardize(ScorePadim(F8, sp, 1, 0.01, &c8), sp, 0), F8.w, F8.h, F4.w, F4.h);
      Cost c = c4;
      c.score_ms += c8.score_ms, c.model_mib += c8.model_mib;
      for (int mode = 0; mode < 3; ++mode) {
        Scores S = A;
        for (size_t i = 0; i < S.size(); ++i)
          for (size_t k = 0; k < S[i].size(); ++k)
            S[i][k] = mode == 0 ? 0.5f * (A[i][k] + B[i][k]) : mode == 1 ? std::max(A[i][k], B[i][k])
                                                                          : std::sqrt(A[i][k] * B[i][k]);
        const char* names[3] = {"mean", "max", "geomean"};
        report(ss + "s4 z, s8 z fused: " + names[mode], F4, S, c, {});
      }
    }
  }
  if (want("s4b")) {
    // Stride-4 tap: wider averaging and other image scores.
    for (int k : {5, 7}) {
      for (int r : {0, 1}) {
        Cost c;
        const Features& F = feats(k, 0, 4);
        const Scores D = ScorePadim(F, sp, r, 0.01, &c);
        for (int mode : {0, 2}) {
          const Scores Z = CellStandardize(D, sp, mode);
          const std::string name = ss + "s4 padim k" + std::to_string(k) + " r" + std::to_string(r) +
                                   (mode == 0 ? " z" : " tail z");
          report(name, F, Z, c, {});
          if (k == 5 && r == 1) {
            report(name + " sigma2", F, Z, c, {2.0f, 0});
            for (int top : {3, 10, 30}) report(name + " top" + std::to_string(top), F, Z, c, {4.0f, top});
          }
        }
      }
    }
  }
}

}  // namespace anomalens::pitting_study
