// A GoogleTest fixture parameterised by store engine ("sqlite",
// "postgresql"): a temporary folder and, for PostgreSQL, a throwaway
// cluster's new database (postgres_cluster.h). Without the PostgreSQL
// binaries the PostgreSQL case skips with a message, and fails under CI=true.
#ifndef ANOMALENS_TESTS_STORE_ENGINES_H_
#define ANOMALENS_TESTS_STORE_ENGINES_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "native/server/store.h"
#include "postgres_cluster.h"
#include "test_support.h"

namespace anomalens::testing {

class StoreEngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/anomalens-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    if (GetParam() != "postgresql") return;
    std::string why;
    cluster_ = PostgresCluster::Start(&why);
    if (!cluster_) {
      if (RunningInCi()) FAIL() << "CI=true and no PostgreSQL cluster: " << why;
      GTEST_SKIP() << "skipped: " << why;
    }
    std::string error;
    url_ = cluster_->NewDatabase(&error);
    ASSERT_FALSE(url_.empty()) << error;
  }

  void TearDown() override {
    cluster_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // The store (model files in dir_/data); nullptr and a failure when it cannot open.
  std::unique_ptr<Store> Open() {
    auto store = Store::Open(dir_ + "/data", url_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::string dir_, url_;
  std::unique_ptr<PostgresCluster> cluster_;
};

inline std::string EngineName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace anomalens::testing

#endif  // ANOMALENS_TESTS_STORE_ENGINES_H_
