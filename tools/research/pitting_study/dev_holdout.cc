// The dev / holdout split and its table rows (dev_holdout.h).
#include "tools/research/pitting_study/dev_holdout.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <sstream>

#include "core/lookout/metrics.h"
#include "core/lookout/pixel_metrics.h"
#include "core/model/calibration.h"
#include "core/scoring/anomaly_map.h"

namespace anomalens::pitting_study {

std::string SequenceOf(const std::string& name) {
  std::vector<std::string> f;
  std::stringstream ss(name);
  std::string tok;
  while (std::getline(ss, tok, '_')) f.push_back(tok);
  return f.size() > 3 ? f[2] + "_" + f[3] : name;
}

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

}  // namespace anomalens::pitting_study
