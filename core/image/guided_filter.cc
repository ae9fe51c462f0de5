#include "core/image/guided_filter.h"

#include <algorithm>
#include <memory>

namespace anomalens {
namespace {

// One row's box means along x, for kPlanes planes: each plane's running sum
// over the row from its left end (0 first), then each pixel's mean over its
// window clipped to the row. `row[c]` and `out[c]` are width doubles;
// `prefix` holds kPlanes x (width + 1).
template <int kPlanes>
void RowMeans(int width, int radius, const double* const* row, double* const* out, double* prefix) {
  // The planes' running sums side by side: independent chains of adds,
  // each kept in a register (read back from the array, every add also
  // waited for its store to forward: this loop was ~40% of the filter).
  double* s[kPlanes];
  double sum[kPlanes];
  for (int c = 0; c < kPlanes; ++c) s[c] = &prefix[static_cast<size_t>(c) * (width + 1)], s[c][0] = sum[c] = 0;
  for (int x = 0; x < width; ++x)
    for (int c = 0; c < kPlanes; ++c) s[c][x + 1] = sum[c] = sum[c] + row[c][x];
  // Windows clipped at the ends; between them, whole windows (the same
  // division by the same count, in a loop the compiler vectorizes).
  const int inner_begin = std::min(width, radius), inner_end = std::max(inner_begin, width - radius);
  // Whole windows multiply by the count's reciprocal: a division costs
  // about as much as the rest of a pixel's work together.
  const double per_whole = 1.0 / (2 * radius + 1);
  for (int c = 0; c < kPlanes; ++c) {
    double* dst = out[c];
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

// The vertical half, fed a row at a time from the top: each plane's columns'
// running sums from the top (0 plus the first row, then each row added
// below), and each output row's mean over rows [y - radius, y + radius]
// clipped, handed to `use_row(y, mean)` as soon as the sums reach row
// y + radius (all the rest after the last row). Only the last 2 radius + 2
// rows of sums are kept (a ring): a row's window needs the sums at its last
// row and at the row above its first.
template <int kPlanes>
class ColumnMeans {
 public:
  ColumnMeans(int width, int height, int radius)
      : width_(width), height_(height), radius_(radius), ring_rows_(2 * radius + 2),
        sums_(new double[static_cast<size_t>(ring_rows_) * kPlanes * width]),
        means_(new double[static_cast<size_t>(kPlanes) * width]),
        zero_(new double[static_cast<size_t>(width)]()) {}

  // Row `y_` of each plane's horizontal means (`row[c]`, width doubles).
  template <typename UseRow>
  void Add(const double* const* row, UseRow use_row) {
    const int y = added_++;
    for (int c = 0; c < kPlanes; ++c) {
      double* here = Sums(c, y);
      const double* above = y == 0 ? zero_.get() : Sums(c, y - 1);
      const double* in = row[c];
      for (int x = 0; x < width_; ++x) here[x] = above[x] + in[x];
    }
    // Rows whose windows end here (all the rest at the bottom).
    for (; next_ < height_ && (next_ + radius_ <= y || y == height_ - 1); ++next_) {
      const int lo = std::max(0, next_ - radius_), hi = std::min(height_ - 1, next_ + radius_);
      const double per_count = 1.0 / (hi - lo + 1);
      const double* mean[kPlanes];
      for (int c = 0; c < kPlanes; ++c) {
        const double* top = lo == 0 ? zero_.get() : Sums(c, lo - 1);
        const double* bottom = Sums(c, hi);
        double* m = &means_[static_cast<size_t>(c) * width_];
        for (int x = 0; x < width_; ++x) m[x] = (bottom[x] - top[x]) * per_count;
        mean[c] = m;
      }
      use_row(next_, mean);
    }
  }

 private:
  double* Sums(int c, int y) { return &sums_[(static_cast<size_t>(y % ring_rows_) * kPlanes + c) * width_]; }

  const int width_, height_, radius_, ring_rows_;
  int added_ = 0, next_ = 0;
  std::unique_ptr<double[]> sums_, means_, zero_;
};

}  // namespace

std::vector<float> GuidedFilter(const std::vector<float>& guide, const std::vector<float>& input, int width,
                                int height, int radius, double epsilon, const ParallelFor&) {
  const size_t n = static_cast<size_t>(width) * height;
  if (radius < 1 || width < 1 || height < 1 || guide.size() != n || input.size() != n) return input;
  // The whole filter streams down the rows, each pass taking the previous
  // one's rows as they come: the box means of I, p, I p and I I; each
  // window's fit p ~ a I + b from those; the box means of a and b; and
  // a I + b. So no full plane of doubles is ever made (six of them, 5 MB at
  // the cookies' working size, which went through memory, not cache).
  const size_t w = static_cast<size_t>(width);
  std::unique_ptr<double[]> scratch(new double[4 * w + 4 * w + 4 * (w + 1) + 2 * w]);
  double* const fill[4] = {&scratch[0], &scratch[w], &scratch[2 * w], &scratch[3 * w]};
  double* const horizontal[4] = {&scratch[4 * w], &scratch[5 * w], &scratch[6 * w], &scratch[7 * w]};
  double* const prefix = &scratch[8 * w];
  double* const fit_means[2] = {&scratch[8 * w + 4 * (w + 1)], &scratch[9 * w + 4 * (w + 1)]};
  std::unique_ptr<double[]> fit_rows(new double[2 * w]);
  double* const fit[2] = {&fit_rows[0], &fit_rows[w]};
  std::vector<float> out(n);
  ColumnMeans<4> moments(width, height, radius);
  ColumnMeans<2> fits(width, height, radius);
  for (int y = 0; y < height; ++y) {
    const float* g = &guide[y * w];
    const float* q = &input[y * w];
    for (int x = 0; x < width; ++x) {
      const double i = g[x], p = q[x];
      fill[0][x] = i, fill[1][x] = p, fill[2][x] = i * p, fill[3][x] = i * i;
    }
    RowMeans<4>(width, radius, fill, horizontal, prefix);
    moments.Add(horizontal, [&](int fy, const double* const* mean) {
      // Row fy's fits, from its windows' means.
      for (int x = 0; x < width; ++x) {
        const double mean_i = mean[0][x], mean_p = mean[1][x];
        const double mean_ip = mean[2][x], mean_ii = mean[3][x];
        const double variance = std::max(0.0, mean_ii - mean_i * mean_i);
        fit[0][x] = (mean_ip - mean_i * mean_p) / (variance + epsilon);
        fit[1][x] = mean_p - fit[0][x] * mean_i;
      }
      RowMeans<2>(width, radius, fit, fit_means, prefix);
      fits.Add(fit_means, [&](int oy, const double* const* fit_mean) {
        for (int x = 0; x < width; ++x) {
          const double i = guide[oy * w + x];
          out[oy * w + x] = static_cast<float>(fit_mean[0][x] * i + fit_mean[1][x]);
        }
      });
    });
  }
  return out;
}

}  // namespace anomalens
