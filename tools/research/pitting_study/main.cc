// anomalens_pitting_study: research harness for issue 3 (small defects on
// bsdata-pitting). Extracts the backbone taps of every image ONCE, caches
// them under build/, then evaluates many scoring variants in seconds with the
// metrics `anomalens evaluate` uses (core/lookout/metrics.h, core/lookout/pixel_metrics.h).
// Not a benchmark: README.md says how to run it and which section of
// docs/model.md each round backs.
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
#include <cstdio>
#include <filesystem>
#include <string>

#include "tools/research/pitting_study/alignment.h"
#include "tools/research/pitting_study/evaluation.h"
#include "tools/research/pitting_study/rounds.h"
#include "tools/research/pitting_study/split.h"
#include "tools/research/pitting_study/study.h"
#include "tools/research/pitting_study/tap_cache.h"
#include "tools/research/pitting_study/z_average.h"

namespace fs = std::filesystem;
using namespace anomalens::pitting_study;

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
                  "      (see tools/research/pitting_study/README.md)\n",
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
  if (argc == 3 && std::string(argv[1]) == "--align") return PrintFolderAlignment(argv[2]);
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
  Study study(dir, short_side, only, data, sp, masks);
  RunRound1(study);
  RunRound2(study);
  RunRound3(study);
  RunRound5(study);
  RunPerImageDumps(study);
  return 0;
}
