#include "native/engine/principal_axes.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace anomalens {
namespace {

// Rows p and q (m values each) turned by the rotation (c, s): the update a
// Jacobi rotation makes to the matrix's rows and to the eigenvectors alike.
void RotateRows(double* p, double* q, size_t m, double c, double s) {
  for (size_t k = 0; k < m; ++k) {
    const double pk = p[k], qk = q[k];
    p[k] = c * pk - s * qk;
    q[k] = s * pk + c * qk;
  }
}

// Eigen-decomposition of the symmetric n x n matrix `a` (row-major; left
// diagonal) by cyclic Jacobi: each rotation zeroes one off-diagonal pair, and
// sweeps over all pairs converge quadratically. Symmetry halves the work: a
// rotation updates rows p and q (contiguous) and mirrors them into columns.
// Returns the eigenvectors as rows (kept as rows for the same reason); the
// eigenvalues stay on a's diagonal.
std::vector<double> JacobiEigenvectors(std::vector<double>& a, int n) {
  const size_t m = static_cast<size_t>(n);
  std::vector<double> v(m * m, 0.0);
  for (size_t i = 0; i < m; ++i) v[i * m + i] = 1.0;
  double total = 0;
  for (double x : a) total += x * x;
  // Off-diagonal energy below 1e-18 of the whole: axes good to ~1e-9, far
  // more than the bounds need (any orthonormal basis keeps them exact).
  for (int sweep = 0; sweep < 50; ++sweep) {
    double off = 0;
    for (size_t p = 0; p < m; ++p)
      for (size_t q = p + 1; q < m; ++q) off += a[p * m + q] * a[p * m + q];
    if (off <= 1e-18 * total) break;
    for (size_t p = 0; p < m; ++p) {
      for (size_t q = p + 1; q < m; ++q) {
        const double apq = a[p * m + q];
        const double app = a[p * m + p], aqq = a[q * m + q];
        // Pairs already negligible against their diagonal: late sweeps skip
        // most rotations this way.
        if (std::fabs(apq) <= 1e-10 * (std::fabs(app) + std::fabs(aqq))) continue;
        // The rotation angle that zeroes a[p][q] (the smaller root: stable).
        const double theta = (aqq - app) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        double* rp = &a[p * m];
        double* rq = &a[q * m];
        RotateRows(rp, rq, m, c, s);
        for (size_t k = 0; k < m; ++k) {  // the mirror: columns p and q
          a[k * m + p] = rp[k];
          a[k * m + q] = rq[k];
        }
        // The 2x2 block exactly (the row update mixed it only one way).
        rp[p] = app - t * apq;
        rq[q] = aqq + t * apq;
        rp[q] = rq[p] = 0.0;
        RotateRows(&v[p * m], &v[q * m], m, c, s);
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
    for (size_t d = 0; d < n; ++d) result.axes[k * n + d] = v[order[k] * n + d];
  }
  return result;
}

}  // namespace anomalens
