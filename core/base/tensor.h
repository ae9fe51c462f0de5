// Tensor: one NHWC feature map with batch 1, float32, row-major.
#ifndef ANOMALENS_CORE_BASE_TENSOR_H_
#define ANOMALENS_CORE_BASE_TENSOR_H_

#include <cstddef>
#include <vector>

namespace anomalens {

struct Tensor {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<float> data;

  Tensor() = default;
  Tensor(int h, int w, int c) : height(h), width(w), channels(c), data(static_cast<size_t>(h) * w * c) {}

  size_t pixels() const { return static_cast<size_t>(height) * width; }
  float* at(int y, int x) { return &data[(static_cast<size_t>(y) * width + x) * channels]; }
  const float* at(int y, int x) const { return &data[(static_cast<size_t>(y) * width + x) * channels]; }
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_TENSOR_H_
