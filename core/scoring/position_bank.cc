#include "core/scoring/position_bank.h"

#include <algorithm>
#include <cmath>

#include "core/base/half_float.h"
#include "core/scoring/coreset.h"
#include "core/scoring/position_model.h"

namespace anomalens {
namespace {

// Squared distance of x to the nearest of `count` vectors of `dim` floats.
float NearestSquared(const float* x, const float* vectors, int count, int dim) {
  float best = INFINITY;
  for (int k = 0; k < count; ++k) {
    const float* v = vectors + static_cast<size_t>(k) * dim;
    float d = 0;
    for (int p = 0; p < dim; ++p) {
      const float e = x[p] - v[p];
      d += e * e;
    }
    best = std::min(best, d);
  }
  return best;
}

// Picks up to `entries` of `rows` (count x dim) into `out` (entries x dim):
// the greedy k-centre coreset starting from the row nearest their mean;
// short sets repeat their first pick, so every cell holds `entries` vectors.
// Each value is rounded to a half, as the model file stores it, so held-out
// distances are those detection will see.
void PickEntries(const std::vector<float>& rows, size_t count, int dim, int entries, float* out) {
  std::vector<double> mean(dim, 0.0);
  for (size_t k = 0; k < count; ++k)
    for (int p = 0; p < dim; ++p) mean[p] += rows[k * dim + p];
  for (double& m : mean) m /= static_cast<double>(count);
  size_t first = 0;
  double best = INFINITY;
  for (size_t k = 0; k < count; ++k) {
    double d = 0;
    for (int p = 0; p < dim; ++p) d += (rows[k * dim + p] - mean[p]) * (rows[k * dim + p] - mean[p]);
    if (d < best) best = d, first = k;
  }
  const std::vector<size_t> picked = GreedyCoreset(rows.data(), count, dim, static_cast<size_t>(entries), first);
  for (int e = 0; e < entries; ++e) {
    const size_t row = picked[e < static_cast<int>(picked.size()) ? e : 0];
    for (int p = 0; p < dim; ++p) out[static_cast<size_t>(e) * dim + p] = RoundToHalf(rows[row * dim + p]);
  }
}

}  // namespace

std::vector<float> PositionBankScores(const PositionBank& bank, const PatchGrid& grid) {
  std::vector<float> scores(bank.cells());
  const int D = bank.features;
  for (size_t c = 0; c < bank.cells(); ++c) {
    const float d = std::sqrt(NearestSquared(grid.cell(c), &bank.vectors[c * bank.entries * D], bank.entries, D));
    scores[c] = std::max(0.0f, (d - bank.distance_mean[c]) / bank.distance_sd[c]);
  }
  return scores;
}

PositionBankFit FitPositionBank(const std::vector<const PatchGrid*>& normals,
                                const std::vector<const PatchGrid*>& anomalies, int folds, int entries,
                                const std::vector<int>& anomaly_folds) {
  PositionBankFit fit;
  PositionBank& b = fit.bank;
  b.grid_width = normals[0]->width;
  b.grid_height = normals[0]->height;
  b.features = std::min(normals[0]->dim, kMaxPositionBankFeatures);
  b.entries = std::max(1, std::min<int>(entries, static_cast<int>(normals.size())));
  const int D = b.features;
  const size_t cells = b.cells();
  b.vectors.assign(cells * b.entries * D, 0.0f);
  b.distance_mean.assign(cells, 0.0f);
  b.distance_sd.assign(cells, 1.0f);
  const bool held_out = folds >= 2 && static_cast<int>(normals.size()) >= folds;
  std::vector<std::vector<float>> normal_d(normals.size(), std::vector<float>(cells));
  std::vector<std::vector<float>> anomaly_d(anomalies.size(), std::vector<float>(cells));
  std::vector<float> rows, fold_entries(static_cast<size_t>(b.entries) * D);
  for (size_t c = 0; c < cells; ++c) {
    rows.clear();
    for (const PatchGrid* g : normals) rows.insert(rows.end(), g->cell(c), g->cell(c) + D);
    PickEntries(rows, normals.size(), D, b.entries, &b.vectors[c * b.entries * D]);
    if (held_out) {
      for (int f = 0; f < folds; ++f) {
        rows.clear();
        size_t count = 0;
        for (size_t i = 0; i < normals.size(); ++i)
          if (static_cast<int>(i % folds) != f) rows.insert(rows.end(), normals[i]->cell(c), normals[i]->cell(c) + D), ++count;
        const int n = std::min<int>(b.entries, static_cast<int>(count));
        PickEntries(rows, count, D, n, fold_entries.data());
        for (size_t i = f; i < normals.size(); i += folds)
          normal_d[i][c] = std::sqrt(NearestSquared(normals[i]->cell(c), fold_entries.data(), n, D));
        for (size_t i = 0; i < anomalies.size(); ++i)
          if (FoldOf(i, folds, anomaly_folds) == f)
            anomaly_d[i][c] = std::sqrt(NearestSquared(anomalies[i]->cell(c), fold_entries.data(), n, D));
      }
    } else {
      // Too few images for folds: each normal image against the others' vectors.
      for (size_t i = 0; i < normals.size(); ++i) {
        float best = INFINITY;
        for (size_t j = 0; j < normals.size(); ++j)
          if (j != i) best = std::min(best, NearestSquared(normals[i]->cell(c), normals[j]->cell(c), 1, D));
        normal_d[i][c] = normals.size() > 1 ? std::sqrt(best) : 0.0f;
      }
      for (size_t i = 0; i < anomalies.size(); ++i)
        anomaly_d[i][c] = std::sqrt(NearestSquared(anomalies[i]->cell(c), &b.vectors[c * b.entries * D], b.entries, D));
    }
    double sum = 0, sum_sq = 0;
    for (const auto& d : normal_d) sum += d[c], sum_sq += static_cast<double>(d[c]) * d[c];
    const double mean = sum / normals.size();
    const double sd = std::sqrt(std::max(sum_sq / normals.size() - mean * mean, 0.0));
    b.distance_mean[c] = static_cast<float>(mean);
    b.distance_sd[c] = static_cast<float>(std::max(sd, 1e-6 * std::max(mean, 1.0)));
  }
  for (auto* all : {&normal_d, &anomaly_d})
    for (auto& d : *all)
      for (size_t c = 0; c < cells; ++c) d[c] = std::max(0.0f, (d[c] - b.distance_mean[c]) / b.distance_sd[c]);
  fit.normal_scores = std::move(normal_d);
  fit.anomaly_scores = std::move(anomaly_d);
  return fit;
}

}  // namespace anomalens
