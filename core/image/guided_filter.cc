#include "core/image/guided_filter.h"

#include <algorithm>
#include <memory>

namespace anomalens {
namespace {

// Columns a thread takes at a time in the vertical passes: the running
// column sums are independent per column, so column blocks split the work
// without changing any sum's order.
constexpr int kColumnBlock = 32;

// Uninitialized doubles: every element is written before it is read, so the
// planes skip the zero fill (and its page faults) a std::vector would pay.
using Plane = std::unique_ptr<double[]>;
Plane NewPlane(size_t n) { return Plane(new double[n]); }

// The horizontal half of a box mean, for kPlanes planes whose row y the
// caller points `row[c]` at (its own row, or `scratch[c]` filled in): each
// plane's running sum over the row, then each pixel's mean over its window
// clipped to the row, into `out[c]`'s row y (which may be the row itself:
// the sums are taken first). The sums run left to right from 0; rows are
// independent, so threads take whole rows.
template <int kPlanes, typename FillRow>
void HorizontalMeans(int width, int height, int radius, Plane* out, FillRow fill_row, const ParallelFor& parallel) {
  parallel(height, [&](size_t y0, size_t y1) {
    std::unique_ptr<double[]> rows(new double[static_cast<size_t>(kPlanes) * width]);
    std::unique_ptr<double[]> prefix(new double[static_cast<size_t>(kPlanes) * (width + 1)]);
    for (size_t y = y0; y < y1; ++y) {
      double* scratch[kPlanes];
      const double* row[kPlanes];
      for (int c = 0; c < kPlanes; ++c) row[c] = scratch[c] = &rows[static_cast<size_t>(c) * width];
      fill_row(y, scratch, row);
      // The planes' running sums side by side: independent chains of adds.
      double* s[kPlanes];
      for (int c = 0; c < kPlanes; ++c) s[c] = &prefix[static_cast<size_t>(c) * (width + 1)], s[c][0] = 0;
      for (int x = 0; x < width; ++x)
        for (int c = 0; c < kPlanes; ++c) s[c][x + 1] = s[c][x] + row[c][x];
      // Windows clipped at the ends; between them, whole windows (the same
      // division by the same count, in a loop the compiler vectorizes).
      const int inner_begin = std::min(width, radius), inner_end = std::max(inner_begin, width - radius);
      // Whole windows multiply by the count's reciprocal: a division costs
      // about as much as the rest of a pixel's work together.
      const double per_whole = 1.0 / (2 * radius + 1);
      for (int c = 0; c < kPlanes; ++c) {
        double* dst = &out[c][y * width];
        const double* sc = s[c];
        const auto clipped = [&](int x) {
          const int lo = std::max(0, x - radius), hi = std::min(width - 1, x + radius);
          dst[x] = (sc[hi + 1] - sc[lo]) / (hi - lo + 1);
        };
        for (int x = 0; x < inner_begin; ++x) clipped(x);
        for (int x = inner_begin; x < inner_end; ++x) dst[x] = (sc[x + radius + 1] - sc[x - radius]) * per_whole;
        for (int x = inner_end; x < width; ++x) clipped(x);
      }
    }
  });
}

// The vertical half, in place: each plane's columns become their running
// sums from the top (0 plus the first row, then each row added below), and
// `use_row(y, x0, x1, mean)` receives each plane's mean over rows
// [y - radius, y + radius] clipped, for columns [x0, x1), as soon as the
// sums reach row y + radius, while the rows it reads are still in cache.
template <int kPlanes, typename UseRow>
void VerticalMeans(int width, int height, int radius, Plane* planes, UseRow use_row, const ParallelFor& parallel) {
  const size_t blocks = (static_cast<size_t>(width) + kColumnBlock - 1) / kColumnBlock;
  parallel(blocks, [&](size_t b0, size_t b1) {
    double means[kPlanes][kColumnBlock];
    const double zero[kColumnBlock] = {};
    for (size_t b = b0; b < b1; ++b) {
      const int x0 = static_cast<int>(b) * kColumnBlock, x1 = std::min(width, x0 + kColumnBlock), w = x1 - x0;
      const auto row_of = [&](int c, int y) { return &planes[c][static_cast<size_t>(y) * width + x0]; };
      int next = 0;  // the next output row
      for (int y = 0; y < height; ++y) {
        for (int c = 0; c < kPlanes; ++c) {
          double* here = row_of(c, y);
          const double* above = y == 0 ? zero : row_of(c, y - 1);
          for (int x = 0; x < w; ++x) here[x] = above[x] + here[x];
        }
        // Rows whose windows end here (all the rest at the bottom).
        for (; next < height && (next + radius <= y || y == height - 1); ++next) {
          const int lo = std::max(0, next - radius), hi = std::min(height - 1, next + radius);
          const double per_count = 1.0 / (hi - lo + 1);
          const double* mean[kPlanes];
          for (int c = 0; c < kPlanes; ++c) {
            const double* top = lo == 0 ? zero : row_of(c, lo - 1);
            const double* bottom = row_of(c, hi);
            for (int x = 0; x < w; ++x) means[c][x] = (bottom[x] - top[x]) * per_count;
            mean[c] = means[c];
          }
          use_row(static_cast<size_t>(next), x0, x1, mean);
        }
      }
    }
  });
}

}  // namespace

std::vector<float> GuidedFilter(const std::vector<float>& guide, const std::vector<float>& input, int width,
                                int height, int radius, double epsilon, const ParallelFor& parallel) {
  const size_t n = static_cast<size_t>(width) * height;
  if (radius < 1 || width < 1 || height < 1 || guide.size() != n || input.size() != n) return input;
  // The box means of I, p, I p and I I, from the guide and the input as
  // they are read (no planes of the products are kept).
  Plane sums[4] = {NewPlane(n), NewPlane(n), NewPlane(n), NewPlane(n)};
  HorizontalMeans<4>(
      width, height, radius, sums,
      [&](size_t y, double* const* row, const double**) {
        const float* g = &guide[y * width];
        const float* q = &input[y * width];
        for (int x = 0; x < width; ++x) {
          const double i = g[x], p = q[x];
          row[0][x] = i, row[1][x] = p, row[2][x] = i * p, row[3][x] = i * i;
        }
      },
      parallel);
  // Each window's fit p ~ a I + b, from those means.
  Plane fit[2] = {NewPlane(n), NewPlane(n)};
  VerticalMeans<4>(
      width, height, radius, sums,
      [&](size_t y, int x0, int x1, const double* const* mean) {
        double* a = &fit[0][y * width];
        double* b = &fit[1][y * width];
        for (int x = x0; x < x1; ++x) {
          const double mean_i = mean[0][x - x0], mean_p = mean[1][x - x0];
          const double mean_ip = mean[2][x - x0], mean_ii = mean[3][x - x0];
          const double variance = std::max(0.0, mean_ii - mean_i * mean_i);
          a[x] = (mean_ip - mean_i * mean_p) / (variance + epsilon);
          b[x] = mean_p - a[x] * mean_i;
        }
      },
      parallel);
  // Each pixel averages the fits of its windows: the box means of a and b
  // (in place: a row's running sums are taken before its means overwrite
  // it), then a I + b. The first planes go, so less memory stays in play.
  for (Plane& plane : sums) plane.reset();
  HorizontalMeans<2>(
      width, height, radius, fit,
      [&](size_t y, double* const*, const double** row) {
        row[0] = &fit[0][y * width];
        row[1] = &fit[1][y * width];
      },
      parallel);
  std::vector<float> out(n);
  VerticalMeans<2>(
      width, height, radius, fit,
      [&](size_t y, int x0, int x1, const double* const* mean) {
        for (int x = x0; x < x1; ++x) {
          const double i = guide[y * width + x];
          out[y * width + x] = static_cast<float>(mean[0][x - x0] * i + mean[1][x - x0]);
        }
      },
      parallel);
  return out;
}

}  // namespace anomalens
