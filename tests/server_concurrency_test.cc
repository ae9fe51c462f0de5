// The server's request handling in-process (HandleHttpRequest, no sockets),
// under concurrency: parallel detects on one hosted model, training while
// detecting, StopModel during in-flight detects; and the per-request limits.
// The ThreadSanitizer build (tools/test-sanitizers) runs these.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/image/png_encode.h"
#include "core/synthetic/synthetic_dataset.h"
#include "native/engine/compute_slots.h"
#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"
#include "native/server/lookout_service.h"
#include "native/server/rate_limiter.h"
#include "native/server/server.h"
#include "native/server/store.h"
#include "prometheus_text.h"
#include "test_support.h"

namespace anomalens {
namespace {

using testing::ReadFileOrDie;
using testing::SharedBackbone;

const std::string kParity = ANOMALENS_GOLDEN_DIR "/parity";
const std::vector<std::string> kImages = {"normal-11.png", "anomaly-7.png", "normal-13.jpg", "anomaly-13.jpg"};

std::string ContentType(const std::string& name) {
  return name.substr(name.size() - 4) == ".jpg" ? "image/jpeg" : "image/png";
}

class ServerConcurrency : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/anomalens-server-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_TRUE(MakeDirectories(dir_ + "/out").ok());
    // Project "p" with the golden classification model hosted as version 1.
    {
      auto store = Store::Open(dir_ + "/data");
      ASSERT_TRUE(store.ok());
      ASSERT_TRUE((*store)->Exec("INSERT INTO projects VALUES ('p', 'arn:aws:lookoutvision:us-east-1:000000000000:project/p', 0)").ok());
      auto model_dir = (*store)->ModelDirectory("p", "1", true);
      ASSERT_TRUE(model_dir.ok());
      ASSERT_TRUE(WriteFileAtomic(JoinPath(*model_dir, "model.anml"), ReadFileOrDie(kParity + "/classification.anlm")).ok());
      const nlohmann::json d = {{"ModelVersion", "1"},
                                {"ModelArn", "arn:aws:lookoutvision:us-east-1:000000000000:model/p/1"},
                                {"CreationTimestamp", 0},
                                {"Status", "HOSTED"},
                                {"StatusMessage", "Model is hosted."},
                                {"OutputConfig", {{"S3Location", {{"Bucket", "out"}, {"Prefix", ""}}}}}};
      ASSERT_TRUE((*store)->Exec("INSERT INTO models VALUES ('p', '1', ?)", {d.dump()}).ok());
    }
    auto store = Store::Open(dir_ + "/data");
    ASSERT_TRUE(store.ok());
    BucketMap buckets;
    ASSERT_TRUE(buckets.Add("data=" + kParity).ok());
    ASSERT_TRUE(buckets.Add("out=" + dir_ + "/out").ok());
    auto service = LookoutService::Create(std::move(store).value(), std::move(buckets), Engine(), Options());
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(service).value();
    for (const std::string& name : kImages) {
      const std::vector<uint8_t> bytes = ReadFileOrDie(kParity + "/test-images/" + name);
      images_[name] = std::string(bytes.begin(), bytes.end());
    }
  }

  void TearDown() override {
    service_.reset();
    (void)RemoveTree(dir_);
  }
  // The backbone and options the service runs with: the portable engine, no pool.
  virtual std::shared_ptr<const Backbone> Engine() { return SharedBackbone(); }
  virtual ServiceOptions Options() { return {}; }

  ApiResponse Call(const std::string& method, const std::string& target, const std::string& body = "",
                   std::map<std::string, std::string> headers = {}) {
    return HandleHttpRequest(*service_, std::nullopt, HttpRequest{method, target, std::move(headers), body},
                             std::time(nullptr));
  }

  ApiResponse Detect(const std::string& version, const std::string& image) {
    return Call("POST", "/2020-11-20/projects/p/models/" + version + "/detect", images_.at(image),
                {{"content-type", ContentType(image)}});
  }

  // 4 threads each detect every test image `rounds` times, in staggered
  // order, on model version 1: every response is 200 with `expected`'s body.
  void ExpectConcurrentDetectsGive(const std::map<std::string, std::string>& expected, int rounds) {
    constexpr int kThreads = 4;
    std::atomic<int> mismatches{0}, failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < rounds * static_cast<int>(kImages.size()); ++i) {
          const std::string& name = kImages[(t + i) % kImages.size()];
          const ApiResponse r = Detect("1", name);
          if (r.status != 200) ++failures;
          else if (r.body != expected.at(name)) ++mismatches;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(mismatches, 0);
  }

  std::string ModelStatus(const std::string& version) {
    const ApiResponse r = Call("GET", "/2020-11-20/projects/p/models/" + version);
    return nlohmann::json::parse(r.body)["ModelDescription"].value("Status", "");
  }

  // Polls until the model's status is none of `transient` (at most `seconds`).
  std::string WaitForStatus(const std::string& version, const std::vector<std::string>& transient, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::string status;
    do {
      status = ModelStatus(version);
      if (std::find(transient.begin(), transient.end(), status) == transient.end()) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return status;
  }

  std::string dir_;
  std::unique_ptr<LookoutService> service_;
  std::map<std::string, std::string> images_;
};

TEST_F(ServerConcurrency, ParallelDetectsOnOneHostedModelGiveTheSerialResults) {
  std::map<std::string, std::string> serial;
  for (const std::string& name : kImages) {
    const ApiResponse r = Detect("1", name);
    ASSERT_EQ(r.status, 200) << r.body;
    serial[name] = r.body;
  }
  ExpectConcurrentDetectsGive(serial, 3);
}

// As `serve` runs it: XNNPACK on one 2-thread pool shared by every request,
// behind 2 compute slots, so a request alone takes the pool and concurrent
// ones run inline; either way a request gets the same bytes.
class ServerConcurrencyOnOnePool : public ServerConcurrency {
 protected:
  std::shared_ptr<const Backbone> Engine() override {
    BackendOptions options;
    options.threads = 2;
    auto backend = LoadBackend(ANOMALENS_BACKBONE_FILE, options);
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    backend_ = std::move(backend).value();
    return backend_.backbone;
  }
  ServiceOptions Options() override {
    ServiceOptions options;
    options.parallel = backend_.parallel;
    options.search = backend_.search;
    options.training_search = backend_.training_search;
    options.jpeg = backend_.jpeg;
    options.compute_slots = std::make_shared<ComputeSlots>(2, backend_.threads);
    return options;
  }
  Backend backend_;
};

TEST_F(ServerConcurrencyOnOnePool, ParallelDetectsGiveTheResultsOfOneAlone) {
  ASSERT_EQ(backend_.threads, 2);
  std::map<std::string, std::string> alone;  // each on the whole pool
  for (const std::string& name : kImages) {
    const ApiResponse r = Detect("1", name);
    ASSERT_EQ(r.status, 200) << r.body;
    alone[name] = r.body;
  }
  ExpectConcurrentDetectsGive(alone, 2);
}

TEST_F(ServerConcurrency, DetectAnomaliesCountsInLookoutsMetricsPerProjectAndModel) {
  int ok = 0, anomalous = 0;
  for (int round = 0; round < 2; ++round) {
    for (const std::string& name : kImages) {
      const ApiResponse r = Detect("latest", name);  // counted under the resolved version
      ASSERT_EQ(r.status, 200) << r.body;
      ++ok;
      anomalous += nlohmann::json::parse(r.body)["DetectAnomalyResult"]["IsAnomalous"].get<bool>();
    }
  }
  const ApiResponse invalid =
      Call("POST", "/2020-11-20/projects/p/models/1/detect", "not an image", {{"content-type", "image/png"}});
  EXPECT_EQ(invalid.status, 400) << invalid.body;
  EXPECT_EQ(Detect("7", kImages[0]).status, 404);  // no such model: no per-model series for it

  service_->UpdateGauges();
  testing::PromText parsed;
  std::string error;
  ASSERT_TRUE(testing::ParsePromText(service_->metrics().Exposition(), &parsed, &error)) << error;
  const std::map<std::string, std::string> model = {{"ProjectName", "p"}, {"ModelVersion", "1"}};
  EXPECT_EQ(parsed.Value("lookoutvision_ProcessedImageCount_total", model), ok);
  EXPECT_EQ(parsed.Value("lookoutvision_SuccessfulRequestCount_total", model), ok);
  EXPECT_EQ(parsed.Value("lookoutvision_Time_seconds_count", model), ok);
  EXPECT_GT(parsed.Value("lookoutvision_Time_seconds_sum", model), 0);
  EXPECT_EQ(parsed.Value("lookoutvision_ErrorCount_total", model), 1);
  EXPECT_EQ(parsed.Value("lookoutvision_InvalidImageCount_total", model), 1);
  if (anomalous > 0) {
    EXPECT_EQ(parsed.Value("lookoutvision_DetectedAnomalyCount_total", model), anomalous);
  } else {
    EXPECT_TRUE(std::isnan(parsed.Value("lookoutvision_DetectedAnomalyCount_total", model)));
  }
  EXPECT_TRUE(std::isnan(parsed.Value("lookoutvision_ErrorCount_total", {{"ProjectName", "p"}, {"ModelVersion", "7"}})));
  EXPECT_EQ(parsed.Value("anomalens_hosted_models_loaded"), 1);
  EXPECT_EQ(parsed.Value("anomalens_training_queue_length"), 0);
}

TEST_F(ServerConcurrency, ReadinessLoadsHostedModelsAndFailsOnAMissingModelFile) {
  EXPECT_TRUE(service_->Readiness().ok()) << service_->Readiness().ToString();
  service_->UpdateGauges();
  EXPECT_NE(service_->metrics().Exposition().find("anomalens_hosted_models_loaded 1\n"), std::string::npos);
  // A second hosted model whose file is gone (a shared volume not mounted, say): not ready, and why.
  ASSERT_TRUE(MakeDirectories(dir_ + "/data/models/p/2").ok());
  const ApiResponse described = Call("GET", "/2020-11-20/projects/p/models/1");
  nlohmann::json d = nlohmann::json::parse(described.body)["ModelDescription"];
  d["ModelVersion"] = "2";
  auto store = Store::Open(dir_ + "/data");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Exec("INSERT INTO models VALUES ('p', '2', ?)", {d.dump()}).ok());
  const Status ready = service_->Readiness();
  EXPECT_FALSE(ready.ok());
  EXPECT_NE(ready.message().find("p/2"), std::string::npos) << ready.ToString();
}

TEST_F(ServerConcurrency, StopModelDuringInFlightDetectsFinishesOrFailsThemCleanly) {
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const ApiResponse r = Detect("1", kImages[(t + i) % kImages.size()]);
        if (r.status == 200 && nlohmann::json::parse(r.body).contains("DetectAnomalyResult")) {
          ++served;
        } else if (r.status == 409 && r.error_type == "ConflictException") {
          ++refused;  // the model was no longer hosted: Lookout's answer
        } else {
          ++other;
        }
      }
    });
  }
  while (served < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const ApiResponse stopped = Call("POST", "/2020-11-20/projects/p/models/1/stop");
  EXPECT_EQ(stopped.status, 202) << stopped.body;
  EXPECT_EQ(WaitForStatus("1", {"STOPPING_HOSTING", "HOSTED"}, 60), "TRAINED");
  while (refused < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_GE(served, 3);
  EXPECT_GE(refused, 3);
  EXPECT_EQ(other, 0) << "a detect racing StopModel got neither a result nor ConflictException";
  const ApiResponse after = Detect("1", kImages[0]);
  EXPECT_EQ(after.status, 409);
  // And it can be hosted again.
  EXPECT_EQ(Call("POST", "/2020-11-20/projects/p/models/1/start", R"({"MinInferenceUnits": 1})").status, 202);
  EXPECT_EQ(WaitForStatus("1", {"STARTING_HOSTING"}, 60), "HOSTED");
  EXPECT_EQ(Detect("1", kImages[0]).status, 200);
}

TEST_F(ServerConcurrency, TrainingRunsWhileTheHostedModelDetects) {
  // A small synthetic training set (Lookout's minimum: 20 normal, 10 anomalous) in the "out" bucket.
  std::string manifest;
  for (int i = 0; i < 30; ++i) {
    const bool anomalous = i >= 20;
    const SyntheticSample sample = GenerateSyntheticSample(9, i, anomalous, {128, 96});
    const std::string name = "train-" + std::to_string(i) + ".png";
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/out/" + name,
                                EncodePng(sample.image.pixels.data(), sample.image.width, sample.image.height, 3))
                    .ok());
    manifest += nlohmann::json{{"source-ref", "s3://out/" + name}, {"anomaly-label", anomalous ? 1 : 0}}.dump() + "\n";
  }
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/out/train.manifest", manifest).ok());
  ApiResponse r = Call("POST", "/2020-11-20/projects/p/datasets",
                       R"({"DatasetType": "train", "DatasetSource": {"GroundTruthManifest": {"S3Object":
                           {"Bucket": "out", "Key": "train.manifest"}}}})");
  ASSERT_EQ(r.status, 202) << r.body;
  r = Call("POST", "/2020-11-20/projects/p/models", R"({"OutputConfig": {"S3Location": {"Bucket": "out"}}})");
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_EQ(ModelStatus("2"), "TRAINING") << Call("GET", "/2020-11-20/projects/p/models/2").body;
  int detects = 0, failures = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (ModelStatus("2") == "TRAINING" && std::chrono::steady_clock::now() < deadline) {
    if (Detect("1", kImages[detects % kImages.size()]).status != 200) ++failures;
    ++detects;
  }
  EXPECT_EQ(ModelStatus("2"), "TRAINED");
  EXPECT_GE(detects, 1);
  EXPECT_EQ(failures, 0);
}

TEST_F(ServerConcurrency, TooManyHeadersIsAValidationException) {
  std::map<std::string, std::string> headers;
  for (size_t i = 0; i <= kMaxRequestHeaders; ++i) headers["x-extra-" + std::to_string(i)] = "1";
  const ApiResponse r = Call("GET", "/2020-11-20/projects", "", headers);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_type, "ValidationException");
  EXPECT_NE(r.body.find("the limit is 100"), std::string::npos) << r.body;
  headers.erase(headers.begin());
  EXPECT_EQ(Call("GET", "/2020-11-20/projects", "", headers).status, 200);
}

TEST(RateLimiter, AllowsABurstOfOneSecondThenTheRate) {
  RateLimiter limiter(10);
  int allowed = 0;
  for (int i = 0; i < 30; ++i) allowed += limiter.Allow(100.0);
  EXPECT_EQ(allowed, 10);  // the burst: one second's worth
  EXPECT_FALSE(limiter.Allow(100.05));
  EXPECT_TRUE(limiter.Allow(100.11));  // 0.1 s refills one
  EXPECT_FALSE(limiter.Allow(100.11));
  // A steady 20 a second for 10 s gets about 10 a second through.
  allowed = 0;
  for (int i = 0; i < 200; ++i) allowed += limiter.Allow(101.0 + i * 0.05);
  EXPECT_GE(allowed, 100);
  EXPECT_LE(allowed, 111);
}

TEST(RateLimiter, ZeroMeansNoLimitAndASlowRateStillAllowsOne) {
  RateLimiter unlimited(0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(unlimited.Allow(5.0));
  RateLimiter slow(0.5);
  EXPECT_TRUE(slow.Allow(0));
  EXPECT_FALSE(slow.Allow(1));
  EXPECT_TRUE(slow.Allow(2));
}

}  // namespace
}  // namespace anomalens
