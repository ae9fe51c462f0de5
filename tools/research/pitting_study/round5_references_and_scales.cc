// Round 5 (`--variants ref,scales`, with REF_DESC, REF_K, BLOB_SIGMAS,
// BLOB_EXTRA, NNX and CORESET): reference retrieval and the dark-blob
// features at other scales, nearest-neighbour banks per cell.
// docs/model.md, "Study, fifth round: what a pit sits in, and a bank per cell".
#include "tools/research/pitting_study/rounds.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "tools/research/pitting_study/clock.h"
#include "tools/research/pitting_study/dev_holdout.h"
#include "tools/research/pitting_study/evaluation.h"
#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/gaussian_scorers.h"
#include "tools/research/pitting_study/image_scores.h"
#include "tools/research/pitting_study/neighbor_scorers.h"
#include "tools/research/pitting_study/pixel_features.h"
#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

void RunRound5(Study& study) {
  // The names the groups below were written with (they ran in main).
  const std::string& dir = study.dir;
  const Data& data = study.data;
  const Split& sp = study.sp;
  const Masks& masks = study.masks;
  auto want = [&](const std::string& group) { return study.Want(group); };
  auto feats = [&](int k, float cw, int tap = 8) -> const Features& { return study.Feats(k, cw, tap); };

  if (want("ref")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (references)", "imgDev", "imgHold",
                "imgFull", "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "ref_");
    };
    auto avg = [&](const std::vector<std::vector<double>>& parts) { return MeanTrainZ(parts, sp); };
    Cost c;
    const Features blob = BlobFeatures(dir, data);
    const int w = blob.w, h = blob.h;
    const Features& F3 = feats(3, 0, 4);
    const Scores P3 = CellStandardize(ScorePadim(F3, sp, 1, 0.01, &c), sp, 0);
    const Scores B = ScorePadimMinShift(blob, sp, 1, 0.01, 1);
    const std::vector<double> p3 = MapMax(data, P3, w, h), b = MapMax(data, B, w, h, 2.0f);
    rep("default: z-avg blob shift1 sigma2 + s4 k3 r1 z", avg({b, p3}), P3, w, h);
    const char* env_k = std::getenv("REF_K");
    std::vector<int> ks = {5, 10};
    if (env_k) ks = {std::atoi(env_k)};
    // The retrieval descriptor: REF_DESC = f3 (the stride-4 backbone grid,
    // default), raw (per-cell mean colour, 3 features), raw-z (that, each
    // image's grid standardized), blob.
    const std::string desc = std::getenv("REF_DESC") ? std::getenv("REF_DESC") : "f3";
    Features D = F3;
    if (desc == "raw" || desc == "raw-z") {
      const Features raw = RawFeatures(dir, data);
      D.dim = 3, D.f.assign(raw.f.size(), {});
      for (size_t i = 0; i < raw.f.size(); ++i)
        for (size_t cell = 0; cell < raw.cells(); ++cell)
          for (int p = 0; p < 3; ++p) D.f[i].push_back(raw.f[i][cell * raw.dim + p]);
      if (desc == "raw-z")
        for (auto& v : D.f) {
          double m = 0, m2 = 0;
          for (float x : v) m += x, m2 += double(x) * x;
          m /= v.size();
          const double sd = std::sqrt(std::max(m2 / v.size() - m * m, 1e-12));
          for (float& x : v) x = float((x - m) / sd);
        }
    } else if (desc == "blob") {
      D = blob;
    }
    for (int K : ks) {
      const double t0 = Now();
      const auto refs = NearestTrain(D, sp, K);
      int same = 0, total = 0;
      for (size_t i = 0; i < refs.size(); ++i)
        for (int r : refs[i]) same += SequenceOf(data.items[r].name) == SequenceOf(data.items[i].name), ++total;
      std::printf("K %d: %.1f%% of references from the image's own sequence (%.1f s)\n", K, 100.0 * same / total,
                  Now() - t0);
      const std::string k = "K" + std::to_string(K) + " ";
      for (int s : {0, 1}) {
        for (bool one : {false, true}) {
          const std::string nm = k + "blob NN shift" + std::to_string(s) + (one ? " one-sided" : "");
          const Scores R = CellStandardize(ScoreRefNN(blob, refs, s, one), sp, 0);
          const std::vector<double> r2 = MapMax(data, R, w, h, 2.0f), r4 = MapMax(data, R, w, h);
          rep(nm + " z sigma2", r2, R, w, h);
          rep(nm + " z sigma4", r4, R, w, h);
          rep("z-avg: " + nm + " sigma2 + default's two", avg({r2, b, p3}), R, w, h);
          rep("z-avg: " + nm + " sigma2 + s4 k3", avg({r2, p3}), R, w, h);
        }
      }
      const Scores G = CellStandardize(ScoreRefGauss(blob, refs, 1, 0.01), sp, 0);
      const std::vector<double> g2 = MapMax(data, G, w, h, 2.0f);
      rep(k + "blob Gaussian r1 z sigma2", g2, G, w, h);
      rep("z-avg: " + k + "blob Gaussian r1 sigma2 + default's two", avg({g2, b, p3}), G, w, h);
      const Scores N3 = CellStandardize(ScoreRefNN(F3, refs, 1, false), sp, 0);
      const std::vector<double> n3 = MapMax(data, N3, w, h);
      rep(k + "s4 k3 NN shift1 z", n3, N3, w, h);
      rep("z-avg: " + k + "s4 k3 NN shift1 + default's two", avg({n3, b, p3}), N3, w, h);
    }
  }
  if (want("scales")) {
    // BLOB_SIGMAS="1.5,3,6": the dark-spot channel at other scale sets.
    const std::vector<int> part = DevHoldout(data);
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "");
    };
    auto avg = [&](const std::vector<std::vector<double>>& parts) { return MeanTrainZ(parts, sp); };
    std::vector<float> sig;
    std::stringstream ls(std::getenv("BLOB_SIGMAS") ? std::getenv("BLOB_SIGMAS") : "1.5,3");
    for (std::string t; std::getline(ls, t, ',');) sig.push_back(std::stof(t));
    Cost c;
    const Features blob = BlobFeatures(dir, data, sig);
    const int w = blob.w, h = blob.h;
    const Scores P3 = CellStandardize(ScorePadim(feats(3, 0, 4), sp, 1, 0.01, &c), sp, 0);
    const std::vector<double> p3 = MapMax(data, P3, w, h);
    for (int r : {0, 1}) {
      const Scores B = ScorePadimMinShift(blob, sp, r, 0.01, 1);
      const std::vector<double> b = MapMax(data, B, w, h, 2.0f);
      rep("blob r" + std::to_string(r) + " shift1 sigma2", b, B, w, h);
      rep("z-avg: that + s4 k3", avg({b, p3}), B, w, h);
      if (r == 0) {
        rep("blob r0 shift1 sigma1", MapMax(data, B, w, h, 1.0f), B, w, h);
        rep("blob r0 shift1 sigma4", MapMax(data, B, w, h, 4.0f), B, w, h);
        const Scores B0 = ScorePadimMinShift(blob, sp, 0, 0.01, 0);
        rep("blob r0 shift0 sigma2", MapMax(data, B0, w, h, 2.0f), B0, w, h);
        const Scores B2 = ScorePadimMinShift(blob, sp, 0, 0.01, 2);
        rep("blob r0 shift2 sigma2", MapMax(data, B2, w, h, 2.0f), B2, w, h);
        const Scores N = CellStandardize(ScoreRefNN(blob, NearestTrain(blob, sp, 200), 0, false), sp, 0);
        const std::vector<double> n = MapMax(data, N, w, h, 2.0f);
        rep("all-train NN shift0 z sigma2", n, N, w, h);
        rep("z-avg: that + blob r0 shift1", avg({n, b}), N, w, h);
        if (std::getenv("CORESET")) {
          rep("NN + s4 k3 image z-avg", avg({n, p3}), N, w, h);
          {
            const std::vector<double> zn = TrainZ(n, sp), zp = TrainZ(p3, sp);
            for (double wb : {0.1, 0.25}) {
              std::vector<double> v(zn.size());
              for (size_t i = 0; i < v.size(); ++i) v[i] = (1 - wb) * zn[i] + wb * zp[i];
              rep("NN + s4 k3 image z-avg, backbone weight " + std::to_string(wb).substr(0, 4), v, N, w, h);
            }
          }
          Scores Mn = N;
          for (size_t i = 0; i < Mn.size(); ++i)
            for (size_t k = 0; k < Mn[i].size(); ++k) Mn[i][k] = 0.5f * (N[i][k] + P3[i][k]);
          rep("NN alone, map mean with s4 k3", n, Mn, w, h);
          for (int M : {64}) {
            const Scores C = CellStandardize(ScoreCellCoresetNN(blob, sp, M), sp, 0);
            rep("cell coreset " + std::to_string(M) + " NN z sigma2", MapMax(data, C, w, h, 2.0f), C, w, h);
          }
        }
        if (std::getenv("NNX")) {
          const auto all = NearestTrain(blob, sp, 200);
          const Scores N1 = CellStandardize(ScoreRefNN(blob, all, 1, false), sp, 0);
          rep("all-train NN shift1 z sigma2", MapMax(data, N1, w, h, 2.0f), N1, w, h);
          const Scores N3 = CellStandardize(ScoreRefNN(blob, all, 0, false, 3), sp, 0);
          rep("all-train 3-NN mean shift0 z sigma2", MapMax(data, N3, w, h, 2.0f), N3, w, h);
          const Scores NR = ScoreRefNN(blob, all, 0, false);
          rep("all-train NN shift0 raw sigma2", MapMax(data, NR, w, h, 2.0f), NR, w, h);
          rep("all-train NN shift0 z sigma1", MapMax(data, N, w, h, 1.0f), N, w, h);
          std::vector<std::vector<int>> half = all;
          for (auto& v : half) {
            std::vector<int> keep;
            for (int r : v) if (r % 2 == 0) keep.push_back(r);
            v = keep;
          }
          const Scores NH = CellStandardize(ScoreRefNN(blob, half, 0, false), sp, 0);
          rep("half-train NN shift0 z sigma2", MapMax(data, NH, w, h, 2.0f), NH, w, h);
        }
      }
    }
  }
}

}  // namespace anomalens::pitting_study
