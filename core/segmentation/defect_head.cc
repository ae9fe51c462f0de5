#include "core/segmentation/defect_head.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/base/portable_math.h"

namespace anomalens {
namespace {

constexpr int kSteps = 300;
constexpr double kL2 = 1e-3;

double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + PortableExp(-z));
  const double e = PortableExp(z);  // once: most cells are intact, so z < 0 is the common case
  return e / (1.0 + e);
}

// Sigmoid of four values: the same doubles, their exponentials side by side.
void Sigmoid4(const double z[4], double out[4]) {
  double a[4], e[4];
  for (int j = 0; j < 4; ++j) a[j] = z[j] >= 0 ? -z[j] : z[j];
  PortableExp4(a, e);
  for (int j = 0; j < 4; ++j) out[j] = z[j] >= 0 ? 1.0 / (1.0 + e[j]) : e[j] / (1.0 + e[j]);
}

}  // namespace

DefectHead FitDefectHead(const std::vector<float>& rows, const std::vector<uint8_t>& labels, int dim) {
  DefectHead head;
  const size_t n = labels.size();
  if (dim < 1 || rows.size() != n * dim) return head;
  const size_t positives = static_cast<size_t>(std::count(labels.begin(), labels.end(), 1));
  if (positives == 0 || positives == n) return head;
  head.mean.assign(dim, 0.0);
  head.scale.assign(dim, 1.0);
  for (size_t i = 0; i < n; ++i)
    for (int d = 0; d < dim; ++d) head.mean[d] += rows[i * dim + d];
  for (int d = 0; d < dim; ++d) head.mean[d] /= n;
  std::vector<double> variance(dim, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (int d = 0; d < dim; ++d) {
      const double v = rows[i * dim + d] - head.mean[d];
      variance[d] += v * v;
    }
  for (int d = 0; d < dim; ++d) head.scale[d] = variance[d] > 0 ? 1.0 / std::sqrt(variance[d] / n) : 0.0;
  std::vector<double> x(n * dim);
  for (size_t i = 0; i < n; ++i)
    for (int d = 0; d < dim; ++d) x[i * dim + d] = (rows[i * dim + d] - head.mean[d]) * head.scale[d];
  // Each class weighs half: a few defect cells against many intact ones.
  const double w_pos = 0.5 / positives, w_neg = 0.5 / (n - positives);
  // Step 1 / L, L bounding the loss's curvature: a quarter of the largest
  // eigenvalue of the weighted inputs' second moments (at most their trace,
  // dim + 1 with the bias, for standardized inputs) plus the L2 term.
  const double step = 1.0 / (0.25 * (dim + 1) + kL2);
  std::vector<double> w(dim + 1, 0.0), previous = w, look(dim + 1), grad(dim + 1);
  for (int t = 1; t <= kSteps; ++t) {
    const double momentum = (t - 1.0) / (t + 2.0);
    for (int d = 0; d <= dim; ++d) look[d] = w[d] + momentum * (w[d] - previous[d]);
    std::fill(grad.begin(), grad.end(), 0.0);
    for (size_t i = 0; i < n; ++i) {
      const double* xi = &x[i * dim];
      double z = look[dim];
      for (int d = 0; d < dim; ++d) z += look[d] * xi[d];
      const double r = (labels[i] ? w_pos : w_neg) * (Sigmoid(z) - labels[i]);
      for (int d = 0; d < dim; ++d) grad[d] += r * xi[d];
      grad[dim] += r;
    }
    previous = w;
    for (int d = 0; d < dim; ++d) w[d] = look[d] - step * (grad[d] + kL2 * look[d]);
    w[dim] = look[dim] - step * grad[dim];
  }
  head.weights.assign(w.begin(), w.begin() + dim);
  head.bias = w[dim];
  return head;
}

std::vector<float> DefectProbabilities(const DefectHead& head, const std::vector<float>& rows) {
  const int dim = head.dim();
  if (dim < 1) return {};
  const size_t n = rows.size() / dim;
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    double z = head.bias;
    for (int d = 0; d < dim; ++d) z += head.weights[d] * (rows[i * dim + d] - head.mean[d]) * head.scale[d];
    out[i] = static_cast<float>(Sigmoid(z));
  }
  return out;
}

std::vector<float> DefectHeadInputs(const PatchGrid& grid, const PatchGrid* fine, const std::vector<float>& normal,
                                    const std::vector<float>& anomaly, const std::vector<float>& clean) {
  const size_t cells = grid.cells();
  std::vector<float> rows;
  if (grid.dim != kPatchFeatureDim || normal.size() != cells || (!anomaly.empty() && anomaly.size() != cells) ||
      (!clean.empty() && clean.size() != cells))
    return rows;
  const auto append_cell = [&](size_t c) {
    rows.insert(rows.end(), grid.cell(c), grid.cell(c) + grid.dim);
    rows.push_back(normal[c]);
    rows.push_back(anomaly.empty() ? 0.0f : anomaly[c]);
    rows.push_back(clean.empty() ? normal[c] : clean[c]);
  };
  if (fine == nullptr) {
    rows.reserve(cells * kDefectHeadInputs);
    for (size_t c = 0; c < cells; ++c) append_cell(c);
    return rows;
  }
  if (fine->dim != kStride4Features || fine->width != 2 * grid.width || fine->height != 2 * grid.height) return rows;
  rows.reserve(fine->cells() * kFineDefectHeadInputs);
  for (int y = 0; y < fine->height; ++y)
    for (int x = 0; x < fine->width; ++x) {
      const float* f = fine->cell(static_cast<size_t>(y) * fine->width + x);
      rows.insert(rows.end(), f, f + fine->dim);
      append_cell(static_cast<size_t>(y / 2) * grid.width + x / 2);
    }
  return rows;
}

std::vector<float> CellDefectProbabilities(const DefectHead& head, const PatchGrid& grid, const PatchGrid* fine,
                                           const std::vector<float>& normal, const std::vector<float>& anomaly,
                                           const std::vector<float>& clean, const ParallelFor& parallel) {
  const size_t cells = grid.cells();
  if (grid.dim != kPatchFeatureDim || normal.size() != cells || (!anomaly.empty() && anomaly.size() != cells) ||
      (!clean.empty() && clean.size() != cells))
    return {};
  if (head.dim() != (fine == nullptr ? kDefectHeadInputs : kFineDefectHeadInputs)) return {};
  if (fine != nullptr &&
      (fine->dim != kStride4Features || fine->width != 2 * grid.width || fine->height != 2 * grid.height))
    return {};
  // The head's terms for a stride-8 cell's inputs (after a fine cell's own).
  constexpr int kCoarse = kDefectHeadInputs;
  const int offset = fine == nullptr ? 0 : kStride4Features;
  const auto term = [&](int d, float x) { return head.weights[d] * (x - head.mean[d]) * head.scale[d]; };
  // Every entry is written below: left uninitialised, not zeroed first (1.8
  // MB at the cookies' 288 px, ~1.4% of a server's DetectAnomalies).
  const std::unique_ptr<double[]> coarse(new double[cells * kCoarse]);
  parallel(cells, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; ++c) {
      double* t = &coarse[c * kCoarse];
      const float* f = grid.cell(c);
      for (int d = 0; d < kPatchFeatureDim; ++d) t[d] = term(offset + d, f[d]);
      t[kPatchFeatureDim] = term(offset + kPatchFeatureDim, normal[c]);
      t[kPatchFeatureDim + 1] = term(offset + kPatchFeatureDim + 1, anomaly.empty() ? 0.0f : anomaly[c]);
      t[kPatchFeatureDim + 2] = term(offset + kPatchFeatureDim + 2, clean.empty() ? normal[c] : clean[c]);
    }
  });
  if (fine == nullptr) {
    std::vector<float> out(cells);
    parallel(cells, [&](size_t c0, size_t c1) {
      for (size_t c = c0; c < c1; ++c) {
        double z = head.bias;
        for (int d = 0; d < kCoarse; ++d) z += coarse[c * kCoarse + d];
        out[c] = static_cast<float>(Sigmoid(z));
      }
    });
    return out;
  }
  // A row of stride-4 cells at a time; four cells' sums side by side, each
  // still in input order (independent chains the processor overlaps).
  constexpr int kLanes = 4;
  const int width = fine->width;
  std::vector<float> out(fine->cells());
  parallel(static_cast<size_t>(fine->height), [&](size_t y0, size_t y1) {
    std::vector<double> own(static_cast<size_t>(width) * kStride4Features);
    for (size_t y = y0; y < y1; ++y) {
      for (int x = 0; x < width; ++x) {
        const float* f = fine->cell(y * width + x);
        double* t = &own[static_cast<size_t>(x) * kStride4Features];
        for (int d = 0; d < kStride4Features; ++d) t[d] = term(d, f[d]);
      }
      const double* coarse_row = &coarse[(y / 2) * grid.width * kCoarse];
      for (int x0 = 0; x0 < width; x0 += kLanes) {
        const int lanes = std::min(kLanes, width - x0);
        double z[kLanes];
        const double* t[kLanes];
        const double* ct[kLanes];
        for (int j = 0; j < kLanes; ++j) {
          const int x = x0 + std::min(j, lanes - 1);  // a short last group repeats its last cell
          z[j] = head.bias;
          t[j] = &own[static_cast<size_t>(x) * kStride4Features];
          ct[j] = &coarse_row[(x / 2) * kCoarse];
        }
        for (int d = 0; d < kStride4Features; ++d)
          for (int j = 0; j < kLanes; ++j) z[j] += t[j][d];
        for (int d = 0; d < kCoarse; ++d)
          for (int j = 0; j < kLanes; ++j) z[j] += ct[j][d];
        double p[kLanes];
        static_assert(kLanes == 4, "Sigmoid4 takes four cells");
        Sigmoid4(z, p);
        for (int j = 0; j < lanes; ++j) out[y * width + x0 + j] = static_cast<float>(p[j]);
      }
    }
  });
  return out;
}

void GateByDefectHead(const DefectHead& head, const std::vector<float>& inputs, int grid_width, int grid_height,
                      float smoothing_sigma, AnomalyMap* map) {
  if (!head.enabled() || inputs.size() != static_cast<size_t>(grid_width) * grid_height * head.dim()) return;
  GateByDefectProbabilities(DefectProbabilities(head, inputs), grid_width, grid_height, smoothing_sigma, map);
}

void GateByDefectProbabilities(const std::vector<float>& probabilities, int grid_width, int grid_height,
                               float smoothing_sigma, AnomalyMap* map, const ParallelFor& parallel) {
  if (probabilities.empty() || probabilities.size() != static_cast<size_t>(grid_width) * grid_height) return;
  const AnomalyMap gate =
      BuildAnomalyMap(probabilities, grid_width, grid_height, map->geometry, smoothing_sigma, parallel);
  const size_t width = static_cast<size_t>(map->geometry.padded.width);
  parallel(static_cast<size_t>(map->geometry.padded.height), [&](size_t y0, size_t y1) {  // rows are independent
    for (size_t k = y0 * width; k < y1 * width; ++k) map->values[k] *= gate.values[k];
  });
}

}  // namespace anomalens
