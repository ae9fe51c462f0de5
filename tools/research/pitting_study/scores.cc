// Cell score transforms (scores.h).
#include "tools/research/pitting_study/scores.h"

#include <algorithm>
#include <cmath>

namespace anomalens::pitting_study {

float Percentile(std::vector<float> v, double q) {
  const size_t k = std::min(v.size() - 1, size_t(q * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

Scores Normalize(const Scores& S, const Split& sp) {
  std::vector<float> all;
  for (int i : sp.train) all.insert(all.end(), S[i].begin(), S[i].end());
  const float p = Percentile(all, 0.99);
  Scores out = S;
  for (auto& v : out)
    for (float& x : v) x /= p;
  return out;
}

Scores CellStandardize(Scores S, const Split& sp, int mode) {
  const size_t cells = S[sp.train[0]].size();
  std::vector<float> v(sp.train.size());
  for (size_t cell = 0; cell < cells; ++cell) {
    double m = 0, m2 = 0, mx = 0;
    for (size_t j = 0; j < sp.train.size(); ++j) {
      const double x = S[sp.train[j]][cell];
      v[j] = static_cast<float>(x);
      m += x, m2 += x * x, mx = std::max(mx, x);
    }
    m /= sp.train.size();
    double center = m, spread = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
    if (mode == 1) {
      center = Percentile(v, 0.5);
      for (float& x : v) x = std::fabs(x - static_cast<float>(center));
      spread = std::max(1.4826 * Percentile(v, 0.5), 1e-6);
    } else if (mode == 2) {
      spread = std::max(mx - m, 1e-6);
    }
    for (auto& img : S) {
      if (img.empty()) continue;
      const double z = (img[cell] - center) / spread;
      img[cell] = static_cast<float>(mode == 3 ? z : std::max(z, 0.0));
    }
  }
  return S;
}

Scores Upsample2(const Scores& S, int w8, int h8, int w4, int h4) {
  Scores out(S.size());
  for (size_t i = 0; i < S.size(); ++i) {
    if (S[i].empty()) continue;
    out[i].resize(size_t(w4) * h4);
    for (int y = 0; y < h4; ++y)
      for (int x = 0; x < w4; ++x) out[i][size_t(y) * w4 + x] = S[i][size_t(std::min(y / 2, h8 - 1)) * w8 + std::min(x / 2, w8 - 1)];
  }
  return out;
}

std::vector<float> ContentCells(const Data& data, const std::vector<float>& s, int w) {
  const int stride = data.geometry.padded.width / w;
  const int cw = (data.geometry.content.width + stride - 1) / stride;
  const int ch = (data.geometry.content.height + stride - 1) / stride;
  std::vector<float> v;
  for (int y = 0; y < ch; ++y)
    for (int x = 0; x < cw; ++x) v.push_back(s[size_t(y) * w + x]);
  return v;
}

}  // namespace anomalens::pitting_study
