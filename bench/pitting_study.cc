// anomalens_pitting_study: research harness for issue 3 (small defects on
// bsdata-pitting). Extracts the backbone taps of every image ONCE, caches
// them under build/, then evaluates many scoring variants in seconds with the
// metrics `anomalens evaluate` uses (core/lookout/metrics.h, core/lookout/pixel_metrics.h).
//
//   anomalens_pitting_study [--data DIR] [--short-side 224] [--variants all|LIST]
//   anomalens_pitting_study --zavg DUMP.tsv,DUMP.tsv,...
//
// LIST: comma-separated prefixes of the variant groups: shared, posnn, padim,
// padimc, fuse, retr, align, fusemin, cn, ms, fewer, img, z (image scores of
// the core's model), s4 and s4b (the stride-4 tap; short sides up to 320),
// dump and dump4 (per-image scores to build/pitting_study/); round 3, with
// dev / holdout numbers (test/ split by wear sequence, see DevHoldout): dh
// (region scores, raw colour, ensembles), blob (dark-blob features on the
// original pixels), onesided, shift (min over neighbouring cells' models),
// trim (trimmed covariance, map sigma 2), final (ensembles, blob scales),
// probe (which normals score high at the labelled pits) and bdump (peaks);
// round 4: r4 (the per-position model on the stride-2 tap and on the
// stride-4 tap at up to the native 460 px; early taps only, cached
// separately; --variants r4:TAP-K-R-S,... for chosen ones; see RunRound4);
// round 5: ref (reference retrieval: REF_DESC=f3|raw|raw-z|blob picks the
// descriptor, REF_K=N the number of references) and scales (the blob
// features at BLOB_SIGMAS=1,2,4,...; BLOB_EXTRA=lmax adds the larger
// eigenvalue; NNX=1 and CORESET=1 add the nearest-neighbour variants:
// shifts, k-NN, unstandardized, half the photos; backbone weights and the
// per-cell coreset). docs/model.md, "Study, fifth round".
//
// Honesty: every variant is fitted on train/good only; F1 uses the normal-only
// threshold rule (median + 3 robust sd of 5-fold held-out train scores, as the
// trainer does). Comparing variants by their test numbers is hyper-parameter
// research on the test set, not a clean estimate.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/backbone/kernels/conv3x3_stride2.h"
#include "core/backbone/kernels/depthwise_conv3x3.h"
#include "core/backbone/kernels/pointwise_conv.h"
#include "core/features/feature_extractor.h"
#include "core/features/working_geometry.h"
#include "core/image/connected_components.h"
#include "core/image/gaussian_blur.h"
#include "core/image/image_decode.h"
#include "core/image/image_resize.h"
#include "core/image/label_mask.h"
#include "core/lookout/metrics.h"
#include "core/lookout/pixel_metrics.h"
#include "core/model/calibration.h"
#include "core/scoring/anomaly_map.h"
#include "core/scoring/coreset.h"
#include "core/scoring/nearest_neighbor.h"
#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"

namespace fs = std::filesystem;
using namespace anomalens;

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

enum Kind { kTrain = 0, kTestGood = 1, kTestPit = 2 };

struct Item {
  int kind = 0;
  std::string name;
  Tensor s4, s8, s16;  // s4 only for short sides up to kMaxStride4Side
  Tensor s2;           // round 4 only: expanded_conv (stride 2, 16 channels)
};

constexpr int kMaxStride4Side = 320;

struct Data {
  WorkingGeometry geometry;
  std::vector<Item> items;
  double backbone_seconds_per_image = 0;
};

std::vector<std::string> ListDir(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

void WriteTensor(std::ofstream& f, const Tensor& t) {
  int h[3] = {t.height, t.width, t.channels};
  f.write(reinterpret_cast<const char*>(h), sizeof h);
  f.write(reinterpret_cast<const char*>(t.data.data()), t.data.size() * 4);
}
Tensor ReadTensor(std::ifstream& f) {
  int h[3];
  f.read(reinterpret_cast<char*>(h), sizeof h);
  Tensor t(h[0], h[1], h[2]);
  f.read(reinterpret_cast<char*>(t.data.data()), t.data.size() * 4);
  return t;
}

Data LoadOrExtract(const std::string& dir, int short_side, const std::string& cache) {
  Data data;
  const Size native{1130, 460};
  data.geometry = PlanGeometry(native, ChooseScale(native, short_side), MobileNetV2::kInputMultiple);
  std::ifstream in(cache, std::ios::binary);
  if (in) {
    int n = 0;
    in.read(reinterpret_cast<char*>(&n), 4);
    in.read(reinterpret_cast<char*>(&data.backbone_seconds_per_image), 8);
    data.items.resize(n);
    for (Item& it : data.items) {
      int len = 0;
      in.read(reinterpret_cast<char*>(&it.kind), 4);
      in.read(reinterpret_cast<char*>(&len), 4);
      it.name.resize(len);
      in.read(&it.name[0], len);
      it.s4 = ReadTensor(in);
      it.s8 = ReadTensor(in);
      it.s16 = ReadTensor(in);
    }
    std::fprintf(stderr, "loaded %d cached images from %s\n", n, cache.c_str());
    return data;
  }
  auto backbone = LoadBackbone("");
  if (!backbone.ok()) {
    std::fprintf(stderr, "%s\n", backbone.status().message().c_str());
    std::exit(1);
  }
  const std::pair<const char*, int> parts[] = {{"train/good", kTrain}, {"test/good", kTestGood}, {"test/pitting", kTestPit}};
  double t_backbone = 0;
  for (const auto& [sub, kind] : parts) {
    for (const std::string& name : ListDir(fs::path(dir) / sub)) {
      auto bytes = ReadFile((fs::path(dir) / sub / name).string(), 1 << 24);
      auto image = DecodeImage(*bytes, "");
      if (!image.ok()) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), image.status().message().c_str());
        std::exit(1);
      }
      const WorkingGeometry& g = data.geometry;
      const double t0 = Now();
      RgbImage resized = ResizeImage(*image, g.content.width, g.content.height);
      auto taps = (*backbone)->Run(BackboneInputRegion(resized, 0, 0, g.padded.width, g.padded.height),
                                   short_side <= kMaxStride4Side);
      t_backbone += Now() - t0;
      Item it;
      it.s4 = std::move(taps->stride4);
      it.kind = kind;
      it.name = name;
      it.s8 = std::move(taps->stride8);
      it.s16 = std::move(taps->stride16);
      data.items.push_back(std::move(it));
    }
  }
  data.backbone_seconds_per_image = t_backbone / data.items.size();
  std::ofstream out(cache, std::ios::binary);
  const int n = static_cast<int>(data.items.size());
  out.write(reinterpret_cast<const char*>(&n), 4);
  out.write(reinterpret_cast<const char*>(&data.backbone_seconds_per_image), 8);
  for (const Item& it : data.items) {
    const int len = static_cast<int>(it.name.size());
    out.write(reinterpret_cast<const char*>(&it.kind), 4);
    out.write(reinterpret_cast<const char*>(&len), 4);
    out.write(it.name.data(), len);
    WriteTensor(out, it.s4);
    WriteTensor(out, it.s8);
    WriteTensor(out, it.s16);
  }
  std::fprintf(stderr, "extracted %d images (%.3f s backbone each), cached to %s\n", n,
               data.backbone_seconds_per_image, cache.c_str());
  return data;
}

// Round 4: the early taps only, on the portable network cut after block_2:
// the stride-2 tap (expanded_conv's output, 16 channels) when the short side
// is at most kMaxStride2Side, and the stride-4 tap (block_2_add, 24) at any
// short side, up to the native 460 px. The whole padded image is one input
// (no tiles: tiles blend the same features, differing only near tile edges).
// Cached as build/pitting_study/early_<side>.bin.
constexpr int kMaxStride2Side = 320;

Tensor RunEarlyBlock(const MobileNetV2& net, const MobileNetV2::Block& b, const Tensor& x) {
  Tensor hidden;
  const Tensor* h = &x;
  if (b.expansion != 1) {
    hidden = PointwiseConv(x, net.Data(b.name + "_expand/kernel"), net.Data(b.name + "_expand/bias"),
                           x.channels * b.expansion, Activation::kRelu6);
    h = &hidden;
  }
  Tensor dw = DepthwiseConv3x3(*h, net.Data(b.name + "_depthwise/kernel"), net.Data(b.name + "_depthwise/bias"),
                               b.stride, Activation::kRelu6);
  const bool residual = b.stride == 1 && x.channels == b.out_channels;
  return PointwiseConv(dw, net.Data(b.name + "_project/kernel"), net.Data(b.name + "_project/bias"), b.out_channels,
                       Activation::kLinear, residual ? &x : nullptr);
}

Data LoadOrExtractEarly(const std::string& dir, int short_side, const std::string& cache) {
  Data data;
  const Size native{1130, 460};
  data.geometry = PlanGeometry(native, ChooseScale(native, short_side), MobileNetV2::kInputMultiple);
  const bool want_s2 = short_side <= kMaxStride2Side;
  std::ifstream in(cache, std::ios::binary);
  if (in) {
    int n = 0;
    in.read(reinterpret_cast<char*>(&n), 4);
    in.read(reinterpret_cast<char*>(&data.backbone_seconds_per_image), 8);
    data.items.resize(n);
    for (Item& it : data.items) {
      int len = 0;
      in.read(reinterpret_cast<char*>(&it.kind), 4);
      in.read(reinterpret_cast<char*>(&len), 4);
      it.name.resize(len);
      in.read(&it.name[0], len);
      it.s2 = ReadTensor(in);
      it.s4 = ReadTensor(in);
    }
    std::fprintf(stderr, "loaded %d cached images from %s\n", n, cache.c_str());
    return data;
  }
  auto backbone = LoadBackbone("");
  if (!backbone.ok()) {
    std::fprintf(stderr, "%s\n", backbone.status().message().c_str());
    std::exit(1);
  }
  const MobileNetV2& net = **backbone;
  const std::pair<const char*, int> parts[] = {{"train/good", kTrain}, {"test/good", kTestGood}, {"test/pitting", kTestPit}};
  double t_backbone = 0;
  for (const auto& [sub, kind] : parts) {
    for (const std::string& name : ListDir(fs::path(dir) / sub)) {
      auto bytes = ReadFile((fs::path(dir) / sub / name).string(), 1 << 24);
      auto image = DecodeImage(*bytes, "");
      if (!image.ok()) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), image.status().message().c_str());
        std::exit(1);
      }
      const WorkingGeometry& g = data.geometry;
      const double t0 = Now();
      RgbImage resized = ResizeImage(*image, g.content.width, g.content.height);
      Tensor x = Conv3x3Stride2(BackboneInputRegion(resized, 0, 0, g.padded.width, g.padded.height),
                                net.Data("Conv1/kernel"), net.Data("Conv1/bias"), MobileNetV2::kStemChannels,
                                Activation::kRelu6);
      Item it;
      for (int b = 0; b <= MobileNetV2::kStride4TapBlock; ++b) {
        x = RunEarlyBlock(net, net.blocks()[b], x);
        if (b == 0 && want_s2) it.s2 = x;
      }
      t_backbone += Now() - t0;
      it.s4 = std::move(x);
      it.kind = kind;
      it.name = name;
      data.items.push_back(std::move(it));
    }
  }
  data.backbone_seconds_per_image = t_backbone / data.items.size();
  std::ofstream out(cache, std::ios::binary);
  const int n = static_cast<int>(data.items.size());
  out.write(reinterpret_cast<const char*>(&n), 4);
  out.write(reinterpret_cast<const char*>(&data.backbone_seconds_per_image), 8);
  for (const Item& it : data.items) {
    const int len = static_cast<int>(it.name.size());
    out.write(reinterpret_cast<const char*>(&it.kind), 4);
    out.write(reinterpret_cast<const char*>(&len), 4);
    out.write(it.name.data(), len);
    WriteTensor(out, it.s2);
    WriteTensor(out, it.s4);
  }
  std::fprintf(stderr, "extracted %d images (%.3f s to block_2 each), cached to %s\n", n,
               data.backbone_seconds_per_image, cache.c_str());
  return data;
}

// ---------------------------------------------------------------- features

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

struct Features {
  int w = 0, h = 0, dim = 0;
  std::vector<std::vector<float>> f;  // per image, cells x dim
  size_t cells() const { return static_cast<size_t>(w) * h; }
};

// Fine (k x k average) + optional coarse (k x k average, upsampled), each
// layer scaled to unit spread over the train patches, coarse times cw.
// tap 8: fine = stride 8 (32), coarse = stride 16 (96); tap 4: fine =
// stride 4 (24), coarse = stride 8 (32) upsampled to the stride-4 grid.
Features BuildFeatures(const Data& data, int k, float cw, int tap = 8) {
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

// ---------------------------------------------------------------- scorers
// A scorer fills scores[img][cell] for every image: train images get
// held-out scores (5 folds by index % 5 among train images, as the trainer),
// test images scores from the model fitted on all train images.

constexpr int kFolds = 5;

struct Split {
  std::vector<int> train;         // item indices
  std::vector<int> fold_of;       // per item: fold for train, kFolds for test
};

Split MakeSplit(const Data& data, int every = 1) {
  Split s;
  s.fold_of.assign(data.items.size(), -1);  // -1: unused train image
  int seen = 0;
  for (size_t i = 0; i < data.items.size(); ++i)
    if (data.items[i].kind != kTrain) s.fold_of[i] = kFolds;
    else if (seen++ % every == 0) {
      s.fold_of[i] = static_cast<int>(s.train.size() % kFolds);
      s.train.push_back(static_cast<int>(i));
    }
  return s;
}

using Scores = std::vector<std::vector<float>>;

struct Cost {
  double fit_seconds = 0;     // fitting on all train images
  double score_ms = 0;        // scoring one test image (patch scores only)
  double model_mib = 0;
};

// Shared memory bank, greedy coreset like the trainer (ratio of patches).
Scores ScoreShared(const Features& F, const Split& sp, double ratio, Cost* cost) {
  Scores S(F.f.size());
  const double t0 = Now();
  std::vector<CoresetSource> sources;
  for (int i : sp.train) sources.push_back({F.f[i].data(), F.cells()});
  size_t target = std::min<size_t>(std::ceil(ratio * sources.size() * F.cells()), 16384);
  std::vector<float> rows;
  std::vector<int> src;
  if (ratio >= 1) {
    for (size_t k = 0; k < sp.train.size(); ++k) {
      rows.insert(rows.end(), F.f[sp.train[k]].begin(), F.f[sp.train[k]].end());
      src.insert(src.end(), F.cells(), static_cast<int>(k));
    }
  } else {
    for (const CoresetPick& p : TwoStageCoreset(sources, F.dim, target, 4)) {
      const float* r = F.f[sp.train[p.source]].data() + p.row * F.dim;
      rows.insert(rows.end(), r, r + F.dim);
      src.push_back(static_cast<int>(p.source));
    }
  }
  cost->fit_seconds = Now() - t0;
  cost->model_mib = rows.size() * 4.0 / (1 << 20);
  for (int f = 0; f <= kFolds; ++f) {
    std::vector<float> keep;
    for (size_t r = 0; r < src.size(); ++r)
      if (f == kFolds || src[r] % kFolds != f) keep.insert(keep.end(), &rows[r * F.dim], &rows[(r + 1) * F.dim]);
    NearestNeighborIndex index(keep.data(), keep.size() / F.dim, F.dim);
    const double t1 = Now();
    int n = 0;
    for (size_t i = 0; i < F.f.size(); ++i)
      if (sp.fold_of[i] == f) S[i] = index.MinDistances(F.f[i].data(), F.cells()), ++n;
    if (f == kFolds) cost->score_ms = (Now() - t1) * 1000 / n;
  }
  return S;
}

// The cells within +-r of cell (y, x), clamped to the grid.
std::vector<size_t> Neighbourhood(const Features& F, int y, int x, int r) {
  std::vector<size_t> out;
  for (int yy = std::max(0, y - r); yy <= std::min(F.h - 1, y + r); ++yy)
    for (int xx = std::max(0, x - r); xx <= std::min(F.w - 1, x + r); ++xx) out.push_back(size_t(yy) * F.w + xx);
  return out;
}

// Position-aware nearest neighbour: every training patch within +-r cells.
Scores ScorePosNN(const Features& F, const Split& sp, int r, Cost* cost) {
  Scores S(F.f.size(), std::vector<float>(F.cells()));
  double t_test = 0;
  int n_test = 0;
  for (size_t i = 0; i < F.f.size(); ++i) n_test += sp.fold_of[i] == kFolds;
  std::vector<float> rows, q;
  size_t total_rows = 0;
  for (int y = 0; y < F.h; ++y)
    for (int x = 0; x < F.w; ++x) {
      const size_t cell = size_t(y) * F.w + x;
      const std::vector<size_t> nb = Neighbourhood(F, y, x, r);
      for (int f = 0; f <= kFolds; ++f) {
        const double t0 = Now();
        rows.clear();
        for (size_t k = 0; k < sp.train.size(); ++k) {
          if (f < kFolds && int(k % kFolds) == f) continue;
          for (size_t c : nb) rows.insert(rows.end(), &F.f[sp.train[k]][c * F.dim], &F.f[sp.train[k]][(c + 1) * F.dim]);
        }
        if (f == kFolds) total_rows += rows.size() / F.dim;
        NearestNeighborIndex index(rows.data(), rows.size() / F.dim, F.dim);
        q.clear();
        std::vector<int> who;
        for (size_t i = 0; i < F.f.size(); ++i)
          if (sp.fold_of[i] == f) q.insert(q.end(), &F.f[i][cell * F.dim], &F.f[i][(cell + 1) * F.dim]), who.push_back(int(i));
        const std::vector<float> d = index.MinDistances(q.data(), who.size());
        for (size_t j = 0; j < who.size(); ++j) S[who[j]][cell] = d[j];
        if (f == kFolds) t_test += Now() - t0;
      }
    }
  cost->fit_seconds = 0;
  cost->score_ms = t_test * 1000 / n_test;
  cost->model_mib = sp.train.size() * F.cells() * F.dim * 4.0 / (1 << 20);  // all patches kept
  (void)total_rows;
  return S;
}

// PaDiM-style per-position Gaussian: mean and covariance of the train
// patches within +-r cells of each cell, covariance + eps * mean(diag) * I,
// scored by the Mahalanobis distance.
Scores ScorePadim(const Features& F, const Split& sp, int r, double eps, Cost* cost) {
  const int D = F.dim;
  Scores S(F.f.size(), std::vector<float>(F.cells()));
  double t_fit = 0, t_test = 0;
  int n_test = 0;
  for (size_t i = 0; i < F.f.size(); ++i) n_test += sp.fold_of[i] == kFolds;
  std::vector<double> s1(kFolds * D), s2(kFolds * D * D), cov(D * D), mu(D), L(D * D), z(D);
  std::vector<double> n(kFolds);
  for (int y = 0; y < F.h; ++y)
    for (int x = 0; x < F.w; ++x) {
      const size_t cell = size_t(y) * F.w + x;
      const double t0 = Now();
      const std::vector<size_t> nb = Neighbourhood(F, y, x, r);
      std::fill(s1.begin(), s1.end(), 0.0);
      std::fill(s2.begin(), s2.end(), 0.0);
      std::fill(n.begin(), n.end(), 0.0);
      for (size_t k = 0; k < sp.train.size(); ++k) {
        const int fk = int(k % kFolds);
        double* a = &s1[fk * D];
        double* b = &s2[size_t(fk) * D * D];
        for (size_t c : nb) {
          const float* v = &F.f[sp.train[k]][c * D];
          for (int p = 0; p < D; ++p) {
            a[p] += v[p];
            const double vp = v[p];
            double* row = b + size_t(p) * D;
            for (int q2 = 0; q2 <= p; ++q2) row[q2] += vp * v[q2];
          }
          n[fk] += 1;
        }
      }
      t_fit += Now() - t0;
      for (int f = 0; f <= kFolds; ++f) {
        const double t1 = Now();
        double nn = 0;
        std::fill(mu.begin(), mu.end(), 0.0);
        std::fill(cov.begin(), cov.end(), 0.0);
        for (int g = 0; g < kFolds; ++g) {
          if (g == f) continue;
          nn += n[g];
          for (int p = 0; p < D; ++p) mu[p] += s1[g * D + p];
          for (int p = 0; p < D * D; ++p) cov[p] += s2[size_t(g) * D * D + p];
        }
        for (int p = 0; p < D; ++p) mu[p] /= nn;
        double tr = 0;
        for (int p = 0; p < D; ++p)
          for (int q2 = 0; q2 <= p; ++q2) {
            cov[p * D + q2] = cov[p * D + q2] / nn - mu[p] * mu[q2];
            if (p == q2) tr += cov[p * D + p];
          }
        const double ridge = eps * tr / D;
        for (int p = 0; p < D; ++p) cov[p * D + p] += ridge;
        // Cholesky (lower).
        for (int p = 0; p < D; ++p)
          for (int q2 = 0; q2 <= p; ++q2) {
            double sum = cov[p * D + q2];
            for (int k = 0; k < q2; ++k) sum -= L[p * D + k] * L[q2 * D + k];
            L[p * D + q2] = p == q2 ? std::sqrt(std::max(sum, 1e-12)) : sum / L[q2 * D + q2];
          }
        if (f == kFolds) t_fit += Now() - t1;
        const double t2 = Now();
        for (size_t i = 0; i < F.f.size(); ++i) {
          if (sp.fold_of[i] != f) continue;
          const float* v = &F.f[i][cell * D];
          double d2 = 0;
          for (int p = 0; p < D; ++p) {
            double sum = v[p] - mu[p];
            for (int k = 0; k < p; ++k) sum -= L[p * D + k] * z[k];
            z[p] = sum / L[p * D + p];
            d2 += z[p] * z[p];
          }
          S[i][cell] = static_cast<float>(std::sqrt(d2));
        }
        if (f == kFolds) t_test += Now() - t2;
      }
    }
  cost->fit_seconds = t_fit;
  cost->score_ms = t_test * 1000 / n_test;
  cost->model_mib = F.cells() * (D + D * (D + 1) / 2) * 4.0 / (1 << 20);
  return S;
}

// The K train images nearest to each image (L2 over the whole grid of G; a
// train image only looks at other folds).
std::vector<std::vector<int>> NearestTrain(const Features& G, const Split& sp, int K) {
  std::vector<std::vector<int>> out(G.f.size());
  for (size_t i = 0; i < G.f.size(); ++i) {
    if (sp.fold_of[i] < 0) continue;
    std::vector<std::pair<double, int>> cand;
    for (size_t k = 0; k < sp.train.size(); ++k) {
      if (sp.fold_of[i] < kFolds && int(k % kFolds) == sp.fold_of[i]) continue;
      const std::vector<float>& a = G.f[i];
      const std::vector<float>& b = G.f[sp.train[k]];
      double d = 0;
      for (size_t j = 0; j < a.size(); ++j) d += double(a[j] - b[j]) * (a[j] - b[j]);
      cand.push_back({d, sp.train[k]});
    }
    const int k = std::min<int>(K, cand.size());
    std::partial_sort(cand.begin(), cand.begin() + k, cand.end());
    for (int j = 0; j < k; ++j) out[i].push_back(cand[j].second);
  }
  return out;
}

// Per cell: the smallest distance to the references' cells within +-s.
// one_sided: only features above the reference's count (more blob-like).
Scores ScoreRefNN(const Features& F, const std::vector<std::vector<int>>& refs, int s, bool one_sided, int kth = 1) {
  Scores S(F.f.size());
  const int D = F.dim;
  for (size_t i = 0; i < F.f.size(); ++i) {
    if (refs[i].empty()) continue;
    S[i].assign(F.cells(), 0.0f);
    for (int y = 0; y < F.h; ++y)
      for (int x = 0; x < F.w; ++x) {
        const float* q = &F.f[i][(size_t(y) * F.w + x) * D];
        float best = 1e30f;
        std::vector<float> all;
        for (int r : refs[i])
          for (int yy = std::max(0, y - s); yy <= std::min(F.h - 1, y + s); ++yy)
            for (int xx = std::max(0, x - s); xx <= std::min(F.w - 1, x + s); ++xx) {
              const float* v = &F.f[r][(size_t(yy) * F.w + xx) * D];
              float d = 0;
              for (int p = 0; p < D; ++p) {
                const float e = one_sided ? std::max(0.0f, q[p] - v[p]) : q[p] - v[p];
                d += e * e;
              }
              best = std::min(best, d);
              if (kth > 1) all.push_back(d);
            }
        if (kth > 1) {
          std::partial_sort(all.begin(), all.begin() + kth, all.end());
          float m = 0;
          for (int j = 0; j < kth; ++j) m += std::sqrt(all[j]) / kth;
          S[i][size_t(y) * F.w + x] = m;
          continue;
        }
        S[i][size_t(y) * F.w + x] = std::sqrt(best);
      }
  }
  return S;
}

// Reference retrieval: the K training images nearest to the test image (L2
// over the whole feature grid), then position-aware nearest neighbour over
// their patches within +-r cells.
Scores ScoreRetrieval(const Features& F, const Split& sp, int K, int r, Cost* cost) {
  const double t0 = Now();
  Scores S = ScoreRefNN(F, NearestTrain(F, sp, K), r, false);
  cost->score_ms = (Now() - t0) * 1000 / F.f.size();  // every image is scored alike
  cost->model_mib = sp.train.size() * F.cells() * F.dim * 4.0 / (1 << 20);
  return S;
}

// ---------------------------------------------------------------- evaluation

struct Masks {
  std::map<std::string, std::vector<uint8_t>> by_name;  // pitting test image -> mask (1 = defect)
};

Masks LoadMasks(const std::string& dir, const Data& data) {
  Masks m;
  for (const Item& it : data.items) {
    if (it.kind != kTestPit) continue;
    const std::string stem = fs::path(it.name).stem().string();
    auto bytes = ReadFile((fs::path(dir) / "ground_truth/pitting" / (stem + "_mask.png")).string(), 1 << 24);
    if (!bytes.ok()) {
      std::fprintf(stderr, "mask of %s: %s\n", it.name.c_str(), bytes.status().message().c_str());
      std::exit(1);
    }
    m.by_name[it.name] = BinaryDefectMask(*DecodeImageRgba(*bytes, ""));
  }
  return m;
}

struct EvalOptions {
  float sigma = 4.0f;
  int topk = 0;  // 0: image score = map max; k: mean of the k highest patch scores
};

struct Result {
  double roc = 0, f1 = 0, f1_best = 0, pix = 0, aupro = 0;
};

Result Evaluate(const Data& data, const Features& F, const Split& sp, const Scores& S, const Masks& masks,
                const EvalOptions& o) {
  std::vector<double> image_score(S.size());
  std::vector<AnomalyMap> maps(S.size());
  for (size_t i = 0; i < S.size(); ++i) {
    if (sp.fold_of[i] < 0) continue;  // a train image left out of this split
    maps[i] = BuildAnomalyMap(S[i], F.w, F.h, data.geometry, o.sigma);
    if (o.topk <= 0) {
      image_score[i] = maps[i].ContentMax();
    } else {
      // Over content cells only.
      std::vector<float> v;
      const int stride = data.geometry.padded.width / F.w;
      const int cw = (data.geometry.content.width + stride - 1) / stride;
      const int ch = (data.geometry.content.height + stride - 1) / stride;
      for (int y = 0; y < ch; ++y)
        for (int x = 0; x < cw; ++x) v.push_back(S[i][size_t(y) * F.w + x]);
      const int k = std::min<int>(o.topk, v.size());
      std::partial_sort(v.begin(), v.begin() + k, v.end(), std::greater<float>());
      double sum = 0;
      for (int j = 0; j < k; ++j) sum += v[j];
      image_score[i] = sum / k;
    }
  }
  std::vector<double> normal_held;
  for (int i : sp.train) normal_held.push_back(image_score[i]);
  const Calibration cal = Calibrate(normal_held, {});
  std::vector<ScoredLabel> scored;
  for (size_t i = 0; i < S.size(); ++i)
    if (data.items[i].kind != kTrain) scored.push_back({image_score[i], data.items[i].kind == kTestPit});
  Result r;
  r.roc = RocAuc(scored);
  r.f1 = MetricsAtThreshold(scored, cal.threshold).f1;
  r.f1_best = MetricsAtThreshold(scored, F1OptimalThreshold(scored)).f1;
  // Pixel metrics binned like `anomalens evaluate`: up to 8x the threshold,
  // with the threshold of the map maximum (the pixel maps are the same either way).
  double map_threshold = cal.threshold;
  if (o.topk > 0) {
    std::vector<double> held;
    for (int i : sp.train) held.push_back(maps[i].ContentMax());
    map_threshold = Calibrate(held, {}).threshold;
  }
  PixelMetricsAccumulator acc(8.0 * std::max(map_threshold, 1e-6));
  const Size o2 = data.geometry.original;
  const std::vector<uint8_t> zero(size_t(o2.width) * o2.height, 0);
  for (size_t i = 0; i < S.size(); ++i) {
    if (data.items[i].kind == kTrain) continue;
    const std::vector<float> m = maps[i].ToOriginal();
    const std::vector<uint8_t>& mask = data.items[i].kind == kTestPit ? masks.by_name.at(data.items[i].name) : zero;
    (void)acc.AddImage(m.data(), mask.data(), o2.width, o2.height);
  }
  r.pix = acc.PixelRocAuc();
  r.aupro = acc.Aupro();
  return r;
}

// Fusion: each score map divided by the median of its held-out train patch
// scores' 99th percentile, then combined.
float Percentile(std::vector<float> v, double q) {
  const size_t k = std::min(v.size() - 1, size_t(q * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}
Scores Normalize(const Scores& S, const Split& sp) {
  std::vector<float> all;
  for (int i : sp.train) all.insert(all.end(), S[i].begin(), S[i].end());
  const float p = Percentile(all, 0.99);
  Scores out = S;
  for (auto& v : out)
    for (float& x : v) x /= p;
  return out;
}

// Alignment: the mean over cells of the per-position variance of the fine
// features (pooled over +-r cells), divided by their variance over all cells.
double Alignment(const std::vector<std::vector<float>>& f, int w, int h, int r) {
  const int D = 32;
  std::vector<double> gs(D, 0), gss(D, 0);
  size_t gn = 0;
  double within = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::vector<double> s(D, 0), ss(D, 0);
      size_t n = 0;
      for (const auto& img : f)
        for (int yy = std::max(0, y - r); yy <= std::min(h - 1, y + r); ++yy)
          for (int xx = std::max(0, x - r); xx <= std::min(w - 1, x + r); ++xx) {
            const float* v = &img[(size_t(yy) * w + xx) * D];
            for (int d = 0; d < D; ++d) s[d] += v[d], ss[d] += double(v[d]) * v[d];
            ++n;
          }
      for (int d = 0; d < D; ++d) within += ss[d] / n - (s[d] / n) * (s[d] / n);
      for (const auto& img : f) {
        const float* v = &img[(size_t(y) * w + x) * D];
        for (int d = 0; d < D; ++d) gs[d] += v[d], gss[d] += double(v[d]) * v[d];
        ++gn;
      }
    }
  double total = 0;
  for (int d = 0; d < D; ++d) total += gss[d] / gn - (gs[d] / gn) * (gs[d] / gn);
  return within / (double(w) * h) / total;
}

// Per-cell standardization of distances by the held-out train distances at
// that cell. mode 0: (d - mean) / sd, clipped at 0 (the core's); 1: robust,
// (d - median) / (1.4826 MAD), clipped; 2: (d - mean) / (max - mean) over
// the held-out train distances, clipped (tail-normalized); 3: (d - mean) / sd
// unclipped.
Scores CellStandardize(Scores S, const Split& sp, int mode) {
  const size_t cells = S[sp.train[0]].size();
  std::vector<float> v(sp.train.size());
  for (size_t cell = 0; cell < cells; ++cell) {
    double m = 0, m2 = 0, mx = 0;
    for (size_t j = 0; j < sp.train.size(); ++j) {
      const double x = S[sp.train[j]][cell];
      v[j] = static_cast<float>(x);
      m += x, m2 += x * x, mx = std::max(mx, x);
    }
    m /= sp.train.size();
    double center = m, spread = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
    if (mode == 1) {
      center = Percentile(v, 0.5);
      for (float& x : v) x = std::fabs(x - static_cast<float>(center));
      spread = std::max(1.4826 * Percentile(v, 0.5), 1e-6);
    } else if (mode == 2) {
      spread = std::max(mx - m, 1e-6);
    }
    for (auto& img : S) {
      if (img.empty()) continue;
      const double z = (img[cell] - center) / spread;
      img[cell] = static_cast<float>(mode == 3 ? z : std::max(z, 0.0));
    }
  }
  return S;
}

// Stride-8 cell scores spread to a grid twice as fine (each cell to 2x2).
Scores Upsample2(const Scores& S, int w8, int h8, int w4, int h4) {
  Scores out(S.size());
  for (size_t i = 0; i < S.size(); ++i) {
    if (S[i].empty()) continue;
    out[i].resize(size_t(w4) * h4);
    for (int y = 0; y < h4; ++y)
      for (int x = 0; x < w4; ++x) out[i][size_t(y) * w4 + x] = S[i][size_t(std::min(y / 2, h8 - 1)) * w8 + std::min(x / 2, w8 - 1)];
  }
  return out;
}


// ------------------------------------------------- dev / holdout (round 3)
// The test images of one wear sequence (same spindle position and angle:
// name fields 3 and 4, e.g. 01_<timestamp>_277500_315_crop_2.jpg) look
// alike, so the test set is split by sequence: the sorted sequences
// alternate dev, holdout, dev, ... Variants are chosen on dev; holdout is
// looked at once, for the chosen ones.

std::string SequenceOf(const std::string& name) {
  std::vector<std::string> f;
  std::stringstream ss(name);
  std::string tok;
  while (std::getline(ss, tok, '_')) f.push_back(tok);
  return f.size() > 3 ? f[2] + "_" + f[3] : name;
}

// Per item: 0 train, 1 dev, 2 holdout.
std::vector<int> DevHoldout(const Data& data) {
  std::vector<std::string> seqs;
  for (const Item& it : data.items)
    if (it.kind != kTrain) seqs.push_back(SequenceOf(it.name));
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  std::vector<int> part(data.items.size(), 0);
  for (size_t i = 0; i < data.items.size(); ++i) {
    if (data.items[i].kind == kTrain) continue;
    const size_t k = std::lower_bound(seqs.begin(), seqs.end(), SequenceOf(data.items[i].name)) - seqs.begin();
    part[i] = k % 2 == 0 ? 1 : 2;
  }
  return part;
}

// Raw colour statistics of the original pixels under each stride-4 cell
// (about 8x8 native pixels at 224 px): mean R, G, B; the cell's darkest
// gray value; its gray spread; and how much darker its darkest pixel is than
// the 3x3-cell surroundings' mean (pits are small dark spots).
constexpr int kRawDims = 6;
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

// Dark-blob responses on the original pixels, max-pooled over each
// stride-4 cell: for sigma 1.5 and 3 native pixels, the scale-normalized
// smaller Hessian eigenvalue of the smoothed gray image (large only where
// the intensity has a minimum in both directions: a dark spot, not an edge
// or a groove) and the scale-normalized Laplacian (any dark blob or line).
Features BlobFeatures(const std::string& dir, const Data& data, const std::vector<float>& sigmas = {1.5f, 3.0f}) {
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

// One-sided per-position scorer: at each cell, per feature, the centre and
// spread of the train values within +-r cells (mean / sd, or median /
// 1.4826 MAD when robust); a cell's score is the root sum of squares of the
// positive deviations only (more blob-like than normal here), so normal
// variation in the other direction never scores. Held-out folds as above.
Scores ScoreOneSided(const Features& F, const Split& sp, int r, bool robust) {
  const int D = F.dim;
  Scores S(F.f.size(), std::vector<float>(F.cells()));
  std::vector<float> vals;
  std::vector<double> centre(D), spread(D);
  for (int y = 0; y < F.h; ++y)
    for (int x = 0; x < F.w; ++x) {
      const size_t cell = size_t(y) * F.w + x;
      const std::vector<size_t> nb = Neighbourhood(F, y, x, r);
      for (int f = 0; f <= kFolds; ++f) {
        for (int d = 0; d < D; ++d) {
          vals.clear();
          for (size_t k = 0; k < sp.train.size(); ++k) {
            if (f < kFolds && int(k % kFolds) == f) continue;
            for (size_t c : nb) vals.push_back(F.f[sp.train[k]][c * D + d]);
          }
          if (robust) {
            const float med = Percentile(vals, 0.5);
            for (float& v : vals) v = std::fabs(v - med);
            centre[d] = med, spread[d] = std::max(1.4826 * Percentile(vals, 0.5), 1e-6);
          } else {
            double m = 0, m2 = 0;
            for (float v : vals) m += v, m2 += double(v) * v;
            m /= vals.size();
            centre[d] = m, spread[d] = std::sqrt(std::max(m2 / vals.size() - m * m, 1e-12));
          }
        }
        for (size_t i = 0; i < F.f.size(); ++i) {
          if (sp.fold_of[i] != f) continue;
          double s2 = 0;
          for (int d = 0; d < D; ++d) {
            const double z = std::max((F.f[i][cell * D + d] - centre[d]) / spread[d], 0.0);
            s2 += z * z;
          }
          S[i][cell] = float(std::sqrt(s2));
        }
      }
    }
  return S;
}

// Shift-tolerant per-position Gaussian: the Gaussians of ScorePadim (train
// patches within +-r cells, ridge eps), each standardized by its own cell's
// held-out train distances; a cell's score is the smallest standardized
// distance to the Gaussians of the cells within +-s (s = 0: ScorePadim +
// CellStandardize). A normal patch whose structure moved by a cell or two
// (the spindle's end, a groove edge) matches a neighbouring model; a pit
// matches none.
Scores ScorePadimMinShift(const Features& F, const Split& sp, int r, double eps, int shift, double trim = 0) {
  const int D = F.dim;
  const size_t P = size_t(D) * (D + 1) / 2;
  const size_t per = D + P;
  // models[f][cell]: mean, then packed lower Cholesky factor.
  std::vector<std::vector<float>> models(kFolds + 1, std::vector<float>(F.cells() * per));
  std::vector<double> s1(kFolds * D), s2(kFolds * size_t(D) * D), cov(size_t(D) * D), mu(D), L(size_t(D) * D);
  std::vector<double> n(kFolds);
  for (int y = 0; y < F.h; ++y)
    for (int x = 0; x < F.w; ++x) {
      const size_t cell = size_t(y) * F.w + x;
      const std::vector<size_t> nb = Neighbourhood(F, y, x, r);
      std::fill(s1.begin(), s1.end(), 0.0);
      std::fill(s2.begin(), s2.end(), 0.0);
      std::fill(n.begin(), n.end(), 0.0);
      for (size_t k = 0; k < sp.train.size(); ++k) {
        const int fk = int(k % kFolds);
        for (size_t c : nb) {
          const float* v = &F.f[sp.train[k]][c * D];
          for (int p = 0; p < D; ++p) {
            s1[fk * D + p] += v[p];
            for (int q = 0; q <= p; ++q) s2[size_t(fk) * D * D + size_t(p) * D + q] += double(v[p]) * v[q];
          }
          n[fk] += 1;
        }
      }
      for (int f = 0; f <= kFolds; ++f) {
       for (int pass = 0; pass < (trim > 0 ? 2 : 1); ++pass) {
        double nn = 0;
        std::fill(mu.begin(), mu.end(), 0.0);
        std::fill(cov.begin(), cov.end(), 0.0);
        if (pass == 0) {
          for (int g = 0; g < kFolds; ++g) {
            if (g == f) continue;
            nn += n[g];
            for (int p = 0; p < D; ++p) mu[p] += s1[g * D + p];
            for (size_t p = 0; p < size_t(D) * D; ++p) cov[p] += s2[size_t(g) * D * D + p];
          }
        } else {
          // Trimmed refit: the patches of the first fit's Mahalanobis
          // distances above their (1 - trim) quantile are left out.
          const float* m0 = &models[f][cell * per];
          std::vector<std::pair<double, const float*>> dist;
          for (size_t k = 0; k < sp.train.size(); ++k) {
            if (f < kFolds && int(k % kFolds) == f) continue;
            for (size_t c : nb) {
              const float* v = &F.f[sp.train[k]][c * D];
              double z[64], d2 = 0;
              size_t k2 = 0;
              for (int p = 0; p < D; ++p) {
                double sum = v[p] - m0[p];
                for (int q = 0; q < p; ++q) sum -= m0[D + k2 + q] * z[q];
                z[p] = sum / m0[D + k2 + p];
                k2 += p + 1;
                d2 += z[p] * z[p];
              }
              dist.push_back({d2, v});
            }
          }
          const size_t keep = std::max<size_t>(size_t((1 - trim) * dist.size()), D + 1);
          std::nth_element(dist.begin(), dist.begin() + keep - 1, dist.end(),
                           [](const auto& a, const auto& b) { return a.first < b.first; });
          for (size_t j = 0; j < keep; ++j) {
            const float* v = dist[j].second;
            for (int p = 0; p < D; ++p) {
              mu[p] += v[p];
              for (int q = 0; q <= p; ++q) cov[p * D + q] += double(v[p]) * v[q];
            }
          }
          nn = keep;
        }
        for (int p = 0; p < D; ++p) mu[p] /= nn;
        double tr = 0;
        for (int p = 0; p < D; ++p)
          for (int q = 0; q <= p; ++q) {
            cov[p * D + q] = cov[p * D + q] / nn - mu[p] * mu[q];
            if (p == q) tr += cov[p * D + p];
          }
        for (int p = 0; p < D; ++p) cov[p * D + p] += eps * tr / D;
        float* out = &models[f][cell * per];
        for (int p = 0; p < D; ++p) out[p] = float(mu[p]);
        size_t k2 = 0;
        for (int p = 0; p < D; ++p)
          for (int q = 0; q <= p; ++q) {
            double sum = cov[p * D + q];
            for (int k = 0; k < q; ++k) sum -= L[p * D + k] * L[q * D + k];
            L[p * D + q] = p == q ? std::sqrt(std::max(sum, 1e-12)) : sum / L[q * D + q];
            out[D + k2++] = float(L[p * D + q]);
          }
       }
      }
    }
  auto mahal = [&](const float* v, const float* m) {
    double z[64], d2 = 0;
    size_t k2 = 0;
    for (int p = 0; p < D; ++p) {
      double sum = v[p] - m[p];
      for (int k = 0; k < p; ++k) sum -= m[D + k2 + k] * z[k];
      z[p] = sum / m[D + k2 + p];
      k2 += p + 1;
      d2 += z[p] * z[p];
    }
    return std::sqrt(d2);
  };
  // Own-cell held-out distances of the train images: each cell's centre and spread.
  std::vector<double> mean(F.cells(), 0), sd(F.cells(), 0);
  for (size_t cell = 0; cell < F.cells(); ++cell) {
    double m = 0, m2 = 0;
    for (int i : sp.train) {
      const double d = mahal(&F.f[i][cell * D], &models[sp.fold_of[i]][cell * per]);
      m += d, m2 += d * d;
    }
    m /= sp.train.size();
    mean[cell] = m, sd[cell] = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
  }
  Scores S(F.f.size());
  for (size_t i = 0; i < F.f.size(); ++i) {
    if (sp.fold_of[i] < 0) continue;
    S[i].resize(F.cells());
    const std::vector<float>& mf = models[sp.fold_of[i]];
    for (int y = 0; y < F.h; ++y)
      for (int x = 0; x < F.w; ++x) {
        const size_t cell = size_t(y) * F.w + x;
        double best = 1e30;
        for (size_t c2 : Neighbourhood(F, y, x, shift))
          best = std::min(best, (mahal(&F.f[i][cell * D], &mf[c2 * per]) - mean[c2]) / sd[c2]);
        S[i][cell] = float(std::max(best, 0.0));
      }
  }
  return S;
}

// Raw features box-averaged over k x k cells.
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

// Concatenation of two feature sets on the same grid.
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

// Content cells of a grid (the padding excluded).
std::vector<float> ContentCells(const Data& data, const std::vector<float>& s, int w) {
  const int stride = data.geometry.padded.width / w;
  const int cw = (data.geometry.content.width + stride - 1) / stride;
  const int ch = (data.geometry.content.height + stride - 1) / stride;
  std::vector<float> v;
  for (int y = 0; y < ch; ++y)
    for (int x = 0; x < cw; ++x) v.push_back(s[size_t(y) * w + x]);
  return v;
}

// ------------------------------------------------- round 5: references
// Wear sequences photograph the same spindle spot again and again, and the
// training photos include earlier frames of every test sequence; a pit is a
// dark spot that those earlier frames of the same spot do not have. Per
// image: the K train images nearest to it (L2 over the whole descriptor grid
// G; a train image only looks at other folds), then per cell a distance to
// those references alone.
// Per cell: a Gaussian of the references' cells within +-r (ridge eps of
// the mean variance), Mahalanobis distance.
Scores ScoreRefGauss(const Features& F, const std::vector<std::vector<int>>& refs, int r, double eps) {
  Scores S(F.f.size());
  const int D = F.dim;
  std::vector<double> mu(D), cov(D * D), L(D * D), z(D);
  for (size_t i = 0; i < F.f.size(); ++i) {
    if (refs[i].empty()) continue;
    S[i].assign(F.cells(), 0.0f);
    for (int y = 0; y < F.h; ++y)
      for (int x = 0; x < F.w; ++x) {
        const std::vector<size_t> nb = Neighbourhood(F, y, x, r);
        std::fill(mu.begin(), mu.end(), 0.0);
        std::fill(cov.begin(), cov.end(), 0.0);
        double n = 0;
        for (int ref : refs[i])
          for (size_t c : nb) {
            const float* v = &F.f[ref][c * D];
            for (int p = 0; p < D; ++p) {
              mu[p] += v[p];
              for (int q2 = 0; q2 <= p; ++q2) cov[p * D + q2] += double(v[p]) * v[q2];
            }
            n += 1;
          }
        for (int p = 0; p < D; ++p) mu[p] /= n;
        double tr = 0;
        for (int p = 0; p < D; ++p)
          for (int q2 = 0; q2 <= p; ++q2) {
            cov[p * D + q2] = cov[p * D + q2] / n - mu[p] * mu[q2];
            if (p == q2) tr += cov[p * D + p];
          }
        for (int p = 0; p < D; ++p) cov[p * D + p] += eps * tr / D + 1e-6;
        for (int p = 0; p < D; ++p)
          for (int q2 = 0; q2 <= p; ++q2) {
            double sum = cov[p * D + q2];
            for (int k = 0; k < q2; ++k) sum -= L[p * D + k] * L[q2 * D + k];
            L[p * D + q2] = p == q2 ? std::sqrt(std::max(sum, 1e-12)) : sum / L[q2 * D + q2];
          }
        const float* v = &F.f[i][(size_t(y) * F.w + x) * D];
        double d2 = 0;
        for (int p = 0; p < D; ++p) {
          double sum = v[p] - mu[p];
          for (int k = 0; k < p; ++k) sum -= L[p * D + k] * z[k];
          z[p] = sum / L[p * D + p];
          d2 += z[p] * z[p];
        }
        S[i][size_t(y) * F.w + x] = float(std::sqrt(d2));
      }
  }
  return S;
}

// Per-cell nearest neighbour against a per-cell coreset of M of the train
// images' vectors at that cell (greedy k-center, starting from the vector
// nearest the cell's mean); held-out: each fold's own coreset of the others.
Scores ScoreCellCoresetNN(const Features& F, const Split& sp, int M) {
  const int D = F.dim;
  Scores S(F.f.size());
  for (size_t i = 0; i < F.f.size(); ++i)
    if (sp.fold_of[i] >= 0) S[i].assign(F.cells(), 0.0f);
  std::vector<const float*> cand, chosen;
  std::vector<float> mind;
  for (size_t cell = 0; cell < F.cells(); ++cell)
    for (int f = 0; f <= kFolds; ++f) {
      cand.clear(), chosen.clear();
      for (size_t k = 0; k < sp.train.size(); ++k)
        if (int(k % kFolds) != f) cand.push_back(&F.f[sp.train[k]][cell * D]);
      std::vector<double> mean(D, 0.0);
      for (const float* v : cand) for (int p = 0; p < D; ++p) mean[p] += v[p] / cand.size();
      size_t first = 0;
      double bd = 1e300;
      for (size_t k = 0; k < cand.size(); ++k) {
        double d = 0;
        for (int p = 0; p < D; ++p) d += (cand[k][p] - mean[p]) * (cand[k][p] - mean[p]);
        if (d < bd) bd = d, first = k;
      }
      mind.assign(cand.size(), 1e30f);
      size_t next = first;
      for (int m = 0; m < std::min<int>(M, cand.size()); ++m) {
        chosen.push_back(cand[next]);
        float far = -1;
        for (size_t k = 0; k < cand.size(); ++k) {
          float d = 0;
          for (int p = 0; p < D; ++p) d += (cand[k][p] - cand[next][p]) * (cand[k][p] - cand[next][p]);
          mind[k] = std::min(mind[k], d);
        }
        for (size_t k = 0; k < cand.size(); ++k) if (mind[k] > far) far = mind[k], next = k;
      }
      for (size_t i = 0; i < F.f.size(); ++i) {
        if (sp.fold_of[i] != f) continue;
        const float* q = &F.f[i][cell * D];
        float best = 1e30f;
        for (const float* v : chosen) {
          float d = 0;
          for (int p = 0; p < D; ++p) d += (q[p] - v[p]) * (q[p] - v[p]);
          best = std::min(best, d);
        }
        S[i][cell] = std::sqrt(best);
      }
    }
  return S;
}

// Image scores: the smoothed map's maximum (the core's rule).
std::vector<double> MapMax(const Data& data, const Scores& S, int w, int h, float sigma = 4.0f) {
  std::vector<double> out(S.size(), 0.0);
  for (size_t i = 0; i < S.size(); ++i)
    if (!S[i].empty()) out[i] = BuildAnomalyMap(S[i], w, h, data.geometry, sigma).ContentMax();
  return out;
}

// Image score from regions: cells above tau (the 99.9th percentile of the
// held-out train cell scores) form 8-connected components; mode 0 scores a
// component by its mass (sum of score - tau), 1 by area x peak, 2 by peak
// over components of at most `max_area` cells (small spots only).
std::vector<double> RegionScore(const Data& data, const Split& sp, const Scores& S, int w, int h, int mode,
                                int max_area = 0) {
  std::vector<float> all;
  for (int i : sp.train) {
    const std::vector<float> v = ContentCells(data, S[i], w);
    all.insert(all.end(), v.begin(), v.end());
  }
  const float tau = Percentile(all, 0.999);
  std::vector<double> out(S.size(), 0.0);
  std::vector<uint8_t> mask(size_t(w) * h);
  const int stride = data.geometry.padded.width / w;
  const int cw = (data.geometry.content.width + stride - 1) / stride;
  const int ch = (data.geometry.content.height + stride - 1) / stride;
  for (size_t i = 0; i < S.size(); ++i) {
    if (S[i].empty()) continue;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) mask[size_t(y) * w + x] = x < cw && y < ch && S[i][size_t(y) * w + x] > tau;
    const ComponentLabels L = LabelConnectedComponents(mask.data(), w, h);
    std::vector<double> mass(L.count + 1, 0), peak(L.count + 1, 0), area(L.count + 1, 0);
    for (size_t c = 0; c < L.labels.size(); ++c) {
      const int l = L.labels[c];
      if (!l) continue;
      mass[l] += S[i][c] - tau, peak[l] = std::max<double>(peak[l], S[i][c] - tau), area[l] += 1;
    }
    double best = 0;
    for (int l = 1; l <= L.count; ++l) {
      const double v = mode == 0 ? mass[l] : mode == 1 ? area[l] * peak[l] : (area[l] <= max_area ? peak[l] : 0);
      best = std::max(best, v);
    }
    out[i] = best;
  }
  return out;
}

// Image scores standardized by the held-out train image scores (mean, sd),
// so different scorers can be averaged without looking at the test set.
std::vector<double> TrainZ(const std::vector<double>& v, const Split& sp) {
  double m = 0, m2 = 0;
  for (int i : sp.train) m += v[i], m2 += v[i] * v[i];
  m /= sp.train.size();
  const double sd = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = (v[i] - m) / sd;
  return out;
}

// Image scores of several variants, each standardized by its held-out train
// image scores (TrainZ), averaged.
std::vector<double> MeanTrainZ(const std::vector<std::vector<double>>& parts, const Split& sp) {
  std::vector<double> out(parts[0].size(), 0.0);
  for (const auto& p : parts) {
    const std::vector<double> z = TrainZ(p, sp);
    for (size_t i = 0; i < out.size(); ++i) out[i] += z[i] / parts.size();
  }
  return out;
}

struct Result3 {
  double roc[3] = {0, 0, 0}, pix[3] = {0, 0, 0};  // full, dev, holdout
  double f1 = 0, aupro = 0;
  double roc_consistent = 0;  // full without kInconsistentSequence (a sensitivity check, not a result)
};

// The wear sequence whose labels contradict themselves: the dark spot
// labelled pitting on 2020-09-02 (two frames) and 2020-09-05/06 is already
// there on 2020-09-01 and stays through 2020-09-03/04, labelled good (four
// test/good and, in train/good, e.g. 01_200905161849; docs/model.md).
constexpr const char* kInconsistentSequence = "585000_090";

// Image ROCAUC and pixel ROCAUC on full / dev / holdout; F1 at the
// normal-only threshold and AUPRO on full. The maps come from S (sigma 4).
Result3 Evaluate3(const Data& data, const Split& sp, const std::vector<int>& part, const std::vector<double>& image_score,
                  const Scores& S, int w, int h, const Masks& masks) {
  Result3 r;
  std::vector<double> held;
  for (int i : sp.train) held.push_back(image_score[i]);
  const Calibration cal = Calibrate(held, {});
  std::vector<AnomalyMap> maps(S.size());
  std::vector<double> map_held;
  for (size_t i = 0; i < S.size(); ++i) {
    if (sp.fold_of[i] < 0) continue;
    maps[i] = BuildAnomalyMap(S[i], w, h, data.geometry, 4.0f);
    if (data.items[i].kind == kTrain) map_held.push_back(maps[i].ContentMax());
  }
  const double map_threshold = Calibrate(map_held, {}).threshold;
  std::vector<PixelMetricsAccumulator> acc;
  for (int k = 0; k < 3; ++k) acc.emplace_back(8.0 * std::max(map_threshold, 1e-6));
  const Size o2 = data.geometry.original;
  const std::vector<uint8_t> zero(size_t(o2.width) * o2.height, 0);
  std::vector<ScoredLabel> scored[3], consistent;
  for (size_t i = 0; i < S.size(); ++i) {
    if (data.items[i].kind == kTrain) continue;
    const ScoredLabel sl{image_score[i], data.items[i].kind == kTestPit};
    scored[0].push_back(sl), scored[part[i]].push_back(sl);
    if (SequenceOf(data.items[i].name) != kInconsistentSequence) consistent.push_back(sl);
    const std::vector<float> m = maps[i].ToOriginal();
    const std::vector<uint8_t>& mask = data.items[i].kind == kTestPit ? masks.by_name.at(data.items[i].name) : zero;
    (void)acc[0].AddImage(m.data(), mask.data(), o2.width, o2.height);
    (void)acc[part[i]].AddImage(m.data(), mask.data(), o2.width, o2.height);
  }
  for (int k = 0; k < 3; ++k) r.roc[k] = RocAuc(scored[k]), r.pix[k] = acc[k].PixelRocAuc();
  r.f1 = MetricsAtThreshold(scored[0], cal.threshold).f1;
  r.aupro = acc[0].Aupro();
  r.roc_consistent = RocAuc(consistent);
  return r;
}

// Per-image scores of one variant, with the test part, for looking at errors.
// Columns: kind, part, name, image score, and the native pixel (x, y) of
// the centre of the highest-scoring content cell of S.
void DumpScores(const std::string& path, const Data& data, const std::vector<int>& part, const std::vector<double>& v,
                const Scores& S, int w) {
  std::FILE* out = std::fopen(path.c_str(), "w");
  const int stride = data.geometry.padded.width / w;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::vector<float> c = ContentCells(data, S[i], w);
    const int cw = (data.geometry.content.width + stride - 1) / stride;
    const size_t arg = std::max_element(c.begin(), c.end()) - c.begin();
    const double inv = 1.0 / data.geometry.scale;
    std::fprintf(out, "%d\t%d\t%s\t%.4f\t%d\t%d\n", data.items[i].kind, part[i], data.items[i].name.c_str(), v[i],
                 int(((arg % cw) + 0.5) * stride * inv), int(((arg / cw) + 0.5) * stride * inv));
  }
  std::fclose(out);
}

// One row of a dev / holdout table (Evaluate3); given a prefix, also the
// variant's per-image scores, build/pitting_study/<prefix><name>.tsv.
void ReportDevHoldout(const Data& data, const Split& sp, const std::vector<int>& part, const Masks& masks,
                      const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h,
                      const std::string& dump_prefix) {
  const Result3 r = Evaluate3(data, sp, part, img, S, w, h, masks);
  std::printf("%-52s %7.4f %7.4f %7.4f | %7.4f %7.4f %7.4f | %6.4f %6.4f | %7.4f\n", name.c_str(), r.roc[1], r.roc[2],
              r.roc[0], r.pix[1], r.pix[2], r.pix[0], r.f1, r.aupro, r.roc_consistent);
  std::fflush(stdout);
  if (dump_prefix.empty()) return;
  std::string file = name;
  for (char& ch : file)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  DumpScores("build/pitting_study/" + dump_prefix + file + ".tsv", data, part, img, S, w);
}

// Round 4 (`--variants r4`, any --short-side up to 460): the per-position
// model on finer taps: the stride-4 tap at higher working resolutions (up to
// the native 460 px short side) and the stride-2 tap (expanded_conv, 16
// channels) at up to 320 px. Dev / holdout / full as in round 3, with the
// cost of each model (fit seconds on all 200 train images, patch-scoring ms a
// test image, model MiB: mean + covariance factor + the per-cell
// standardization's mean and sd).
void RunRound4(const std::string& dir, int short_side, const std::string& only) {
  const std::string cache = "build/pitting_study/early_" + std::to_string(short_side) + ".bin";
  const Data data = LoadOrExtractEarly(dir, short_side, cache);
  const Split sp = MakeSplit(data);
  const Masks masks = LoadMasks(dir, data);
  const std::vector<int> part = DevHoldout(data);
  const bool has_s2 = !data.items[0].s2.data.empty();
  std::printf("round 4, short side %d: working %dx%d (padded %dx%d), stride-4 grid %dx%d, stride-2 grid %s; "
              "portable network to block_2 %.1f ms/image\n",
              short_side, data.geometry.content.width, data.geometry.content.height, data.geometry.padded.width,
              data.geometry.padded.height, data.items[0].s4.width, data.items[0].s4.height,
              has_s2 ? (std::to_string(data.items[0].s2.width) + "x" + std::to_string(data.items[0].s2.height)).c_str()
                     : "not extracted",
              data.backbone_seconds_per_image * 1000);
  std::printf("%-44s %7s %7s %7s | %7s %7s %7s | %6s %6s | %6s %7s %6s\n", "variant (r4)", "imgDev", "imgHold",
              "imgFull", "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "fit_s", "scoreMs", "MiB");
  auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h,
                 const Cost& c) {
    const Result3 r = Evaluate3(data, sp, part, img, S, w, h, masks);
    char cost[64] = "     -       -      -";  // ScorePadimMinShift does not time itself
    if (c.model_mib > 0) std::snprintf(cost, sizeof cost, "%6.1f %7.1f %6.1f", c.fit_seconds, c.score_ms, c.model_mib);
    std::printf("%-44s %7.4f %7.4f %7.4f | %7.4f %7.4f %7.4f | %6.4f %6.4f | %s\n", name.c_str(), r.roc[1], r.roc[2],
                r.roc[0], r.pix[1], r.pix[2], r.pix[0], r.f1, r.aupro, cost);
    std::fflush(stdout);
    std::string file = name;
    for (char& ch : file)
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    DumpScores("build/pitting_study/r4_" + file + ".tsv", data, part, img, S, w);
  };
  // The same map sigma in native pixels as sigma 4 at 224 px.
  const float native_sigma = 4.0f * short_side / 224.0f;
  const std::string ss = std::to_string(short_side) + " px ";
  std::map<std::string, std::vector<double>> image_scores;
  // Each spec: tap (2 or 4), k (feature averaging), r (neighbourhood of
  // the fit), s (min over the models within +-s cells; 0: own cell). Default
  // list, or explicit ones: --variants r4:TAP-K-R-S,TAP-K-R-S,...
  struct Spec { int tap, k, r, shift; };
  std::vector<Spec> specs;
  const size_t colon = only.find(':');
  if (colon != std::string::npos) {
    std::stringstream list(only.substr(colon + 1));
    std::string tok;
    while (std::getline(list, tok, ',')) {
      Spec sp4{};
      if (std::sscanf(tok.c_str(), "%d-%d-%d-%d", &sp4.tap, &sp4.k, &sp4.r, &sp4.shift) == 4) specs.push_back(sp4);
    }
  } else {
    specs = {{4, 3, 1, 0}, {4, 5, 0, 0}, {4, 5, 1, 0}};
    if (has_s2) specs.insert(specs.end(), {{2, 3, 1, 0}, {2, 3, 2, 0}, {2, 5, 1, 0}, {2, 5, 0, 0}, {2, 7, 1, 0}});
  }
  for (const Spec& spec : specs) {
    Features F = BuildFeatures(data, spec.k, 0, spec.tap);
    Cost c;
    if (spec.tap == 2 && !has_s2) continue;
    const Scores Z = spec.shift > 0 ? ScorePadimMinShift(F, sp, spec.r, 0.01, spec.shift)
                                    : CellStandardize(ScorePadim(F, sp, spec.r, 0.01, &c), sp, 0);
    F.f.clear();
    F.f.shrink_to_fit();
    if (c.model_mib > 0) c.model_mib += F.cells() * 2 * 4.0 / (1 << 20);
    const std::string name = ss + "s" + std::to_string(spec.tap) + " k" + std::to_string(spec.k) + " r" +
                             std::to_string(spec.r) + " z" + (spec.shift ? " shift" + std::to_string(spec.shift) : "");
    const std::vector<double> img = MapMax(data, Z, F.w, F.h);
    image_scores[name] = img;
    rep(name, img, Z, F.w, F.h, c);
    if (short_side != 224) {
      const std::vector<double> img_n = MapMax(data, Z, F.w, F.h, native_sigma);
      image_scores[name + ", sigma native"] = img_n;
      rep(name + ", sigma " + std::to_string(native_sigma).substr(0, 4), img_n, Z, F.w, F.h, c);
    }
    const std::vector<double> img2 = MapMax(data, Z, F.w, F.h, 2.0f);
    rep(name + ", sigma 2", img2, Z, F.w, F.h, c);
  }
  // Image z-averages of two of the above (train-image standardized).
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {ss + "s2 k5 r1 z", ss + "s4 k5 r0 z"}, {ss + "s2 k3 r1 z", ss + "s4 k5 r0 z"}, {ss + "s2 k5 r1 z", ss + "s4 k3 r1 z"}};
  for (const auto& [a, b] : pairs) {
    if (!image_scores.count(a) || !image_scores.count(b)) continue;
    const std::vector<double> za = TrainZ(image_scores[a], sp), zb = TrainZ(image_scores[b], sp);
    std::vector<double> v(za.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = 0.5 * (za[i] + zb[i]);
    std::vector<ScoredLabel> scored[3];
    for (size_t i = 0; i < v.size(); ++i) {
      if (data.items[i].kind == kTrain) continue;
      const ScoredLabel sl{v[i], data.items[i].kind == kTestPit};
      scored[0].push_back(sl), scored[part[i]].push_back(sl);
    }
    std::printf("%-44s %7.4f %7.4f %7.4f | (image scores only)\n",
                ("z-avg: " + a.substr(ss.size()) + " + " + b.substr(ss.size())).c_str(), RocAuc(scored[1]),
                RocAuc(scored[2]), RocAuc(scored[0]));
  }
}

// `--zavg A.tsv,B.tsv,...`: image ROCAUC on dev / holdout / full of the
// average of several variants' image scores, each standardized by its own
// held-out train image scores (TrainZ), read from the per-image dumps the
// variant groups write (DumpScores: kind, part, name, score, ...), so
// models at different working resolutions can be combined.
int ZAverage(const std::string& list) {
  std::map<std::string, std::pair<int, int>> label;  // name -> (kind, part)
  std::map<std::string, double> sum;
  std::stringstream files(list);
  std::string file;
  int n = 0;
  while (std::getline(files, file, ',')) {
    std::ifstream in(file);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", file.c_str());
      return 1;
    }
    std::vector<std::tuple<int, int, std::string, double>> rows;
    std::string line;
    double m = 0, m2 = 0;
    int nt = 0;
    while (std::getline(in, line)) {
      std::stringstream ls(line);
      int kind = 0, part = 0;
      std::string name;
      double score = 0;
      ls >> kind >> part >> name >> score;
      rows.emplace_back(kind, part, name, score);
      if (kind == kTrain) m += score, m2 += score * score, ++nt;
    }
    m /= nt;
    const double sd = std::sqrt(std::max(m2 / nt - m * m, 1e-12));
    for (const auto& [kind, part, name, score] : rows) {
      label[name] = {kind, part};
      sum[name] += (score - m) / sd;
    }
    ++n;
  }
  std::vector<ScoredLabel> scored[3];
  for (const auto& [name, kp] : label) {
    if (kp.first == kTrain) continue;
    const ScoredLabel sl{sum[name] / n, kp.first == kTestPit};
    scored[0].push_back(sl), scored[kp.second].push_back(sl);
  }
  std::printf("z-average of %d: image ROCAUC dev %.4f holdout %.4f full %.4f\n", n, RocAuc(scored[1]),
              RocAuc(scored[2]), RocAuc(scored[0]));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "../shared/data/bsdata-pitting";
  int short_side = 224;
  std::string only;
  for (int a = 1; a < argc; ++a) {
    const std::string k = argv[a];
    if (k == "--help" || k == "-h") {
      std::printf("usage: %s [--data DIR] [--short-side 224] [--variants all|LIST]\n"
                  "       %s --align DIR\n"
                  "LIST: comma-separated prefixes of: shared posnn padim padimc fuse retr align fusemin cn ms\n"
                  "      fewer img z s4 s4b dump dump4 dh blob onesided shift trim final probe bdump\n"
                  "      r4 or r4:TAP-K-R-S,... (round 4: stride-2 / stride-4 taps up to 460 px)\n"
                  "       %s --zavg DUMP.tsv,DUMP.tsv,... (image z-average of dumped variants)\n"
                  "      (see bench/pitting_study.cc)\n",
                  argv[0], argv[0], argv[0]);
      return 0;
    }
  }
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a], v = argv[a + 1];
    if (k == "--data") dir = v;
    else if (k == "--short-side") short_side = std::stoi(v);
    else if (k == "--variants") only = v;
    else if (k == "--zavg") return ZAverage(v);
  }
  if (argc == 3 && std::string(argv[1]) == "--align") {
    // Alignment of the normal-*.jpg / *.jpg images of a folder at 224 px.
    auto backbone = LoadBackbone("");
    std::vector<std::vector<float>> f;
    int w = 0, h = 0;
    for (const std::string& name : ListDir(argv[2])) {
      if (name.find("anomaly") != std::string::npos) continue;
      auto bytes = ReadFile((fs::path(argv[2]) / name).string(), 1 << 24);
      auto image = DecodeImage(*bytes, "");
      if (!image.ok()) continue;
      const WorkingGeometry g = PlanGeometry({image->width, image->height},
                                             ChooseScale({image->width, image->height}, 224), 16);
      RgbImage resized = ResizeImage(*image, g.content.width, g.content.height);
      auto taps = (*backbone)->Run(BackboneInputRegion(resized, 0, 0, g.padded.width, g.padded.height));
      const Tensor t = BoxAverage(taps->stride8, 3);
      w = t.width, h = t.height;
      f.push_back(t.data);
    }
    std::printf("%zu images, grid %dx%d: alignment r0 %.3f r1 %.3f\n", f.size(), w, h, Alignment(f, w, h, 0),
                Alignment(f, w, h, 1));
    return 0;
  }
  fs::create_directories("build/pitting_study");
  if (only.rfind("r4", 0) == 0) {
    RunRound4(dir, short_side, only);
    return 0;
  }
  const std::string cache = "build/pitting_study/taps_v2_" + std::to_string(short_side) + ".bin";
  const Data data = LoadOrExtract(dir, short_side, cache);
  const Split sp = MakeSplit(data);
  const Masks masks = LoadMasks(dir, data);
  std::printf("short side %d: working %dx%d, grid %dx%d, backbone %.1f ms/image\n", short_side,
              data.geometry.content.width, data.geometry.content.height, data.items[0].s8.width,
              data.items[0].s8.height, data.backbone_seconds_per_image * 1000);
  std::printf("%-44s %7s %7s %7s %7s %7s %8s %8s %8s\n", "variant", "imgAUC", "F1", "F1best", "pixAUC", "AUPRO",
              "fit_s", "ms/img", "MiB");
  std::fflush(stdout);

  auto want = [&](const std::string& name) {
    if (only.empty() || only == "all") return true;
    std::stringstream ss(only);
    std::string tok;
    while (std::getline(ss, tok, ','))
      if (name.rfind(tok, 0) == 0) return true;
    return false;
  };
  auto report = [&](const std::string& name, const Features& F, const Scores& S, const Cost& c,
                    const EvalOptions& o) {
    const Result r = Evaluate(data, F, sp, S, masks, o);
    std::printf("%-44s %7.4f %7.4f %7.4f %7.4f %7.4f %8.2f %8.2f %8.2f\n", name.c_str(), r.roc, r.f1, r.f1_best,
                r.pix, r.aupro, c.fit_seconds, c.score_ms + data.backbone_seconds_per_image * 1000, c.model_mib);
    std::fflush(stdout);
  };
  std::map<std::string, Features> fcache;
  auto feats = [&](int k, float cw, int tap = 8) -> const Features& {
    const std::string key = std::to_string(k) + "/" + std::to_string(cw) + "/" + std::to_string(tap);
    auto it = fcache.find(key);
    if (it == fcache.end()) it = fcache.emplace(key, BuildFeatures(data, k, cw, tap)).first;
    return it->second;
  };
  const std::string ss = "s" + std::to_string(short_side) + " ";

  for (float cw : {1.0f, 0.0f}) {
    const std::string name = ss + "shared k3 cw" + std::to_string(int(cw));
    if (!want("shared")) continue;
    Cost c;
    const Features& F = feats(3, cw);
    const Scores S = ScoreShared(F, sp, 0.1, &c);
    report(name, F, S, c, {});
    if (cw == 0) {
      report(name + " sigma2", F, S, c, {2.0f, 0});
      report(name + " sigma8", F, S, c, {8.0f, 0});
      report(name + " top50", F, S, c, {4.0f, 50});
    }
  }
  for (int r : {1, 2}) {
    if (!want("posnn")) continue;
    Cost c;
    const Features& F = feats(3, 0);
    const Scores S = ScorePosNN(F, sp, r, &c);
    report(ss + "posnn k3 cw0 r" + std::to_string(r), F, S, c, {});
  }
  for (int k : {3, 1, 5}) {
    for (int r : {0, 1, 2}) {
      for (double eps : {0.01, 0.1}) {
        const std::string name = ss + "padim k" + std::to_string(k) + " cw0 r" + std::to_string(r) + " eps" +
                                 std::to_string(eps).substr(0, 4);
        if (!want("padim")) continue;
        if (k != 3 && !(r == 1 && eps == 0.01)) continue;
        Cost c;
        const Features& F = feats(k, 0);
        const Scores S = ScorePadim(F, sp, r, eps, &c);
        report(name, F, S, c, {});
        if (k == 3 && r == 1 && eps == 0.01) {
          report(name + " sigma2", F, S, c, {2.0f, 0});
          report(name + " sigma8", F, S, c, {8.0f, 0});
          report(name + " top20", F, S, c, {4.0f, 20});
        }
      }
    }
  }
  // PaDiM over fine + coarse features (128 dims).
  for (float cw : {0.5f, 1.0f}) {
    for (int r : {0, 1}) {
      const std::string name = ss + "padim k3 cw" + std::to_string(cw).substr(0, 3) + " r" + std::to_string(r) + " eps0.01";
      if (!want("padimc")) continue;
      Cost c;
      const Features& F = feats(3, cw);
      const Scores S = ScorePadim(F, sp, r, 0.01, &c);
      report(name, F, S, c, {});
      report(name + " top20", F, S, c, {4.0f, 20});
    }
  }
  // Fusion: per-position Gaussian (fine) + shared bank (fine + coarse), each normalized.
  if (want("fuse")) {
    Cost c1, c2;
    const Features& Ff = feats(3, 0);
    const Scores P = Normalize(ScorePadim(Ff, sp, 1, 0.01, &c1), sp);
    const Features& Fc = feats(3, 1);
    const Scores N = Normalize(ScoreShared(Fc, sp, 0.1, &c2), sp);
    for (double w : {0.25, 0.5}) {
      Scores S = P;
      for (size_t i = 0; i < S.size(); ++i)
        for (size_t k = 0; k < S[i].size(); ++k) S[i][k] = float((1 - w) * P[i][k] + w * N[i][k]);
      Cost c = c1;
      c.fit_seconds += c2.fit_seconds, c.score_ms += c2.score_ms, c.model_mib += c2.model_mib;
      report(ss + "fuse padim-r1-fine + shared-cw1 w" + std::to_string(w).substr(0, 4), Ff, S, c, {});
    }
  }
  for (int K : {1, 3, 10}) {
    for (int r : {1, 2}) {
      if (!want("retr")) continue;
      Cost c;
      const Features& F = feats(3, 0);
      const Scores S = ScoreRetrieval(F, sp, K, r, &c);
      const std::string name = ss + "retrieval K" + std::to_string(K) + " posnn r" + std::to_string(r) + " k3 cw0";
      report(name, F, S, c, {});
      if (K == 3 && r == 1) report(name + " top20", F, S, c, {4.0f, 20});
    }
  }
  if (want("align")) {
    const Features& F = feats(3, 0);
    std::vector<std::vector<float>> f;
    for (int i : sp.train) f.push_back(F.f[i]);
    std::printf("alignment of train/good: r0 %.3f r1 %.3f\n", Alignment(f, F.w, F.h, 0), Alignment(f, F.w, F.h, 1));
  }
  if (want("fusemin")) {
    // Anomalous here AND unlike any training patch anywhere: min / geometric
    // mean of the standardized per-position score and the shared-bank
    // distance (each over its held-out train 99th percentile).
    auto cellnorm = [&](Scores S) {
      const size_t cells = S[sp.train[0]].size();
      for (size_t cell = 0; cell < cells; ++cell) {
        double m = 0, m2 = 0;
        for (int i : sp.train) m += S[i][cell], m2 += double(S[i][cell]) * S[i][cell];
        m /= sp.train.size();
        const double sd = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
        for (auto& v : S) v[cell] = float(std::max((v[cell] - m) / sd, 0.0));
      }
      return S;
    };
    Cost c1, c2;
    const Features& Ff = feats(3, 0);
    const Scores P = Normalize(cellnorm(ScorePadim(Ff, sp, 1, 0.01, &c1)), sp);
    for (float cw : {0.0f, 1.0f}) {
      const Scores N = Normalize(ScoreShared(feats(3, cw), sp, 0.1, &c2), sp);
      const Scores NZ = Normalize(cellnorm(ScoreShared(feats(3, cw), sp, 0.1, &c2)), sp);
      Cost c = c1;
      c.fit_seconds += c2.fit_seconds, c.score_ms += c2.score_ms, c.model_mib += c2.model_mib;
      for (int mode = 0; mode < 3; ++mode) {
        Scores S = P;
        for (size_t i = 0; i < S.size(); ++i)
          for (size_t k = 0; k < S[i].size(); ++k) {
            const float a = P[i][k], b = (mode == 2 ? NZ : N)[i][k];
            S[i][k] = mode == 0 ? std::min(a, b) : std::sqrt(a * b);
          }
        const char* names[3] = {"min", "geomean", "geomean, bank standardized"};
        report(ss + "pos-z x shared cw" + std::to_string(int(cw)) + " " + names[mode], Ff, S, c, {});
      }
      report(ss + "shared cw" + std::to_string(int(cw)) + " standardized per cell", Ff, NZ, c2, {});
    }
  }
  if (want("cn")) {
    // Per-cell standardized Gaussians: feature averaging k, neighbourhood r.
    for (int k : {3, 5}) {
      for (int r : {0, 1}) {
        Cost c;
        const Features& F = feats(k, 0);
        Scores S = ScorePadim(F, sp, r, 0.01, &c);
        for (size_t cell = 0; cell < F.cells(); ++cell) {
          double m = 0, m2 = 0;
          for (int i : sp.train) m += S[i][cell], m2 += double(S[i][cell]) * S[i][cell];
          m /= sp.train.size();
          const double sd = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
          for (auto& v : S) v[cell] = float(std::max((v[cell] - m) / sd, 0.0));
        }
        const std::string name = ss + "padim standardized k" + std::to_string(k) + " r" + std::to_string(r);
        report(name, F, S, c, {});
        report(name + " sigma2", F, S, c, {2.0f, 0});
      }
    }
  }
  if (want("ms")) {
    // Multi-scale: standardized Gaussians over 3x3- and 5x5/7x7-averaged features.
    auto standardized = [&](int k, int r, Cost* c) {
      const Features& F = feats(k, 0);
      Scores S = ScorePadim(F, sp, r, 0.01, c);
      for (size_t cell = 0; cell < F.cells(); ++cell) {
        double m = 0, m2 = 0;
        for (int i : sp.train) m += S[i][cell], m2 += double(S[i][cell]) * S[i][cell];
        m /= sp.train.size();
        const double sd = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
        for (auto& v : S) v[cell] = float(std::max((v[cell] - m) / sd, 0.0));
      }
      return S;
    };
    Cost c3, c5, c7;
    const Scores A = standardized(3, 1, &c3), B = standardized(5, 0, &c5), C = standardized(7, 0, &c7);
    report(ss + "padim standardized k7 r0", feats(7, 0), C, c7, {});
    Scores S = A;
    for (size_t i = 0; i < S.size(); ++i)
      for (size_t k = 0; k < S[i].size(); ++k) S[i][k] = 0.5f * (A[i][k] + B[i][k]);
    Cost c = c3;
    c.model_mib += c5.model_mib, c.score_ms += c5.score_ms;
    report(ss + "mean of standardized k3 r1 + k5 r0", feats(3, 0), S, c, {});
  }
  if (want("fewer")) {
    // Fewer training images (every k-th of train/good), per-position vs shared.
    const Features& F = feats(3, 0);
    for (int every : {20, 10, 4, 2}) {
      const Split few = MakeSplit(data, every);
      Cost c;
      Scores S = ScorePadim(F, few, 1, 0.01, &c);
      for (size_t cell = 0; cell < F.cells(); ++cell) {
        double m = 0, m2 = 0;
        for (int i : few.train) m += S[i][cell], m2 += double(S[i][cell]) * S[i][cell];
        m /= few.train.size();
        const double sd = std::sqrt(std::max(m2 / few.train.size() - m * m, 1e-12));
        for (auto& v : S) v[cell] = float(std::max((v[cell] - m) / sd, 0.0));
      }
      const std::string n = std::to_string(few.train.size());
      Result r = Evaluate(data, F, few, S, masks, {});
      std::printf("%-44s %7.4f %7.4f %7.4f %7.4f %7.4f\n", (ss + "padim cellnorm, " + n + " train").c_str(), r.roc, r.f1,
                  r.f1_best, r.pix, r.aupro);
      const Scores B = ScoreShared(feats(3, 1), few, 0.1, &c);
      r = Evaluate(data, feats(3, 1), few, B, masks, {});
      std::printf("%-44s %7.4f %7.4f %7.4f %7.4f %7.4f\n", (ss + "shared cw1, " + n + " train").c_str(), r.roc, r.f1,
                  r.f1_best, r.pix, r.aupro);
      std::fflush(stdout);
    }
  }
  if (want("img")) {
    Cost c;
    const Features& F = feats(3, 0);
    const Scores S = ScorePadim(F, sp, 1, 0.01, &c);
    const std::string name = ss + "padim k3 cw0 r1 eps0.01";
    for (int k : {5, 10, 50, 200}) report(name + " top" + std::to_string(k), F, S, c, {4.0f, k});
    // Per-cell standardization by the held-out train scores of that cell.
    Scores Z = S;
    for (size_t cell = 0; cell < F.cells(); ++cell) {
      double m = 0, m2 = 0;
      for (int i : sp.train) m += S[i][cell], m2 += double(S[i][cell]) * S[i][cell];
      m /= sp.train.size();
      const double sd = std::sqrt(std::max(m2 / sp.train.size() - m * m, 1e-12));
      for (auto& v : Z) v[cell] = float((v[cell] - m) / sd);
    }
    report(name + " cellnorm", F, Z, c, {});
    report(name + " cellnorm top20", F, Z, c, {4.0f, 20});
    // Minus the image's median patch score.
    Scores M = S;
    for (auto& v : M) {
      std::vector<float> t = v;
      const float med = Percentile(t, 0.5);
      for (float& x : v) x -= med;
    }
    report(name + " minus-median", F, M, c, {});
  }
  if (want("z")) {
    // The core's model (k3, r1, standardized) with other image scores.
    Cost c;
    const Features& F = feats(3, 0);
    const Scores D = ScorePadim(F, sp, 1, 0.01, &c);
    const char* modes[4] = {"z", "robust z", "tail z", "z unclipped"};
    for (int mode = 0; mode < 4; ++mode) {
      const Scores Z = CellStandardize(D, sp, mode);
      const std::string name = ss + "padim k3 r1 " + modes[mode];
      report(name, F, Z, c, {});
      if (mode != 0 && mode != 2) continue;
      for (float sigma : {0.5f, 2.0f, 8.0f}) report(name + " sigma" + std::to_string(sigma).substr(0, 3), F, Z, c, {sigma, 0});
      for (int k : {3, 10}) report(name + " top" + std::to_string(k), F, Z, c, {4.0f, k});
    }
  }
  if (want("s4")) {
    // Stride-4 tap (block_2_add, 24 channels), alone and with stride 8.
    for (int k : {3, 5}) {
      for (int r : {1, 2}) {
        if (k == 5 && r == 2) continue;
        Cost c;
        const Features& F = feats(k, 0, 4);
        const Scores Z = CellStandardize(ScorePadim(F, sp, r, 0.01, &c), sp, 0);
        const std::string name = ss + "s4 padim k" + std::to_string(k) + " r" + std::to_string(r) + " z";
        report(name, F, Z, c, {});
        if (k == 3 && r == 1) report(name + " sigma2", F, Z, c, {2.0f, 0});
      }
    }
    {
      Cost c;
      const Features& F = feats(3, 1, 4);
      const Scores Z = CellStandardize(ScorePadim(F, sp, 1, 0.01, &c), sp, 0);
      report(ss + "s4+s8 concat (56) padim k3 r1 z", F, Z, c, {});
    }
    {
      Cost c4, c8;
      const Features& F4 = feats(3, 0, 4);
      const Features& F8 = feats(3, 0, 8);
      const Scores A = CellStandardize(ScorePadim(F4, sp, 1, 0.01, &c4), sp, 0);
      const Scores B = Upsample2(CellStandardize(ScorePadim(F8, sp, 1, 0.01, &c8), sp, 0), F8.w, F8.h, F4.w, F4.h);
      Cost c = c4;
      c.score_ms += c8.score_ms, c.model_mib += c8.model_mib;
      for (int mode = 0; mode < 3; ++mode) {
        Scores S = A;
        for (size_t i = 0; i < S.size(); ++i)
          for (size_t k = 0; k < S[i].size(); ++k)
            S[i][k] = mode == 0 ? 0.5f * (A[i][k] + B[i][k]) : mode == 1 ? std::max(A[i][k], B[i][k])
                                                                          : std::sqrt(A[i][k] * B[i][k]);
        const char* names[3] = {"mean", "max", "geomean"};
        report(ss + "s4 z, s8 z fused: " + names[mode], F4, S, c, {});
      }
    }
  }
  if (want("s4b")) {
    // Stride-4 tap: wider averaging and other image scores.
    for (int k : {5, 7}) {
      for (int r : {0, 1}) {
        Cost c;
        const Features& F = feats(k, 0, 4);
        const Scores D = ScorePadim(F, sp, r, 0.01, &c);
        for (int mode : {0, 2}) {
          const Scores Z = CellStandardize(D, sp, mode);
          const std::string name = ss + "s4 padim k" + std::to_string(k) + " r" + std::to_string(r) +
                                   (mode == 0 ? " z" : " tail z");
          report(name, F, Z, c, {});
          if (k == 5 && r == 1) {
            report(name + " sigma2", F, Z, c, {2.0f, 0});
            for (int top : {3, 10, 30}) report(name + " top" + std::to_string(top), F, Z, c, {4.0f, top});
          }
        }
      }
    }
  }
  if (want("dh")) {
    // Round 3: every variant on dev / holdout / full (split by wear sequence).
    const std::vector<int> part = DevHoldout(data);
    int counts[3][2] = {{0, 0}, {0, 0}, {0, 0}};
    for (size_t i = 0; i < part.size(); ++i)
      if (part[i]) counts[part[i]][data.items[i].kind == kTestPit]++;
    std::printf("dev: %d good + %d pitting; holdout: %d good + %d pitting\n", counts[1][0], counts[1][1], counts[2][0],
                counts[2][1]);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (dh)", "imgDev", "imgHold", "imgFull", "pixDev",
                "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    Cost c;
    const Features& F3 = feats(3, 0, 4);
    const int w = F3.w, h = F3.h;
    const Scores P3 = CellStandardize(ScorePadim(F3, sp, 1, 0.01, &c), sp, 0);
    const std::vector<double> p3 = MapMax(data, P3, w, h);
    rep("s4 k3 r1 z (default)", p3, P3, w, h);
    rep("s4 k3 r1 z, region mass", RegionScore(data, sp, P3, w, h, 0), P3, w, h);
    rep("s4 k3 r1 z, region area x peak", RegionScore(data, sp, P3, w, h, 1), P3, w, h);
    rep("s4 k3 r1 z, peak of regions <= 4 cells", RegionScore(data, sp, P3, w, h, 2, 4), P3, w, h);
    rep("s4 k3 r1 z, peak of regions <= 16 cells", RegionScore(data, sp, P3, w, h, 2, 16), P3, w, h);
    const Scores P5 = CellStandardize(ScorePadim(feats(5, 0, 4), sp, 0, 0.01, &c), sp, 0);
    const std::vector<double> p5 = MapMax(data, P5, w, h);
    rep("s4 k5 r0 z", p5, P5, w, h);
    const Scores P5r1 = CellStandardize(ScorePadim(feats(5, 0, 4), sp, 1, 0.01, &c), sp, 0);
    const std::vector<double> p5r1 = MapMax(data, P5r1, w, h);
    rep("s4 k5 r1 z", p5r1, P5r1, w, h);
    const Features raw = RawFeatures(dir, data);
    const Scores R = CellStandardize(ScorePadim(raw, sp, 1, 0.01, &c), sp, 0);
    const std::vector<double> rr = MapMax(data, R, w, h);
    rep("raw colour r1 z", rr, R, w, h);
    const Scores R3 = CellStandardize(ScorePadim(BuildRawAveraged(raw, 3), sp, 1, 0.01, &c), sp, 0);
    rep("raw colour 3x3 r1 z", MapMax(data, R3, w, h), R3, w, h);
    const Features C = Concat(F3, raw);
    const Scores PC = CellStandardize(ScorePadim(C, sp, 1, 0.01, &c), sp, 0);
    rep("s4 k3 + raw colour (30) r1 z", MapMax(data, PC, w, h), PC, w, h);
    auto fuse = [&](const Scores& A, const Scores& B, int mode) {
      Scores S = A;
      for (size_t i = 0; i < S.size(); ++i)
        for (size_t k = 0; k < S[i].size(); ++k) S[i][k] = mode == 0 ? 0.5f * (A[i][k] + B[i][k]) : std::max(A[i][k], B[i][k]);
      return S;
    };
    const Scores M1 = fuse(P3, R, 0), M2 = fuse(P3, R, 1);
    rep("maps: mean(s4 k3 z, raw z)", MapMax(data, M1, w, h), M1, w, h);
    rep("maps: max(s4 k3 z, raw z)", MapMax(data, M2, w, h), M2, w, h);
    auto avg = [&](const std::vector<std::vector<double>>& parts) { return MeanTrainZ(parts, sp); };
    rep("image z-avg: s4 k3 + s4 k5 r0", avg({p3, p5}), P3, w, h);
    rep("image z-avg: s4 k3 + raw", avg({p3, rr}), P3, w, h);
    rep("image z-avg: s4 k3 + s4 k5 r0 + raw", avg({p3, p5, rr}), P3, w, h);
    // Shared fine bank (stride 8), top-50 mean, as a differently-failing scorer.
    const Features& F8 = feats(3, 0, 8);
    const Scores B = ScoreShared(F8, sp, 0.1, &c);
    std::vector<double> b50(B.size(), 0.0);
    for (size_t i = 0; i < B.size(); ++i) {
      if (B[i].empty()) continue;
      std::vector<float> v = ContentCells(data, B[i], F8.w);
      const int k = std::min<int>(50, v.size());
      std::partial_sort(v.begin(), v.begin() + k, v.end(), std::greater<float>());
      for (int j = 0; j < k; ++j) b50[i] += v[j] / k;
    }
    rep("image z-avg: s4 k3 + shared fine top-50", avg({p3, b50}), P3, w, h);
    rep("image z-avg: s4 k3 + s4 k5 r0 + shared fine top-50", avg({p3, p5, b50}), P3, w, h);
  }
  if (want("blob")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (blob)", "imgDev", "imgHold", "imgFull", "pixDev",
                "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    Cost c;
    const Features& F3 = feats(3, 0, 4);
    const int w = F3.w, h = F3.h;
    const Scores P3 = CellStandardize(ScorePadim(F3, sp, 1, 0.01, &c), sp, 0);
    const Features blob = BlobFeatures(dir, data);
    for (int r : {0, 1}) {
      const Scores Bz = CellStandardize(ScorePadim(blob, sp, r, 0.01, &c), sp, 0);
      rep("blob r" + std::to_string(r) + " z", MapMax(data, Bz, w, h), Bz, w, h);
      Scores M = P3, X = P3;
      for (size_t i = 0; i < M.size(); ++i)
        for (size_t k = 0; k < M[i].size(); ++k) M[i][k] = 0.5f * (P3[i][k] + Bz[i][k]), X[i][k] = std::max(P3[i][k], Bz[i][k]);
      rep("maps: mean(s4 k3 z, blob r" + std::to_string(r) + " z)", MapMax(data, M, w, h), M, w, h);
      rep("maps: max(s4 k3 z, blob r" + std::to_string(r) + " z)", MapMax(data, X, w, h), X, w, h);
    }
    const Scores PB = CellStandardize(ScorePadim(Concat(F3, blob), sp, 1, 0.01, &c), sp, 0);
    rep("s4 k3 + blob (28) r1 z", MapMax(data, PB, w, h), PB, w, h);
  }
  if (want("onesided")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (one-sided)", "imgDev", "imgHold", "imgFull",
                "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    const Features blob = BlobFeatures(dir, data);
    const int w = blob.w, h = blob.h;
    for (int r : {1, 0}) {
      for (bool robust : {false, true}) {
        const Scores O = ScoreOneSided(blob, sp, r, robust);
        const std::string n = std::string("blob one-sided ") + (robust ? "median/MAD" : "mean/sd") + " r" + std::to_string(r);
        rep(n, MapMax(data, O, w, h), O, w, h);
        const Scores Z = CellStandardize(O, sp, 0);
        rep(n + ", cell z", MapMax(data, Z, w, h), Z, w, h);
      }
    }
  }
  if (want("bdump")) {
    // The blob r1 z and default maps, dumped with their peak locations.
    const std::vector<int> part = DevHoldout(data);
    Cost c;
    const Features blob = BlobFeatures(dir, data);
    const Scores Bz = CellStandardize(ScorePadim(blob, sp, 1, 0.01, &c), sp, 0);
    DumpScores("build/pitting_study/peak_blob_r1.tsv", data, part, MapMax(data, Bz, blob.w, blob.h), Bz, blob.w);
    const Scores P3 = CellStandardize(ScorePadim(feats(3, 0, 4), sp, 1, 0.01, &c), sp, 0);
    DumpScores("build/pitting_study/peak_s4.tsv", data, part, MapMax(data, P3, blob.w, blob.h), P3, blob.w);
  }
  if (want("shift")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (shift)", "imgDev", "imgHold", "imgFull",
                "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    const Features& F3 = feats(3, 0, 4);
    const int w = F3.w, h = F3.h;
    const Features blob = BlobFeatures(dir, data);
    for (int shift : {0, 1, 2}) {
      const Scores B = ScorePadimMinShift(blob, sp, 1, 0.01, shift);
      rep("blob r1 z, min over shifts +-" + std::to_string(shift), MapMax(data, B, w, h), B, w, h);
      const Scores P = ScorePadimMinShift(F3, sp, 1, 0.01, shift);
      rep("s4 k3 r1 z, min over shifts +-" + std::to_string(shift), MapMax(data, P, w, h), P, w, h);
    }
  }
  if (want("probe")) {
    // Which train/good images score highest (held out) at the labelled pit
    // cells of the low-scoring pitting images: unlabelled pits in training?
    Cost c;
    const Features blob = BlobFeatures(dir, data);
    const Scores Bz = CellStandardize(ScorePadim(blob, sp, 1, 0.01, &c), sp, 0);
    const Scores P3 = CellStandardize(ScorePadim(feats(3, 0, 4), sp, 1, 0.01, &c), sp, 0);
    const int stride = data.geometry.padded.width / blob.w;
    // Native (x, y) of the labelled pits of low-scoring pitting images in
    // sequences 585000_090, 395000_270, 462500_045, 277500_315, 517500_315
    // and 397500_315 (at or near their masks' centres).
    const std::pair<int, int> spots[] = {{772, 224}, {342, 318}, {500, 267}, {395, 298}, {717, 229}, {865, 201}};
    for (const auto& [nx, ny] : spots) {
      const size_t cell = size_t(ny * data.geometry.scale / stride) * blob.w + size_t(nx * data.geometry.scale / stride);
      std::vector<std::pair<float, int>> v;
      for (size_t i = 0; i < Bz.size(); ++i)
        if (data.items[i].kind != kTestPit) v.push_back({Bz[i][cell], int(i)});
      std::sort(v.rbegin(), v.rend());
      std::printf("native (%d, %d), cell %zu: highest blob z among normals (train held-out / test good):\n", nx, ny, cell);
      for (int k = 0; k < 6; ++k)
        std::printf("  %6.2f (s4 z %5.2f) %s %s\n", v[k].first, P3[v[k].second][cell], data.items[v[k].second].kind == kTrain ? "train/good" : "test/good ",
                    data.items[v[k].second].name.c_str());
    }
  }
  if (want("trim")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (trim)", "imgDev", "imgHold", "imgFull",
                "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    const Features blob = BlobFeatures(dir, data);
    const int w = blob.w, h = blob.h;
    for (int shift : {0, 1}) {
      const Scores B0 = ScorePadimMinShift(blob, sp, 1, 0.01, shift);
      rep("blob r1 z shift" + std::to_string(shift) + ", map sigma 2", MapMax(data, B0, w, h, 2.0f), B0, w, h);
      for (double trim : {0.01, 0.03, 0.1}) {
        const Scores B = ScorePadimMinShift(blob, sp, 1, 0.01, shift, trim);
        rep("blob r1 z shift" + std::to_string(shift) + ", trimmed " + std::to_string(trim).substr(0, 4), MapMax(data, B, w, h), B, w, h);
      }
    }
  }
  if (want("final")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (final)", "imgDev", "imgHold", "imgFull",
                "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "dh_");
    };
    auto avg = [&](const std::vector<std::vector<double>>& parts) { return MeanTrainZ(parts, sp); };
    Cost c;
    const Features blob = BlobFeatures(dir, data);
    const int w = blob.w, h = blob.h;
    const Scores B = ScorePadimMinShift(blob, sp, 1, 0.01, 1);
    const std::vector<double> b = MapMax(data, B, w, h, 2.0f);
    const Scores P5 = CellStandardize(ScorePadim(feats(5, 0, 4), sp, 0, 0.01, &c), sp, 0);
    const Scores P3 = CellStandardize(ScorePadim(feats(3, 0, 4), sp, 1, 0.01, &c), sp, 0);
    rep("image z-avg: blob shift1 sigma2 + s4 k3 r1 z", avg({b, MapMax(data, P3, w, h)}), P3, w, h);
    rep("image z-avg: blob shift1 sigma2 + s4 k5 r0 z", avg({b, MapMax(data, P5, w, h)}), P3, w, h);
    const Features blob4 = BlobFeatures(dir, data, {1.0f, 1.5f, 2.25f, 3.5f});
    const Scores B4 = ScorePadimMinShift(blob4, sp, 1, 0.01, 1);
    rep("blob 4 scales (1, 1.5, 2.25, 3.5) shift1 sigma2", MapMax(data, B4, w, h, 2.0f), B4, w, h);
    const Features blob1 = BlobFeatures(dir, data, {1.5f});
    const Scores B1 = ScorePadimMinShift(blob1, sp, 1, 0.01, 1);
    rep("blob 1 scale (1.5) shift1 sigma2", MapMax(data, B1, w, h, 2.0f), B1, w, h);
  }
  if (want("ref")) {
    const std::vector<int> part = DevHoldout(data);
    std::printf("%-52s %7s %7s %7s | %7s %7s %7s | %6s %6s | %7s\n", "variant (references)", "imgDev", "imgHold",
                "imgFull", "pixDev", "pixHold", "pixFull", "F1", "AUPRO", "img-585");
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "ref_");
    };
    auto avg = [&](const std::vector<std::vector<double>>& parts) { return MeanTrainZ(parts, sp); };
    Cost c;
    const Features blob = BlobFeatures(dir, data);
    const int w = blob.w, h = blob.h;
    const Features& F3 = feats(3, 0, 4);
    const Scores P3 = CellStandardize(ScorePadim(F3, sp, 1, 0.01, &c), sp, 0);
    const Scores B = ScorePadimMinShift(blob, sp, 1, 0.01, 1);
    const std::vector<double> p3 = MapMax(data, P3, w, h), b = MapMax(data, B, w, h, 2.0f);
    rep("default: z-avg blob shift1 sigma2 + s4 k3 r1 z", avg({b, p3}), P3, w, h);
    const char* env_k = std::getenv("REF_K");
    std::vector<int> ks = {5, 10};
    if (env_k) ks = {std::atoi(env_k)};
    // The retrieval descriptor: REF_DESC = f3 (the stride-4 backbone grid,
    // default), raw (per-cell mean colour, 3 features), raw-z (that, each
    // image's grid standardized), blob.
    const std::string desc = std::getenv("REF_DESC") ? std::getenv("REF_DESC") : "f3";
    Features D = F3;
    if (desc == "raw" || desc == "raw-z") {
      const Features raw = RawFeatures(dir, data);
      D.dim = 3, D.f.assign(raw.f.size(), {});
      for (size_t i = 0; i < raw.f.size(); ++i)
        for (size_t cell = 0; cell < raw.cells(); ++cell)
          for (int p = 0; p < 3; ++p) D.f[i].push_back(raw.f[i][cell * raw.dim + p]);
      if (desc == "raw-z")
        for (auto& v : D.f) {
          double m = 0, m2 = 0;
          for (float x : v) m += x, m2 += double(x) * x;
          m /= v.size();
          const double sd = std::sqrt(std::max(m2 / v.size() - m * m, 1e-12));
          for (float& x : v) x = float((x - m) / sd);
        }
    } else if (desc == "blob") {
      D = blob;
    }
    for (int K : ks) {
      const double t0 = Now();
      const auto refs = NearestTrain(D, sp, K);
      int same = 0, total = 0;
      for (size_t i = 0; i < refs.size(); ++i)
        for (int r : refs[i]) same += SequenceOf(data.items[r].name) == SequenceOf(data.items[i].name), ++total;
      std::printf("K %d: %.1f%% of references from the image's own sequence (%.1f s)\n", K, 100.0 * same / total,
                  Now() - t0);
      const std::string k = "K" + std::to_string(K) + " ";
      for (int s : {0, 1}) {
        for (bool one : {false, true}) {
          const std::string nm = k + "blob NN shift" + std::to_string(s) + (one ? " one-sided" : "");
          const Scores R = CellStandardize(ScoreRefNN(blob, refs, s, one), sp, 0);
          const std::vector<double> r2 = MapMax(data, R, w, h, 2.0f), r4 = MapMax(data, R, w, h);
          rep(nm + " z sigma2", r2, R, w, h);
          rep(nm + " z sigma4", r4, R, w, h);
          rep("z-avg: " + nm + " sigma2 + default's two", avg({r2, b, p3}), R, w, h);
          rep("z-avg: " + nm + " sigma2 + s4 k3", avg({r2, p3}), R, w, h);
        }
      }
      const Scores G = CellStandardize(ScoreRefGauss(blob, refs, 1, 0.01), sp, 0);
      const std::vector<double> g2 = MapMax(data, G, w, h, 2.0f);
      rep(k + "blob Gaussian r1 z sigma2", g2, G, w, h);
      rep("z-avg: " + k + "blob Gaussian r1 sigma2 + default's two", avg({g2, b, p3}), G, w, h);
      const Scores N3 = CellStandardize(ScoreRefNN(F3, refs, 1, false), sp, 0);
      const std::vector<double> n3 = MapMax(data, N3, w, h);
      rep(k + "s4 k3 NN shift1 z", n3, N3, w, h);
      rep("z-avg: " + k + "s4 k3 NN shift1 + default's two", avg({n3, b, p3}), N3, w, h);
    }
  }
  if (want("scales")) {
    // BLOB_SIGMAS="1.5,3,6": the dark-spot channel at other scale sets.
    const std::vector<int> part = DevHoldout(data);
    auto rep = [&](const std::string& name, const std::vector<double>& img, const Scores& S, int w, int h) {
      ReportDevHoldout(data, sp, part, masks, name, img, S, w, h, "");
    };
    auto avg = [&](const std::vector<std::vector<double>>& parts) { return MeanTrainZ(parts, sp); };
    std::vector<float> sig;
    std::stringstream ls(std::getenv("BLOB_SIGMAS") ? std::getenv("BLOB_SIGMAS") : "1.5,3");
    for (std::string t; std::getline(ls, t, ',');) sig.push_back(std::stof(t));
    Cost c;
    const Features blob = BlobFeatures(dir, data, sig);
    const int w = blob.w, h = blob.h;
    const Scores P3 = CellStandardize(ScorePadim(feats(3, 0, 4), sp, 1, 0.01, &c), sp, 0);
    const std::vector<double> p3 = MapMax(data, P3, w, h);
    for (int r : {0, 1}) {
      const Scores B = ScorePadimMinShift(blob, sp, r, 0.01, 1);
      const std::vector<double> b = MapMax(data, B, w, h, 2.0f);
      rep("blob r" + std::to_string(r) + " shift1 sigma2", b, B, w, h);
      rep("z-avg: that + s4 k3", avg({b, p3}), B, w, h);
      if (r == 0) {
        rep("blob r0 shift1 sigma1", MapMax(data, B, w, h, 1.0f), B, w, h);
        rep("blob r0 shift1 sigma4", MapMax(data, B, w, h, 4.0f), B, w, h);
        const Scores B0 = ScorePadimMinShift(blob, sp, 0, 0.01, 0);
        rep("blob r0 shift0 sigma2", MapMax(data, B0, w, h, 2.0f), B0, w, h);
        const Scores B2 = ScorePadimMinShift(blob, sp, 0, 0.01, 2);
        rep("blob r0 shift2 sigma2", MapMax(data, B2, w, h, 2.0f), B2, w, h);
        const Scores N = CellStandardize(ScoreRefNN(blob, NearestTrain(blob, sp, 200), 0, false), sp, 0);
        const std::vector<double> n = MapMax(data, N, w, h, 2.0f);
        rep("all-train NN shift0 z sigma2", n, N, w, h);
        rep("z-avg: that + blob r0 shift1", avg({n, b}), N, w, h);
        if (std::getenv("CORESET")) {
          rep("NN + s4 k3 image z-avg", avg({n, p3}), N, w, h);
          {
            const std::vector<double> zn = TrainZ(n, sp), zp = TrainZ(p3, sp);
            for (double wb : {0.1, 0.25}) {
              std::vector<double> v(zn.size());
              for (size_t i = 0; i < v.size(); ++i) v[i] = (1 - wb) * zn[i] + wb * zp[i];
              rep("NN + s4 k3 image z-avg, backbone weight " + std::to_string(wb).substr(0, 4), v, N, w, h);
            }
          }
          Scores Mn = N;
          for (size_t i = 0; i < Mn.size(); ++i)
            for (size_t k = 0; k < Mn[i].size(); ++k) Mn[i][k] = 0.5f * (N[i][k] + P3[i][k]);
          rep("NN alone, map mean with s4 k3", n, Mn, w, h);
          for (int M : {64}) {
            const Scores C = CellStandardize(ScoreCellCoresetNN(blob, sp, M), sp, 0);
            rep("cell coreset " + std::to_string(M) + " NN z sigma2", MapMax(data, C, w, h, 2.0f), C, w, h);
          }
        }
        if (std::getenv("NNX")) {
          const auto all = NearestTrain(blob, sp, 200);
          const Scores N1 = CellStandardize(ScoreRefNN(blob, all, 1, false), sp, 0);
          rep("all-train NN shift1 z sigma2", MapMax(data, N1, w, h, 2.0f), N1, w, h);
          const Scores N3 = CellStandardize(ScoreRefNN(blob, all, 0, false, 3), sp, 0);
          rep("all-train 3-NN mean shift0 z sigma2", MapMax(data, N3, w, h, 2.0f), N3, w, h);
          const Scores NR = ScoreRefNN(blob, all, 0, false);
          rep("all-train NN shift0 raw sigma2", MapMax(data, NR, w, h, 2.0f), NR, w, h);
          rep("all-train NN shift0 z sigma1", MapMax(data, N, w, h, 1.0f), N, w, h);
          std::vector<std::vector<int>> half = all;
          for (auto& v : half) {
            std::vector<int> keep;
            for (int r : v) if (r % 2 == 0) keep.push_back(r);
            v = keep;
          }
          const Scores NH = CellStandardize(ScoreRefNN(blob, half, 0, false), sp, 0);
          rep("half-train NN shift0 z sigma2", MapMax(data, NH, w, h, 2.0f), NH, w, h);
        }
      }
    }
  }
  if (want("dump4")) {
    // Per-image scores of the stride-4 k5 r0 standardized model.
    Cost c;
    const Features& F = feats(5, 0, 4);
    const Scores S = CellStandardize(ScorePadim(F, sp, 0, 0.01, &c), sp, 0);
    std::FILE* out = std::fopen("build/pitting_study/dump4.tsv", "w");
    for (size_t i = 0; i < S.size(); ++i) {
      const AnomalyMap m = BuildAnomalyMap(S[i], F.w, F.h, data.geometry, 4.0f);
      size_t arg = std::max_element(S[i].begin(), S[i].end()) - S[i].begin();
      std::fprintf(out, "%d\t%s\t%.4f\t%zu\t%zu\n", data.items[i].kind, data.items[i].name.c_str(), m.ContentMax(),
                   arg % F.w, arg / F.w);
    }
    std::fclose(out);
  }
  // Per-image dump of one variant, for looking at the errors.
  if (want("dump")) {
    Cost c;
    const Features& F = feats(3, 0);
    const Scores S = ScorePadim(F, sp, 1, 0.01, &c);
    std::FILE* out = std::fopen("build/pitting_study/dump.tsv", "w");
    for (size_t i = 0; i < S.size(); ++i) {
      const AnomalyMap m = BuildAnomalyMap(S[i], F.w, F.h, data.geometry, 4.0f);
      size_t arg = std::max_element(S[i].begin(), S[i].end()) - S[i].begin();
      std::fprintf(out, "%d\t%s\t%.4f\t%zu\t%zu\n", data.items[i].kind, data.items[i].name.c_str(), m.ContentMax(),
                   arg % F.w, arg / F.w);
    }
    std::fclose(out);
  }
  return 0;
}
