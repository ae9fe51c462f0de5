// Image and anomaly-map resampling: the one resize the project uses, so that
// training, inference and the returned anomaly mask agree on every platform.
#ifndef ANOMALENS_CORE_IMAGE_IMAGE_RESIZE_H_
#define ANOMALENS_CORE_IMAGE_IMAGE_RESIZE_H_

#include <cstddef>  // core/image/image.h uses size_t without including it
#include <cstdint>
#include <memory>
#include <vector>

#include "core/base/parallel.h"
#include "core/image/image.h"

namespace anomalens {

// Resamples with a separable triangle (bilinear) filter whose support widens
// when shrinking, as PIL's BILINEAR does, so downscaling averages instead of
// aliasing. Pixel centres are aligned (half-pixel, align_corners=false) and
// edges are clamped. Results are rounded and clamped to uint8 once, after
// both passes (PIL also rounds between them, in fixed point, so its output
// can differ from this by 1). An axis whose size does not change is copied,
// so resizing to the source size is an exact copy. Returns an empty image
// when `src` is empty, its pixel count does not match its size, or a
// requested side is < 1. Rows of each pass run on `parallel`, each computed
// as alone, so the result is the same bytes on any thread count.
RgbImage ResizeImage(const RgbImage& src, int width, int height, const ParallelFor& parallel = {});

// The same filter on one float plane (anomaly maps), row-major. `dst` holds
// dst_width * dst_height floats and must not overlap `src`. Does nothing when
// a side is < 1.
void ResizePlane(const float* src, int src_width, int src_height, float* dst, int dst_width, int dst_height,
                 const ParallelFor& parallel = {});

// ResizeImage for an image that arrives a row at a time, top to bottom (a
// decoder's rows as it makes them): the same bytes as ResizeImage(src, width,
// height) once every row is in. Each output row is made as soon as the
// source rows it reads are in, so the work follows the rows while they are
// still in cache (and, on a decoder's thread, overlaps what produces them).
// One thread at a time; sizes ResizeImage refuses give an empty image.
class RowByRowResize {
 public:
  RowByRowResize(int src_width, int src_height, int width, int height);
  ~RowByRowResize();
  RowByRowResize(const RowByRowResize&) = delete;
  RowByRowResize& operator=(const RowByRowResize&) = delete;

  // The next source row: src_width pixels of `bytes_per_pixel` bytes, 3
  // (RGB) or 4 (RGB and a fourth byte that is ignored), the same for every
  // row. Rows past the last are ignored.
  void AddRow(const uint8_t* row, int bytes_per_pixel);
  // Every source row is in (and so every output row made).
  bool complete() const;
  // The resized image once complete (then the object is spent); empty before.
  RgbImage Take();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// RowByRowResize's horizontal pass alone on one RGBA row of `src_width`
// pixels (4 bytes each) to `width`: width * 3 floats, before the vertical
// pass and the rounding. It runs the platform's kernel when one is set
// (core/image/resize_kernels.h), else the core's loop: the tests hold
// the one to the other's floats with it. Empty when a side is < 1.
std::vector<float> ResampleRgbaRowAcross(const uint8_t* row, int src_width, int width);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_IMAGE_RESIZE_H_
