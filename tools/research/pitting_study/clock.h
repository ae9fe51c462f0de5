// Wall-clock seconds, for the study's cost columns (backbone ms an image,
// fit seconds, scoring ms): timings, unlike the quality numbers, vary run
// to run on a shared machine.
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_CLOCK_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_CLOCK_H_

#include <chrono>

namespace anomalens::pitting_study {

inline double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_CLOCK_H_
