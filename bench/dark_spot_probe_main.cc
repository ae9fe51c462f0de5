// anomalens_dark_spot_probe: how well the dark-spot features alone, in a
// position-free (shared) nearest-neighbour bank, rank an MVTec folder's test
// images. A diagnostic for issue 16's scenes, not a model.
//
//   anomalens_dark_spot_probe DIR [SHORT_SIDE] [BANK_ROWS] [SMOOTH]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/features/colour_spot_features.h"
#include "core/features/dark_spot_features.h"
#include "core/features/working_geometry.h"
#include "core/image/image_decode.h"
#include "core/scoring/coreset.h"
#include "core/scoring/image_scorer.h"
#include "core/scoring/nearest_neighbor.h"
#include "native/jobs/file_io.h"

using namespace anomalens;

static RgbImage Load(const std::string& path) {
  auto bytes = ReadFile(path, 64 << 20);
  auto img = DecodeImage(ByteSpan(bytes->data(), bytes->size()), "image/png");
  if (!img.ok()) { std::fprintf(stderr, "%s: %s\n", path.c_str(), img.status().message().c_str()); std::exit(1); }
  return *img;
}

static double RocAuc(const std::vector<double>& pos, const std::vector<double>& neg) {
  double s = 0;
  for (double p : pos) for (double n : neg) s += p > n ? 1 : p == n ? 0.5 : 0;
  return s / (pos.size() * neg.size());
}

int main(int argc, char** argv) {
  const std::string dir = argv[1];
  const int short_side = argc > 2 ? std::atoi(argv[2]) : 224;
  const size_t bank_rows = argc > 3 ? std::atoi(argv[3]) : 8192;
  const float smooth = argc > 4 ? std::atof(argv[4]) : 2.0f;
  const int mode = argc > 5 ? std::atoi(argv[5]) : 0;  // 0 dark, 1 dark + colour, 2 colour
  std::vector<RgbImage> train;
  const auto good = *ListDirectory(dir + "/train/good");
  for (auto& n : good) train.push_back(Load(dir + "/train/good/" + n));
  struct T { RgbImage img; int label; std::string name; };
  std::vector<T> test;
  const auto classes = *ListDirectory(dir + "/test");
  for (auto& c : classes)
    for (auto& n : std::vector<std::string>(*ListDirectory(dir + "/test/" + c))) test.push_back({Load(dir + "/test/" + c + "/" + n), c == "good" ? 0 : 1, c + "/" + n});
  int min_short = 1 << 30;
  for (auto& i : train) min_short = std::min(min_short, std::min(i.width, i.height));
  const double scale = std::min(1.0, static_cast<double>(short_side) / min_short);
  const std::vector<float> sigmas(std::begin(kDarkSpotSigmas), std::end(kDarkSpotSigmas));
  auto feats = [&](const RgbImage& im, WorkingGeometry* g) {
    *g = PlanGeometry({im.width, im.height}, scale, 16);
    PatchGrid d = DarkSpotFeatures(im, *g, 4, sigmas);
    if (mode == 0) return d;
    PatchGrid c = ColourSpotFeatures(im, *g, 4);
    if (mode == 2) return c;
    PatchGrid both{d.width, d.height, d.dim + c.dim, {}};
    for (size_t i = 0; i < d.cells(); ++i) {
      both.data.insert(both.data.end(), d.cell(i), d.cell(i) + d.dim);
      both.data.insert(both.data.end(), c.cell(i), c.cell(i) + c.dim);
    }
    return both;
  };
  std::vector<float> rows;
  int D = 0;
  for (auto& im : train) {
    WorkingGeometry g;
    PatchGrid p = feats(im, &g);
    D = p.dim;
    rows.insert(rows.end(), p.data.begin(), p.data.end());
  }
  const size_t n = rows.size() / D;
  std::vector<float> inv(D);
  for (int d = 0; d < D; ++d) {
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; ++i) s += rows[i * D + d], ss += rows[i * D + d] * rows[i * D + d];
    const double sd = std::sqrt(std::max(ss / n - (s / n) * (s / n), 0.0));
    inv[d] = sd > 1e-12 ? 1 / sd : 1;
  }
  for (size_t i = 0; i < n; ++i) for (int d = 0; d < D; ++d) rows[i * D + d] *= inv[d];
  std::vector<size_t> pick = GreedyCoreset(rows.data(), n, D, bank_rows);
  std::vector<float> bank;
  for (size_t i : pick) bank.insert(bank.end(), rows.begin() + i * D, rows.begin() + (i + 1) * D);
  std::vector<double> pos, neg;
  for (auto& t : test) {
    WorkingGeometry g;
    PatchGrid p = feats(t.img, &g);
    for (size_t i = 0; i < p.cells(); ++i) for (int d = 0; d < D; ++d) p.data[i * D + d] *= inv[d];
    std::vector<float> dist = BruteForceMinDistances(bank.data(), pick.size(), p.data.data(), p.cells(), D);
    const double score = ScoreCells(dist, p.width, p.height, g, smooth).score;
    (t.label ? pos : neg).push_back(score);
    std::printf("%d %.4f %s\n", t.label, score, t.name.c_str());
  }
  std::printf("ROCAUC %.4f (scale %.3f, %zu cells, bank %zu, dim %d)\n", RocAuc(pos, neg), scale, n, pick.size(), D);
}
