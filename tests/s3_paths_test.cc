#include "native/server/s3_paths.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "native/jobs/file_io.h"

namespace anomalens {
namespace {

class S3PathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("anomalens-s3-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "manifests");
    std::filesystem::create_directories(dir_ / "images");
    std::ofstream(dir_ / "images" / "a.png") << "x";
    ASSERT_TRUE(buckets_.Add("data=" + dir_.string()).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  BucketMap buckets_;
};

TEST_F(S3PathsTest, MapsBucketsAndRefusesOthers) {
  auto path = buckets_.ResolveUri("s3://data/images/a.png");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, (dir_ / "images" / "a.png").string());
  auto unmapped = buckets_.ResolveUri("s3://other/a.png");
  EXPECT_EQ(unmapped.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(unmapped.status().message().find("not mapped"), std::string::npos);
  EXPECT_FALSE(buckets_.Resolve("data", "../etc/passwd").ok());
  EXPECT_FALSE(buckets_.Add("nodir").ok());
  EXPECT_FALSE(buckets_.Add("x=/definitely/not/here").ok());
}

TEST_F(S3PathsTest, RelativeRefsResolveBesideTheManifestOrAboveAndBecomeS3Uris) {
  std::ofstream(dir_ / "manifests" / "train.manifest")
      << R"({"source-ref": "images/a.png", "anomaly-label": 0})" << "\n"
      << R"({"source-ref": "s3://data/images/a.png", "anomaly-label": 1})" << "\n";
  auto entries = LoadS3Manifest(buckets_, "data", "manifests/train.manifest");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].source_ref, "s3://data/images/a.png");
  EXPECT_NE((*entries)[0].raw_json.find("\"source-ref\":\"s3://data/images/a.png\""), std::string::npos);
  EXPECT_EQ((*entries)[0].image_path, (dir_ / "images" / "a.png").string());

  std::ofstream(dir_ / "manifests" / "bad.manifest") << R"({"source-ref": "images/missing.png", "anomaly-label": 0})";
  auto bad = LoadS3Manifest(buckets_, "data", "manifests/bad.manifest");
  EXPECT_NE(bad.status().message().find("manifest line 1"), std::string::npos);
  // Without a manifest location (UpdateDatasetEntries), relative refs are refused.
  ManifestEntry e;
  e.source_ref = "images/a.png";
  EXPECT_FALSE(ResolveEntryPaths(buckets_, "", "", &e).ok());
}

}  // namespace
}  // namespace anomalens
