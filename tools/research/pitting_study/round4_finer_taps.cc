// Round 4 (`--variants r4`, any --short-side up to 460): the per-position
// model on finer taps (rounds.h). docs/model.md, "Study, fourth round".
#include "tools/research/pitting_study/rounds.h"

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/lookout/metrics.h"
#include "tools/research/pitting_study/dev_holdout.h"
#include "tools/research/pitting_study/evaluation.h"
#include "tools/research/pitting_study/features.h"
#include "tools/research/pitting_study/gaussian_scorers.h"
#include "tools/research/pitting_study/image_scores.h"
#include "tools/research/pitting_study/scores.h"
#include "tools/research/pitting_study/split.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

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

}  // namespace anomalens::pitting_study
