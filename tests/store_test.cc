#include "native/server/store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace anomalens {
namespace {

TEST(Store, TransactionsCommitOrRollBackWholeAndSurviveReopening) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("anomalens-store-" + std::to_string(::getpid()))).string();
  {
    auto store = Store::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    {
      Store::Transaction tx(**store);
      ASSERT_TRUE((*store)->Exec("INSERT INTO projects VALUES (?, ?, ?)", {"a", "arn:a", "1.5"}).ok());
      ASSERT_TRUE(tx.Commit().ok());
    }
    {
      Store::Transaction tx(**store);  // not committed: rolled back
      ASSERT_TRUE((*store)->Exec("INSERT INTO projects VALUES (?, ?, ?)", {"b", "arn:b", "2"}).ok());
    }
    EXPECT_FALSE((*store)->Exec("INSERT INTO projects VALUES (?, ?, ?)", {"a", "arn:a", "3"}).ok());  // duplicate
  }
  auto reopened = Store::Open(dir);
  ASSERT_TRUE(reopened.ok());
  auto rows = (*reopened)->Query("SELECT name, created FROM projects ORDER BY name");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][0], "a");
  EXPECT_DOUBLE_EQ(std::stod((*rows)[0][1]), 1.5);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace anomalens
