// How well the images of a set line up, from their stride-8 features: the
// per-position model only makes sense where a position means the same
// part of the object in every image (`--variants align`, `--align DIR`).
#ifndef ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_ALIGNMENT_H_
#define ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_ALIGNMENT_H_

#include <string>
#include <vector>

namespace anomalens::pitting_study {

// Alignment: the mean over cells of the per-position variance of the fine
// features (pooled over +-r cells), divided by their variance over all cells.
double Alignment(const std::vector<std::vector<float>>& f, int w, int h, int r);

// `--align DIR`: prints the alignment of the images of a folder (all but
// names with "anomaly") at 224 px, 3x3-averaged stride-8 features.
int PrintFolderAlignment(const std::string& folder);

}  // namespace anomalens::pitting_study

#endif  // ANOMALENS_TOOLS_RESEARCH_PITTING_STUDY_ALIGNMENT_H_
