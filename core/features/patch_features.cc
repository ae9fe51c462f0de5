#include "core/features/patch_features.h"

#include <algorithm>

#include "core/base/simd.h"

namespace anomalens {
namespace {

// 3x3 mean over the cells inside the map (channels a multiple of 4).
Tensor LocalAverage3x3(const Tensor& in) {
  Tensor out = Tensor::Uninitialized(in.height, in.width, in.channels);  // every pixel written whole below
  // Each output's sum starts at 0 and adds its neighbours row by row, left
  // to right; the channels run innermost, a whole pixel at a time, so the
  // loops over the neighbours are not repeated for every four channels
  // (the same sums in the same order).
  std::vector<float> sum(static_cast<size_t>(in.channels));
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      float* dst = out.at(y, x);
      const int y0 = std::max(y - 1, 0), y1 = std::min(y + 1, in.height - 1);
      const int x0 = std::max(x - 1, 0), x1 = std::min(x + 1, in.width - 1);
      const f32x4 inv = Splat4(1.0f / static_cast<float>((y1 - y0 + 1) * (x1 - x0 + 1)));
      std::fill(sum.begin(), sum.end(), 0.0f);
      for (int yy = y0; yy <= y1; ++yy)
        for (int xx = x0; xx <= x1; ++xx) {
          const float* v = in.at(yy, xx);
          for (int c = 0; c < in.channels; c += 4) Store4(&sum[c], Load4(&sum[c]) + Load4(v + c));
        }
      for (int c = 0; c < in.channels; c += 4) Store4(dst + c, Load4(&sum[c]) * inv);
    }
  }
  return out;
}

// Source coordinate and weight for half-pixel-centred bilinear upsampling.
struct Tap1d {
  int i0, i1;
  float w1;
};
Tap1d BilinearTap(int dst, int dst_size, int src_size) {
  float s = (dst + 0.5f) * static_cast<float>(src_size) / static_cast<float>(dst_size) - 0.5f;
  s = std::max(s, 0.0f);
  int i0 = static_cast<int>(s);
  i0 = std::min(i0, src_size - 1);
  const int i1 = std::min(i0 + 1, src_size - 1);
  return {i0, i1, s - static_cast<float>(i0)};
}

}  // namespace

PatchGrid ExtractPatchFeatures(const MobileNetV2::Taps& taps, const float layer_scales[2]) {
  const Tensor fine = LocalAverage3x3(taps.stride8);
  const Tensor coarse = LocalAverage3x3(taps.stride16);
  PatchGrid grid;
  grid.width = fine.width;
  grid.height = fine.height;
  grid.dim = kPatchFeatureDim;
  grid.data.resize(grid.cells() * grid.dim);
  const f32x4 fine_scale = Splat4(layer_scales[0]);
  const f32x4 coarse_scale = Splat4(layer_scales[1]);
  for (int y = 0; y < grid.height; ++y) {
    const Tap1d ty = BilinearTap(y, grid.height, coarse.height);
    for (int x = 0; x < grid.width; ++x) {
      const Tap1d tx = BilinearTap(x, grid.width, coarse.width);
      float* dst = &grid.data[(static_cast<size_t>(y) * grid.width + x) * grid.dim];
      const float* f = fine.at(y, x);
      for (int c = 0; c < fine.channels; c += 4) Store4(dst + c, Load4(f + c) * fine_scale);
      const f32x4 wx1 = Splat4(tx.w1), wx0 = Splat4(1.0f - tx.w1);
      const f32x4 wy1 = Splat4(ty.w1), wy0 = Splat4(1.0f - ty.w1);
      float* d2 = dst + fine.channels;
      for (int c = 0; c < coarse.channels; c += 4) {
        const f32x4 top = Load4(coarse.at(ty.i0, tx.i0) + c) * wx0 + Load4(coarse.at(ty.i0, tx.i1) + c) * wx1;
        const f32x4 bottom = Load4(coarse.at(ty.i1, tx.i0) + c) * wx0 + Load4(coarse.at(ty.i1, tx.i1) + c) * wx1;
        Store4(d2 + c, (top * wy0 + bottom * wy1) * coarse_scale);
      }
    }
  }
  return grid;
}

PatchGrid ExtractStride4Features(const Tensor& stride4) {
  Tensor averaged = LocalAverage3x3(stride4);
  PatchGrid grid;
  grid.width = averaged.width;
  grid.height = averaged.height;
  grid.dim = averaged.channels;
  grid.data = std::move(averaged.data);
  return grid;
}

}  // namespace anomalens
