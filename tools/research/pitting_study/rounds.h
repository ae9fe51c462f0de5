// The study's rounds of variant groups, in the order main runs them. Each
// group runs when --variants asks for it (Study::Want); the group names are
// in README.md and in --help.
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_ROUNDS_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_ROUNDS_H_

#include <string>

#include "tools/research/pitting_study/study.h"

namespace anomalens::pitting_study {

// shared posnn padim padimc fuse retr align fusemin cn ms fewer img
void RunRound1(Study& study);
// z s4 s4b
void RunRound2(Study& study);
// dh blob onesided bdump shift probe trim final
void RunRound3(Study& study);
// ref scales
void RunRound5(Study& study);
// dump4 dump
void RunPerImageDumps(Study& study);

// Round 4 (`--variants r4`, any --short-side up to 460): the per-position
// model on finer taps: the stride-4 tap at higher working resolutions (up to
// the native 460 px short side) and the stride-2 tap (expanded_conv, 16
// channels) at up to 320 px. Dev / holdout / full as in round 3, with the
// cost of each model (fit seconds on all 200 train images, patch-scoring ms a
// test image, model MiB: mean + covariance factor + the per-cell
// standardization's mean and sd).
// Loads its own taps (LoadOrExtractEarly); `only` is "r4" or "r4:TAP-K-R-S,...".
void RunRound4(const std::string& dir, int short_side, const std::string& only);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_ROUNDS_H_
