// The store's conformance: the same cases on both engines (SQLite in a
// folder; PostgreSQL in a throwaway cluster, postgres_cluster.h). The
// PostgreSQL half skips with a message when Debian's postgresql is absent,
// and fails instead under CI=true.
#include "native/server/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "native/server/lookout_service.h"
#include "native/server/postgres_store.h"
#include "native/server/server.h"
#include "store_engines.h"
#include "test_support.h"

namespace anomalens {
namespace {

constexpr int kLatestSchema = 3;

class StoreConformance : public testing::StoreEngineTest {};

TEST_P(StoreConformance, TransactionsCommitOrRollBackWholeAndSurviveReopening) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    EXPECT_STREQ(store->engine(), GetParam().c_str());
    {
      Store::Transaction tx(*store);
      ASSERT_TRUE(store->Exec("INSERT INTO projects VALUES (?, ?, ?)", {"a", "arn:a", "1.5"}).ok());
      ASSERT_TRUE(tx.Commit().ok());
    }
    {
      Store::Transaction tx(*store);  // not committed: rolled back
      ASSERT_TRUE(store->Exec("INSERT INTO projects VALUES (?, ?, ?)", {"b", "arn:b", "2"}).ok());
    }
    EXPECT_FALSE(store->Exec("INSERT INTO projects VALUES (?, ?, ?)", {"a", "arn:a", "3"}).ok());  // duplicate
    // A failed statement inside a transaction rolls the whole of it back.
    {
      Store::Transaction tx(*store);
      ASSERT_TRUE(store->Exec("INSERT INTO projects VALUES (?, ?, ?)", {"c", "arn:c", "4"}).ok());
      EXPECT_FALSE(store->Exec("INSERT INTO projects VALUES (?, ?, ?)", {"a", "arn:a", "5"}).ok());
    }
  }
  auto reopened = Open();
  ASSERT_TRUE(reopened);
  auto rows = reopened->Query("SELECT name, created FROM projects ORDER BY name");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][0], "a");
  EXPECT_DOUBLE_EQ(std::stod((*rows)[0][1]), 1.5);
}

TEST_P(StoreConformance, AnInnerTransactionLeftOpenRollsBackTheOuterAndAfterCommitWaitsForTheCommit) {
  auto store = Open();
  ASSERT_TRUE(store);
  int ran = 0;
  {
    Store::Transaction outer(*store);
    ASSERT_TRUE(store->Exec("INSERT INTO tags VALUES ('arn', 'k', 'v')").ok());
    store->RunAfterCommit([&ran] { ++ran; });
    {
      Store::Transaction inner(*store);
      ASSERT_TRUE(store->Exec("INSERT INTO tags VALUES ('arn', 'k2', 'v')").ok());
      // left without Commit: an error path
    }
    EXPECT_FALSE(outer.Commit().ok());
  }
  EXPECT_EQ(ran, 0);
  EXPECT_TRUE(store->Query("SELECT * FROM tags")->empty());
  {
    Store::Transaction outer(*store);
    ASSERT_TRUE(store->Exec("INSERT INTO tags VALUES ('arn', 'k', 'v')").ok());
    {
      Store::Transaction inner(*store);
      store->RunAfterCommit([&ran] { ++ran; });
      ASSERT_TRUE(inner.Commit().ok());
    }
    EXPECT_EQ(ran, 0);  // not before the outer commit
    ASSERT_TRUE(outer.Commit().ok());
  }
  EXPECT_EQ(ran, 1);
  store->RunAfterCommit([&ran] { ++ran; });  // outside a transaction: now
  EXPECT_EQ(ran, 2);
}

TEST_P(StoreConformance, TheSchemaIsMigratedOnOpenAndANewerOneIsRefused) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->SchemaVersion().value(), kLatestSchema);
    ASSERT_TRUE(store->Exec("INSERT INTO projects VALUES ('kept', 'arn', 1)").ok());
  }
  {
    auto again = Open();  // migrating an up-to-date store changes nothing
    ASSERT_TRUE(again);
    EXPECT_EQ(again->SchemaVersion().value(), kLatestSchema);
    EXPECT_EQ(again->Query("SELECT name FROM projects")->size(), 1u);
    ASSERT_TRUE(again->Exec("UPDATE schema_version SET version = 99").ok());  // as a newer anomalens would leave it
  }
  auto refused = Store::Open(dir_ + "/data", url_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("schema is version 99"), std::string::npos) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("newer anomalens"), std::string::npos);
}

TEST_P(StoreConformance, TheServicesSqlMeansTheSameOnBothEngines) {
  auto store = Open();
  ASSERT_TRUE(store);
  // Upsert, as SaveModel, tags and ClientTokens use it.
  for (const char* description : {"first", "second"}) {
    ASSERT_TRUE(store->Exec("INSERT INTO models VALUES (?, ?, ?) ON CONFLICT (project, version) DO UPDATE SET "
                            "description = excluded.description",
                            {"p", "9", description})
                    .ok());
  }
  ASSERT_TRUE(store->Exec("INSERT INTO models VALUES ('p', ?, 'x')", {"10"}).ok());
  auto models = store->Query("SELECT version, description FROM models WHERE project = ? ORDER BY version", {"p"});
  ASSERT_TRUE(models.ok()) << models.status().ToString();
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0], (Row{"9", "second"}));
  EXPECT_EQ((*models)[1][0], "10");  // numbers sort as numbers
  EXPECT_EQ(store->Query("SELECT MAX(version) FROM models WHERE project = ?", {"p"}).value()[0][0], "10");
  EXPECT_EQ(store->Query("SELECT MAX(version) FROM models WHERE project = ?", {"none"}).value()[0][0], "");  // NULL

  // Text keys sort bytewise whatever the database's locale: "B" < "a" < "b".
  for (const char* name : {"b", "B", "a"}) {
    ASSERT_TRUE(store->Exec("INSERT INTO projects VALUES (?, ?, ?)", {name, "arn", "1796540462.345"}).ok());
  }
  auto names = store->Query("SELECT name, created FROM projects ORDER BY created, name");
  ASSERT_EQ(names->size(), 3u);
  EXPECT_EQ((*names)[0][0] + (*names)[1][0] + (*names)[2][0], "Bab");
  EXPECT_NEAR(std::stod((*names)[0][1]), 1796540462.345, 1e-3);

  // Counting labels as DescribeDataset does; '?' in a literal is not a parameter.
  const std::vector<std::pair<std::string, std::string>> entries = {
      {"s3://b/1.png", "normal"}, {"s3://b/2.png", "anomaly"}, {"s3://b/3.png", ""}, {"s3://b/4.png", "normal"}};
  for (const auto& [ref, label] : entries) {
    ASSERT_TRUE(store->Exec("INSERT INTO entries (project, type, source_ref, line, label, created) "
                            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project, type, source_ref) DO UPDATE SET "
                            "line = excluded.line, label = excluded.label",
                            {"p", "train", ref, "{\"source-ref\":\"" + ref + "\",\"note\":\"é ' \\\" ?\"}", label,
                             "100.25"})
                    .ok());
  }
  auto stats = store->Query(
      "SELECT COUNT(*), SUM(CASE WHEN label <> '' THEN 1 ELSE 0 END), SUM(CASE WHEN label = 'normal' THEN 1 ELSE 0 "
      "END), SUM(CASE WHEN label = 'anomaly' THEN 1 ELSE 0 END) FROM entries WHERE project = ? AND type = ?",
      {"p", "train"});
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ((*stats)[0], (Row{"4", "3", "2", "1"}));
  auto ordered = store->Query("SELECT source_ref, line FROM entries WHERE project = ? AND type = ? AND label != '' "
                              "AND created < ? AND source_ref <> '?' ORDER BY seq",
                              {"p", "train", "200"});
  ASSERT_TRUE(ordered.ok()) << ordered.status().ToString();
  ASSERT_EQ(ordered->size(), 3u);
  EXPECT_EQ((*ordered)[0][0], "s3://b/1.png");
  EXPECT_EQ((*ordered)[2][0], "s3://b/4.png");
  EXPECT_NE((*ordered)[0][1].find("é ' \\\" ?"), std::string::npos) << (*ordered)[0][1];
}

TEST_P(StoreConformance, TransactionsOnTwoConnectionsAreSerialisedLikeTwoReplicas) {
  auto first = Open();
  auto second = Open();
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->Exec("INSERT INTO tags VALUES ('counter', 'n', '0')").ok());
  constexpr int kEach = 60;
  std::atomic<int> failures{0};
  auto increment = [&failures](Store& store) {
    for (int i = 0; i < kEach; ++i) {
      Store::Transaction tx(store);
      auto value = store.Query("SELECT value FROM tags WHERE arn = 'counter' AND key = 'n'");
      if (!value.ok() || value->empty()) {
        ++failures;
        continue;
      }
      const std::string next = std::to_string(std::stoi((*value)[0][0]) + 1);
      if (!store.Exec("UPDATE tags SET value = ? WHERE arn = 'counter' AND key = 'n'", {next}).ok() ||
          !tx.Commit().ok()) {
        ++failures;
      }
    }
  };
  std::thread a(increment, std::ref(*first));
  std::thread b(increment, std::ref(*second));
  a.join();
  b.join();
  EXPECT_EQ(failures, 0);
  // A lost update would leave less: both read the same value and wrote the same next one.
  EXPECT_EQ(first->Query("SELECT value FROM tags WHERE arn = 'counter'").value()[0][0], std::to_string(2 * kEach));
}

TEST_P(StoreConformance, AClientTokenRepeatedOnAnotherServerGetsTheFirstResponse) {
  // Two services on one store: two replicas behind a load balancer (with
  // SQLite, two processes on one data folder).
  std::unique_ptr<LookoutService> replicas[2];
  for (auto& replica : replicas) {
    auto store = Store::Open(dir_ + "/data", url_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto service = LookoutService::Create(std::move(store).value(), BucketMap(), testing::SharedBackbone(), {});
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    replica = std::move(service).value();
  }
  auto call = [](LookoutService& service, const std::string& body, const std::string& token) {
    return HandleHttpRequest(service, std::nullopt,
                             HttpRequest{"POST", "/2020-11-20/projects",
                                         {{"content-type", "application/json"}, {"x-amzn-client-token", token}},
                                         body},
                             std::time(nullptr));
  };
  const ApiResponse first = call(*replicas[0], R"({"ProjectName": "once"})", "token-1");
  ASSERT_EQ(first.status, 200) << first.body;
  const ApiResponse repeat = call(*replicas[1], R"({"ProjectName": "once"})", "token-1");
  EXPECT_EQ(repeat.status, 200) << repeat.body;
  EXPECT_EQ(repeat.body, first.body);  // the same CreationTimestamp: not created twice
  const ApiResponse other = call(*replicas[1], R"({"ProjectName": "other"})", "token-1");
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(other.error_type, "ConflictException");
  const ApiResponse again = call(*replicas[1], R"({"ProjectName": "once"})", "token-2");
  EXPECT_EQ(again.status, 409) << again.body;  // a new token: the project exists
  const ApiResponse listed =
      HandleHttpRequest(*replicas[0], std::nullopt, HttpRequest{"GET", "/2020-11-20/projects", {}, ""}, std::time(nullptr));
  EXPECT_EQ(nlohmann::json::parse(listed.body)["Projects"].size(), 1u) << listed.body;
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreConformance, ::testing::Values("sqlite", "postgresql"), testing::EngineName);

TEST(SqliteStore, AStoreFromBeforeSchemaVersionsIsMigratedInPlace) {
  char pattern[] = "/tmp/anomalens-store-test-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  // The tables as every data folder before versioning had them, with a project.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/anomalens.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE projects (name TEXT PRIMARY KEY, arn TEXT NOT NULL, created REAL NOT NULL);"
                         "CREATE TABLE entries (seq INTEGER PRIMARY KEY AUTOINCREMENT, project TEXT NOT NULL, "
                         "type TEXT NOT NULL, source_ref TEXT NOT NULL, line TEXT NOT NULL, label TEXT NOT NULL "
                         "DEFAULT '', created REAL NOT NULL, UNIQUE (project, type, source_ref));"
                         "INSERT INTO projects VALUES ('old', 'arn:old', 7);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = Store::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->SchemaVersion().value(), kLatestSchema);
  EXPECT_EQ((*store)->Query("SELECT name FROM projects").value()[0][0], "old");
  EXPECT_EQ((*store)->Query("SELECT name FROM sqlite_master WHERE name = 'entries_in_order'").value().size(), 1u);
  EXPECT_TRUE((*store)->Query("SELECT * FROM client_tokens").ok());  // the tables it lacked
  std::filesystem::remove_all(dir);
}

TEST(Store, ABadDatabaseUrlOrAnUnreachableServerIsAClearError) {
  char pattern[] = "/tmp/anomalens-store-test-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  auto mysql = Store::Open(pattern, "mysql://root@localhost/db");
  ASSERT_FALSE(mysql.ok());
  EXPECT_NE(mysql.status().message().find("postgresql://"), std::string::npos) << mysql.status().ToString();
  // Port 1 on loopback: nothing listens there.
  auto unreachable = Store::Open(pattern, "postgresql://nobody@127.0.0.1:1/none?connect_timeout=5");
  ASSERT_FALSE(unreachable.ok());
  EXPECT_NE(unreachable.status().message().find("cannot connect to PostgreSQL"), std::string::npos)
      << unreachable.status().ToString();
  std::filesystem::remove_all(pattern);
}

TEST(NumberPlaceholders, NumbersQuestionMarksOutsideQuotesOnly) {
  EXPECT_EQ(NumberPlaceholders("SELECT a FROM t WHERE b = ? AND c = '?' AND \"d?\" = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND \"d?\" = $2");
  EXPECT_EQ(NumberPlaceholders("VALUES ('it''s ?', ?)"), "VALUES ('it''s ?', $1)");
}

}  // namespace
}  // namespace anomalens
