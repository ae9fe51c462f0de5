#include "core/base/portable_math.h"

#include <limits>

namespace anomalens {

double PortableExp(double x) {
  if (x != x) return x;  // NaN
  if (x < -700.0) return 0.0;
  if (x > 700.0) return std::numeric_limits<double>::infinity();
  // x = k ln2 + r with |r| <= ln2 / 2, then e^r by its Taylor series, which
  // converges to double precision in 14 terms on that interval.
  constexpr double kLn2 = 0.6931471805599453094;
  constexpr double kInvLn2 = 1.4426950408889634074;
  const double kd = x * kInvLn2;
  const int k = static_cast<int>(kd < 0 ? kd - 0.5 : kd + 0.5);
  const double r = x - k * kLn2;
  double term = 1.0, sum = 1.0;
  for (int n = 1; n <= 14; ++n) {
    term = term * r / n;
    sum += term;
  }
  // Multiply by 2^k exactly, one halving or doubling at a time (|k| <= 1010).
  double scale = 1.0;
  const double step = k < 0 ? 0.5 : 2.0;
  for (int i = 0, n = k < 0 ? -k : k; i < n; ++i) scale *= step;
  return sum * scale;
}

double PortableSigmoid(double x) { return 1.0 / (1.0 + PortableExp(-x)); }

double PortableLog(double x) {
  if (!(x > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (x == std::numeric_limits<double>::infinity()) return x;
  // x = m 2^e with m in [1, 2), by exact halvings and doublings; then
  // ln m by Newton's method on e^y = m (quadratic convergence from y = m - 1,
  // within 0.31 of ln m on that interval): y <- y - 1 + m e^-y.
  constexpr double kLn2 = 0.6931471805599453094;
  int e = 0;
  double m = x;
  while (m >= 2.0) { m *= 0.5; ++e; }
  while (m < 1.0) { m *= 2.0; --e; }
  double y = m - 1.0;
  for (int i = 0; i < 6; ++i) y = y - 1.0 + m * PortableExp(-y);
  return y + e * kLn2;
}

}  // namespace anomalens
