// Nearest-neighbour scorers (neighbor_scorers.h).
#include "tools/research/pitting_study/neighbor_scorers.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/scoring/coreset.h"
#include "core/scoring/nearest_neighbor.h"
#include "tools/research/pitting_study/clock.h"

namespace anomalens::pitting_study {

Scores ScoreShared(const Features& F, const Split& sp, double ratio, Cost* cost) {
  Scores S(F.f.size());
  const double t0 = Now();
  std::vector<CoresetSource> sources;
  for (int i : sp.train) sources.push_back({F.f[i].data(), F.cells()});
  size_t target = std::min<size_t>(std::ceil(ratio * sources.size() * F.cells()), 16384);
  std::vector<float> rows;
  std::vector<int> src;
  if (ratio >= 1) {
    for (size_t k = 0; k < sp.train.size(); ++k) {
      rows.insert(rows.end(), F.f[sp.train[k]].begin(), F.f[sp.train[k]].end());
      src.insert(src.end(), F.cells(), static_cast<int>(k));
    }
  } else {
    for (const CoresetPick& p : TwoStageCoreset(sources, F.dim, target, 4)) {
      const float* r = F.f[sp.train[p.source]].data() + p.row * F.dim;
      rows.insert(rows.end(), r, r + F.dim);
      src.push_back(static_cast<int>(p.source));
    }
  }
  cost->fit_seconds = Now() - t0;
  cost->model_mib = rows.size() * 4.0 / (1 << 20);
  for (int f = 0; f <= kFolds; ++f) {
    std::vector<float> keep;
    for (size_t r = 0; r < src.size(); ++r)
      if (f == kFolds || src[r] % kFolds != f) keep.insert(keep.end(), &rows[r * F.dim], &rows[(r + 1) * F.dim]);
    NearestNeighborIndex index(keep.data(), keep.size() / F.dim, F.dim);
    const double t1 = Now();
    int n = 0;
    for (size_t i = 0; i < F.f.size(); ++i)
      if (sp.fold_of[i] == f) S[i] = index.MinDistances(F.f[i].data(), F.cells()), ++n;
    if (f == kFolds) cost->score_ms = (Now() - t1) * 1000 / n;
  }
  return S;
}

Scores ScorePosNN(const Features& F, const Split& sp, int r, Cost* cost) {
  Scores S(F.f.size(), std::vector<float>(F.cells()));
  double t_test = 0;
  int n_test = 0;
  for (size_t i = 0; i < F.f.size(); ++i) n_test += sp.fold_of[i] == kFolds;
  std::vector<float> rows, q;
  size_t total_rows = 0;
  for (int y = 0; y < F.h; ++y)
    for (int x = 0; x < F.w; ++x) {
      const size_t cell = size_t(y) * F.w + x;
      const std::vector<size_t> nb = Neighbourhood(F, y, x, r);
      for (int f = 0; f <= kFolds; ++f) {
        const double t0 = Now();
        rows.clear();
        for (size_t k = 0; k < sp.train.size(); ++k) {
          if (f < kFolds && int(k % kFolds) == f) continue;
          for (size_t c : nb) rows.insert(rows.end(), &F.f[sp.train[k]][c * F.dim], &F.f[sp.train[k]][(c + 1) * F.dim]);
        }
        if (f == kFolds) total_rows += rows.size() / F.dim;
        NearestNeighborIndex index(rows.data(), rows.size() / F.dim, F.dim);
        q.clear();
        std::vector<int> who;
        for (size_t i = 0; i < F.f.size(); ++i)
          if (sp.fold_of[i] == f) q.insert(q.end(), &F.f[i][cell * F.dim], &F.f[i][(cell + 1) * F.dim]), who.push_back(int(i));
        const std::vector<float> d = index.MinDistances(q.data(), who.size());
        for (size_t j = 0; j < who.size(); ++j) S[who[j]][cell] = d[j];
        if (f == kFolds) t_test += Now() - t0;
      }
    }
  cost->fit_seconds = 0;
  cost->score_ms = t_test * 1000 / n_test;
  cost->model_mib = sp.train.size() * F.cells() * F.dim * 4.0 / (1 << 20);  // all patches kept
  (void)total_rows;
  return S;
}

std::vector<std::vector<int>> NearestTrain(const Features& G, const Split& sp, int K) {
  std::vector<std::vector<int>> out(G.f.size());
  for (size_t i = 0; i < G.f.size(); ++i) {
    if (sp.fold_of[i] < 0) continue;
    std::vector<std::pair<double, int>> cand;
    for (size_t k = 0; k < sp.train.size(); ++k) {
      if (sp.fold_of[i] < kFolds && int(k % kFolds) == sp.fold_of[i]) continue;
      const std::vector<float>& a = G.f[i];
      const std::vector<float>& b = G.f[sp.train[k]];
      double d = 0;
      for (size_t j = 0; j < a.size(); ++j) d += double(a[j] - b[j]) * (a[j] - b[j]);
      cand.push_back({d, sp.train[k]});
    }
    const int k = std::min<int>(K, cand.size());
    std::partial_sort(cand.begin(), cand.begin() + k, cand.end());
    for (int j = 0; j < k; ++j) out[i].push_back(cand[j].second);
  }
  return out;
}

Scores ScoreRefNN(const Features& F, const std::vector<std::vector<int>>& refs, int s, bool one_sided, int kth) {
  Scores S(F.f.size());
  const int D = F.dim;
  for (size_t i = 0; i < F.f.size(); ++i) {
    if (refs[i].empty()) continue;
    S[i].assign(F.cells(), 0.0f);
    for (int y = 0; y < F.h; ++y)
      for (int x = 0; x < F.w; ++x) {
        const float* q = &F.f[i][(size_t(y) * F.w + x) * D];
        float best = 1e30f;
        std::vector<float> all;
        for (int r : refs[i])
          for (int yy = std::max(0, y - s); yy <= std::min(F.h - 1, y + s); ++yy)
            for (int xx = std::max(0, x - s); xx <= std::min(F.w - 1, x + s); ++xx) {
              const float* v = &F.f[r][(size_t(yy) * F.w + xx) * D];
              float d = 0;
              for (int p = 0; p < D; ++p) {
                const float e = one_sided ? std::max(0.0f, q[p] - v[p]) : q[p] - v[p];
                d += e * e;
              }
              best = std::min(best, d);
              if (kth > 1) all.push_back(d);
            }
        if (kth > 1) {
          std::partial_sort(all.begin(), all.begin() + kth, all.end());
          float m = 0;
          for (int j = 0; j < kth; ++j) m += std::sqrt(all[j]) / kth;
          S[i][size_t(y) * F.w + x] = m;
          continue;
        }
        S[i][size_t(y) * F.w + x] = std::sqrt(best);
      }
  }
  return S;
}

Scores ScoreRetrieval(const Features& F, const Split& sp, int K, int r, Cost* cost) {
  const double t0 = Now();
  Scores S = ScoreRefNN(F, NearestTrain(F, sp, K), r, false);
  cost->score_ms = (Now() - t0) * 1000 / F.f.size();  // every image is scored alike
  cost->model_mib = sp.train.size() * F.cells() * F.dim * 4.0 / (1 << 20);
  return S;
}

Scores ScoreCellCoresetNN(const Features& F, const Split& sp, int M) {
  const int D = F.dim;
  Scores S(F.f.size());
  for (size_t i = 0; i < F.f.size(); ++i)
    if (sp.fold_of[i] >= 0) S[i].assign(F.cells(), 0.0f);
  std::vector<const float*> cand, chosen;
  std::vector<float> mind;
  for (size_t cell = 0; cell < F.cells(); ++cell)
    for (int f = 0; f <= kFolds; ++f) {
      cand.clear(), chosen.clear();
      for (size_t k = 0; k < sp.train.size(); ++k)
        if (int(k % kFolds) != f) cand.push_back(&F.f[sp.train[k]][cell * D]);
      std::vector<double> mean(D, 0.0);
      for (const float* v : cand) for (int p = 0; p < D; ++p) mean[p] += v[p] / cand.size();
      size_t first = 0;
      double bd = 1e300;
      for (size_t k = 0; k < cand.size(); ++k) {
        double d = 0;
        for (int p = 0; p < D; ++p) d += (cand[k][p] - mean[p]) * (cand[k][p] - mean[p]);
        if (d < bd) bd = d, first = k;
      }
      mind.assign(cand.size(), 1e30f);
      size_t next = first;
      for (int m = 0; m < std::min<int>(M, cand.size()); ++m) {
        chosen.push_back(cand[next]);
        float far = -1;
        for (size_t k = 0; k < cand.size(); ++k) {
          float d = 0;
          for (int p = 0; p < D; ++p) d += (cand[k][p] - cand[next][p]) * (cand[k][p] - cand[next][p]);
          mind[k] = std::min(mind[k], d);
        }
        for (size_t k = 0; k < cand.size(); ++k) if (mind[k] > far) far = mind[k], next = k;
      }
      for (size_t i = 0; i < F.f.size(); ++i) {
        if (sp.fold_of[i] != f) continue;
        const float* q = &F.f[i][cell * D];
        float best = 1e30f;
        for (const float* v : chosen) {
          float d = 0;
          for (int p = 0; p < D; ++p) d += (q[p] - v[p]) * (q[p] - v[p]);
          best = std::min(best, d);
        }
        S[i][cell] = std::sqrt(best);
      }
    }
  return S;
}

}  // namespace anomalens::pitting_study
