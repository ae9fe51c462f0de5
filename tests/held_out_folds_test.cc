// The folds the trainer holds normal images out by (core/model/held_out_folds.h).
#include <gtest/gtest.h>

#include "core/model/held_out_folds.h"

namespace anomalens {
namespace {

TEST(HeldOutFolds, NormalOnlyHoldsOutFewImagesAtATime) {
  // n (K - 1) >= 1000 with K at least the configured 5 and at most n.
  EXPECT_EQ(HeldOutFolds(32, 5, false), 32);   // the dev scenes: leave one out
  EXPECT_EQ(HeldOutFolds(25, 5, false), 25);   // the cookies
  EXPECT_EQ(HeldOutFolds(50, 5, false), 21);
  EXPECT_EQ(HeldOutFolds(200, 5, false), 6);   // bsdata-pitting
  EXPECT_EQ(HeldOutFolds(300, 5, false), 5);   // many images: the configured folds
  EXPECT_EQ(HeldOutFolds(300, 10, false), 10); // never fewer than configured
  EXPECT_EQ(HeldOutFolds(3, 5, false), 3);     // at most one fold an image
}

TEST(HeldOutFolds, LabelledAnomaliesKeepTheConfiguredFolds) {
  // The F1-optimal threshold compares normals and anomalies scored by the
  // same fold models, so the fold size biases both alike.
  EXPECT_EQ(HeldOutFolds(32, 5, true), 5);
  EXPECT_EQ(HeldOutFolds(200, 5, true), 5);
  EXPECT_EQ(HeldOutFolds(3, 5, true), 3);
}

}  // namespace
}  // namespace anomalens
