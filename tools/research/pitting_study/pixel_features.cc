// Features on the original pixels (pixel_features.h).
#include "tools/research/pitting_study/pixel_features.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/image/gaussian_blur.h"
#include "core/image/image_decode.h"
#include "native/jobs/file_io.h"

namespace fs = std::filesystem;

namespace anomalens::pitting_study {

Features RawFeatures(const std::string& dir, const Data& data) {
  Features F;
  const Tensor& t = data.items[0].s4;
  F.w = t.width, F.h = t.height, F.dim = kRawDims;
  F.f.resize(data.items.size());
  const WorkingGeometry& g = data.geometry;
  const char* sub[3] = {"train/good", "test/good", "test/pitting"};
  for (size_t i = 0; i < data.items.size(); ++i) {
    auto bytes = ReadFile((fs::path(dir) / sub[data.items[i].kind] / data.items[i].name).string(), 1 << 24);
    auto image = DecodeImage(*bytes, "");
    const RgbImage& im = *image;
    const double sx = double(im.width) / g.content.width, sy = double(im.height) / g.content.height;
    std::vector<float> mean_gray(F.cells());
    std::vector<float>& out = F.f[i];
    out.assign(F.cells() * kRawDims, 0.0f);
    for (int cy = 0; cy < F.h; ++cy)
      for (int cx = 0; cx < F.w; ++cx) {
        const int x0 = std::min(int(4 * cx * sx), im.width - 1), x1 = std::clamp(int((4 * cx + 4) * sx), x0 + 1, im.width);
        const int y0 = std::min(int(4 * cy * sy), im.height - 1), y1 = std::clamp(int((4 * cy + 4) * sy), y0 + 1, im.height);
        double r = 0, gg = 0, b = 0, s = 0, s2 = 0, mn = 1e9;
        int n = 0;
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) {
            const uint8_t* p = &im.pixels[(size_t(y) * im.width + x) * 3];
            const double gray = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            r += p[0], gg += p[1], b += p[2], s += gray, s2 += gray * gray, mn = std::min(mn, gray), ++n;
          }
        float* d = &out[(size_t(cy) * F.w + cx) * kRawDims];
        d[0] = r / n, d[1] = gg / n, d[2] = b / n, d[3] = mn;
        d[4] = std::sqrt(std::max(s2 / n - (s / n) * (s / n), 0.0));
        mean_gray[size_t(cy) * F.w + cx] = s / n;
      }
    for (int cy = 0; cy < F.h; ++cy)
      for (int cx = 0; cx < F.w; ++cx) {
        double m = 0;
        int n = 0;
        for (int yy = std::max(0, cy - 1); yy <= std::min(F.h - 1, cy + 1); ++yy)
          for (int xx = std::max(0, cx - 1); xx <= std::min(F.w - 1, cx + 1); ++xx) m += mean_gray[size_t(yy) * F.w + xx], ++n;
        float* d = &out[(size_t(cy) * F.w + cx) * kRawDims];
        d[5] = m / n - d[3];
      }
  }
  // Each dimension to unit spread over the train cells.
  for (int d = 0; d < kRawDims; ++d) {
    double s = 0, s2 = 0;
    size_t n = 0;
    for (size_t i = 0; i < data.items.size(); ++i) {
      if (data.items[i].kind != kTrain) continue;
      for (size_t c = 0; c < F.cells(); ++c) s += F.f[i][c * kRawDims + d], s2 += double(F.f[i][c * kRawDims + d]) * F.f[i][c * kRawDims + d], ++n;
    }
    const double sd = std::sqrt(std::max(s2 / n - (s / n) * (s / n), 1e-12));
    for (auto& v : F.f)
      for (size_t c = 0; c < F.cells(); ++c) v[c * kRawDims + d] = float(v[c * kRawDims + d] / sd);
  }
  return F;
}

Features BlobFeatures(const std::string& dir, const Data& data, const std::vector<float>& sigmas) {
  // BLOB_EXTRA (round 5): "lmax" adds the larger eigenvalue (a third feature a scale).
  const bool lmax_too = std::getenv("BLOB_EXTRA") && std::string(std::getenv("BLOB_EXTRA")) == "lmax";
  const int per_scale = lmax_too ? 3 : 2;
  const int kBlobDims = per_scale * static_cast<int>(sigmas.size());
  Features F;
  const Tensor& t = data.items[0].s4;
  F.w = t.width, F.h = t.height, F.dim = kBlobDims;
  F.f.resize(data.items.size());
  const WorkingGeometry& g = data.geometry;
  const char* sub[3] = {"train/good", "test/good", "test/pitting"};
  for (size_t i = 0; i < data.items.size(); ++i) {
    auto bytes = ReadFile((fs::path(dir) / sub[data.items[i].kind] / data.items[i].name).string(), 1 << 24);
    const RgbImage im = *DecodeImage(*bytes, "");
    const int W = im.width, H = im.height;
    std::vector<float> gray(size_t(W) * H);
    for (size_t k = 0; k < gray.size(); ++k)
      gray[k] = 0.299f * im.pixels[3 * k] + 0.587f * im.pixels[3 * k + 1] + 0.114f * im.pixels[3 * k + 2];
    std::vector<float>& out = F.f[i];
    out.assign(F.cells() * kBlobDims, -1e9f);
    const double sx = double(W) / g.content.width, sy = double(H) / g.content.height;
    int dim = 0;
    for (float sigma : sigmas) {
      std::vector<float> b = gray;
      GaussianBlur(b, W, H, sigma);
      const float s2 = sigma * sigma;
      for (int y = 1; y < H - 1; ++y)
        for (int x = 1; x < W - 1; ++x) {
          const float c = b[size_t(y) * W + x];
          const float xx = b[size_t(y) * W + x + 1] + b[size_t(y) * W + x - 1] - 2 * c;
          const float yy = b[size_t(y + 1) * W + x] + b[size_t(y - 1) * W + x] - 2 * c;
          const float xy = 0.25f * (b[size_t(y + 1) * W + x + 1] - b[size_t(y + 1) * W + x - 1] -
                                    b[size_t(y - 1) * W + x + 1] + b[size_t(y - 1) * W + x - 1]);
          const float lmin = 0.5f * ((xx + yy) - std::sqrt((xx - yy) * (xx - yy) + 4 * xy * xy));
          const int cx = std::min(int(x / sx) / 4, F.w - 1), cy = std::min(int(y / sy) / 4, F.h - 1);
          float* d = &out[(size_t(cy) * F.w + cx) * kBlobDims + dim];
          d[0] = std::max(d[0], s2 * lmin);
          d[1] = std::max(d[1], s2 * (xx + yy));
          if (lmax_too) d[2] = std::max(d[2], s2 * (xx + yy - lmin));
        }
      dim += per_scale;
    }
    // Cells past the content (padding) or without pixels: the edge value.
    for (int cy = 0; cy < F.h; ++cy)
      for (int cx = 0; cx < F.w; ++cx) {
        float* d = &out[(size_t(cy) * F.w + cx) * kBlobDims];
        if (d[0] > -1e8f) continue;
        const int ex = std::min(cx, int((W - 2) / sx) / 4), ey = std::min(cy, int((H - 2) / sy) / 4);
        std::memcpy(d, &out[(size_t(ey) * F.w + ex) * kBlobDims], kBlobDims * 4);
      }
  }
  for (int d = 0; d < kBlobDims; ++d) {
    double s = 0, s2 = 0;
    size_t n = 0;
    for (size_t i = 0; i < data.items.size(); ++i) {
      if (data.items[i].kind != kTrain) continue;
      for (size_t c = 0; c < F.cells(); ++c) s += F.f[i][c * kBlobDims + d], s2 += double(F.f[i][c * kBlobDims + d]) * F.f[i][c * kBlobDims + d], ++n;
    }
    const double sd = std::sqrt(std::max(s2 / n - (s / n) * (s / n), 1e-12));
    for (auto& v : F.f)
      for (size_t c = 0; c < F.cells(); ++c) v[c * kBlobDims + d] = float(v[c * kBlobDims + d] / sd);
  }
  return F;
}

}  // namespace anomalens::pitting_study
