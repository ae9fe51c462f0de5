// Image scores from cell scores (image_scores.h).
#include "tools/research/pitting_study/image_scores.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/image/connected_components.h"
#include "core/scoring/anomaly_map.h"

namespace anomalens::pitting_study {

std::vector<double> MapMax(const Data& data, const Scores& S, int w, int h, float sigma) {
  std::vector<double> out(S.size(), 0.0);
  for (size_t i = 0; i < S.size(); ++i)
    if (!S[i].empty()) out[i] = BuildAnomalyMap(S[i], w, h, data.geometry, sigma).ContentMax();
  return out;
}

std::vector<double> RegionScore(const Data& data, const Split& sp, const Scores& S, int w, int h, int mode,
                                int max_area) {
  std::vector<float> all;
  for (int i : sp.train) {
    const std::vector<float> v = ContentCells(data, S[i], w);
    all.insert(all.end(), v.begin(), v.end());
  }
  const float tau = Percentile(all, 0.999);
  std::vector<double> out(S.size(), 0.0);
  std::vector<uint8_t> mask(size_t(w) * h);
  const int stride = data.geometry.padded.width / w;
  const int cw = (data.geometry.content.width + stride - 1) / stride;
  const int ch = (data.geometry.content.height + stride - 1) / stride;
  for (size_t i = 0; i < S.size(); ++i) {
    if (S[i].empty()) continue;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) mask[size_t(y) * w + x] = x < cw && y < ch && S[i][size_t(y) * w + x] > tau;
    const ComponentLabels L = LabelConnectedComponents(mask.data(), w, h);
    std::vector<double> mass(L.count + 1, 0), peak(L.count + 1, 0), area(L.count + 1, 0);
    for (size_t c = 0; c < L.labels.size(); ++c) {
      const int l = L.labels[c];
      if (!l) continue;
      mass[l] += S[i][c] - tau, peak[l] = std::max<double>(peak[l], S[i][c] - tau), area[l] += 1;
    }
    double best = 0;
    for (int l = 1; l <= L.count; ++l) {
      const double v = mode == 0 ? mass[l] : mode == 1 ? area[l] * peak[l] : (area[l] <= max_area ? peak[l] : 0);
      best = std::max(best, v);
    }
    out[i] = best;
  }
  return out;
}

std::vector<double> TrainZ(const std::vector<double>& v, const Split& sp) {
  double m = 0, m2 = 0;
  for (int i : sp.train) m += v[i], m2 += v[i] * v[i];
  m /= sp.train.size();
  const double sd = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = (v[i] - m) / sd;
  return out;
}

std::vector<double> MeanTrainZ(const std::vector<std::vector<double>>& parts, const Split& sp) {
  std::vector<double> out(parts[0].size(), 0.0);
  for (const auto& p : parts) {
    const std::vector<double> z = TrainZ(p, sp);
    for (size_t i = 0; i < out.size(); ++i) out[i] += z[i] / parts.size();
  }
  return out;
}

}  // namespace anomalens::pitting_study
