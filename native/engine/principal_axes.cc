#include "native/engine/principal_axes.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace anomalens {
namespace {

// Eigen-decomposition of the symmetric n x n matrix `a` (row-major): a
// Householder reduction to tridiagonal form, then implicit QL steps with
// Wilkinson-like shifts (EISPACK's tred2 and tql2, as in the public-domain
// JAMA). About 9 n^3 operations, where cyclic Jacobi took that per sweep and
// needed 6 to 10 sweeps (30 ms for a 128-float bank at load).
// Returns the eigenvectors as rows; `values` gets the eigenvalues (unsorted).
std::vector<double> SymmetricEigenvectors(const std::vector<double>& a, int n, std::vector<double>& values) {
  const int m = n;
  // v holds the transformations, column j an eigenvector at the end (JAMA's
  // layout); v(i, j) indexes it row-major.
  std::vector<double> v(a), d(m), e(m);
  const auto at = [&](int i, int j) -> double& { return v[static_cast<size_t>(i) * m + j]; };
  // tred2: Householder tridiagonalisation, accumulating the transformations.
  for (int j = 0; j < m; ++j) d[j] = at(m - 1, j);
  for (int i = m - 1; i > 0; --i) {
    double scale = 0, h = 0;
    for (int k = 0; k < i; ++k) scale += std::fabs(d[k]);
    if (scale == 0) {
      e[i] = d[i - 1];
      for (int j = 0; j < i; ++j) {
        d[j] = at(i - 1, j);
        at(i, j) = 0;
        at(j, i) = 0;
      }
    } else {
      for (int k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1];
      double g = std::sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (int j = 0; j < i; ++j) e[j] = 0;
      for (int j = 0; j < i; ++j) {
        f = d[j];
        at(j, i) = f;
        g = e[j] + at(j, j) * f;
        for (int k = j + 1; k <= i - 1; ++k) {
          g += at(k, j) * d[k];
          e[k] += at(k, j) * f;
        }
        e[j] = g;
      }
      f = 0;
      for (int j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const double hh = f / (h + h);
      for (int j = 0; j < i; ++j) e[j] -= hh * d[j];
      for (int j = 0; j < i; ++j) {
        f = d[j];
        g = e[j];
        for (int k = j; k <= i - 1; ++k) at(k, j) -= (f * e[k] + g * d[k]);
        d[j] = at(i - 1, j);
        at(i, j) = 0;
      }
    }
    d[i] = h;
  }
  for (int i = 0; i < m - 1; ++i) {
    at(m - 1, i) = at(i, i);
    at(i, i) = 1;
    const double h = d[i + 1];
    if (h != 0) {
      for (int k = 0; k <= i; ++k) d[k] = at(k, i + 1) / h;
      for (int j = 0; j <= i; ++j) {
        double g = 0;
        for (int k = 0; k <= i; ++k) g += at(k, i + 1) * at(k, j);
        for (int k = 0; k <= i; ++k) at(k, j) -= g * d[k];
      }
    }
    for (int k = 0; k <= i; ++k) at(k, i + 1) = 0;
  }
  for (int j = 0; j < m; ++j) {
    d[j] = at(m - 1, j);
    at(m - 1, j) = 0;
  }
  at(m - 1, m - 1) = 1;
  e[0] = 0;
  // tql2 works on columns i and i + 1 of v for every row: transposed, they
  // are two contiguous rows.
  std::vector<double> vt(v.size());
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) vt[static_cast<size_t>(j) * m + i] = at(i, j);
  // tql2: implicit QL on the tridiagonal (d, e).
  for (int i = 1; i < m; ++i) e[i - 1] = e[i];
  e[m - 1] = 0;
  double f = 0, largest = 0;
  const double eps = std::ldexp(1.0, -52);
  for (int l = 0; l < m; ++l) {
    largest = std::max(largest, std::fabs(d[l]) + std::fabs(e[l]));
    int n_end = l;
    while (n_end < m && !(std::fabs(e[n_end]) <= eps * largest)) ++n_end;
    if (n_end == m) n_end = m - 1;  // NaN input: stop at the end rather than read past it
    if (n_end > l) {
      for (int iter = 0; iter < 100; ++iter) {  // converges in 2 or 3; the cap only guards NaN
        double g = d[l];
        double p = (d[l + 1] - g) / (2 * e[l]);
        double r = std::hypot(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const double dl1 = d[l + 1];
        double h = g - d[l];
        for (int i = l + 2; i < m; ++i) d[i] -= h;
        f += h;
        p = d[n_end];
        double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const double el1 = e[l + 1];
        for (int i = n_end - 1; i >= l; --i) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = std::hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          double* vi = &vt[static_cast<size_t>(i) * m];
          double* vi1 = &vt[static_cast<size_t>(i + 1) * m];
          for (int k = 0; k < m; ++k) {
            const double x = vi1[k];
            vi1[k] = s * vi[k] + c * x;
            vi[k] = c * vi[k] - s * x;
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(std::fabs(e[l]) > eps * largest)) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }
  values = d;
  return vt;
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
  // Four rows a pass: each element of the triangle is loaded and stored once
  // for four products, not one.
  constexpr size_t kRowsPerPass = 4;
  std::vector<double> cov(n * n, 0.0), centred(kRowsPerPass * n, 0.0);
  for (size_t r0 = 0; r0 < count; r0 += kRowsPerPass) {
    // A short last pass leaves zero rows, which add nothing.
    std::fill(centred.begin(), centred.end(), 0.0);
    for (size_t r = r0; r < std::min(count, r0 + kRowsPerPass); ++r)
      for (size_t d = 0; d < n; ++d) centred[(r - r0) * n + d] = rows[r * n + d] - result.mean[d];
    const double *x0 = &centred[0], *x1 = &centred[n], *x2 = &centred[2 * n], *x3 = &centred[3 * n];
    for (size_t i = 0; i < n; ++i) {
      const double c0 = x0[i], c1 = x1[i], c2 = x2[i], c3 = x3[i];
      double* out = &cov[i * n];
      for (size_t j = i; j < n; ++j) out[j] += (c0 * x0[j] + c1 * x1[j]) + (c2 * x2[j] + c3 * x3[j]);
    }
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) cov[i * n + j] = cov[j * n + i];
  std::vector<double> values;
  const std::vector<double> v = SymmetricEigenvectors(cov, dim, values);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  // Stable: ties keep their index order, so the basis is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] > values[b]; });
  result.axes.resize(n * n);
  result.variances.resize(n);
  for (size_t k = 0; k < n; ++k) {
    result.variances[k] = values[order[k]];
    for (size_t d = 0; d < n; ++d) result.axes[k * n + d] = v[order[k] * n + d];
  }
  return result;
}

}  // namespace anomalens
