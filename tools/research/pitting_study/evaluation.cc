// Rounds 1 and 2's metrics (evaluation.h).
#include "tools/research/pitting_study/evaluation.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include "core/image/image_decode.h"
#include "core/image/label_mask.h"
#include "core/lookout/metrics.h"
#include "core/lookout/pixel_metrics.h"
#include "core/model/calibration.h"
#include "core/scoring/anomaly_map.h"
#include "native/jobs/file_io.h"

namespace fs = std::filesystem;

namespace anomalens::pitting_study {

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

}  // namespace anomalens::pitting_study
