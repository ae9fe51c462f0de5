// `--zavg A.tsv,B.tsv,...` (round 4): combines variants run at different
// working resolutions, which no single run holds at once, from their
// per-image dumps.
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_Z_AVERAGE_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_Z_AVERAGE_H_

#include <string>

namespace anomalens::pitting_study {

// `--zavg A.tsv,B.tsv,...`: image ROCAUC on dev / holdout / full of the
// average of several variants' image scores, each standardized by its own
// held-out train image scores (TrainZ), read from the per-image dumps the
// variant groups write (DumpScores: kind, part, name, score, ...), so
// models at different working resolutions can be combined.
// Prints "z-average of N: image ROCAUC dev D holdout H full F" and returns
// 0, or names the file it cannot read and returns 1.
int ZAverage(const std::string& list);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_Z_AVERAGE_H_
