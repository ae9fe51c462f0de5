// Round 1 (`--variants shared,posnn,padim,padimc,fuse,retr,align,fusemin,cn,ms,fewer,img`):
// shared banks, position-aware nearest neighbours, retrieval and per-position
// Gaussians at stride 8, chosen by test numbers. docs/model.md, "Study".
#include "tools/research/pitting_study/rounds.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/research/pitting_study/alignment.h"
#include "tools/research/pitting_study/evaluation.h"
#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/gaussian_scorers.h"
#include "tools/research/pitting_study/neighbor_scorers.h"
#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

void RunRound1(Study& study) {
  // The names the groups below were written with (they ran in main).
  const Data& data = study.data;
  const Split& sp = study.sp;
  const Masks& masks = study.masks;
  const std::string& ss = study.row_prefix;
  auto want = [&](const std::string& group) { return study.Want(group); };
  auto report = [&](const std::string& name, const Features& F, const Scores& S, const Cost& c,
                    const EvalOptions& o) { study.Report(name, F, S, c, o); };
  auto feats = [&](int k, float cw, int tap = 8) -> const Features& { return study.Feats(k, cw, tap); };

  for (float cw : {1.0f, 0.0f}) {
    const std::string name = ss + "shared k3 cw" + std::to_string(int(cw));
    if (!want("shared")) continue;
    Cost c;
    const Features& F = feats(3, cw);
    const Scores S = ScoreShared(F, sp, 0.1, &c);
    report(name, F, S, c, {});
    if (cw == 0) {
      report(name + " sigma2", F, S, c, {2.0f, 0});
      report(name + " sigma8", F, S, c, {8.0f, 0});
      report(name + " top50", F, S, c, {4.0f, 50});
    }
  }
  for (int r : {1, 2}) {
    if (!want("posnn")) continue;
    Cost c;
    const Features& F = feats(3, 0);
    const Scores S = ScorePosNN(F, sp, r, &c);
    report(ss + "posnn k3 cw0 r" + std::to_string(r), F, S, c, {});
  }
  for (int k : {3, 1, 5}) {
    for (int r : {0, 1, 2}) {
      for (double eps : {0.01, 0.1}) {
        const std::string name = ss + "padim k" + std::to_string(k) + " cw0 r" + std::to_string(r) + " eps" +
                                 std::to_string(eps).substr(0, 4);
        if (!want("padim")) continue;
        if (k != 3 && !(r == 1 && eps == 0.01)) continue;
        Cost c;
        const Features& F = feats(k, 0);
        const Scores S = ScorePadim(F, sp, r, eps, &c);
        report(name, F, S, c, {});
        if (k == 3 && r == 1 && eps == 0.01) {
          report(name + " sigma2", F, S, c, {2.0f, 0});
          report(name + " sigma8", F, S, c, {8.0f, 0});
          report(name + " top20", F, S, c, {4.0f, 20});
        }
      }
    }
  }
  // PaDiM over fine + coarse features (128 dims).
  for (float cw : {0.5f, 1.0f}) {
    for (int r : {0, 1}) {
      const std::string name = ss + "padim k3 cw" + std::to_string(cw).substr(0, 3) + " r" + std::to_string(r) + " eps0.01";
      if (!want("padimc")) continue;
      Cost c;
      const Features& F = feats(3, cw);
      const Scores S = ScorePadim(F, sp, r, 0.01, &c);
      report(name, F, S, c, {});
      report(name + " top20", F, S, c, {4.0f, 20});
    }
  }
  // Fusion: per-position Gaussian (fine) + shared bank (fine + coarse), each normalized.
  if (want("fuse")) {
    Cost c1, c2;
    const Features& Ff = feats(3, 0);
    const Scores P = Normalize(ScorePadim(Ff, sp, 1, 0.01, &c1), sp);
    const Features& Fc = feats(3, 1);
    const Scores N = Normalize(ScoreShared(Fc, sp, 0.1, &c2), sp);
    for (double w : {0.25, 0.5}) {
      Scores S = P;
      for (size_t i = 0; i < S.size(); ++i)
        for (size_t k = 0; k < S[i].size(); ++k) S[i][k] = float((1 - w) * P[i][k] + w * N[i][k]);
      Cost c = c1;
      c.fit_seconds += c2.fit_seconds, c.score_ms += c2.score_ms, c.model_mib += c2.model_mib;
      report(ss + "fuse padim-r1-fine + shared-cw1 w" + std::to_string(w).substr(0, 4), Ff, S, c, {});
    }
  }
  for (int K : {1, 3, 10}) {
    for (int r : {1, 2}) {
      if (!want("retr")) continue;
      Cost c;
      const Features& F = feats(3, 0);
      const Scores S = ScoreRetrieval(F, sp, K, r, &c);
      const std::string name = ss + "retrieval K" + std::to_string(K) + " posnn r" + std::to_string(r) + " k3 cw0";
      report(name, F, S, c, {});
      if (K == 3 && r == 1) report(name + " top20", F, S, c, {4.0f, 20});
    }
  }
  if (want("align")) {
    const Features& F = feats(3, 0);
    std::vector<std::vector<float>> f;
    for (int i : sp.train) f.push_back(F.f[i]);
    std::printf("alignment of train/good: r0 %.3f r1 %.3f\n", Alignment(f, F.w, F.h, 0), Alignment(f, F.w, F.h, 1));
  }
  if (want("fusemin")) {
    // Anomalous here AND unlike any training patch anywhere: min / geometric
    // mean of the standardized per-position score and the shared-bank
    // distance (each over its held-out train 99th percentile).
    auto cellnorm = [&](Scores S) {
      const size_t cells = S[sp.train[0]].size();
      for (size_t cell = 0; cell < cells; ++cell) {
        double m = 0, m2 = 0;
        for (int i : sp.train) m += S[i][cell], m2 += double(S[i][cell]) * S[i][cell];
        m /= sp.train.size();
        const double sd = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
        for (auto& v : S) v[cell] = float(std::max((v[cell] - m) / sd, 0.0));
      }
      return S;
    };
    Cost c1, c2;
    const Features& Ff = feats(3, 0);
    const Scores P = Normalize(cellnorm(ScorePadim(Ff, sp, 1, 0.01, &c1)), sp);
    for (float cw : {0.0f, 1.0f}) {
      const Scores N = Normalize(ScoreShared(feats(3, cw), sp, 0.1, &c2), sp);
      const Scores NZ = Normalize(cellnorm(ScoreShared(feats(3, cw), sp, 0.1, &c2)), sp);
      Cost c = c1;
      c.fit_seconds += c2.fit_seconds, c.score_ms += c2.score_ms, c.model_mib += c2.model_mib;
      for (int mode = 0; mode < 3; ++mode) {
        Scores S = P;
        for (size_t i = 0; i < S.size(); ++i)
          for (size_t k = 0; k < S[i].size(); ++k) {
            const float a = P[i][k], b = (mode == 2 ? NZ : N)[i][k];
            S[i][k] = mode == 0 ? std::min(a, b) : std::sqrt(a * b);
          }
        const char* names[3] = {"min", "geomean", "geomean, bank standardized"};
        report(ss + "pos-z x shared cw" + std::to_string(int(cw)) + " " + names[mode], Ff, S, c, {});
      }
      report(ss + "shared cw" + std::to_string(int(cw)) + " standardized per cell", Ff, NZ, c2, {});
    }
  }
  if (want("cn")) {
    // Per-cell standardized Gaussians: feature averaging k, neighbourhood r.
    for (int k : {3, 5}) {
      for (int r : {0, 1}) {
        Cost c;
        const Features& F = feats(k, 0);
        Scores S = ScorePadim(F, sp, r, 0.01, &c);
        for (size_t cell = 0; cell < F.cells(); ++cell) {
          double m = 0, m2 = 0;
          for (int i : sp.train) m += S[i][cell], m2 += double(S[i][cell]) * S[i][cell];
          m /= sp.train.size();
          const double sd = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
          for (auto& v : S) v[cell] = float(std::max((v[cell] - m) / sd, 0.0));
        }
        const std::string name = ss + "padim standardized k" + std::to_string(k) + " r" + std::to_string(r);
        report(name, F, S, c, {});
        report(name + " sigma2", F, S, c, {2.0f, 0});
      }
    }
  }
  if (want("ms")) {
    // Multi-scale: standardized Gaussians over 3x3- and 5x5/7x7-averaged features.
    auto standardized = [&](int k, int r, Cost* c) {
      const Features& F = feats(k, 0);
      Scores S = ScorePadim(F, sp, r, 0.01, c);
      for (size_t cell = 0; cell < F.cells(); ++cell) {
        double m = 0, m2 = 0;
        for (int i : sp.train) m += S[i][cell], m2 += double(S[i][cell]) * S[i][cell];
        m /= sp.train.size();
        const double sd = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
        for (auto& v : S) v[cell] = float(std::max((v[cell] - m) / sd, 0.0));
      }
      return S;
    };
    Cost c3, c5, c7;
    const Scores A = standardized(3, 1, &c3), B = standardized(5, 0, &c5), C = standardized(7, 0, &c7);
    report(ss + "padim standardized k7 r0", feats(7, 0), C, c7, {});
    Scores S = A;
    for (size_t i = 0; i < S.size(); ++i)
      for (size_t k = 0; k < S[i].size(); ++k) S[i][k] = 0.5f * (A[i][k] + B[i][k]);
    Cost c = c3;
    c.model_mib += c5.model_mib, c.score_ms += c5.score_ms;
    report(ss + "mean of standardized k3 r1 + k5 r0", feats(3, 0), S, c, {});
  }
  if (want("fewer")) {
    // Fewer training images (every k-th of train/good), per-position vs shared.
    const Features& F = feats(3, 0);
    for (int every : {20, 10, 4, 2}) {
      const Split few = MakeSplit(data, every);
      Cost c;
      Scores S = ScorePadim(F, few, 1, 0.01, &c);
      for (size_t cell = 0; cell < F.cells(); ++cell) {
        double m = 0, m2 = 0;
        for (int i : few.train) m += S[i][cell], m2 += double(S[i][cell]) * S[i][cell];
        m /= few.train.size();
        const double sd = std::sqrt(std::max(m2 / few.train.size() - m * m, 1e-12));
        for (auto& v : S) v[cell] = float(std::max((v[cell] - m) / sd, 0.0));
      }
      const std::string n = std::to_string(few.train.size());
      Result r = Evaluate(data, F, few, S, masks, {});
      std::printf("%-44s %7.4f %7.4f %7.4f %7.4f %7.4f\n", (ss + "padim cellnorm, " + n + " train").c_str(), r.roc, r.f1,
                  r.f1_best, r.pix, r.aupro);
      const Scores B = ScoreShared(feats(3, 1), few, 0.1, &c);
      r = Evaluate(data, feats(3, 1), few, B, masks, {});
      std::printf("%-44s %7.4f %7.4f %7.4f %7.4f %7.4f\n", (ss + "shared cw1, " + n + " train").c_str(), r.roc, r.f1,
                  r.f1_best, r.pix, r.aupro);
      std::fflush(stdout);
    }
  }
  if (want("img")) {
    Cost c;
    const Features& F = feats(3, 0);
    const Scores S = ScorePadim(F, sp, 1, 0.01, &c);
    const std::string name = ss + "padim k3 cw0 r1 eps0.01";
    for (int k : {5, 10, 50, 200}) report(name + " top" + std::to_string(k), F, S, c, {4.0f, k});
    // Per-cell standardization by the held-out train scores of that cell.
    Scores Z = S;
    for (size_t cell = 0; cell < F.cells(); ++cell) {
      double m = 0, m2 = 0;
      for (int i : sp.train) m += S[i][cell], m2 += double(S[i][cell]) * S[i][cell];
      m /= sp.train.size();
      const double sd = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
      for (auto& v : Z) v[cell] = float((v[cell] - m) / sd);
    }
    report(name + " cellnorm", F, Z, c, {});
    report(name + " cellnorm top20", F, Z, c, {4.0f, 20});
    // Minus the image's median patch score.
    Scores M = S;
    for (auto& v : M) {
      std::vector<float> t = v;
      const float med = Percentile(t, 0.5);
      for (float& x : v) x -= med;
    }
    report(name + " minus-median", F, M, c, {});
  }
}

}  // namespace anomalens::pitting_study
