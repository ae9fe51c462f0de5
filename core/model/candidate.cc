#include "core/model/candidate.h"

#include <cmath>
#include <cstdio>

namespace anomalens {
namespace {

// Differences below these are treated as ties. With ~10 held-out normals and
// ~36 synthetic defects one pair in 360 moves the ROCAUC by 0.003, so a
// margin of a few pairs keeps noise from deciding.
constexpr double kLabelledRocAucMargin = 0.005;
constexpr double kSyntheticRocAucMargin = 0.01;
constexpr double kAuproMargin = 0.02;

// +1 when a is clearly higher, -1 when clearly lower, 0 for a tie (NaN on
// either side is a tie: no evidence).
int Compare(double a, double b, double margin) {
  if (std::isnan(a) || std::isnan(b)) return 0;
  if (a > b + margin) return 1;
  if (b > a + margin) return -1;
  return 0;
}

std::string Figure(double v) {
  if (std::isnan(v)) return "  -   ";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

}  // namespace

std::string CandidateName(const CandidateFigures& c) {
  std::string name = std::to_string(c.short_side) + " px, " + c.normal_model;
  if (c.normal_model == "shared-bank") name += c.coarse_weight > 0 ? ", taps 8+16" : ", tap 8";
  if (c.normal_model == "per-position") name += c.dark_spots ? ", dark spots" : ", no dark spots";
  return name;
}

bool CandidateRanksAbove(const CandidateFigures& a, const CandidateFigures& b) {
  if (!a.error.empty()) return false;
  if (!b.error.empty()) return true;
  if (a.labelled_rocauc >= 0 && b.labelled_rocauc >= 0) {
    const int labelled = Compare(a.labelled_rocauc, b.labelled_rocauc, kLabelledRocAucMargin);
    if (labelled != 0) return labelled > 0;
  }
  const int synthetic = Compare(a.synthetic_rocauc, b.synthetic_rocauc, kSyntheticRocAucMargin);
  if (synthetic != 0) return synthetic > 0;
  return Compare(a.synthetic_aupro, b.synthetic_aupro, kAuproMargin) > 0;
}

std::string FormatCandidateTable(const std::vector<CandidateFigures>& candidates) {
  std::string out =
      "  candidate                                  self-check ROCAUC  AUPRO   recall  labelled ROCAUC  features s  fit s\n";
  for (const CandidateFigures& c : candidates) {
    char line[256];
    if (!c.error.empty()) {
      std::snprintf(line, sizeof line, "  %-42s not fitted: %s\n", CandidateName(c).c_str(), c.error.c_str());
    } else {
      std::snprintf(line, sizeof line, "%s %-42s %-17s  %-6s  %5.1f%%  %-15s  %10.1f  %5.1f\n", c.chosen ? "*" : " ",
                    CandidateName(c).c_str(), Figure(c.synthetic_rocauc).c_str(), Figure(c.synthetic_aupro).c_str(),
                    100 * c.synthetic_recall, c.labelled_rocauc >= 0 ? Figure(c.labelled_rocauc).c_str() : "  -",
                    c.feature_seconds, c.fit_seconds);
    }
    out += line;
  }
  return out;
}

}  // namespace anomalens
