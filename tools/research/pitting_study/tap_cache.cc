// The backbone taps of every image, extracted once and cached (tap_cache.h).
#include "tools/research/pitting_study/tap_cache.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "core/backbone/kernels/conv3x3_stride2.h"
#include "core/backbone/kernels/depthwise_conv3x3.h"
#include "core/backbone/kernels/pointwise_conv.h"
#include "core/backbone/mobilenet_v2.h"
#include "core/features/feature_extractor.h"
#include "core/image/image_decode.h"
#include "core/image/image_resize.h"
#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"
#include "tools/research/pitting_study/clock.h"

namespace fs = std::filesystem;

namespace anomalens::pitting_study {

namespace {

// A tensor as its height, width and channels (ints), then its floats, in the
// machine's byte order: the cache is only read back by the same build.
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

// One inverted-residual block of the portable network from its weights
// (expand, depthwise, project, residual); round 4 runs it only up to block_2.
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

}  // namespace

std::vector<std::string> ListDir(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
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

}  // namespace anomalens::pitting_study
