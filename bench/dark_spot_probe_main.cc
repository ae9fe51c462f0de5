// anomalens_dark_spot_probe: how well the dark-spot features alone, in a
// position-free (shared) nearest-neighbour bank, rank an MVTec folder's test
// images. A diagnostic for issue 16's scenes, not a model.
//
//   anomalens_dark_spot_probe DIR [SHORT_SIDE] [BANK_ROWS] [SMOOTH] [MODE] [JPEG_QUALITY] [SIGMAS]
//
// With JPEG_QUALITY (1-100) it also scores the test/good images after
// JpegLikeRoundTrip at that quality: the features must not tell them from
// the PNGs (ROCAUC of compressed goods against PNG goods near 0.5, and the
// defects still above the compressed goods). SIGMAS: comma-separated
// dark-spot scales (default kDarkSpotSigmas).
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
#include "core/image/jpeg_like_round_trip.h"
#include "core/scoring/coreset.h"
#include "core/scoring/image_scorer.h"
#include "core/scoring/nearest_neighbor.h"
#include "native/jobs/file_io.h"

using namespace anomalens;

static RgbImage Load(const std::string& path) {
  auto bytes = ReadFile(path, 64 << 20);
  const bool jpeg = path.size() > 4 && path.substr(path.size() - 4) == ".jpg";
  auto img = DecodeImage(ByteSpan(bytes->data(), bytes->size()), jpeg ? "image/jpeg" : "image/png");
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
  const int jpeg_quality = argc > 6 ? std::atoi(argv[6]) : 0;
  const float colour_sigma = std::getenv("COLOUR_SIGMA") ? std::atof(std::getenv("COLOUR_SIGMA")) : kColourSpotSigma;
  std::vector<float> sigmas(std::begin(kDarkSpotSigmas), std::end(kDarkSpotSigmas));
  if (argc > 7) {
    sigmas.clear();
    for (const char* s = argv[7]; *s;) {
      char* end = nullptr;
      sigmas.push_back(std::strtof(s, &end));
      s = *end == ',' ? end + 1 : end;
    }
  }
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
  auto feats = [&](const RgbImage& im, WorkingGeometry* g) {
    *g = PlanGeometry({im.width, im.height}, scale, 16);
    PatchGrid d = DarkSpotFeatures(im, *g, 4, sigmas);
    if (mode == 0) return d;
    PatchGrid c = ColourSpotFeatures(im, *g, 4, colour_sigma);
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
  // NOISE_FLOOR=K: each spread at least K x the RMS change a JPEG-like
  // round trip (quality 85) makes to the feature, over the first 8 images.
  if (std::getenv("NOISE_FLOOR")) {
    const double k = std::atof(std::getenv("NOISE_FLOOR"));
    std::vector<double> sq(D, 0.0);
    double cells = 0;
    for (size_t t = 0; t < std::min<size_t>(8, train.size()); ++t) {
      WorkingGeometry g;
      const PatchGrid a = feats(train[t], &g), b = feats(JpegLikeRoundTrip(train[t], 85), &g);
      for (size_t i = 0; i < a.cells(); ++i)
        for (int d = 0; d < D; ++d) sq[d] += (a.data[i * D + d] - b.data[i * D + d]) * (a.data[i * D + d] - b.data[i * D + d]);
      cells += a.cells();
    }
    for (int d = 0; d < D; ++d) {
      const double floor = k * std::sqrt(sq[d] / cells);
      if (std::getenv("PRINT_SPREADS")) std::printf("floor[%d] %.4g\n", d, floor);
      inv[d] = std::min<double>(inv[d], floor > 0 ? 1 / floor : inv[d]);
    }
  }
  if (std::getenv("PRINT_SPREADS")) {
    for (int d = 0; d < D; ++d) std::printf("spread[%d] %.4g\n", d, 1.0 / inv[d]);
  }
  for (size_t i = 0; i < n; ++i) for (int d = 0; d < D; ++d) rows[i * D + d] *= inv[d];
  std::vector<size_t> pick = GreedyCoreset(rows.data(), n, D, bank_rows);
  std::vector<float> bank;
  for (size_t i : pick) bank.insert(bank.end(), rows.begin() + i * D, rows.begin() + (i + 1) * D);
  std::vector<double> pos, neg, compressed;
  const auto score_of = [&](const RgbImage& im) {
    WorkingGeometry g;
    PatchGrid p = feats(im, &g);
    for (size_t i = 0; i < p.cells(); ++i) for (int d = 0; d < D; ++d) p.data[i * D + d] *= inv[d];
    std::vector<float> dist = BruteForceMinDistances(bank.data(), pick.size(), p.data.data(), p.cells(), D);
    return ScoreCells(dist, p.width, p.height, g, smooth).score;
  };
  for (auto& t : test) {
    const double score = score_of(t.img);
    (t.label ? pos : neg).push_back(score);
    std::printf("%d %.4f %s\n", t.label, score, t.name.c_str());
    if (jpeg_quality > 0 && t.label == 0) {
      compressed.push_back(score_of(JpegLikeRoundTrip(t.img, jpeg_quality)));
      std::printf("j %.4f %s\n", compressed.back(), t.name.c_str());
    }
  }
  std::printf("ROCAUC %.4f (scale %.3f, %zu cells, bank %zu, dim %d)\n", RocAuc(pos, neg), scale, n, pick.size(), D);
  if (!compressed.empty()) {
    double max_good = 0;
    for (double v : neg) max_good = std::max(max_good, v);
    int above = 0;
    for (double v : compressed) above += v > max_good;
    std::printf("JPEG q%d: compressed goods vs PNG goods ROCAUC %.4f, defects vs compressed goods %.4f, "
                "%d of %zu compressed goods above every PNG good\n",
                jpeg_quality, RocAuc(compressed, neg), RocAuc(pos, compressed), above, compressed.size());
  }
}
