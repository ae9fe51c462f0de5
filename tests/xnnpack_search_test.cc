// The XNNPACK nearest-neighbour search (native's default) against the
// portable index (the reference, and what wasm runs). XNNPACK sums the dot
// products in another order with fused multiply-adds, so distances agree to
// float rounding, not bit for bit: |difference| <= 1e-4 x (1 + distance).
// Exactness of the search itself (every bank row considered) shows as
// agreement with brute force, including queries that are bank rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include "core/scoring/nearest_neighbor.h"
#include "native/engine/principal_axes.h"
#include "native/engine/thread_pool.h"
#include "native/engine/xnnpack_search.h"
#include "test_support.h"

namespace anomalens {
namespace {

std::unique_ptr<const NearestNeighborSearch> MakeSearch(const std::vector<float>& bank, int dim, int threads,
                                                        XnnpackSearch::Method method = XnnpackSearch::Method::kAuto,
                                                        XnnpackSearch::Approximation approximation = {}) {
  auto s = XnnpackSearch::Create(bank.data(), bank.size() / dim, dim,
                                 ParallelOn(std::make_shared<const ThreadPool>(threads)), method, approximation);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

void ExpectClose(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4f * (1 + want[i])) << what << " query " << i;
}

TEST(XnnpackSearch, AgreesWithPortableIndex) {
  std::mt19937 rng(11);
  const size_t chunk = XnnpackSearch::kChunkRows, block = XnnpackSearch::kQueryBlock;
  // Banks inside one chunk, exactly one, and spanning a partial last chunk;
  // query counts inside one block, exactly one, and spanning a partial one.
  for (const auto [bank_rows, queries, dim] :
       {std::tuple{size_t{1}, size_t{1}, 4}, {5, 3, 8}, {chunk, block, 128}, {2 * chunk + 37, 2 * block + 5, 128},
        {700, 61, 128}}) {
    const std::vector<float> bank = testing::RandomRows(bank_rows, dim, rng);
    const std::vector<float> q = testing::RandomRows(queries, dim, rng);
    const std::vector<float> want = NearestNeighborIndex(bank.data(), bank_rows, dim).MinDistances(q.data(), queries);
    std::vector<float> one_thread;
    for (int threads : {1, 2}) {
      auto search = MakeSearch(bank, dim, threads);
      ASSERT_NE(search, nullptr);
      EXPECT_EQ(search->size(), bank_rows);
      const std::vector<float> got = search->MinDistances(q.data(), queries);
      ExpectClose(got, want, threads == 1 ? "1 thread" : "2 threads");
      // Query blocks are cut the same way whatever the threads: same floats.
      if (threads == 1) one_thread = got;
      else EXPECT_EQ(got, one_thread);
    }
  }
}

TEST(XnnpackSearch, MatchesBruteForceAndFindsBankRows) {
  std::mt19937 rng(12);
  const int dim = 128;
  const std::vector<float> bank = testing::RandomRows(1100, dim, rng);
  // Queries: 40 random, then 20 bank rows taken from every chunk.
  std::vector<float> q = testing::RandomRows(40, dim, rng);
  for (size_t r = 0; r < 1100; r += 55) q.insert(q.end(), &bank[r * dim], &bank[(r + 1) * dim]);
  const size_t n = q.size() / dim;
  auto search = MakeSearch(bank, dim, 1);
  ASSERT_NE(search, nullptr);
  const std::vector<float> got = search->MinDistances(q.data(), n);
  const std::vector<float> want = BruteForceMinDistances(bank.data(), 1100, q.data(), n, dim);
  ExpectClose({got.begin(), got.begin() + 40}, {want.begin(), want.begin() + 40}, "brute force");
  // A bank row's distance is |q|^2 + |b|^2 - 2 q.b cancelling to rounding
  // error, not exactly zero (the portable index too): its square stays
  // within float rounding of |q|^2 + |b|^2, far below any other row's.
  for (size_t i = 40; i < n; ++i) {
    float norm = 0;
    for (int d = 0; d < dim; ++d) norm += q[i * dim + d] * q[i * dim + d];
    EXPECT_LT(got[i] * got[i], 1e-6f * 2 * norm) << "bank row query " << i;
    EXPECT_LT(got[i], 0.01f * want[0]) << "bank row query " << i;
  }
}

TEST(XnnpackSearch, EmptyBankAndNoQueries) {
  std::mt19937 rng(13);
  auto empty = MakeSearch({}, 128, 1);
  ASSERT_NE(empty, nullptr);
  const std::vector<float> q = testing::RandomRows(3, 128, rng);
  EXPECT_EQ(empty->MinDistances(q.data(), 3), std::vector<float>(3, 0.0f));
  auto search = MakeSearch(testing::RandomRows(10, 128, rng), 128, 1);
  EXPECT_TRUE(search->MinDistances(q.data(), 0).empty());
}

// Server workers search at once: each call gets its own operators.
// Four threads calling the same search five times each get what one call got.
void ExpectConcurrentCallersAgree(const NearestNeighborSearch& search, const std::vector<float>& queries,
                                  size_t count) {
  const std::vector<float> want = search.MinDistances(queries.data(), count);
  std::vector<std::vector<float>> got(4);
  std::vector<std::thread> callers;
  for (auto& g : got) callers.emplace_back([&] {
    for (int i = 0; i < 5; ++i) g = search.MinDistances(queries.data(), count);
  });
  for (auto& t : callers) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

TEST(XnnpackSearch, ConcurrentCallersGetTheSameAnswers) {
  std::mt19937 rng(14);
  const int dim = 128;
  const std::vector<float> bank = testing::RandomRows(600, dim, rng);
  const std::vector<float> q = testing::RandomRows(300, dim, rng);
  auto search = MakeSearch(bank, dim, 1);
  ASSERT_NE(search, nullptr);
  ExpectConcurrentCallersAgree(*search, q, 300);
}

// Rows around a few centres, as patch features of one product are: the case
// pruning is for, and where near ties between rows are common.
std::vector<float> ClusteredRows(size_t rows, int dim, size_t clusters, float spread, std::mt19937& rng) {
  const std::vector<float> centres = testing::RandomRows(clusters, dim, rng);
  std::normal_distribution<float> noise(0.0f, spread);
  std::vector<float> out(rows * dim);
  for (size_t r = 0; r < rows; ++r)
    for (int d = 0; d < dim; ++d) out[r * dim + d] = centres[(r % clusters) * dim + d] + noise(rng);
  return out;
}

// The pruned search skips rows by lower bounds: it must still find the
// nearest row, so it agrees with brute force to float rounding.
TEST(XnnpackSearch, PrunedMatchesBruteForce) {
  std::mt19937 rng(15);
  for (const bool clustered : {false, true}) {
    // One row, a bank under a query block, one past the auto threshold; a
    // dim under 16-float multiples (36) and the bound dims exactly (32).
    for (const auto [bank_rows, queries, dim] :
         {std::tuple{size_t{1}, size_t{3}, 128}, {50, 70, 36}, {XnnpackSearch::kMinPrunedRows + 1, 150, 128},
          {900, 65, 32}, {2000, 130, 100}}) {
      const std::vector<float> bank =
          clustered ? ClusteredRows(bank_rows, dim, 12, 0.05f, rng) : testing::RandomRows(bank_rows, dim, rng);
      std::vector<float> q =
          clustered ? ClusteredRows(queries, dim, 12, 0.06f, rng) : testing::RandomRows(queries, dim, rng);
      const std::vector<float> want = BruteForceMinDistances(bank.data(), bank_rows, q.data(), queries, dim);
      std::vector<float> one_thread;
      for (int threads : {1, 2}) {
        auto pruned = MakeSearch(bank, dim, threads, XnnpackSearch::Method::kPruned);
        ASSERT_NE(pruned, nullptr);
        EXPECT_EQ(pruned->size(), bank_rows);
        const std::vector<float> got = pruned->MinDistances(q.data(), queries);
        ExpectClose(got, want, clustered ? "clustered" : "random");
        if (threads == 1) one_thread = got;
        else EXPECT_EQ(got, one_thread);
      }
    }
  }
}

TEST(XnnpackSearch, PrunedFindsBankRows) {
  std::mt19937 rng(16);
  const int dim = 128;
  const std::vector<float> bank = ClusteredRows(1500, dim, 8, 0.1f, rng);
  std::vector<float> q;
  for (size_t r = 0; r < 1500; r += 37) q.insert(q.end(), &bank[r * dim], &bank[(r + 1) * dim]);
  auto search = MakeSearch(bank, dim, 1, XnnpackSearch::Method::kPruned);
  ASSERT_NE(search, nullptr);
  // Queries and rows are rotated by the same operator: the same floats, so 0.
  for (float d : search->MinDistances(q.data(), q.size() / dim)) EXPECT_EQ(d, 0.0f);
}

TEST(XnnpackSearch, PrunedEmptyBankAndConcurrentCallers) {
  std::mt19937 rng(17);
  const int dim = 128;
  auto empty = MakeSearch({}, dim, 1, XnnpackSearch::Method::kPruned);
  ASSERT_NE(empty, nullptr);
  const std::vector<float> q = ClusteredRows(300, dim, 6, 0.1f, rng);
  EXPECT_EQ(empty->MinDistances(q.data(), 300), std::vector<float>(300, 0.0f));
  auto search = MakeSearch(ClusteredRows(1200, dim, 6, 0.1f, rng), dim, 2, XnnpackSearch::Method::kPruned);
  ASSERT_NE(search, nullptr);
  ExpectConcurrentCallersAgree(*search, q, 300);
}

// The approximate search (the native default): never below the nearest
// row's distance (it is some row's), never more than (1 + e) above it, the
// same floats at any thread count; and with a large e it does skip rows (so
// this test would see an approximation that was silently exact, or wrong).
TEST(XnnpackSearch, ApproximateStaysWithinItsRelativeError) {
  std::mt19937 rng(18);
  const int dim = 128;
  for (const bool clustered : {false, true}) {
    const std::vector<float> bank =
        clustered ? ClusteredRows(3000, dim, 12, 0.05f, rng) : testing::RandomRows(3000, dim, rng);
    const std::vector<float> q =
        clustered ? ClusteredRows(400, dim, 12, 0.06f, rng) : testing::RandomRows(400, dim, rng);
    const std::vector<float> want = BruteForceMinDistances(bank.data(), 3000, q.data(), 400, dim);
    for (const XnnpackSearch::Approximation a :
         {XnnpackSearch::kDefaultApproximation, XnnpackSearch::Approximation{0.2f, 0.2f},
          XnnpackSearch::Approximation{0.1f, 0.5f}, XnnpackSearch::Approximation{1.0f, 0.0f}}) {
      const float e = a.bound();
      SCOPED_TRACE((clustered ? "clustered, block error " : "random, block error ") + std::to_string(a.block_error) +
                   ", row error " + std::to_string(a.row_error));
      std::vector<float> one_thread;
      size_t farther = 0;
      for (int threads : {1, 2}) {
        auto search = MakeSearch(bank, dim, threads, XnnpackSearch::Method::kAuto, a);
        ASSERT_NE(search, nullptr);
        const std::vector<float> got = search->MinDistances(q.data(), 400);
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_GE(got[i], want[i] - 1e-4f * (1 + want[i])) << "query " << i;
          EXPECT_LE(got[i], (1 + e) * want[i] + 1e-4f * (1 + want[i])) << "query " << i;
          farther += got[i] > want[i] + 1e-4f * (1 + want[i]);
        }
        if (threads == 1) one_thread = got;
        else EXPECT_EQ(got, one_thread);
      }
      if (!clustered && a.row_error == 0.5f) EXPECT_GT(farther, 0u) << "a row error of 0.5 on random rows should settle for a farther row";
    }
  }
}

// MinDistancesWithin (the clean bank's search, capped by the normal bank's
// distances): exact searches give exactly min(MinDistances, bound), brute
// force and pruned alike, as the core's default does; the approximate one
// never more than its bound, nor than (1 + e) x the nearest row; an empty
// bank gives the bounds. Bounds from 0 to above every distance, so some caps
// bind and some do not.
TEST(XnnpackSearch, CappedSearchIsTheMinimumWithTheBounds) {
  std::mt19937 rng(20);
  const int dim = 128;
  const std::vector<float> bank = ClusteredRows(2000, dim, 10, 0.05f, rng);
  const std::vector<float> q = ClusteredRows(300, dim, 10, 0.06f, rng);
  const std::vector<float> want = BruteForceMinDistances(bank.data(), 2000, q.data(), 300, dim);
  std::vector<float> bounds(300);
  std::uniform_real_distribution<float> scale(0.0f, 1.5f);
  for (size_t i = 0; i < bounds.size(); ++i) bounds[i] = want[i] * scale(rng);
  size_t capped = 0;
  for (const auto method : {XnnpackSearch::Method::kBruteForce, XnnpackSearch::Method::kPruned}) {
    for (int threads : {1, 2}) {
      auto search = MakeSearch(bank, dim, threads, method);
      ASSERT_NE(search, nullptr);
      const std::vector<float> plain = search->MinDistances(q.data(), 300);
      const std::vector<float> got = search->MinDistancesWithin(q.data(), 300, bounds.data());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i], std::min(plain[i], bounds[i])) << "query " << i;
        capped += bounds[i] < plain[i];
      }
    }
  }
  EXPECT_GT(capped, 0u);
  const NearestNeighborIndex portable(bank.data(), 2000, dim);
  const std::vector<float> plain = portable.MinDistances(q.data(), 300);
  const std::vector<float> got = portable.MinDistancesWithin(q.data(), 300, bounds.data());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], std::min(plain[i], bounds[i])) << "query " << i;
  const float e = XnnpackSearch::kDefaultApproximation.bound();
  auto approximate = MakeSearch(bank, dim, 2, XnnpackSearch::Method::kPruned, XnnpackSearch::kDefaultApproximation);
  ASSERT_NE(approximate, nullptr);
  const std::vector<float> near = approximate->MinDistancesWithin(q.data(), 300, bounds.data());
  for (size_t i = 0; i < near.size(); ++i) {
    EXPECT_LE(near[i], bounds[i]) << "query " << i;
    EXPECT_GE(near[i], std::min(want[i], bounds[i]) - 1e-4f * (1 + want[i])) << "query " << i;
    EXPECT_LE(near[i], (1 + e) * want[i] + 1e-4f * (1 + want[i])) << "query " << i;
  }
  auto empty = MakeSearch({}, dim, 1, XnnpackSearch::Method::kPruned);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->MinDistancesWithin(q.data(), 300, bounds.data()), bounds);
}

TEST(XnnpackSearch, RelativeErrorOutOfRangeIsRefused) {
  std::mt19937 rng(19);
  const std::vector<float> bank = testing::RandomRows(300, 128, rng);
  for (const float e : {-0.01f, XnnpackSearch::kMaxRelativeError * 1.5f, std::nanf("")}) {
    for (const XnnpackSearch::Approximation a : {XnnpackSearch::Approximation{e, 0.0f}, XnnpackSearch::Approximation{0.0f, e}}) {
    auto s = XnnpackSearch::Create(bank.data(), 300, 128, {}, XnnpackSearch::Method::kAuto, a);
    ASSERT_FALSE(s.ok()) << e;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(s.status().message().find("relative error must be between 0"), std::string::npos)
        << s.status().message();
    }
  }
}

// The basis the pruning bounds on: orthonormal (else the bounds and the
// rotated distances would be wrong), variances decreasing.
TEST(PrincipalAxes, OrthonormalByDecreasingVariance) {
  std::mt19937 rng(18);
  const int dim = 24;
  std::vector<float> rows = testing::RandomRows(400, dim, rng);
  for (size_t r = 0; r < 400; ++r) rows[r * dim + 5] *= 10;  // one dominant direction
  const PrincipalAxes pca = ComputePrincipalAxes(rows.data(), 400, dim);
  for (int a = 0; a < dim; ++a) {
    for (int b = 0; b < dim; ++b) {
      double dot = 0;
      for (int d = 0; d < dim; ++d) dot += pca.axes[a * dim + d] * pca.axes[b * dim + d];
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-9) << a << " " << b;
    }
    if (a > 0) EXPECT_GE(pca.variances[a - 1], pca.variances[a]);
  }
  EXPECT_GT(std::fabs(pca.axes[5]), 0.99);  // the first axis is the stretched coordinate
}

// Each axis is an eigenvector of the rows' (unnormalised) covariance, with
// its variance as the eigenvalue: C a = variance a, to rounding. Rows with
// a few strong directions and a flat rest, as patch features are, and a dim
// that is no power of two.
TEST(PrincipalAxes, AxesAreEigenvectorsOfTheCovariance) {
  std::mt19937 rng(19);
  const int dim = 40;
  const size_t count = 300;
  std::vector<float> rows = testing::RandomRows(count, dim, rng);
  for (size_t r = 0; r < count; ++r) {
    rows[r * dim + 3] += 4 * rows[r * dim + 7];  // correlated pairs: axes off the coordinate axes
    rows[r * dim + 11] *= 6;
    rows[r * dim + 20] = 0.5f * rows[r * dim + 21];
  }
  const PrincipalAxes pca = ComputePrincipalAxes(rows.data(), count, dim);
  std::vector<double> cov(dim * dim, 0.0);
  for (size_t r = 0; r < count; ++r)
    for (int i = 0; i < dim; ++i)
      for (int j = 0; j < dim; ++j)
        cov[i * dim + j] += (rows[r * dim + i] - pca.mean[i]) * (rows[r * dim + j] - pca.mean[j]);
  for (int k = 0; k < dim; ++k) {
    for (int i = 0; i < dim; ++i) {
      double ca = 0;
      for (int j = 0; j < dim; ++j) ca += cov[i * dim + j] * pca.axes[k * dim + j];
      EXPECT_NEAR(ca, pca.variances[k] * pca.axes[k * dim + i], 1e-9 * pca.variances[0]) << "axis " << k << " row " << i;
    }
  }
  EXPECT_NEAR(pca.variances[dim - 1], 0.0, 1e-9 * pca.variances[0]);  // 20 is a multiple of 21: one flat direction
}

}  // namespace
}  // namespace anomalens
