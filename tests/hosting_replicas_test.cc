// Hosting across servers on one store, on both engines: a model hosted
// through one server is loaded by another on its readiness probe and
// answers there; stopped through the first, it is dropped from the second's
// memory at its next probe and refused there, as the store says.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "native/jobs/file_io.h"
#include "native/server/lookout_service.h"
#include "native/server/server.h"
#include "store_engines.h"

namespace anomalens {
namespace {

using testing::ReadFileOrDie;

const std::string kParity = ANOMALENS_GOLDEN_DIR "/parity";

class HostingReplicas : public testing::StoreEngineTest {
 protected:
  std::unique_ptr<LookoutService> StartServer() {
    auto store = Open();
    if (!store) return nullptr;
    auto service = LookoutService::Create(std::move(store), BucketMap(), testing::SharedBackbone(), {});
    EXPECT_TRUE(service.ok()) << service.status().ToString();
    return service.ok() ? std::move(service).value() : nullptr;
  }

  static ApiResponse Call(LookoutService& service, const std::string& method, const std::string& target,
                          const std::string& body = "", std::map<std::string, std::string> headers = {}) {
    return HandleHttpRequest(service, std::nullopt, HttpRequest{method, target, std::move(headers), body},
                             std::time(nullptr));
  }

  static double Loaded(LookoutService& service) {
    service.UpdateGauges();
    const std::string text = service.metrics().Exposition();
    const std::string name = "anomalens_hosted_models_loaded ";
    const size_t at = text.find("\n" + name);
    return at == std::string::npos ? -1 : std::stod(text.substr(at + 1 + name.size()));
  }
};

TEST_P(HostingReplicas, AModelStoppedOnOneServerIsDroppedByTheOtherAtItsNextProbe) {
  // Project "p" with the golden classification model, trained (not hosted).
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Exec("INSERT INTO projects VALUES ('p', 'arn:p', 0)").ok());
    auto dir = store->ModelDirectory("p", "1", true);
    ASSERT_TRUE(dir.ok());
    ASSERT_TRUE(WriteFileAtomic(JoinPath(*dir, "model.anml"), ReadFileOrDie(kParity + "/classification.anlm")).ok());
    const nlohmann::json d = {{"ModelVersion", "1"}, {"ModelArn", "arn:p/1"}, {"CreationTimestamp", 0},
                              {"Status", "TRAINED"}, {"StatusMessage", "Training completed successfully."}};
    ASSERT_TRUE(store->Exec("INSERT INTO models VALUES ('p', 1, ?)", {d.dump()}).ok());
  }
  auto a = StartServer();
  auto b = StartServer();
  ASSERT_TRUE(a && b);
  const std::vector<uint8_t> image = ReadFileOrDie(kParity + "/test-images/normal-11.png");
  auto detect_on_b = [&] {
    return Call(*b, "POST", "/2020-11-20/projects/p/models/1/detect", std::string(image.begin(), image.end()),
                {{"content-type", "image/png"}});
  };
  auto status = [&](LookoutService& s) {
    return nlohmann::json::parse(Call(s, "GET", "/2020-11-20/projects/p/models/1").body)["ModelDescription"]
        .value("Status", "");
  };
  auto wait_for = [&](const std::string& wanted) {
    for (int i = 0; i < 600 && status(*a) != wanted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return status(*a);
  };

  ASSERT_EQ(Call(*a, "POST", "/2020-11-20/projects/p/models/1/start", R"({"MinInferenceUnits": 1})").status, 202);
  ASSERT_EQ(wait_for("HOSTED"), "HOSTED");
  EXPECT_EQ(status(*b), "HOSTED");  // Describe answers the same on both
  EXPECT_EQ(Loaded(*b), 0);
  EXPECT_TRUE(b->Readiness().ok());  // the probe loads it
  EXPECT_EQ(Loaded(*b), 1);
  EXPECT_EQ(detect_on_b().status, 200);

  ASSERT_EQ(Call(*a, "POST", "/2020-11-20/projects/p/models/1/stop").status, 202);
  ASSERT_EQ(wait_for("TRAINED"), "TRAINED");
  EXPECT_EQ(Loaded(*a), 0);
  EXPECT_EQ(Loaded(*b), 1);  // until its next probe
  EXPECT_TRUE(b->Readiness().ok());
  EXPECT_EQ(Loaded(*b), 0);
  const ApiResponse refused = detect_on_b();
  EXPECT_EQ(refused.status, 409) << refused.body;
}

INSTANTIATE_TEST_SUITE_P(Engines, HostingReplicas, ::testing::Values("sqlite", "postgresql"), testing::EngineName);

}  // namespace
}  // namespace anomalens
