// Alignment of a set of images (alignment.h).
#include "tools/research/pitting_study/alignment.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/features/feature_extractor.h"
#include "core/features/working_geometry.h"
#include "core/image/image_decode.h"
#include "core/image/image_resize.h"
#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"
#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace fs = std::filesystem;

namespace anomalens::pitting_study {

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

int PrintFolderAlignment(const std::string& folder) {
  // Alignment of the normal-*.jpg / *.jpg images of a folder at 224 px.
  auto backbone = LoadBackbone("");
  std::vector<std::vector<float>> f;
  int w = 0, h = 0;
  for (const std::string& name : ListDir(folder)) {
    if (name.find("anomaly") != std::string::npos) continue;
    auto bytes = ReadFile((fs::path(folder) / name).string(), 1 << 24);
    auto image = DecodeImage(*bytes, "");
    if (!image.ok()) continue;
    const WorkingGeometry g = PlanGeometry({image->width, image->height},
                                           ChooseScale({image->width, image->height}, 224), 16);
    RgbImage resized = ResizeImage(*image, g.content.width, g.content.height);
    auto taps = (*backbone)->Run(BackboneInputRegion(resized, 0, 0, g.padded.width, g.padded.height));
    const Tensor t = BoxAverage(taps->stride8, 3);
    w = t.width, h = t.height;
    f.emplace_back(t.data.begin(), t.data.end());
  }
  std::printf("%zu images, grid %dx%d: alignment r0 %.3f r1 %.3f\n", f.size(), w, h, Alignment(f, w, h, 0),
              Alignment(f, w, h, 1));
  return 0;
}

}  // namespace anomalens::pitting_study
