#include "core/image/guided_filter.h"

#include <algorithm>

namespace anomalens {
namespace {

// The mean of `plane` over each pixel's window, clipped at the borders. The
// clipped window is a product of a row range and a column range, so the
// mean is the mean over the rows of each row's horizontal mean.
std::vector<double> BoxMean(const std::vector<double>& plane, int width, int height, int radius) {
  std::vector<double> horizontal(plane.size());
  std::vector<double> prefix(static_cast<size_t>(std::max(width, height)) + 1);
  for (int y = 0; y < height; ++y) {
    const double* row = &plane[static_cast<size_t>(y) * width];
    prefix[0] = 0;
    for (int x = 0; x < width; ++x) prefix[x + 1] = prefix[x] + row[x];
    double* out = &horizontal[static_cast<size_t>(y) * width];
    for (int x = 0; x < width; ++x) {
      const int lo = std::max(0, x - radius), hi = std::min(width - 1, x + radius);
      out[x] = (prefix[hi + 1] - prefix[lo]) / (hi - lo + 1);
    }
  }
  // Vertical pass: running column sums a whole row at a time.
  std::vector<double> out(plane.size());
  std::vector<double> column_prefix(static_cast<size_t>(height + 1) * width, 0.0);
  for (int y = 0; y < height; ++y) {
    const double* above = &column_prefix[static_cast<size_t>(y) * width];
    double* here = &column_prefix[static_cast<size_t>(y + 1) * width];
    const double* row = &horizontal[static_cast<size_t>(y) * width];
    for (int x = 0; x < width; ++x) here[x] = above[x] + row[x];
  }
  for (int y = 0; y < height; ++y) {
    const int lo = std::max(0, y - radius), hi = std::min(height - 1, y + radius);
    const double* top = &column_prefix[static_cast<size_t>(lo) * width];
    const double* bottom = &column_prefix[static_cast<size_t>(hi + 1) * width];
    const double count = hi - lo + 1;
    double* dst = &out[static_cast<size_t>(y) * width];
    for (int x = 0; x < width; ++x) dst[x] = (bottom[x] - top[x]) / count;
  }
  return out;
}

}  // namespace

std::vector<float> GuidedFilter(const std::vector<float>& guide, const std::vector<float>& input, int width,
                                int height, int radius, double epsilon, const ParallelFor& parallel) {
  const size_t n = static_cast<size_t>(width) * height;
  if (radius < 1 || width < 1 || height < 1 || guide.size() != n || input.size() != n) return input;
  std::vector<double> i(n), p(n), ip(n), ii(n);
  for (size_t k = 0; k < n; ++k) {
    i[k] = guide[k], p[k] = input[k];
    ip[k] = i[k] * p[k], ii[k] = i[k] * i[k];
  }
  // Box means of the given planes, each on its own thread.
  const auto box_means = [&](std::vector<const std::vector<double>*> planes) {
    std::vector<std::vector<double>> means(planes.size());
    parallel(planes.size(), [&](size_t begin, size_t end) {
      for (size_t k = begin; k < end; ++k) means[k] = BoxMean(*planes[k], width, height, radius);
    });
    return means;
  };
  std::vector<std::vector<double>> means = box_means({&i, &p, &ip, &ii});
  const std::vector<double>&mean_i = means[0], &mean_p = means[1], &mean_ip = means[2], &mean_ii = means[3];
  // Each window's fit p ~ a I + b (reusing the buffers: ip becomes a, ii b).
  for (size_t k = 0; k < n; ++k) {
    const double variance = std::max(0.0, mean_ii[k] - mean_i[k] * mean_i[k]);
    const double a = (mean_ip[k] - mean_i[k] * mean_p[k]) / (variance + epsilon);
    ip[k] = a;
    ii[k] = mean_p[k] - a * mean_i[k];
  }
  const std::vector<std::vector<double>> fits = box_means({&ip, &ii});
  const std::vector<double>&mean_a = fits[0], &mean_b = fits[1];
  std::vector<float> out(n);
  for (size_t k = 0; k < n; ++k) out[k] = static_cast<float>(mean_a[k] * i[k] + mean_b[k]);
  return out;
}

}  // namespace anomalens
