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

void PortableExp4(const double x[4], double out[4]) {
  // PortableExp's steps, lane by lane in the same order; lanes outside the
  // series' range (NaN, beyond +-700) take PortableExp itself.
  constexpr double kLn2 = 0.6931471805599453094;
  constexpr double kInvLn2 = 1.4426950408889634074;
  double r[4], term[4], sum[4];
  int k[4];
  bool plain[4];
  for (int l = 0; l < 4; ++l) {
    plain[l] = x[l] != x[l] || x[l] < -700.0 || x[l] > 700.0;
    const double kd = plain[l] ? 0.0 : x[l] * kInvLn2;
    k[l] = static_cast<int>(kd < 0 ? kd - 0.5 : kd + 0.5);
    r[l] = plain[l] ? 0.0 : x[l] - k[l] * kLn2;
    term[l] = 1.0;
    sum[l] = 1.0;
  }
  for (int n = 1; n <= 14; ++n) {
    for (int l = 0; l < 4; ++l) {
      term[l] = term[l] * r[l] / n;
      sum[l] += term[l];
    }
  }
  for (int l = 0; l < 4; ++l) {
    if (plain[l]) {
      out[l] = PortableExp(x[l]);
      continue;
    }
    double scale = 1.0;
    const double step = k[l] < 0 ? 0.5 : 2.0;
    for (int i = 0, n = k[l] < 0 ? -k[l] : k[l]; i < n; ++i) scale *= step;
    out[l] = sum[l] * scale;
  }
}

double PortableSigmoid(double x) { return 1.0 / (1.0 + PortableExp(-x)); }

double PortableSin(double x) {
  if (x != x) return x;  // NaN
  // Reduce to [-pi, pi], then to [-pi/2, pi/2] by sin(pi - r) = sin r, where
  // the Taylor series converges to double precision in 12 terms.
  constexpr double kPi = 3.14159265358979323846;
  constexpr double kTwoPi = 6.28318530717958647692;
  const double turns = x / kTwoPi;
  const double whole = static_cast<double>(static_cast<long long>(turns < 0 ? turns - 0.5 : turns + 0.5));
  double r = x - whole * kTwoPi;
  if (r > kPi / 2) r = kPi - r;
  if (r < -kPi / 2) r = -kPi - r;
  const double r2 = r * r;
  double term = r, sum = r;
  for (int n = 1; n <= 12; ++n) {
    term = -term * r2 / ((2.0 * n) * (2.0 * n + 1.0));
    sum += term;
  }
  return sum;
}

double PortableCos(double x) { return PortableSin(x + 1.57079632679489661923); }

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
