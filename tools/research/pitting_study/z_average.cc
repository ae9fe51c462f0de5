// The image z-average of dumped variants (z_average.h).
#include "tools/research/pitting_study/z_average.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>
#include <utility>
#include <vector>

#include "core/lookout/metrics.h"
#include "tools/research/pitting_study/tap_cache.h"

namespace anomalens::pitting_study {

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

}  // namespace anomalens::pitting_study
