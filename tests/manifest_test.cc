#include "core/lookout/manifest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.h"

namespace anomalens {
namespace {

using Json = nlohmann::json;

constexpr char kNormalLine[] =
    R"({"source-ref":"n.jpg","anomaly-label":0,"anomaly-label-metadata":{"class-name":"normal"}})";

std::string ReadText(const std::string& relative) {
  const std::vector<uint8_t> bytes = testing::ReadFileOrDie(testing::SharedPath(relative));
  return std::string(bytes.begin(), bytes.end());
}

// Passes when parsing fails with kInvalidInput and a message containing
// `expected`; the failure text shows what came back instead.
::testing::AssertionResult FailsWith(std::string_view text, const std::string& expected) {
  StatusOr<std::vector<ManifestEntry>> result = ParseManifest(text);
  if (result.ok()) return ::testing::AssertionFailure() << "parsed, expected \"" << expected << "\"";
  if (result.status().code() != StatusCode::kInvalidInput) {
    return ::testing::AssertionFailure() << "wrong code: " << result.status().ToString();
  }
  if (result.status().message().find(expected) == std::string::npos) {
    return ::testing::AssertionFailure() << "message \"" << result.status().message() << "\" lacks \"" << expected
                                         << "\"";
  }
  return ::testing::AssertionSuccess();
}

// Parses one line that must be valid.
ManifestEntry ParseOne(const std::string& line) {
  StatusOr<std::vector<ManifestEntry>> result = ParseManifest(line);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok() || result->size() != 1) {
    ADD_FAILURE() << "expected one entry";
    return {};
  }
  return result->front();
}

// --- The real cookie manifests ----------------------------------------------

TEST(ManifestTest, ParsesCookieTrainingManifest) {
  REQUIRE_SHARED_DATA();
  const std::string text = ReadText("data/lookout-cookies/manifests/train.manifest");
  StatusOr<std::vector<ManifestEntry>> entries = ParseManifest(text);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 63u);
  int normal = 0, anomaly = 0;
  for (size_t i = 0; i < entries->size(); ++i) {
    const ManifestEntry& e = (*entries)[i];
    EXPECT_EQ(e.line_number, static_cast<int>(i) + 1);
    EXPECT_FALSE(e.source_ref.empty());
    EXPECT_EQ(e.source_ref.rfind("training-images/", 0), 0u) << e.source_ref;
    EXPECT_EQ(e.raw_json.front(), '{');
    EXPECT_EQ(e.raw_json.back(), '}');
    if (e.label == ImageLabel::kAnomaly) {
      ++anomaly;
      EXPECT_EQ(e.mask_ref.rfind("mask-images/", 0), 0u) << e.source_ref;
      ASSERT_EQ(e.color_map.size(), 1u) << e.source_ref;
      EXPECT_EQ(e.color_map[0].class_name, "cracked");
      EXPECT_EQ(e.color_map[0].rgb, 0x23A436u);
    } else {
      ++normal;
      EXPECT_TRUE(e.mask_ref.empty()) << e.source_ref;
      EXPECT_TRUE(e.color_map.empty()) << e.source_ref;
    }
  }
  EXPECT_EQ(normal, 31);
  EXPECT_EQ(anomaly, 32);
  EXPECT_EQ((*entries)[0].source_ref, "training-images/anomaly-1.jpg");
  EXPECT_EQ((*entries)[0].mask_ref, "mask-images/anomaly-1.png");
  // raw_json is the line itself, without its line ending.
  EXPECT_EQ(text.substr(0, text.find('\n')), (*entries)[0].raw_json);
}

TEST(ManifestTest, ParsesCookieTestManifest) {
  REQUIRE_SHARED_DATA();
  StatusOr<std::vector<ManifestEntry>> entries =
      ParseManifest(ReadText("data/lookout-cookies/manifests/test.manifest"));
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 22u);
  int anomaly = 0;
  for (const ManifestEntry& e : *entries) {
    anomaly += e.label == ImageLabel::kAnomaly ? 1 : 0;
    EXPECT_TRUE(e.mask_ref.empty());
    EXPECT_TRUE(e.color_map.empty());
  }
  EXPECT_EQ(anomaly, 8);
}

// --- Lines, labels and masks -------------------------------------------------

TEST(ManifestTest, EmptyTextHasNoEntries) {
  for (const char* text : {"", "\n", "  \r\n\t\n"}) {
    StatusOr<std::vector<ManifestEntry>> entries = ParseManifest(text);
    ASSERT_TRUE(entries.ok());
    EXPECT_TRUE(entries->empty());
  }
}

TEST(ManifestTest, CrLfBlankLinesAndByteOrderMark) {
  const std::string text = std::string("\xEF\xBB\xBF") + kNormalLine + "\r\n\r\n   \r\n" +
                           R"({"source-ref":"a.jpg","anomaly-label":1})";  // no final newline
  StatusOr<std::vector<ManifestEntry>> entries = ParseManifest(text);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].line_number, 1);
  EXPECT_EQ((*entries)[0].raw_json, kNormalLine);  // no BOM, no \r
  EXPECT_EQ((*entries)[1].line_number, 4);
  EXPECT_EQ((*entries)[1].source_ref, "a.jpg");
  EXPECT_EQ((*entries)[1].label, ImageLabel::kAnomaly);
}

TEST(ManifestTest, LabelFromEitherField) {
  EXPECT_EQ(ParseOne(R"({"source-ref":"a","anomaly-label":1})").label, ImageLabel::kAnomaly);
  EXPECT_EQ(ParseOne(R"({"source-ref":"a","anomaly-label":0})").label, ImageLabel::kNormal);
  EXPECT_EQ(ParseOne(R"({"source-ref":"a","anomaly-label":1.0})").label, ImageLabel::kAnomaly);
  EXPECT_EQ(ParseOne(R"({"source-ref":"a","anomaly-label-metadata":{"class-name":"anomaly"}})").label,
            ImageLabel::kAnomaly);
  EXPECT_EQ(ParseOne(R"({"source-ref":"a","anomaly-label-metadata":{"class-name":"normal"}})").label,
            ImageLabel::kNormal);
}

TEST(ManifestTest, ClassNameWinsOverDisagreeingAnomalyLabel) {
  EXPECT_EQ(ParseOne(R"({"source-ref":"a","anomaly-label":0,"anomaly-label-metadata":{"class-name":"anomaly"}})").label,
            ImageLabel::kAnomaly);
  EXPECT_EQ(ParseOne(R"({"source-ref":"a","anomaly-label":1,"anomaly-label-metadata":{"class-name":"normal"}})").label,
            ImageLabel::kNormal);
}

TEST(ManifestTest, SourceRefKeptAsWritten) {
  EXPECT_EQ(ParseOne(R"({"source-ref":"s3://bucket/dir/x y.png","anomaly-label":0})").source_ref,
            "s3://bucket/dir/x y.png");
  EXPECT_EQ(ParseOne(R"({"source-ref":"/abs/\u00e9.jpg","anomaly-label":0})").source_ref, "/abs/\xC3\xA9.jpg");
}

TEST(ManifestTest, SegmentationExampleFromTheDocs) {
  // Lookout's documented segmentation line, plus keys out of numeric order.
  const ManifestEntry e = ParseOne(
      R"({"source-ref":"s3://path-to-image","anomaly-label":1,"anomaly-label-metadata":{"class-name":"anomaly",)"
      R"("creation-date":"2021-10-12T14:16:45.668","human-annotated":"yes","job-name":"labeling-job/classification-job",)"
      R"("type":"groundtruth/image-classification","confidence":1},"anomaly-mask-ref":"s3://path-to-mask",)"
      R"("anomaly-mask-ref-metadata":{"internal-color-map":{"10":{"class-name":"hole","hex-color":"#000001"},)"
      R"("0":{"class-name":"BACKGROUND","hex-color":"#ffffff","confidence":0.0},)"
      R"("2":{"class-name":"dent","hex-color":"#1f77b4","confidence":0.0},)"
      R"("1":{"class-name":"scratch","hex-color":"#2ca02c","confidence":0.0}},)"
      R"("type":"groundtruth/semantic-segmentation","human-annotated":"yes"}})");
  EXPECT_EQ(e.label, ImageLabel::kAnomaly);
  EXPECT_EQ(e.mask_ref, "s3://path-to-mask");
  ASSERT_EQ(e.color_map.size(), 4u);
  EXPECT_EQ(e.color_map[0].class_name, "BACKGROUND");
  EXPECT_EQ(e.color_map[0].rgb, 0xFFFFFFu);
  EXPECT_EQ(e.color_map[1].class_name, "scratch");
  EXPECT_EQ(e.color_map[1].rgb, 0x2CA02Cu);
  EXPECT_EQ(e.color_map[2].class_name, "dent");
  EXPECT_EQ(e.color_map[2].rgb, 0x1F77B4u);
  EXPECT_EQ(e.color_map[3].class_name, "hole");  // "10" sorts after "2"
}

TEST(ManifestTest, BracketsInsideStringsDoNotCountAsNesting) {
  const std::string deep_text(200, '[');
  EXPECT_EQ(ParseOne(R"({"source-ref":")" + deep_text + R"(\"{","anomaly-label":0})").source_ref, deep_text + "\"{");
}

TEST(ManifestTest, NestingUpToTheLimitIsAccepted) {
  // The line's object is level 1, so 63 arrays inside it reach 64.
  const int arrays = kMaxManifestJsonDepth - 1;
  const std::string line =
      R"({"source-ref":"a","anomaly-label":0,"x":)" + std::string(arrays, '[') + std::string(arrays, ']') + "}";
  EXPECT_EQ(ParseOne(line).source_ref, "a");
  const std::string deeper =
      R"({"source-ref":"a","anomaly-label":0,"x":)" + std::string(arrays + 1, '[') + std::string(arrays + 1, ']') + "}";
  EXPECT_TRUE(FailsWith(deeper, "manifest line 1: JSON nests deeper than 64 levels"));
}

// --- Errors -------------------------------------------------------------------

TEST(ManifestErrorTest, InvalidJsonNamesTheLine) {
  const std::string text = std::string(kNormalLine) + "\n\n" + R"({"source-ref": )" + "\n";
  EXPECT_TRUE(FailsWith(text, "manifest line 3: not valid JSON"));
  EXPECT_TRUE(FailsWith(R"({"source-ref":"a","anomaly-label":0} trailing)", "manifest line 1: not valid JSON"));
  EXPECT_TRUE(FailsWith("{\"source-ref\":\"\xFF\",\"anomaly-label\":0}", "manifest line 1: not valid JSON"));
  EXPECT_TRUE(FailsWith(std::string("{\"source-ref\":\"a\0b\"}", 20), "manifest line 1: not valid JSON"));
  EXPECT_TRUE(FailsWith(std::string(100000, '['), "manifest line 1: JSON nests deeper"));
  EXPECT_TRUE(FailsWith(R"({"source-ref":"a","anomaly-label":1e999})", "manifest line 1: not valid JSON"));
}

TEST(ManifestErrorTest, LineMustBeAnObject) {
  EXPECT_TRUE(FailsWith("[1, 2]", "manifest line 1: not a JSON object"));
  EXPECT_TRUE(FailsWith("\"source-ref\"", "manifest line 1: not a JSON object"));
  EXPECT_TRUE(FailsWith("null", "manifest line 1: not a JSON object"));
}

TEST(ManifestErrorTest, SourceRef) {
  EXPECT_TRUE(FailsWith(R"({"anomaly-label":0})", "manifest line 1: missing \"source-ref\""));
  EXPECT_TRUE(FailsWith(std::string(kNormalLine) + "\n" + R"({"source-ref":5,"anomaly-label":0})",
                        "manifest line 2: \"source-ref\" must be a non-empty string"));
  EXPECT_TRUE(FailsWith(R"({"source-ref":"","anomaly-label":0})",
                        "manifest line 1: \"source-ref\" must be a non-empty string"));
}

TEST(ManifestErrorTest, AnomalyLabel) {
  for (const char* value : {"2", "-1", "0.5", "\"1\"", "true", "null", "[1]"}) {
    EXPECT_TRUE(FailsWith(std::string(R"({"source-ref":"a","anomaly-label":)") + value + "}",
                          "manifest line 1: \"anomaly-label\" must be 0 or 1"))
        << value;
  }
  // A broken value is an error even when class-name would decide.
  EXPECT_TRUE(FailsWith(R"({"source-ref":"a","anomaly-label":7,"anomaly-label-metadata":{"class-name":"normal"}})",
                        "\"anomaly-label\" must be 0 or 1, not 7"));
  EXPECT_TRUE(FailsWith(R"({"source-ref":"a"})", "manifest line 1: missing \"anomaly-label\""));
  EXPECT_TRUE(FailsWith(R"({"source-ref":"a","anomaly-label-metadata":{"type":"x"}})",
                        "manifest line 1: missing \"anomaly-label\""));
}

TEST(ManifestErrorTest, ClassName) {
  const std::string lines = std::string(kNormalLine) + "\n" + kNormalLine + "\n\n\n\n\n" +
                            R"({"source-ref":"a","anomaly-label":1,"anomaly-label-metadata":{"class-name":"dent"}})";
  EXPECT_TRUE(FailsWith(lines, "manifest line 7: \"class-name\" must be \"normal\" or \"anomaly\", not \"dent\""));
  for (const char* value : {"\"Anomaly\"", "1", "null", "\"\""}) {
    EXPECT_TRUE(FailsWith(
        std::string(R"({"source-ref":"a","anomaly-label":1,"anomaly-label-metadata":{"class-name":)") + value + "}}",
        "manifest line 1: \"class-name\" must be \"normal\" or \"anomaly\""))
        << value;
  }
  EXPECT_TRUE(FailsWith(R"({"source-ref":"a","anomaly-label":1,"anomaly-label-metadata":"anomaly"})",
                        "manifest line 1: \"anomaly-label-metadata\" must be an object"));
}

TEST(ManifestErrorTest, LongValuesAreCutShortInMessages) {
  const std::string long_name(5000, 'x');
  StatusOr<std::vector<ManifestEntry>> result =
      ParseManifest(R"({"source-ref":"a","anomaly-label-metadata":{"class-name":")" + long_name + "\"}}");
  ASSERT_FALSE(result.ok());
  EXPECT_LT(result.status().message().size(), 200u);
  EXPECT_NE(result.status().message().find("..."), std::string::npos);
}

TEST(ManifestErrorTest, MaskRef) {
  const std::string head = R"({"source-ref":"a","anomaly-label":1,)";
  EXPECT_TRUE(
      FailsWith(head + R"("anomaly-mask-ref":3})", "manifest line 1: \"anomaly-mask-ref\" must be a non-empty string"));
  EXPECT_TRUE(FailsWith(head + R"("anomaly-mask-ref":""})",
                        "manifest line 1: \"anomaly-mask-ref\" must be a non-empty string"));
  EXPECT_TRUE(
      FailsWith(head + R"("anomaly-mask-ref":"m.png"})",
                "manifest line 1: \"anomaly-mask-ref\" needs \"anomaly-mask-ref-metadata\".\"internal-color-map\""));
  EXPECT_TRUE(FailsWith(head + R"("anomaly-mask-ref":"m.png","anomaly-mask-ref-metadata":{"type":"x"}})",
                        "\"anomaly-mask-ref\" needs \"anomaly-mask-ref-metadata\".\"internal-color-map\""));
  EXPECT_TRUE(FailsWith(head + R"("anomaly-mask-ref":"m.png","anomaly-mask-ref-metadata":[]})",
                        "manifest line 1: \"anomaly-mask-ref-metadata\" must be an object"));
}

TEST(ManifestErrorTest, ColorMap) {
  const auto line = [](const std::string& map) {
    return R"({"source-ref":"a","anomaly-label":1,"anomaly-mask-ref":"m.png","anomaly-mask-ref-metadata":{"internal-color-map":)" +
           map + "}}";
  };
  EXPECT_TRUE(FailsWith(line("[]"), "manifest line 1: \"internal-color-map\" must be an object"));
  for (const char* key : {"x", "01", "-1", "", "1.0", "9999999"}) {
    EXPECT_TRUE(FailsWith(line(std::string("{\"") + key + R"(":{"class-name":"c","hex-color":"#000000"}})"),
                          std::string("manifest line 1: \"internal-color-map\" entry \"") + key +
                              "\": the key must be a number such as \"0\""))
        << key;
  }
  EXPECT_TRUE(
      FailsWith(line(R"({"0":"#23A436"})"), "manifest line 1: \"internal-color-map\" entry \"0\" must be an object"));
  EXPECT_TRUE(FailsWith(line(R"({"0":{"hex-color":"#23A436"}})"),
                        "manifest line 1: \"internal-color-map\" entry \"0\" needs a non-empty string \"class-name\""));
  EXPECT_TRUE(FailsWith(line(R"({"0":{"class-name":"","hex-color":"#23A436"}})"),
                        "entry \"0\" needs a non-empty string \"class-name\""));
  EXPECT_TRUE(FailsWith(line(R"({"0":{"class-name":"cracked"}})"),
                        "manifest line 1: \"internal-color-map\" entry \"0\" needs a string \"hex-color\""));
  EXPECT_TRUE(FailsWith(line(R"({"0":{"class-name":"cracked","hex-color":2335798}})"),
                        "entry \"0\" needs a string \"hex-color\""));
  EXPECT_TRUE(FailsWith(line(R"({"0":{"class-name":"cracked","hex-color":"#fff"}})"),
                        "manifest line 1: \"internal-color-map\" entry \"0\": hex color \"#fff\" must be \"#RRGGBB\""));
}

TEST(ManifestErrorTest, LineOverTheLimitIsRejectedBeforeParsing) {
  // 2 MB, and valid JSON, so only the limit can reject it.
  const std::string big = R"({"source-ref":")" + std::string(2u << 20, 'a') + R"(","anomaly-label":0})";
  const std::string text = std::string(kNormalLine) + "\n" + big + "\n";
  EXPECT_TRUE(FailsWith(text, "manifest line 2: the line is " + std::to_string(big.size()) +
                                  " bytes; the limit is 1048576 bytes per line"));
  // Garbage of the same size gets the same message: it is never parsed.
  EXPECT_TRUE(FailsWith(std::string(2u << 20, '{'), "manifest line 1: the line is 2097152 bytes"));
}

TEST(ManifestErrorTest, LineAtTheLimitIsAccepted) {
  const std::string frame = R"({"source-ref":"","anomaly-label":0})";
  const std::string line =
      R"({"source-ref":")" + std::string(kMaxManifestLineBytes - frame.size(), 'a') + R"(","anomaly-label":0})";
  ASSERT_EQ(line.size(), kMaxManifestLineBytes);
  StatusOr<std::vector<ManifestEntry>> entries = ParseManifest(line + "\r\n");  // \r\n is not counted
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  EXPECT_EQ(entries->size(), 1u);
  EXPECT_TRUE(FailsWith(line.substr(0, 15) + "a" + line.substr(15), "the line is 1048577 bytes"));
}

TEST(ManifestErrorTest, TooManyEntries) {
  std::string text;
  for (size_t i = 0; i < kMaxManifestEntries; ++i) {
    text += R"({"source-ref":"i)" + std::to_string(i) + R"(.jpg","anomaly-label":0})" + "\n";
  }
  text += "\n";  // blank lines do not count as entries, but do count as lines
  {
    StatusOr<std::vector<ManifestEntry>> entries = ParseManifest(text);
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    EXPECT_EQ(entries->size(), kMaxManifestEntries);
  }
  // The extra line is not even valid JSON: the count is checked first.
  EXPECT_TRUE(FailsWith(text + "not json\n",
                        "manifest line 20002: more than 20000 entries; the limit is 20000 images per manifest"));
}

// --- ParseHexColor --------------------------------------------------------------

TEST(ParseHexColorTest, AcceptsHashAndSixHexDigits) {
  EXPECT_EQ(*ParseHexColor("#23A436"), 0x23A436u);
  EXPECT_EQ(*ParseHexColor("#23a436"), 0x23A436u);
  EXPECT_EQ(*ParseHexColor("#ffffff"), 0xFFFFFFu);
  EXPECT_EQ(*ParseHexColor("#000000"), 0u);
}

TEST(ParseHexColorTest, RejectsEverythingElse) {
  for (const char* text :
       {"", "#", "23A436", "#23A43", "#23A4360", "#GGGGGG", "#23 436", "0x23A436", "#fff", "#-23A43", " #23A436"}) {
    StatusOr<uint32_t> rgb = ParseHexColor(text);
    ASSERT_FALSE(rgb.ok()) << text;
    EXPECT_EQ(rgb.status().code(), StatusCode::kInvalidInput);
    EXPECT_EQ(rgb.status().message(), std::string("hex color \"") + text + "\" must be \"#RRGGBB\"");
  }
}

// --- EvaluationManifestLine -----------------------------------------------------

DetectedLabel Detected(bool anomalous, double confidence) {
  DetectedLabel d;
  d.is_anomalous = anomalous;
  d.confidence = confidence;
  d.creation_date = "2024-06-11T10:00:00.000";
  d.model_arn = "arn:aws:lookoutvision:local:000000000000:model/cookies/1";
  d.project_name = "cookies";
  d.model_version = "1";
  return d;
}

TEST(EvaluationManifestLineTest, AddsDetectedLabelAndKeepsTheOriginal) {
  const std::string original =
      R"j({"source-ref": "training-images/anomaly-1.jpg", "anomaly-label-metadata": {"job-name": "anomaly-label", )j"
      R"j("class-name": "anomaly", "human-annotated": "yes", "creation-date": "2022-08-22T20:52:51.851Z", )j"
      R"j("type": "groundtruth/image-classification"}, "anomaly-label": 1, "anomaly-mask-ref-metadata": )j"
      R"j({"internal-color-map": {"0": {"class-name": "cracked", "hex-color": "#23A436"}}, "job-name": )j"
      R"j("labeling-job/object-mask-ref", "human-annotated": "yes", "creation-date": "Mon Aug 22 2022 13:52:52 )j"
      R"j(GMT-0700 (Pacific Daylight Time)", "type": "groundtruth/semantic-segmentation"}, )j"
      R"j("anomaly-mask-ref": "mask-images/anomaly-1.png"})j";
  const ManifestEntry entry = ParseOne(original);
  const std::string line = EvaluationManifestLine(entry, Detected(true, 0.9));

  EXPECT_EQ(line.find('\n'), std::string::npos);
  const Json parsed = Json::parse(line, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << line;
  EXPECT_EQ(parsed.dump(), line);  // compact nlohmann output

  // Everything the line had is still there, unchanged.
  const Json before = Json::parse(original);
  for (auto it = before.begin(); it != before.end(); ++it) EXPECT_EQ(parsed.at(it.key()), it.value()) << it.key();
  EXPECT_EQ(parsed.size(), before.size() + 2);

  EXPECT_EQ(parsed.at("anomaly-label-detected"), 1);
  const Json& meta = parsed.at("anomaly-label-detected-metadata");
  EXPECT_EQ(meta.size(), 9u);
  EXPECT_EQ(meta.at("class-name"), "anomaly");
  ASSERT_TRUE(meta.at("confidence").is_number_float());
  EXPECT_EQ(meta.at("confidence").get<double>(), 0.9);
  EXPECT_EQ(meta.at("type"), "groundtruth/image-classification");
  EXPECT_EQ(meta.at("human-annotated"), "no");
  EXPECT_EQ(meta.at("creation-date"), "2024-06-11T10:00:00.000");
  EXPECT_EQ(meta.at("job-name"), "training-job/anomaly-detection");
  EXPECT_EQ(meta.at("model-arn"), "arn:aws:lookoutvision:local:000000000000:model/cookies/1");
  EXPECT_EQ(meta.at("project-name"), "cookies");
  EXPECT_EQ(meta.at("model-version"), "1");
}

TEST(EvaluationManifestLineTest, NormalPredictionAndRoundTripThroughTheParser) {
  const ManifestEntry entry = ParseOne(kNormalLine);
  const std::string line = EvaluationManifestLine(entry, Detected(false, 0.75));
  const Json parsed = Json::parse(line);
  EXPECT_EQ(parsed.at("anomaly-label-detected"), 0);
  EXPECT_EQ(parsed.at("anomaly-label-detected-metadata").at("class-name"), "normal");
  EXPECT_EQ(parsed.at("anomaly-label-detected-metadata").at("confidence").get<double>(), 0.75);
  // An evaluation line is itself a manifest line with the same entry...
  const ManifestEntry again = ParseOne(line);
  EXPECT_EQ(again.source_ref, "n.jpg");
  EXPECT_EQ(again.label, ImageLabel::kNormal);
  // ...and evaluating it again replaces the detection instead of adding one.
  const Json twice = Json::parse(EvaluationManifestLine(again, Detected(true, 0.5)));
  EXPECT_EQ(twice.size(), parsed.size());
  EXPECT_EQ(twice.at("anomaly-label-detected"), 1);
  EXPECT_EQ(twice.at("anomaly-label-detected-metadata").at("confidence").get<double>(), 0.5);
}

TEST(EvaluationManifestLineTest, EntryWithoutRawJsonFallsBackToItsFields) {
  ManifestEntry entry;
  entry.source_ref = "s3://bucket/x.png";
  entry.label = ImageLabel::kAnomaly;
  for (const char* raw : {"", "not json", "[1]"}) {
    entry.raw_json = raw;
    const Json parsed = Json::parse(EvaluationManifestLine(entry, Detected(false, 0.25)));
    EXPECT_EQ(parsed.at("source-ref"), "s3://bucket/x.png");
    EXPECT_EQ(parsed.at("anomaly-label"), 1);
    EXPECT_EQ(parsed.at("anomaly-label-metadata").at("class-name"), "anomaly");
    EXPECT_EQ(parsed.at("anomaly-label-detected"), 0);
  }
}

TEST(EvaluationManifestLineTest, OddCallerValuesDoNotThrow) {
  DetectedLabel detected = Detected(true, std::numeric_limits<double>::quiet_NaN());
  detected.model_arn = "bad \xFF utf-8";
  const std::string line = EvaluationManifestLine(ParseOne(kNormalLine), detected);
  const Json parsed = Json::parse(line, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << line;
  EXPECT_TRUE(parsed.at("anomaly-label-detected-metadata").at("confidence").is_null());
  EXPECT_EQ(parsed.at("anomaly-label-detected-metadata").at("model-arn"), "bad \xEF\xBF\xBD utf-8");
}

}  // namespace
}  // namespace anomalens
