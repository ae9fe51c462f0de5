// Round 3 (`--variants dh,blob,onesided,bdump,shift,probe,trim,final`): every
// variant on dev / holdout / full (dev_holdout.h): region scores, raw colour,
// dark-blob features, one-sided and shift-tolerant Gaussians, ensembles, and
// which normals score high at the labelled pits. docs/model.md, "Study,
// third round: dev and holdout".
#include "tools/research/pitting_study/rounds.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

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

void RunRound3(Study& study) {
  // The names the groups below were written with (they ran in main).
  const std::string& dir = study.dir;
  const Data& data = study.data;
  const Split& sp = study.sp;
  const Masks& masks = study.masks;
  auto want = [&](const std::string& group) { return study.Want(group); };
  auto feats = [&](int k, float cw, int tap = 8) -> const Features& { return study.Feats(k, cw, tap); };

  if (want("dh")) {
    // Round 3: every variant on dev / holdout / full (split by wear sequence).
    const std::vector<int> part = DevHoldout(data);
    int counts[3][2] = {{0, 0}, {0, 0}, {0, 0}};
    for (size_t i = 0; i < part.size(); ++i)
      if (part[i]) counts[part[i]][data.items[i].kind == kTestPit]++;
    std::printf("dev: %d good + %d pitting; holdout: %d good + %d pitting\n", counts[1][0], counts[1][1], counts[2][0],
                counts[2][1]);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (dh)", "imgDev", "imgHold", "imgFull", "pixDev",
                "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    Cost c;
    const Features& F3 = feats(3, 0, 4);
    const int w = F3.w, h = F3.h;
    const Scores P3 = CellStandardize(ScorePadim(F3, sp, 1, 0.01, &c), sp, 0);
    const std::vector<double> p3 = MapMax(data, P3, w, h);
    rep("s4 k3 r1 z (default)", p3, P3, w, h);
    rep("s4 k3 r1 z, region mass", RegionScore(data, sp, P3, w, h, 0), P3, w, h);
    rep("s4 k3 r1 z, region area x peak", RegionScore(data, sp, P3, w, h, 1), P3, w, h);
    rep("s4 k3 r1 z, peak of regions <= 4 cells", RegionScore(data, sp, P3, w, h, 2, 4), P3, w, h);
    rep("s4 k3 r1 z, peak of regions <= 16 cells", RegionScore(data, sp, P3, w, h, 2, 16), P3, w, h);
    const Scores P5 = CellStandardize(ScorePadim(feats(5, 0, 4), sp, 0, 0.01, &c), sp, 0);
    const std::vector<double> p5 = MapMax(data, P5, w, h);
    rep("s4 k5 r0 z", p5, P5, w, h);
    const Scores P5r1 = CellStandardize(ScorePadim(feats(5, 0, 4), sp, 1, 0.01, &c), sp, 0);
    const std::vector<double> p5r1 = MapMax(data, P5r1, w, h);
    rep("s4 k5 r1 z", p5r1, P5r1, w, h);
    const Features raw = RawFeatures(dir, data);
    const Scores R = CellStandardize(ScorePadim(raw, sp, 1, 0.01, &c), sp, 0);
    const std::vector<double> rr = MapMax(data, R, w, h);
    rep("raw colour r1 z", rr, R, w, h);
    const Scores R3 = CellStandardize(ScorePadim(BuildRawAveraged(raw, 3), sp, 1, 0.01, &c), sp, 0);
    rep("raw colour 3x3 r1 z", MapMax(data, R3, w, h), R3, w, h);
    const Features C = Concat(F3, raw);
    const Scores PC = CellStandardize(ScorePadim(C, sp, 1, 0.01, &c), sp, 0);
    rep("s4 k3 + raw colour (30) r1 z", MapMax(data, PC, w, h), PC, w, h);
    auto fuse = [&](const Scores& A, const Scores& B, int mode) {
      Scores S = A;
      for (size_t i = 0; i < S.size(); ++i)
        for (size_t k = 0; k < S[i].size(); ++k) S[i][k] = mode == 0 ? 0.5f * (A[i][k] + B[i][k]) : std::max(A[i][k], B[i][k]);
      return S;
    };
    const Scores M1 = fuse(P3, R, 0), M2 = fuse(P3, R, 1);
    rep("maps: mean(s4 k3 z, raw z)", MapMax(data, M1, w, h), M1, w, h);
    rep("maps: max(s4 k3 z, raw z)", MapMax(data, M2, w, h), M2, w, h);
    auto avg = [&](const std::vector<std::vector<double>>& parts) { return MeanTrainZ(parts, sp); };
    rep("image z-avg: s4 k3 + s4 k5 r0", avg({p3, p5}), P3, w, h);
    rep("image z-avg: s4 k3 + raw", avg({p3, rr}), P3, w, h);
    rep("image z-avg: s4 k3 + s4 k5 r0 + raw", avg({p3, p5, rr}), P3, w, h);
    // Shared fine bank (stride 8), top-50 mean, as a differently-failing scorer.
    const Features& F8 = feats(3, 0, 8);
    const Scores B = ScoreShared(F8, sp, 0.1, &c);
    std::vector<double> b50(B.size(), 0.0);
    for (size_t i = 0; i < B.size(); ++i) {
      if (B[i].empty()) continue;
      std::vector<float> v = ContentCells(data, B[i], F8.w);
      const int k = std::min<int>(50, v.size());
      std::partial_sort(v.begin(), v.begin() + k, v.end(), std::greater<float>());
      for (int j = 0; j < k; ++j) b50[i] += v[j] / k;
    }
    rep("image z-avg: s4 k3 + shared fine top-50", avg({p3, b50}), P3, w, h);
    rep("image z-avg: s4 k3 + s4 k5 r0 + shared fine top-50", avg({p3, p5, b50}), P3, w, h);
  }
  if (want("blob")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (blob)", "imgDev", "imgHold", "imgFull", "pixDev",
                "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    Cost c;
    const Features& F3 = feats(3, 0, 4);
    const int w = F3.w, h = F3.h;
    const Scores P3 = CellStandardize(ScorePadim(F3, sp, 1, 0.01, &c), sp, 0);
    const Features blob = BlobFeatures(dir, data);
    for (int r : {0, 1}) {
      const Scores Bz = CellStandardize(ScorePadim(blob, sp, r, 0.01, &c), sp, 0);
      rep("blob r" + std::to_string(r) + " z", MapMax(data, Bz, w, h), Bz, w, h);
      Scores M = P3, X = P3;
      for (size_t i = 0; i < M.size(); ++i)
        for (size_t k = 0; k < M[i].size(); ++k) M[i][k] = 0.5f * (P3[i][k] + Bz[i][k]), X[i][k] = std::max(P3[i][k], Bz[i][k]);
      rep("maps: mean(s4 k3 z, blob r" + std::to_string(r) + " z)", MapMax(data, M, w, h), M, w, h);
      rep("maps: max(s4 k3 z, blob r" + std::to_string(r) + " z)", MapMax(data, X, w, h), X, w, h);
    }
    const Scores PB = CellStandardize(ScorePadim(Concat(F3, blob), sp, 1, 0.01, &c), sp, 0);
    rep("s4 k3 + blob (28) r1 z", MapMax(data, PB, w, h), PB, w, h);
  }
  if (want("onesided")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (one-sided)", "imgDev", "imgHold", "imgFull",
                "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    const Features blob = BlobFeatures(dir, data);
    const int w = blob.w, h = blob.h;
    for (int r : {1, 0}) {
      for (bool robust : {false, true}) {
        const Scores O = ScoreOneSided(blob, sp, r, robust);
        const std::string n = std::string("blob one-sided ") + (robust ? "median/MAD" : "mean/sd") + " r" + std::to_string(r);
        rep(n, MapMax(data, O, w, h), O, w, h);
        const Scores Z = CellStandardize(O, sp, 0);
        rep(n + ", cell z", MapMax(data, Z, w, h), Z, w, h);
      }
    }
  }
  if (want("bdump")) {
    // The blob r1 z and default maps, dumped with their peak locations.
    const std::vector<int> part = DevHoldout(data);
    Cost c;
    const Features blob = BlobFeatures(dir, data);
    const Scores Bz = CellStandardize(ScorePadim(blob, sp, 1, 0.01, &c), sp, 0);
    DumpScores("build/pitting_study/peak_blob_r1.tsv", data, part, MapMax(data, Bz, blob.w, blob.h), Bz, blob.w);
    const Scores P3 = CellStandardize(ScorePadim(feats(3, 0, 4), sp, 1, 0.01, &c), sp, 0);
    DumpScores("build/pitting_study/peak_s4.tsv", data, part, MapMax(data, P3, blob.w, blob.h), P3, blob.w);
  }
  if (want("shift")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (shift)", "imgDev", "imgHold", "imgFull",
                "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    const Features& F3 = feats(3, 0, 4);
    const int w = F3.w, h = F3.h;
    const Features blob = BlobFeatures(dir, data);
    for (int shift : {0, 1, 2}) {
      const Scores B = ScorePadimMinShift(blob, sp, 1, 0.01, shift);
      rep("blob r1 z, min over shifts +-" + std::to_string(shift), MapMax(data, B, w, h), B, w, h);
      const Scores P = ScorePadimMinShift(F3, sp, 1, 0.01, shift);
      rep("s4 k3 r1 z, min over shifts +-" + std::to_string(shift), MapMax(data, P, w, h), P, w, h);
    }
  }
  if (want("probe")) {
    // Which train/good images score highest (held out) at the labelled pit
    // cells of the low-scoring pitting images: unlabelled pits in training?
    Cost c;
    const Features blob = BlobFeatures(dir, data);
    const Scores Bz = CellStandardize(ScorePadim(blob, sp, 1, 0.01, &c), sp, 0);
    const Scores P3 = CellStandardize(ScorePadim(feats(3, 0, 4), sp, 1, 0.01, &c), sp, 0);
    const int stride = data.geometry.padded.width / blob.w;
    // Native (x, y) of the labelled pits of low-scoring pitting images in
    // sequences 585000_090, 395000_270, 462500_045, 277500_315, 517500_315
    // and 397500_315 (at or near their masks' centres).
    const std::pair<int, int> spots[] = {{772, 224}, {342, 318}, {500, 267}, {395, 298}, {717, 229}, {865, 201}};
    for (const auto& [nx, ny] : spots) {
      const size_t cell = size_t(ny * data.geometry.scale / stride) * blob.w + size_t(nx * data.geometry.scale / stride);
      std::vector<std::pair<float, int>> v;
      for (size_t i = 0; i < Bz.size(); ++i)
        if (data.items[i].kind != kTestPit) v.push_back({Bz[i][cell], int(i)});
      std::sort(v.rbegin(), v.rend());
      std::printf("native (%d, %d), cell %zu: highest blob z among normals (train held-out / test good):\n", nx, ny, cell);
      for (int k = 0; k < 6; ++k)
        std::printf("  %6.2f (s4 z %5.2f) %s %s\n", v[k].first, P3[v[k].second][cell], data.items[v[k].second].kind == kTrain ? "train/good" : "test/good ",
                    data.items[v[k].second].name.c_str());
    }
  }
  if (want("trim")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (trim)", "imgDev", "imgHold", "imgFull",
                "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    const Features blob = BlobFeatures(dir, data);
    const int w = blob.w, h = blob.h;
    for (int shift : {0, 1}) {
      const Scores B0 = ScorePadimMinShift(blob, sp, 1, 0.01, shift);
      rep("blob r1 z shift" + std::to_string(shift) + ", map sigma 2", MapMax(data, B0, w, h, 2.0f), B0, w, h);
      for (double trim : {0.01, 0.03, 0.1}) {
        const Scores B = ScorePadimMinShift(blob, sp, 1, 0.01, shift, trim);
        rep("blob r1 z shift" + std::to_string(shift) + ", trimmed " + std::to_string(trim).substr(0, 4), MapMax(data, B, w, h), B, w, h);
      }
    }
  }
  if (want("final")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (final)", "imgDev", "imgHold", "imgFull",
                "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    auto avg = [&](const std::vector<std::vector<double>>& parts) { return MeanTrainZ(parts, sp); };
    Cost c;
    const Features blob = BlobFeatures(dir, data);
    const int w = blob.w, h = blob.h;
    const Scores B = ScorePadimMinShift(blob, sp, 1, 0.01, 1);
    const std::vector<double> b = MapMax(data, B, w, h, 2.0f);
    const Scores P5 = CellStandardize(ScorePadim(feats(5, 0, 4), sp, 0, 0.01, &c), sp, 0);
    const Scores P3 = CellStandardize(ScorePadim(feats(3, 0, 4), sp, 1, 0.01, &c), sp, 0);
    rep("image z-avg: blob shift1 sigma2 + s4 k3 r1 z", avg({b, MapMax(data, P3, w, h)}), P3, w, h);
    rep("image z-avg: blob shift1 sigma2 + s4 k5 r0 z", avg({b, MapMax(data, P5, w, h)}), P3, w, h);
    const Features blob4 = BlobFeatures(dir, data, {1.0f, 1.5f, 2.25f, 3.5f});
    const Scores B4 = ScorePadimMinShift(blob4, sp, 1, 0.01, 1);
    rep("blob 4 scales (1, 1.5, 2.25, 3.5) shift1 sigma2", MapMax(data, B4, w, h, 2.0f), B4, w, h);
    const Features blob1 = BlobFeatures(dir, data, {1.5f});
    const Scores B1 = ScorePadimMinShift(blob1, sp, 1, 0.01, 1);
    rep("blob 1 scale (1.5) shift1 sigma2", MapMax(data, B1, w, h, 2.0f), B1, w, h);
  }
}

}  // namespace anomalens::pitting_study
