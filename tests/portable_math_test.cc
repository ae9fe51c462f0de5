// PortableExp4 against PortableExp: the same doubles, bit for bit (the
// defect head's probabilities, and so the golden masks, depend on it).
#include "core/base/portable_math.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace anomalens {
namespace {

TEST(PortableExp4, SameDoublesAsPortableExp) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {0.0,   -0.0,   1.0,    -1.0,     700.0,  -700.0, 700.5, -700.5, 1e-300,
                                -1e-300, 0.3466, -0.3466, 35.0,   -35.0,  inf,    -inf,  std::numeric_limits<double>::quiet_NaN()};
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> wide(-760.0, 760.0), narrow(-20.0, 20.0);
  for (int i = 0; i < 4000; ++i) values.push_back(i % 2 ? wide(rng) : narrow(rng));
  while (values.size() % 4 != 0) values.push_back(0.5);
  for (size_t i = 0; i < values.size(); i += 4) {
    double got[4];
    PortableExp4(&values[i], got);
    for (int l = 0; l < 4; ++l) {
      const double want = PortableExp(values[i + l]);
      EXPECT_EQ(0, std::memcmp(&got[l], &want, sizeof(double))) << "x = " << values[i + l];
    }
  }
}

}  // namespace
}  // namespace anomalens
