// Feature grids from the cached taps (features.h).
#include "tools/research/pitting_study/features.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace anomalens::pitting_study {

namespace {

struct Tap1d {
  int i0, i1;
  float w1;
};
Tap1d BilinearTap(int dst, int dst_size, int src_size) {
  float s = (dst + 0.5f) * static_cast<float>(src_size) / static_cast<float>(dst_size) - 0.5f;
  s = std::max(s, 0.0f);
  int i0 = std::min(static_cast<int>(s), src_size - 1);
  return {i0, std::min(i0 + 1, src_size - 1), s - static_cast<float>(i0)};
}

}  // namespace

Tensor BoxAverage(const Tensor& in, int k) {
  if (k <= 1) return in;
  const int r = k / 2;
  Tensor out(in.height, in.width, in.channels);
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x) {
      float* d = out.at(y, x);
      const int y0 = std::max(y - r, 0), y1 = std::min(y + r, in.height - 1);
      const int x0 = std::max(x - r, 0), x1 = std::min(x + r, in.width - 1);
      for (int yy = y0; yy <= y1; ++yy)
        for (int xx = x0; xx <= x1; ++xx) {
          const float* s = in.at(yy, xx);
          for (int c = 0; c < in.channels; ++c) d[c] += s[c];
        }
      const float inv = 1.0f / ((y1 - y0 + 1) * (x1 - x0 + 1));
      for (int c = 0; c < in.channels; ++c) d[c] *= inv;
    }
  return out;
}

Features BuildFeatures(const Data& data, int k, float cw, int tap) {
  Features F;
  const bool coarse = cw > 0;
  const Item& first = data.items[0];
  auto fine_of = [tap](const Item& it) -> const Tensor& { return tap == 2 ? it.s2 : tap == 4 ? it.s4 : it.s8; };
  const Tensor& f0 = fine_of(first);
  const Tensor& c0 = tap == 4 ? first.s8 : first.s16;
  if (f0.data.empty()) {
    std::fprintf(stderr, "no stride-%d tap cached at this short side\n", tap);
    std::exit(1);
  }
  const int FC = f0.channels, CC = c0.channels;
  F.h = f0.height;
  F.w = f0.width;
  F.dim = FC + (coarse ? CC : 0);
  F.f.resize(data.items.size());
  for (size_t i = 0; i < data.items.size(); ++i) {
    const Tensor fine = BoxAverage(fine_of(data.items[i]), k);
    std::vector<float>& out = F.f[i];
    out.assign(F.cells() * F.dim, 0.0f);
    Tensor c;
    if (coarse) c = BoxAverage(tap == 4 ? data.items[i].s8 : data.items[i].s16, k);
    for (int y = 0; y < F.h; ++y) {
      const Tap1d ty = coarse ? BilinearTap(y, F.h, c.height) : Tap1d{0, 0, 0};
      for (int x = 0; x < F.w; ++x) {
        float* d = &out[(static_cast<size_t>(y) * F.w + x) * F.dim];
        std::memcpy(d, fine.at(y, x), FC * 4);
        if (!coarse) continue;
        const Tap1d tx = BilinearTap(x, F.w, c.width);
        for (int ch = 0; ch < CC; ++ch) {
          const float top = c.at(ty.i0, tx.i0)[ch] * (1 - tx.w1) + c.at(ty.i0, tx.i1)[ch] * tx.w1;
          const float bot = c.at(ty.i1, tx.i0)[ch] * (1 - tx.w1) + c.at(ty.i1, tx.i1)[ch] * tx.w1;
          d[FC + ch] = top * (1 - ty.w1) + bot * ty.w1;
        }
      }
    }
  }
  // Layer scales over train patches.
  const int begin[2] = {0, FC}, end[2] = {FC, F.dim};
  for (int layer = 0; layer < (coarse ? 2 : 1); ++layer) {
    std::vector<double> s(F.dim, 0), ss(F.dim, 0);
    size_t n = 0;
    for (size_t i = 0; i < data.items.size(); ++i) {
      if (data.items[i].kind != kTrain) continue;
      for (size_t cell = 0; cell < F.cells(); ++cell) {
        const float* v = &F.f[i][cell * F.dim];
        for (int d = begin[layer]; d < end[layer]; ++d) s[d] += v[d], ss[d] += double(v[d]) * v[d];
      }
      n += F.cells();
    }
    double var = 0;
    for (int d = begin[layer]; d < end[layer]; ++d) var += ss[d] / n - (s[d] / n) * (s[d] / n);
    const float scale = static_cast<float>((layer == 1 ? cw : 1.0) / std::sqrt(var / (end[layer] - begin[layer])));
    for (auto& v : F.f)
      for (size_t cell = 0; cell < F.cells(); ++cell)
        for (int d = begin[layer]; d < end[layer]; ++d) v[cell * F.dim + d] *= scale;
  }
  return F;
}

std::vector<size_t> Neighbourhood(const Features& F, int y, int x, int r) {
  std::vector<size_t> out;
  for (int yy = std::max(0, y - r); yy <= std::min(F.h - 1, y + r); ++yy)
    for (int xx = std::max(0, x - r); xx <= std::min(F.w - 1, x + r); ++xx) out.push_back(size_t(yy) * F.w + xx);
  return out;
}

Features BuildRawAveraged(const Features& raw, int k) {
  Features F = raw;
  const int r = k / 2;
  for (size_t i = 0; i < raw.f.size(); ++i)
    for (int y = 0; y < F.h; ++y)
      for (int x = 0; x < F.w; ++x) {
        float* d = &F.f[i][(size_t(y) * F.w + x) * F.dim];
        std::fill(d, d + F.dim, 0.0f);
        int n = 0;
        for (int yy = std::max(0, y - r); yy <= std::min(F.h - 1, y + r); ++yy)
          for (int xx = std::max(0, x - r); xx <= std::min(F.w - 1, x + r); ++xx, ++n)
            for (int c = 0; c < F.dim; ++c) d[c] += raw.f[i][(size_t(yy) * F.w + xx) * F.dim + c];
        for (int c = 0; c < F.dim; ++c) d[c] /= n;
      }
  return F;
}

Features Concat(const Features& a, const Features& b) {
  Features F;
  F.w = a.w, F.h = a.h, F.dim = a.dim + b.dim;
  F.f.resize(a.f.size());
  for (size_t i = 0; i < a.f.size(); ++i) {
    F.f[i].resize(F.cells() * F.dim);
    for (size_t c = 0; c < F.cells(); ++c) {
      std::memcpy(&F.f[i][c * F.dim], &a.f[i][c * a.dim], a.dim * 4);
      std::memcpy(&F.f[i][c * F.dim + a.dim], &b.f[i][c * b.dim], b.dim * 4);
    }
  }
  return F;
}

}  // namespace anomalens::pitting_study
