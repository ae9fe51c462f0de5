#include "core/scoring/position_model.h"

#include <algorithm>
#include <cmath>

namespace anomalens {
namespace {

constexpr int kMaxD = kMaxPositionFeatures;

// Row p of a packed lower triangle starts at p (p + 1) / 2.
constexpr size_t RowStart(int p) { return static_cast<size_t>(p) * (p + 1) / 2; }

// Packed lower-triangle entries for D features.
size_t Packed(int D) { return static_cast<size_t>(D) * (D + 1) / 2; }

// Mahalanobis distance of `x` (D features) to the Gaussian (mean, L), in
// double so every target gets the same bits.
double Mahalanobis(int D, const float* x, const float* mean, const float* chol) {
  double z[kMaxD];
  double d2 = 0;
  for (int p = 0; p < D; ++p) {
    const float* row = chol + RowStart(p);
    double sum = static_cast<double>(x[p]) - mean[p];
    for (int k = 0; k < p; ++k) sum -= static_cast<double>(row[k]) * z[k];
    z[p] = sum / row[p];
    d2 += z[p] * z[p];
  }
  return std::sqrt(d2);
}

// Per-fold sums of x and x x^T (lower triangle) over one cell's
// neighbourhood, and of d d^T for the changes d a compression round trip
// makes there.
struct CellSums {
  std::vector<double> s1, s2, n;  // folds x D, folds x Packed(D), folds
  std::vector<double> c2, cn;     // folds x Packed(D), folds
  // Over all folds (Total()).
  std::vector<double> t1, t2, tc2;
  double tn = 0, tcn = 0;
  CellSums(int folds, int D)
      : s1(folds * D, 0.0), s2(folds * Packed(D), 0.0), n(folds, 0.0), c2(folds * Packed(D), 0.0), cn(folds, 0.0) {}
  // Sums the folds, in fold order, into the totals.
  void Total(int folds, int D) {
    const size_t kPacked = Packed(D);
    t1.assign(D, 0.0), t2.assign(kPacked, 0.0), tc2.assign(kPacked, 0.0);
    tn = tcn = 0;
    for (int f = 0; f < folds; ++f) {
      tn += n[f];
      tcn += cn[f];
      for (int p = 0; p < D; ++p) t1[p] += s1[f * D + p];
      for (size_t k = 0; k < kPacked; ++k) t2[k] += s2[f * kPacked + k], tc2[k] += c2[f * kPacked + k];
    }
  }
};

// Fits (mean, L) from the sums of every fold but `skip` (-1: all) into `out`:
// the totals (CellSums::Total) less fold `skip`'s, so that leave-one-out
// folds cost one pass over the folds a cell, not one a fold.
void FitGaussian(int D, const CellSums& sums, int skip, float* out) {
  const size_t kPacked = Packed(D);
  double mean[kMaxD] = {0};
  std::vector<double> cov(sums.t2), floor(sums.tc2);
  double n = sums.tn, compressed = sums.tcn;
  for (int p = 0; p < D; ++p) mean[p] = sums.t1[p];
  if (skip >= 0) {
    n -= sums.n[skip];
    compressed -= sums.cn[skip];
    for (int p = 0; p < D; ++p) mean[p] -= sums.s1[skip * D + p];
    for (size_t k = 0; k < kPacked; ++k) cov[k] -= sums.s2[skip * kPacked + k], floor[k] -= sums.c2[skip * kPacked + k];
  }
  for (int p = 0; p < D; ++p) mean[p] /= n;
  double trace = 0;
  for (int p = 0; p < D; ++p) {
    for (int q = 0; q <= p; ++q) cov[RowStart(p) + q] = cov[RowStart(p) + q] / n - mean[p] * mean[q];
    trace += cov[RowStart(p) + p];
  }
  const double ridge = std::max(kPositionRidge * trace / D, 1e-12);
  // The compression floor: plus the mean d d^T of the round trips' changes
  // (a clean normal's features plus an independent change d have the
  // covariance plus E[d d^T]; uncentred, so a shift every round trip makes
  // in the same direction widens the Gaussian too).
  if (compressed > 0) {
    for (size_t k = 0; k < kPacked; ++k) cov[k] += kPositionCompressionWeight * floor[k] / compressed;
  }
  for (int p = 0; p < D; ++p) cov[RowStart(p) + p] += ridge;
  // Cholesky, L in double, then stored as float.
  std::vector<double> l(kPacked, 0.0);
  for (int p = 0; p < D; ++p) {
    for (int q = 0; q <= p; ++q) {
      double sum = cov[RowStart(p) + q];
      for (int k = 0; k < q; ++k) sum -= l[RowStart(p) + k] * l[RowStart(q) + k];
      l[RowStart(p) + q] = p == q ? std::sqrt(std::max(sum, ridge * 1e-6)) : sum / l[RowStart(q) + q];
    }
  }
  for (int p = 0; p < D; ++p) out[p] = static_cast<float>(mean[p]);
  for (size_t k = 0; k < kPacked; ++k) out[D + k] = static_cast<float>(l[k]);
}

float Standardize(int D, double d, const float* cell) {
  const size_t kPacked = Packed(D);
  const double z = (d - cell[D + kPacked]) / cell[D + kPacked + 1];
  return static_cast<float>(std::max(z, 0.0));
}

// The smallest standardized distance of `x`, the features at cell (cx, cy),
// to the Gaussians of the cells within +-shift: Gaussian k at
// gaussians[k * gaussian_stride] (mean, L), its normalizers in `params`.
float MinStandardized(int D, const float* x, int cx, int cy, int width, int height, int shift,
                      const float* gaussians, size_t gaussian_stride, const float* params, size_t per_cell) {
  float best = 0;
  bool first = true;
  for (int y = std::max(0, cy - shift); y <= std::min(height - 1, cy + shift); ++y) {
    for (int x2 = std::max(0, cx - shift); x2 <= std::min(width - 1, cx + shift); ++x2) {
      const size_t k = static_cast<size_t>(y) * width + x2;
      const float* g = gaussians + k * gaussian_stride;
      const float z = Standardize(D, Mahalanobis(D, x, g, g + D), params + k * per_cell);
      if (first || z < best) best = z;
      first = false;
    }
  }
  return best;
}

}  // namespace

std::vector<float> PositionScores(const PositionModel& model, const PatchGrid& grid) {
  const int D = model.features;
  const size_t per_cell = model.floats_per_cell();
  std::vector<float> scores(grid.cells());
  if (model.shift > 0) {
    for (int y = 0; y < model.grid_height; ++y)
      for (int x = 0; x < model.grid_width; ++x) {
        const size_t c = static_cast<size_t>(y) * model.grid_width + x;
        scores[c] = MinStandardized(D, grid.cell(c), x, y, model.grid_width, model.grid_height, model.shift,
                                    model.params.data(), per_cell, model.params.data(), per_cell);
      }
    return scores;
  }
  for (size_t c = 0; c < grid.cells(); ++c) {
    const float* cell = &model.params[c * per_cell];
    scores[c] = Standardize(D, Mahalanobis(D, grid.cell(c), cell, cell + D), cell);
  }
  return scores;
}

PositionFit FitPositionModel(const std::vector<const PatchGrid*>& normals,
                             const std::vector<const PatchGrid*>& anomalies, int folds, int features,
                             int stride, int shift, const std::vector<int>& anomaly_folds,
                             const std::vector<std::pair<size_t, size_t>>& compression_pairs) {
  PositionFit fit;
  PositionModel& m = fit.model;
  m.grid_width = normals[0]->width;
  m.grid_height = normals[0]->height;
  m.stride = stride;
  m.shift = std::max(shift, 0);
  m.features = std::clamp(std::min(features, normals[0]->dim), 1, kMaxD);
  const int D = m.features;
  const size_t kPacked = Packed(D);
  const size_t per_cell = m.floats_per_cell();
  m.params.assign(m.cells() * per_cell, 0.0f);
  const bool held_out = folds >= 2;
  const int groups = held_out ? folds : 1;
  std::vector<std::vector<float>> normal_d(normals.size(), std::vector<float>(m.cells()));
  std::vector<std::vector<float>> anomaly_d(anomalies.size(), std::vector<float>(m.cells()));
  std::vector<float> fold_gaussian(D + kPacked);
  // With a shift, held-out scores need the neighbours' fold Gaussians too: all are kept.
  const size_t gaussian_floats = D + kPacked;
  std::vector<std::vector<float>> fold_gaussians;
  if (m.shift > 0 && held_out) fold_gaussians.assign(folds, std::vector<float>(m.cells() * gaussian_floats));
  const int r = kPositionNeighbourhood;
  std::vector<std::pair<size_t, size_t>> pairs;
  for (const auto& [ni, ai] : compression_pairs)
    if (ni < normals.size() && ai < anomalies.size() && anomalies[ai]->width == m.grid_width &&
        anomalies[ai]->height == m.grid_height && anomalies[ai]->dim >= D)
      pairs.push_back({ni, ai});
  for (int y = 0; y < m.grid_height; ++y) {
    for (int x = 0; x < m.grid_width; ++x) {
      const size_t c = static_cast<size_t>(y) * m.grid_width + x;
      CellSums sums(groups, D);
      for (size_t i = 0; i < normals.size(); ++i) {
        const int g = static_cast<int>(i % groups);
        double* s1 = &sums.s1[g * D];
        double* s2 = &sums.s2[g * kPacked];
        for (int yy = std::max(0, y - r); yy <= std::min(m.grid_height - 1, y + r); ++yy) {
          for (int xx = std::max(0, x - r); xx <= std::min(m.grid_width - 1, x + r); ++xx) {
            const float* v = normals[i]->cell(static_cast<size_t>(yy) * m.grid_width + xx);
            for (int p = 0; p < D; ++p) {
              const double vp = v[p];
              s1[p] += vp;
              double* row = s2 + RowStart(p);
              for (int q = 0; q <= p; ++q) row[q] += vp * v[q];
            }
            sums.n[g] += 1;
          }
        }
      }
      // A compression pair's changes count in its clean image's fold, so a
      // held-out image's Gaussians never saw its own round trip.
      for (const auto& [ni, ai] : pairs) {
        const int g = static_cast<int>(ni % groups);
        double* c2 = &sums.c2[g * kPacked];
        for (int yy = std::max(0, y - r); yy <= std::min(m.grid_height - 1, y + r); ++yy) {
          for (int xx = std::max(0, x - r); xx <= std::min(m.grid_width - 1, x + r); ++xx) {
            const size_t cc = static_cast<size_t>(yy) * m.grid_width + xx;
            const float* clean = normals[ni]->cell(cc);
            const float* round_trip = anomalies[ai]->cell(cc);
            double d[kMaxD];
            for (int p = 0; p < D; ++p) d[p] = static_cast<double>(round_trip[p]) - clean[p];
            for (int p = 0; p < D; ++p) {
              double* row = c2 + RowStart(p);
              for (int q = 0; q <= p; ++q) row[q] += d[p] * d[q];
            }
            sums.cn[g] += 1;
          }
        }
      }
      float* cell = &m.params[c * per_cell];
      sums.Total(groups, D);
      FitGaussian(D, sums, -1, cell);
      if (!held_out) {
        for (size_t i = 0; i < normals.size(); ++i)
          normal_d[i][c] = Mahalanobis(D, normals[i]->cell(c), cell, cell + D);
        for (size_t i = 0; i < anomalies.size(); ++i)
          anomaly_d[i][c] = Mahalanobis(D, anomalies[i]->cell(c), cell, cell + D);
        continue;
      }
      for (int f = 0; f < folds; ++f) {
        FitGaussian(D, sums, f, fold_gaussian.data());
        const float* g = fold_gaussian.data();
        if (!fold_gaussians.empty()) std::copy(g, g + gaussian_floats, &fold_gaussians[f][c * gaussian_floats]);
        for (size_t i = f; i < normals.size(); i += folds)
          normal_d[i][c] = Mahalanobis(D, normals[i]->cell(c), g, g + D);
        for (size_t i = 0; i < anomalies.size(); ++i)
          if (FoldOf(i, folds, anomaly_folds) == f) anomaly_d[i][c] = Mahalanobis(D, anomalies[i]->cell(c), g, g + D);
      }
    }
  }
  // Per-cell normalizers from the (held-out) normal distances.
  std::vector<double> sums(m.cells(), 0.0), sums_sq(m.cells(), 0.0);
  for (size_t c = 0; c < m.cells(); ++c) {
    double sum = 0, sum_sq = 0;
    for (const auto& d : normal_d) sum += d[c], sum_sq += static_cast<double>(d[c]) * d[c];
    sums[c] = sum, sums_sq[c] = sum_sq;
    const double mean = sum / normals.size();
    const double sd = std::sqrt(std::max(sum_sq / normals.size() - mean * mean, 0.0));
    float* cell = &m.params[c * per_cell];
    cell[D + kPacked] = static_cast<float>(mean);
    cell[D + kPacked + 1] = static_cast<float>(std::max(sd, 1e-6 * std::max(mean, 1.0)));
  }
  auto standardize = [&m, D, per_cell](std::vector<std::vector<float>>& all) {
    for (auto& d : all)
      for (size_t c = 0; c < m.cells(); ++c) d[c] = Standardize(D, d[c], &m.params[c * per_cell]);
  };
  // A normal image's held-out distances are standardized by normalizers from
  // the other normal images' (the sums less its own), as a new image's are
  // by normalizers that never saw it. Standardized by normalizers that
  // include it, its cells could never stand far out (in-sample z is bounded
  // by (n - 1) / sqrt(n)), and an image score, the largest of thousands of
  // cells, lives in that tail: on the long-strip scene (12544 cells, 32
  // images) the held-out normals' median image score was 3.03 while fresh
  // normals of the scene scored 3.25 to 3.75 (docs/model.md, "Threshold").
  auto standardize_leaving_out = [&](std::vector<std::vector<float>>& all) {
    const double others = static_cast<double>(all.size()) - 1;
    for (auto& d : all)
      for (size_t c = 0; c < m.cells(); ++c) {
        const double own = d[c];
        const double mean = (sums[c] - own) / others;
        const double sd = std::sqrt(std::max((sums_sq[c] - own * own) / others - mean * mean, 0.0));
        float cell[2] = {static_cast<float>(mean), static_cast<float>(std::max(sd, 1e-6 * std::max(mean, 1.0)))};
        d[c] = static_cast<float>(std::max((own - cell[0]) / cell[1], 0.0));
      }
  };
  if (m.shift == 0) {
    if (held_out && normals.size() > 2) {
      standardize_leaving_out(normal_d);
    } else {
      standardize(normal_d);
    }
    standardize(anomaly_d);
  } else {
    // Image i's held-out scores: against fold i % folds's Gaussians (all
    // training images' without held-out folds), own and shifted cells.
    auto shifted = [&](const std::vector<const PatchGrid*>& grids, const std::vector<int>& grid_folds,
                       std::vector<std::vector<float>>& out) {
      for (size_t i = 0; i < grids.size(); ++i) {
        const float* gaussians = held_out ? fold_gaussians[FoldOf(i, folds, grid_folds)].data() : m.params.data();
        const size_t stride_floats = held_out ? gaussian_floats : per_cell;
        for (int y = 0; y < m.grid_height; ++y)
          for (int x = 0; x < m.grid_width; ++x) {
            const size_t c = static_cast<size_t>(y) * m.grid_width + x;
            out[i][c] = MinStandardized(D, grids[i]->cell(c), x, y, m.grid_width, m.grid_height, m.shift, gaussians,
                                        stride_floats, m.params.data(), per_cell);
          }
      }
    };
    shifted(normals, {}, normal_d);
    shifted(anomalies, anomaly_folds, anomaly_d);
  }
  fit.normal_scores = std::move(normal_d);
  fit.anomaly_scores = std::move(anomaly_d);
  return fit;
}

double PositionAlignment(const std::vector<const PatchGrid*>& normals) {
  constexpr int D = kStride8Features;
  const size_t cells = normals[0]->cells();
  double within = 0;
  std::vector<double> total_s1(D, 0.0), total_s2(D, 0.0);
  for (size_t c = 0; c < cells; ++c) {
    double s1[D] = {0}, s2[D] = {0};
    for (const PatchGrid* g : normals) {
      const float* v = g->cell(c);
      for (int p = 0; p < D; ++p) s1[p] += v[p], s2[p] += static_cast<double>(v[p]) * v[p];
    }
    const double n = static_cast<double>(normals.size());
    for (int p = 0; p < D; ++p) {
      within += std::max(s2[p] / n - (s1[p] / n) * (s1[p] / n), 0.0);
      total_s1[p] += s1[p];
      total_s2[p] += s2[p];
    }
  }
  const double n = static_cast<double>(normals.size()) * cells;
  double total = 0;
  for (int p = 0; p < D; ++p) total += std::max(total_s2[p] / n - (total_s1[p] / n) * (total_s1[p] / n), 0.0);
  return total > 0 ? within / cells / total : 1.0;
}

}  // namespace anomalens
