// Tensor: one NHWC feature map with batch 1, float32, row-major.
#ifndef ANOMALENS_CORE_BASE_TENSOR_H_
#define ANOMALENS_CORE_BASE_TENSOR_H_

#include <cstddef>

#include "core/base/default_init_allocator.h"

namespace anomalens {

struct Tensor {
  int height = 0;
  int width = 0;
  int channels = 0;
  // UninitializedVector so that Tensor::Uninitialized can skip the zero
  // fill; the size constructor below still zeroes (kernels that accumulate
  // into a fresh tensor rely on it).
  UninitializedVector<float> data;

  Tensor() = default;
  // Zero-filled.
  Tensor(int h, int w, int c) : height(h), width(w), channels(c), data(static_cast<size_t>(h) * w * c, 0.0f) {}

  // Not zero-filled: for outputs whose every element the caller writes
  // before anything reads it (the backbone's input and taps, the patch
  // features' 3x3 means). A detect's zero fills of such buffers were ~2% of
  // its CPU (docs/speed.md, issue 20, stop 33).
  static Tensor Uninitialized(int h, int w, int c) {
    Tensor t;
    t.height = h;
    t.width = w;
    t.channels = c;
    t.data.resize(static_cast<size_t>(h) * w * c);
    return t;
  }

  size_t pixels() const { return static_cast<size_t>(height) * width; }
  float* at(int y, int x) { return &data[(static_cast<size_t>(y) * width + x) * channels]; }
  const float* at(int y, int x) const { return &data[(static_cast<size_t>(y) * width + x) * channels]; }
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_TENSOR_H_
