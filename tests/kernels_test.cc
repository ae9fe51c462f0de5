// Each convolution kernel against a naive reference on seeded random inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/backbone/kernels/conv3x3_stride2.h"
#include "core/backbone/kernels/depthwise_conv3x3.h"
#include "core/backbone/kernels/pointwise_conv.h"

namespace anomalens {
namespace {

// Kernels sum in the same order as these references, but the reference uses
// double, so allow float rounding.
constexpr float kTolerance = 1e-4f;

std::vector<float> RandomVector(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

Tensor RandomTensor(int h, int w, int c, std::mt19937& rng) {
  Tensor t(h, w, c);
  const std::vector<float> v = RandomVector(t.data.size(), rng, 4.0f);
  t.data.assign(v.begin(), v.end());
  return t;
}

float Activate(double v, Activation a) {
  return static_cast<float>(a == Activation::kRelu6 ? std::min(std::max(v, 0.0), 6.0) : v);
}

void ExpectTensorsNear(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.height, want.height);
  ASSERT_EQ(got.width, want.width);
  ASSERT_EQ(got.channels, want.channels);
  for (size_t i = 0; i < got.data.size(); ++i) ASSERT_NEAR(got.data[i], want.data[i], kTolerance) << "at " << i;
}

// Reads the input with Keras's [[0,1],[0,1]] padding for stride 2, or one
// zero on each side for stride 1.
float PaddedAt(const Tensor& t, int y, int x, int c) {
  if (y < 0 || x < 0 || y >= t.height || x >= t.width) return 0.0f;
  return t.at(y, x)[c];
}

TEST(Conv3x3Stride2, MatchesNaiveReference) {
  std::mt19937 rng(1);
  for (const auto [h, w, cout] : {std::tuple{16, 16, 32}, {32, 48, 8}, {2, 6, 4}}) {
    const Tensor in = RandomTensor(h, w, 3, rng);
    const std::vector<float> kernel = RandomVector(9 * 3 * cout, rng), bias = RandomVector(cout, rng);
    for (Activation act : {Activation::kLinear, Activation::kRelu6}) {
      Tensor want(h / 2, w / 2, cout);
      for (int oy = 0; oy < h / 2; ++oy)
        for (int ox = 0; ox < w / 2; ++ox)
          for (int co = 0; co < cout; ++co) {
            double acc = bias[co];
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx)
                for (int ci = 0; ci < 3; ++ci)
                  acc += double(PaddedAt(in, 2 * oy + ky, 2 * ox + kx, ci)) * kernel[((ky * 3 + kx) * 3 + ci) * cout + co];
            want.at(oy, ox)[co] = Activate(acc, act);
          }
      ExpectTensorsNear(Conv3x3Stride2(in, kernel.data(), bias.data(), cout, act), want);
    }
  }
}

TEST(PointwiseConv, MatchesNaiveReferenceWithResidual) {
  std::mt19937 rng(2);
  // Pixel counts that do and do not fill the 4-pixel tile; cout with and without an 8-wide tail.
  for (const auto [h, w, cin, cout] : {std::tuple{3, 5, 16, 24}, {4, 4, 32, 12}, {1, 1, 8, 4}, {7, 9, 96, 32}}) {
    const Tensor in = RandomTensor(h, w, cin, rng);
    const Tensor residual = RandomTensor(h, w, cout, rng);
    const std::vector<float> kernel = RandomVector(cin * cout, rng), bias = RandomVector(cout, rng);
    for (Activation act : {Activation::kLinear, Activation::kRelu6}) {
      for (bool with_residual : {false, true}) {
        Tensor want(h, w, cout);
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x)
            for (int co = 0; co < cout; ++co) {
              double acc = bias[co];
              for (int ci = 0; ci < cin; ++ci) acc += double(in.at(y, x)[ci]) * kernel[ci * cout + co];
              float v = Activate(acc, act);
              if (with_residual) v += residual.at(y, x)[co];
              want.at(y, x)[co] = v;
            }
        ExpectTensorsNear(PointwiseConv(in, kernel.data(), bias.data(), cout, act, with_residual ? &residual : nullptr),
                          want);
      }
    }
  }
}

TEST(DepthwiseConv3x3, MatchesNaiveReferenceBothStrides) {
  std::mt19937 rng(3);
  for (const auto [h, w, c] : {std::tuple{8, 8, 16}, {6, 10, 4}, {2, 2, 8}}) {
    const Tensor in = RandomTensor(h, w, c, rng);
    const std::vector<float> kernel = RandomVector(9 * c, rng), bias = RandomVector(c, rng);
    for (int stride : {1, 2}) {
      const int offset = stride == 1 ? -1 : 0;
      Tensor want(h / stride, w / stride, c);
      for (int oy = 0; oy < want.height; ++oy)
        for (int ox = 0; ox < want.width; ++ox)
          for (int ch = 0; ch < c; ++ch) {
            double acc = bias[ch];
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx)
                acc += double(PaddedAt(in, oy * stride + ky + offset, ox * stride + kx + offset, ch)) *
                       kernel[(ky * 3 + kx) * c + ch];
            want.at(oy, ox)[ch] = Activate(acc, Activation::kRelu6);
          }
      ExpectTensorsNear(DepthwiseConv3x3(in, kernel.data(), bias.data(), stride, Activation::kRelu6), want);
    }
  }
}

}  // namespace
}  // namespace anomalens
