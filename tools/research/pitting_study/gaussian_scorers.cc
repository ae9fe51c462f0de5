// Per-position Gaussian scorers (gaussian_scorers.h).
#include "tools/research/pitting_study/gaussian_scorers.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "tools/research/pitting_study/clock.h"

namespace anomalens::pitting_study {

Scores ScorePadim(const Features& F, const Split& sp, int r, double eps, Cost* cost) {
  const int D = F.dim;
  Scores S(F.f.size(), std::vector<float>(F.cells()));
  double t_fit = 0, t_test = 0;
  int n_test = 0;
  for (size_t i = 0; i < F.f.size(); ++i) n_test += sp.fold_of[i] == kFolds;
  std::vector<double> s1(kFolds * D), s2(kFolds * D * D), cov(D * D), mu(D), L(D * D), z(D);
  std::vector<double> n(kFolds);
  for (int y = 0; y < F.h; ++y)
    for (int x = 0; x < F.w; ++x) {
      const size_t cell = size_t(y) * F.w + x;
      const double t0 = Now();
      const std::vector<size_t> nb = Neighbourhood(F, y, x, r);
      std::fill(s1.begin(), s1.end(), 0.0);
      std::fill(s2.begin(), s2.end(), 0.0);
      std::fill(n.begin(), n.end(), 0.0);
      for (size_t k = 0; k < sp.train.size(); ++k) {
        const int fk = int(k % kFolds);
        double* a = &s1[fk * D];
        double* b = &s2[size_t(fk) * D * D];
        for (size_t c : nb) {
          const float* v = &F.f[sp.train[k]][c * D];
          for (int p = 0; p < D; ++p) {
            a[p] += v[p];
            const double vp = v[p];
            double* row = b + size_t(p) * D;
            for (int q2 = 0; q2 <= p; ++q2) row[q2] += vp * v[q2];
          }
          n[fk] += 1;
        }
      }
      t_fit += Now() - t0;
      for (int f = 0; f <= kFolds; ++f) {
        const double t1 = Now();
        double nn = 0;
        std::fill(mu.begin(), mu.end(), 0.0);
        std::fill(cov.begin(), cov.end(), 0.0);
        for (int g = 0; g < kFolds; ++g) {
          if (g == f) continue;
          nn += n[g];
          for (int p = 0; p < D; ++p) mu[p] += s1[g * D + p];
          for (int p = 0; p < D * D; ++p) cov[p] += s2[size_t(g) * D * D + p];
        }
        for (int p = 0; p < D; ++p) mu[p] /= nn;
        double tr = 0;
        for (int p = 0; p < D; ++p)
          for (int q2 = 0; q2 <= p; ++q2) {
            cov[p * D + q2] = cov[p * D + q2] / nn - mu[p] * mu[q2];
            if (p == q2) tr += cov[p * D + p];
          }
        const double ridge = eps * tr / D;
        for (int p = 0; p < D; ++p) cov[p * D + p] += ridge;
        // Cholesky (lower).
        for (int p = 0; p < D; ++p)
          for (int q2 = 0; q2 <= p; ++q2) {
            double sum = cov[p * D + q2];
            for (int k = 0; k < q2; ++k) sum -= L[p * D + k] * L[q2 * D + k];
            L[p * D + q2] = p == q2 ? std::sqrt(std::max(sum, 1e-12)) : sum / L[q2 * D + q2];
          }
        if (f == kFolds) t_fit += Now() - t1;
        const double t2 = Now();
        for (size_t i = 0; i < F.f.size(); ++i) {
          if (sp.fold_of[i] != f) continue;
          const float* v = &F.f[i][cell * D];
          double d2 = 0;
          for (int p = 0; p < D; ++p) {
            double sum = v[p] - mu[p];
            for (int k = 0; k < p; ++k) sum -= L[p * D + k] * z[k];
            z[p] = sum / L[p * D + p];
            d2 += z[p] * z[p];
          }
          S[i][cell] = static_cast<float>(std::sqrt(d2));
        }
        if (f == kFolds) t_test += Now() - t2;
      }
    }
  cost->fit_seconds = t_fit;
  cost->score_ms = t_test * 1000 / n_test;
  cost->model_mib = F.cells() * (D + D * (D + 1) / 2) * 4.0 / (1 << 20);
  return S;
}

Scores ScoreOneSided(const Features& F, const Split& sp, int r, bool robust) {
  const int D = F.dim;
  Scores S(F.f.size(), std::vector<float>(F.cells()));
  std::vector<float> vals;
  std::vector<double> centre(D), spread(D);
  for (int y = 0; y < F.h; ++y)
    for (int x = 0; x < F.w; ++x) {
      const size_t cell = size_t(y) * F.w + x;
      const std::vector<size_t> nb = Neighbourhood(F, y, x, r);
      for (int f = 0; f <= kFolds; ++f) {
        for (int d = 0; d < D; ++d) {
          vals.clear();
          for (size_t k = 0; k < sp.train.size(); ++k) {
            if (f < kFolds && int(k % kFolds) == f) continue;
            for (size_t c : nb) vals.push_back(F.f[sp.train[k]][c * D + d]);
          }
          if (robust) {
            const float med = Percentile(vals, 0.5);
            for (float& v : vals) v = std::fabs(v - med);
            centre[d] = med, spread[d] = std::max(1.4826 * Percentile(vals, 0.5), 1e-6);
          } else {
            double m = 0, m2 = 0;
            for (float v : vals) m += v, m2 += double(v) * v;
            m /= vals.size();
            centre[d] = m, spread[d] = std::sqrt(std::max(m2 / vals.size() - m * m, 1e-12));
          }
        }
        for (size_t i = 0; i < F.f.size(); ++i) {
          if (sp.fold_of[i] != f) continue;
          double s2 = 0;
          for (int d = 0; d < D; ++d) {
            const double z = std::max((F.f[i][cell * D + d] - centre[d]) / spread[d], 0.0);
            s2 += z * z;
          }
          S[i][cell] = float(std::sqrt(s2));
        }
      }
    }
  return S;
}

Scores ScorePadimMinShift(const Features& F, const Split& sp, int r, double eps, int shift, double trim) {
  const int D = F.dim;
  const size_t P = size_t(D) * (D + 1) / 2;
  const size_t per = D + P;
  // models[f][cell]: mean, then packed lower Cholesky factor.
  std::vector<std::vector<float>> models(kFolds + 1, std::vector<float>(F.cells() * per));
  std::vector<double> s1(kFolds * D), s2(kFolds * size_t(D) * D), cov(size_t(D) * D), mu(D), L(size_t(D) * D);
  std::vector<double> n(kFolds);
  for (int y = 0; y < F.h; ++y)
    for (int x = 0; x < F.w; ++x) {
      const size_t cell = size_t(y) * F.w + x;
      const std::vector<size_t> nb = Neighbourhood(F, y, x, r);
      std::fill(s1.begin(), s1.end(), 0.0);
      std::fill(s2.begin(), s2.end(), 0.0);
      std::fill(n.begin(), n.end(), 0.0);
      for (size_t k = 0; k < sp.train.size(); ++k) {
        const int fk = int(k % kFolds);
        for (size_t c : nb) {
          const float* v = &F.f[sp.train[k]][c * D];
          for (int p = 0; p < D; ++p) {
            s1[fk * D + p] += v[p];
            for (int q = 0; q <= p; ++q) s2[size_t(fk) * D * D + size_t(p) * D + q] += double(v[p]) * v[q];
          }
          n[fk] += 1;
        }
      }
      for (int f = 0; f <= kFolds; ++f) {
       for (int pass = 0; pass < (trim > 0 ? 2 : 1); ++pass) {
        double nn = 0;
        std::fill(mu.begin(), mu.end(), 0.0);
        std::fill(cov.begin(), cov.end(), 0.0);
        if (pass == 0) {
          for (int g = 0; g < kFolds; ++g) {
            if (g == f) continue;
            nn += n[g];
            for (int p = 0; p < D; ++p) mu[p] += s1[g * D + p];
            for (size_t p = 0; p < size_t(D) * D; ++p) cov[p] += s2[size_t(g) * D * D + p];
          }
        } else {
          // Trimmed refit: the patches of the first fit's Mahalanobis
          // distances above their (1 - trim) quantile are left out.
          const float* m0 = &models[f][cell * per];
          std::vector<std::pair<double, const float*>> dist;
          for (size_t k = 0; k < sp.train.size(); ++k) {
            if (f < kFolds && int(k % kFolds) == f) continue;
            for (size_t c : nb) {
              const float* v = &F.f[sp.train[k]][c * D];
              double z[64], d2 = 0;
              size_t k2 = 0;
              for (int p = 0; p < D; ++p) {
                double sum = v[p] - m0[p];
                for (int q = 0; q < p; ++q) sum -= m0[D + k2 + q] * z[q];
                z[p] = sum / m0[D + k2 + p];
                k2 += p + 1;
                d2 += z[p] * z[p];
              }
              dist.push_back({d2, v});
            }
          }
          const size_t keep = std::max<size_t>(size_t((1 - trim) * dist.size()), D + 1);
          std::nth_element(dist.begin(), dist.begin() + keep - 1, dist.end(),
                           [](const auto& a, const auto& b) { return a.first < b.first; });
          for (size_t j = 0; j < keep; ++j) {
            const float* v = dist[j].second;
            for (int p = 0; p < D; ++p) {
              mu[p] += v[p];
              for (int q = 0; q <= p; ++q) cov[p * D + q] += double(v[p]) * v[q];
            }
          }
          nn = keep;
        }
        for (int p = 0; p < D; ++p) mu[p] /= nn;
        double tr = 0;
        for (int p = 0; p < D; ++p)
          for (int q = 0; q <= p; ++q) {
            cov[p * D + q] = cov[p * D + q] / nn - mu[p] * mu[q];
            if (p == q) tr += cov[p * D + p];
          }
        for (int p = 0; p < D; ++p) cov[p * D + p] += eps * tr / D;
        float* out = &models[f][cell * per];
        for (int p = 0; p < D; ++p) out[p] = float(mu[p]);
        size_t k2 = 0;
        for (int p = 0; p < D; ++p)
          for (int q = 0; q <= p; ++q) {
            double sum = cov[p * D + q];
            for (int k = 0; k < q; ++k) sum -= L[p * D + k] * L[q * D + k];
            L[p * D + q] = p == q ? std::sqrt(std::max(sum, 1e-12)) : sum / L[q * D + q];
            out[D + k2++] = float(L[p * D + q]);
          }
       }
      }
    }
  auto mahal = [&](const float* v, const float* m) {
    double z[64], d2 = 0;
    size_t k2 = 0;
    for (int p = 0; p < D; ++p) {
      double sum = v[p] - m[p];
      for (int k = 0; k < p; ++k) sum -= m[D + k2 + k] * z[k];
      z[p] = sum / m[D + k2 + p];
      k2 += p + 1;
      d2 += z[p] * z[p];
    }
    return std::sqrt(d2);
  };
  // Own-cell held-out distances of the train images: each cell's centre and spread.
  std::vector<double> mean(F.cells(), 0), sd(F.cells(), 0);
  for (size_t cell = 0; cell < F.cells(); ++cell) {
    double m = 0, m2 = 0;
    for (int i : sp.train) {
      const double d = mahal(&F.f[i][cell * D], &models[sp.fold_of[i]][cell * per]);
      m += d, m2 += d * d;
    }
    m /= sp.train.size();
    mean[cell] = m, sd[cell] = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
  }
  Scores S(F.f.size());
  for (size_t i = 0; i < F.f.size(); ++i) {
    if (sp.fold_of[i] < 0) continue;
    S[i].resize(F.cells());
    const std::vector<float>& mf = models[sp.fold_of[i]];
    for (int y = 0; y < F.h; ++y)
      for (int x = 0; x < F.w; ++x) {
        const size_t cell = size_t(y) * F.w + x;
        double best = 1e30;
        for (size_t c2 : Neighbourhood(F, y, x, shift))
          best = std::min(best, (mahal(&F.f[i][cell * D], &mf[c2 * per]) - mean[c2]) / sd[c2]);
        S[i][cell] = float(std::max(best, 0.0));
      }
  }
  return S;
}

Scores ScoreRefGauss(const Features& F, const std::vector<std::vector<int>>& refs, int r, double eps) {
  Scores S(F.f.size());
  const int D = F.dim;
  std::vector<double> mu(D), cov(D * D), L(D * D), z(D);
  for (size_t i = 0; i < F.f.size(); ++i) {
    if (refs[i].empty()) continue;
    S[i].assign(F.cells(), 0.0f);
    for (int y = 0; y < F.h; ++y)
      for (int x = 0; x < F.w; ++x) {
        const std::vector<size_t> nb = Neighbourhood(F, y, x, r);
        std::fill(mu.begin(), mu.end(), 0.0);
        std::fill(cov.begin(), cov.end(), 0.0);
        double n = 0;
        for (int ref : refs[i])
          for (size_t c : nb) {
            const float* v = &F.f[ref][c * D];
            for (int p = 0; p < D; ++p) {
              mu[p] += v[p];
              for (int q2 = 0; q2 <= p; ++q2) cov[p * D + q2] += double(v[p]) * v[q2];
            }
            n += 1;
          }
        for (int p = 0; p < D; ++p) mu[p] /= n;
        double tr = 0;
        for (int p = 0; p < D; ++p)
          for (int q2 = 0; q2 <= p; ++q2) {
            cov[p * D + q2] = cov[p * D + q2] / n - mu[p] * mu[q2];
            if (p == q2) tr += cov[p * D + p];
          }
        for (int p = 0; p < D; ++p) cov[p * D + p] += eps * tr / D + 1e-6;
        for (int p = 0; p < D; ++p)
          for (int q2 = 0; q2 <= p; ++q2) {
            double sum = cov[p * D + q2];
            for (int k = 0; k < q2; ++k) sum -= L[p * D + k] * L[q2 * D + k];
            L[p * D + q2] = p == q2 ? std::sqrt(std::max(sum, 1e-12)) : sum / L[q2 * D + q2];
          }
        const float* v = &F.f[i][(size_t(y) * F.w + x) * D];
        double d2 = 0;
        for (int p = 0; p < D; ++p) {
          double sum = v[p] - mu[p];
          for (int k = 0; k < p; ++k) sum -= L[p * D + k] * z[k];
          z[p] = sum / L[p * D + p];
          d2 += z[p] * z[p];
        }
        S[i][size_t(y) * F.w + x] = float(std::sqrt(d2));
      }
  }
  return S;
}

}  // namespace anomalens::pitting_study
