// One candidate of the configuration search (configuration_search.h): the
// configuration tried, what the self-check (and labelled anomalies) said of
// it, and the rule that ranks two candidates.
#ifndef ANOMALENS_CORE_MODEL_CANDIDATE_H_
#define ANOMALENS_CORE_MODEL_CANDIDATE_H_

#include <string>
#include <vector>

namespace anomalens {

struct CandidateFigures {
  // The configuration.
  int short_side = 0;
  std::string normal_model;  // NormalModelKindName of what the model used
  float coarse_weight = 1;   // 0: stride-8 features alone; else stride 8 + 16
  bool dark_spots = false;   // the dark-spot channel was fused in
  // Held-out figures on the normal images the candidates were compared on.
  double synthetic_rocauc = 0;  // self-check image ROCAUC (NaN: not measured)
  double synthetic_aupro = 0;
  double synthetic_recall = 0;  // at the candidate's own threshold
  double labelled_rocauc = -1;  // held-out labelled anomalies against normals; -1: none
  // How many images each ROCAUC ranks: its standard error, and so what
  // difference is noise, depends on them (CandidateRanksAbove).
  int synthetic_defects = 0;
  int labelled_anomalies = 0;
  int held_out_normals = 0;
  // The self-check's few-pixel class alone (7 to 50 of the image's own
  // pixels, kFewPixelSizeClass): its image ROCAUC (NaN without it) and count.
  // For ranking only: not kept in the model file.
  double few_pixel_rocauc = 0;
  int few_pixel_defects = 0;
  // The compression check (SelfCheckReport): compressed copies of held-out
  // normals, and how many the candidate flags at its own threshold.
  int compressed_normals = 0;
  int compressed_flagged = 0;
  bool chosen = false;
  std::string error;  // why the candidate could not be fitted ("" when it was)
  // Host clock seconds: the scale's feature extraction and this candidate's
  // fit and self-check (0 without a clock). Not stored in the model file, so
  // a model is the same bytes however fast the machine was.
  double feature_seconds = 0;
  double fit_seconds = 0;
};

// "288 px, shared bank, taps 8+16".
std::string CandidateName(const CandidateFigures& c);

// Whether `a` should replace the incumbent `b`. Keys in order, each deciding
// only when the difference is clear, so that noise in a few dozen held-out
// scores does not pick a costlier configuration. Clear means larger than the
// larger of the two ROCAUCs' standard errors (Hanley and McNeil, from the
// counts of defects and normals they rank) and than a floor (candidate.cc):
//   1. labelled anomalies' held-out ROCAUC, when both have them: real
//      defects win over synthetic ones;
//   2. the self-check's synthetic image ROCAUC; where labelled anomalies
//      tied, only for a lead of a candidate that finds the synthetic
//      defects clearly better than chance (ROCAUC above 0.5 by two standard
//      errors): a self-check that does not find its own defects is no
//      evidence against a tie on real ones;
//   3. between candidates of different scales, the ROCAUC of the
//      self-check's few-pixel class alone, clear when larger than one
//      defect's worth (1 / its count), and only when both candidates find
//      the synthetic defects clearly better than chance (ROCAUC above 0.5 by
//      two standard errors): a working scale decides whether a defect of a
//      few image pixels is seen at all (it shrinks below a cell or it does
//      not), while larger defects survive either scale, so a tie overall
//      between scales is broken by the defects the scale is about;
//   4. its pixel AUPRO (where the defects are found, not only that they
//      are), only when both candidates find the synthetic defects clearly
//      better than chance: localization of defects the model cannot tell
//      from normal images is no evidence.
// The search walks the candidates in order from the base configuration, so
// ties keep the earlier, cheaper one.
bool CandidateRanksAbove(const CandidateFigures& a, const CandidateFigures& b);

// The standard error of a ROCAUC of `auc` over `positives` x `negatives`
// pairs (Hanley and McNeil 1982); 0.5 (no evidence) without pairs.
double RocAucStandardError(double auc, int positives, int negatives);

// The table `train` prints: one line per candidate, the chosen one marked.
std::string FormatCandidateTable(const std::vector<CandidateFigures>& candidates);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_MODEL_CANDIDATE_H_
