#include "native/engine/principal_axes.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace anomalens {
namespace {

// Eigen-decomposition of the symmetric n x n matrix `a` (row-major; left
// diagonal) by cyclic Jacobi: each rotation zeroes one off-diagonal pair, and
// sweeps over all pairs converge quadratically. n^3 a sweep, fine for 128.
// Returns V with the eigenvectors as columns; the eigenvalues stay on a's
// diagonal.
std::vector<double> JacobiEigenvectors(std::vector<double>& a, int n) {
  std::vector<double> v(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i) * n + i] = 1.0;
  const auto at = [n](std::vector<double>& m, int r, int c) -> double& { return m[static_cast<size_t>(r) * n + c]; };
  double total = 0;
  for (double x : a) total += x * x;
  for (int sweep = 0; sweep < 60; ++sweep) {
    double off = 0;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) off += at(a, p, q) * at(a, p, q);
    if (off <= 1e-24 * total) break;
    for (int p = 0; p < n; ++p) {
      for (int q = p + 1; q < n; ++q) {
        const double apq = at(a, p, q);
        if (apq == 0.0) continue;
        // The rotation angle that zeroes a[p][q] (the smaller root: stable).
        const double theta = (at(a, q, q) - at(a, p, p)) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; ++k) {  // columns p, q
          const double kp = at(a, k, p), kq = at(a, k, q);
          at(a, k, p) = c * kp - s * kq;
          at(a, k, q) = s * kp + c * kq;
        }
        for (int k = 0; k < n; ++k) {  // rows p, q
          const double pk = at(a, p, k), qk = at(a, q, k);
          at(a, p, k) = c * pk - s * qk;
          at(a, q, k) = s * pk + c * qk;
        }
        for (int k = 0; k < n; ++k) {
          const double kp = at(v, k, p), kq = at(v, k, q);
          at(v, k, p) = c * kp - s * kq;
          at(v, k, q) = s * kp + c * kq;
        }
      }
    }
  }
  return v;
}

}  // namespace

PrincipalAxes ComputePrincipalAxes(const float* rows, size_t count, int dim) {
  const size_t n = static_cast<size_t>(dim);
  PrincipalAxes result;
  result.mean.assign(n, 0.0);
  for (size_t r = 0; r < count; ++r)
    for (size_t d = 0; d < n; ++d) result.mean[d] += rows[r * n + d];
  for (double& m : result.mean) m /= count > 0 ? static_cast<double>(count) : 1.0;
  // Covariance (unnormalised: scaling changes no axis), upper triangle then mirrored.
  std::vector<double> cov(n * n, 0.0), centred(n);
  for (size_t r = 0; r < count; ++r) {
    for (size_t d = 0; d < n; ++d) centred[d] = rows[r * n + d] - result.mean[d];
    for (size_t i = 0; i < n; ++i) {
      const double ci = centred[i];
      double* out = &cov[i * n];
      for (size_t j = i; j < n; ++j) out[j] += ci * centred[j];
    }
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) cov[i * n + j] = cov[j * n + i];
  const std::vector<double> v = JacobiEigenvectors(cov, dim);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  // Stable: ties keep their index order, so the basis is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cov[a * n + a] > cov[b * n + b]; });
  result.axes.resize(n * n);
  result.variances.resize(n);
  for (size_t k = 0; k < n; ++k) {
    result.variances[k] = cov[order[k] * n + order[k]];
    for (size_t d = 0; d < n; ++d) result.axes[k * n + d] = v[d * n + order[k]];
  }
  return result;
}

}  // namespace anomalens
