// Transcendental functions with the same result on every target. libm's exp
// differs in the last bit between glibc and Emscripten's musl; results that
// feed the DetectAnomalies JSON (Gaussian weights, Confidence) must not.
#ifndef ANOMALENS_CORE_BASE_PORTABLE_MATH_H_
#define ANOMALENS_CORE_BASE_PORTABLE_MATH_H_

namespace anomalens {

// e^x to about 1e-15 relative error, from IEEE double + - * / only.
// Saturates to 0 below -700 and to +inf above 700.
double PortableExp(double x);

// PortableExp of four values at once: each the same double as PortableExp
// gives it, the series' steps (a division each) run for the four side by
// side instead of one chain after another (the defect head's cells).
void PortableExp4(const double x[4], double out[4]);

// 1 / (1 + e^-x).
double PortableSigmoid(double x);

// sin x and cos x to about 1e-15 absolute error for |x| <= 1e6, from IEEE
// double + - * / only (the synthetic defects' rotations and walks).
double PortableSin(double x);
double PortableCos(double x);
// ln x for x > 0 (NaN for x <= 0 or NaN, +inf for +inf), to about 1e-15
// relative error, from PortableExp and IEEE arithmetic only.
double PortableLog(double x);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_PORTABLE_MATH_H_
