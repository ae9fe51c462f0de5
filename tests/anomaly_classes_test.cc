// CollectAnomalyClasses: a segmentation project's defect types from its
// manifest lines (order, background entries, colour conflicts, Lookout's
// limits), and HexColor.
#include "core/lookout/anomaly_classes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace anomalens {
namespace {

ManifestEntry Masked(int line, std::vector<MaskColor> color_map) {
  ManifestEntry e;
  e.line_number = line;
  e.source_ref = "images/img-" + std::to_string(line) + ".png";
  e.label = ImageLabel::kAnomaly;
  e.mask_ref = "masks/img-" + std::to_string(line) + ".png";
  e.color_map = std::move(color_map);
  return e;
}

// A colour map of `count` classes named prefix0.. with distinct colours base, base+1, ...
std::vector<MaskColor> ManyClasses(const std::string& prefix, int count, uint32_t base) {
  std::vector<MaskColor> map;
  for (int i = 0; i < count; ++i) map.push_back({prefix + std::to_string(i), base + static_cast<uint32_t>(i)});
  return map;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(AnomalyClasses, Classes_come_in_order_of_first_appearance) {
  // Line 1 brings scratch then dent (colour-map key order); line 2 repeats
  // dent and brings crack; line 3 repeats scratch.
  const std::vector<ManifestEntry> entries = {
      Masked(1, {{"scratch", 0x112233}, {"dent", 0x445566}}),
      Masked(2, {{"dent", 0x445566}, {"crack", 0x778899}}),
      Masked(3, {{"scratch", 0x112233}}),
  };
  auto classes = CollectAnomalyClasses(entries);
  ASSERT_TRUE(classes.ok()) << classes.status().ToString();
  ASSERT_EQ(classes->size(), 3u);
  EXPECT_EQ((*classes)[0].name, "scratch");
  EXPECT_EQ((*classes)[0].color, 0x112233u);
  EXPECT_EQ((*classes)[1].name, "dent");
  EXPECT_EQ((*classes)[1].color, 0x445566u);
  EXPECT_EQ((*classes)[2].name, "crack");
  EXPECT_EQ((*classes)[2].color, 0x778899u);
}

TEST(AnomalyClasses, Background_entries_are_skipped_in_any_case) {
  // Ground Truth's BACKGROUND entry, in three spellings, even in white or in
  // a class's colour, is not a defect type and is never checked for conflicts.
  const std::vector<ManifestEntry> entries = {
      Masked(1, {{"BACKGROUND", 0xFFFFFF}, {"cracked", 0x23A436}}),
      Masked(2, {{"background", 0x000000}, {"cracked", 0x23A436}}),
      Masked(3, {{"BackGround", 0x23A436}}),
  };
  auto classes = CollectAnomalyClasses(entries);
  ASSERT_TRUE(classes.ok()) << classes.status().ToString();
  ASSERT_EQ(classes->size(), 1u);
  EXPECT_EQ((*classes)[0].name, "cracked");
  EXPECT_TRUE(IsBackgroundClassName("bAcKgRoUnD"));
  EXPECT_FALSE(IsBackgroundClassName("backgrounds"));
  EXPECT_FALSE(IsBackgroundClassName("background "));
  EXPECT_FALSE(IsBackgroundClassName(""));
}

TEST(AnomalyClasses, No_masks_means_no_classes) {
  // Entries without a mask_ref are ignored, whatever their colour map holds
  // (here a white class, which would otherwise be an error).
  ManifestEntry normal;
  normal.line_number = 1;
  normal.source_ref = "good.png";
  ManifestEntry unmasked;
  unmasked.line_number = 2;
  unmasked.source_ref = "bad.png";
  unmasked.label = ImageLabel::kAnomaly;
  unmasked.color_map = {{"white", 0xFFFFFF}, {"dent", 0x445566}};
  auto classes = CollectAnomalyClasses({normal, unmasked});
  ASSERT_TRUE(classes.ok()) << classes.status().ToString();
  EXPECT_TRUE(classes->empty());

  // With one masked line, only its classes count.
  auto one = CollectAnomalyClasses({unmasked, Masked(3, {{"crack", 0x778899}})});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].name, "crack");
}

TEST(AnomalyClasses, Same_class_in_two_colours_is_an_error_naming_the_line) {
  const std::vector<ManifestEntry> entries = {
      Masked(1, {{"dent", 0x445566}}),
      Masked(7, {{"dent", 0x445567}}),
  };
  auto classes = CollectAnomalyClasses(entries);
  ASSERT_FALSE(classes.ok());
  EXPECT_EQ(classes.status().code(), StatusCode::kInvalidInput);
  const std::string& m = classes.status().message();
  EXPECT_TRUE(Contains(m, "manifest line 7")) << m;
  EXPECT_TRUE(Contains(m, "images/img-7.png")) << m;
  EXPECT_TRUE(Contains(m, "'dent'")) << m;
  EXPECT_TRUE(Contains(m, "#445567")) << m;
  EXPECT_TRUE(Contains(m, "#445566")) << m;
  EXPECT_TRUE(Contains(m, "one colour")) << m;
}

TEST(AnomalyClasses, Two_classes_in_one_colour_is_an_error) {
  // Across lines, and within one line.
  for (const std::vector<ManifestEntry>& entries :
       {std::vector<ManifestEntry>{Masked(1, {{"dent", 0x445566}}), Masked(2, {{"scratch", 0x445566}})},
        std::vector<ManifestEntry>{Masked(2, {{"dent", 0x445566}, {"scratch", 0x445566}})}}) {
    auto classes = CollectAnomalyClasses(entries);
    ASSERT_FALSE(classes.ok());
    EXPECT_EQ(classes.status().code(), StatusCode::kInvalidInput);
    const std::string& m = classes.status().message();
    EXPECT_TRUE(Contains(m, "manifest line 2")) << m;
    EXPECT_TRUE(Contains(m, "'dent' and 'scratch'")) << m;
    EXPECT_TRUE(Contains(m, "#445566")) << m;
  }
}

TEST(AnomalyClasses, White_class_colour_is_an_error) {
  auto classes = CollectAnomalyClasses({Masked(4, {{"cracked", 0x23A436}, {"chalk", 0xFFFFFF}})});
  ASSERT_FALSE(classes.ok());
  EXPECT_EQ(classes.status().code(), StatusCode::kInvalidInput);
  const std::string& m = classes.status().message();
  EXPECT_TRUE(Contains(m, "manifest line 4")) << m;
  EXPECT_TRUE(Contains(m, "'chalk'")) << m;
  EXPECT_TRUE(Contains(m, "#FFFFFF")) << m;
  EXPECT_TRUE(Contains(m, "background")) << m;
}

TEST(AnomalyClasses, Twenty_classes_in_one_mask_pass_and_twenty_one_fail_naming_20) {
  // A BACKGROUND entry does not count toward the 20.
  std::vector<MaskColor> twenty = ManyClasses("c", 20, 0x100000);
  twenty.push_back({"BACKGROUND", 0x000000});
  auto ok = CollectAnomalyClasses({Masked(1, twenty)});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->size(), 20u);

  auto classes = CollectAnomalyClasses({Masked(5, ManyClasses("c", 21, 0x100000))});
  ASSERT_FALSE(classes.ok());
  EXPECT_EQ(classes.status().code(), StatusCode::kInvalidInput);
  const std::string& m = classes.status().message();
  EXPECT_TRUE(Contains(m, "manifest line 5")) << m;
  EXPECT_TRUE(Contains(m, "21 anomaly classes")) << m;
  EXPECT_TRUE(Contains(m, "limit is 20 per mask")) << m;
}

TEST(AnomalyClasses, Hundred_project_classes_pass_and_a_hundred_and_first_fails_naming_100) {
  // Five lines of 20 new classes each: 100, the limit.
  std::vector<ManifestEntry> entries;
  for (int line = 1; line <= 5; ++line) {
    entries.push_back(Masked(line, ManyClasses("l" + std::to_string(line) + "_", 20, 0x010000u * line)));
  }
  auto ok = CollectAnomalyClasses(entries);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->size(), 100u);

  // Line 6 repeats one known class (fine) and brings the 101st.
  entries.push_back(Masked(6, {{"l1_0", 0x010000}, {"extra", 0x0A0B0C}}));
  auto classes = CollectAnomalyClasses(entries);
  ASSERT_FALSE(classes.ok());
  EXPECT_EQ(classes.status().code(), StatusCode::kInvalidInput);
  const std::string& m = classes.status().message();
  EXPECT_TRUE(Contains(m, "manifest line 6")) << m;
  EXPECT_TRUE(Contains(m, "more than 100 anomaly classes")) << m;
  EXPECT_TRUE(Contains(m, "limit per project")) << m;
}

TEST(AnomalyClasses, HexColor_is_hash_and_six_uppercase_digits) {
  EXPECT_EQ(HexColor(0x23A436), "#23A436");
  EXPECT_EQ(HexColor(0x000000), "#000000");
  EXPECT_EQ(HexColor(0x0A0B0C), "#0A0B0C");  // leading zeros kept
  EXPECT_EQ(HexColor(0xabcdef), "#ABCDEF");
  EXPECT_EQ(HexColor(kBackgroundColor), "#FFFFFF");
}

}  // namespace
}  // namespace anomalens
