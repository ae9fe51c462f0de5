#include "core/lookout/self_check_report.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "core/lookout/metrics.h"

namespace anomalens {
namespace {

SelfCheckGroup Group(std::string name, const std::vector<const SyntheticDefectScore*>& members,
                     const std::vector<double>& normal_scores, double threshold) {
  SelfCheckGroup g;
  g.name = std::move(name);
  std::vector<ScoredLabel> scored;
  for (double s : normal_scores) scored.push_back({s, false});
  for (const SyntheticDefectScore* m : members) {
    ++g.defects;
    if (m->score >= threshold) ++g.detected;
    scored.push_back({m->score, true});
  }
  g.image_rocauc = RocAuc(scored);
  return g;
}

std::string Percent(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
  return buf;
}

std::string Fixed(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

}  // namespace

const char* SelfCheckSizeClassName(int size_class) {
  static const char* const kNames[kSelfCheckSizeClasses] = {"0.01-0.1%", "0.1-0.5%", "0.5-2%", "3-8 px"};
  return kNames[size_class < 0 ? 0 : size_class >= kSelfCheckSizeClasses ? kSelfCheckSizeClasses - 1 : size_class];
}

int SelfCheckSizeClass(double area_fraction) {
  int c = 0;
  while (c < 2 && area_fraction >= kSelfCheckSizeBounds[c]) ++c;
  return c;
}

SelfCheckReport SelfCheckTally::Summarize(const std::vector<double>& normal_scores, double threshold,
                                          const PixelMetricsAccumulator* pixels) const {
  SelfCheckReport r;
  if (scores_.empty()) return r;
  r.defects = static_cast<int>(scores_.size());
  r.normal_images = static_cast<int>(normal_scores.size());
  std::vector<const SyntheticDefectScore*> all;
  for (const SyntheticDefectScore& s : scores_) all.push_back(&s);
  const SelfCheckGroup overall = Group("all", all, normal_scores, threshold);
  r.image_rocauc = overall.image_rocauc;
  r.recall = overall.recall();
  int false_positives = 0;
  for (double s : normal_scores) false_positives += s >= threshold;
  r.false_positive_rate = normal_scores.empty() ? std::numeric_limits<double>::quiet_NaN()
                                                : static_cast<double>(false_positives) / normal_scores.size();
  r.pixel_rocauc = pixels ? pixels->PixelRocAuc() : std::numeric_limits<double>::quiet_NaN();
  r.pixel_aupro = pixels ? pixels->Aupro() : std::numeric_limits<double>::quiet_NaN();
  std::vector<std::string> families;
  for (const SyntheticDefectScore& s : scores_) {
    bool seen = false;
    for (const std::string& f : families) seen |= f == s.family;
    if (!seen) families.push_back(s.family);
  }
  for (const std::string& f : families) {
    std::vector<const SyntheticDefectScore*> members;
    for (const SyntheticDefectScore& s : scores_)
      if (s.family == f) members.push_back(&s);
    r.families.push_back(Group(f, members, normal_scores, threshold));
  }
  for (int c = 0; c < kSelfCheckSizeClasses; ++c) {
    std::vector<const SyntheticDefectScore*> members;
    for (const SyntheticDefectScore& s : scores_)
      if (s.size_class == c) members.push_back(&s);
    if (!members.empty()) r.sizes.push_back(Group(SelfCheckSizeClassName(c), members, normal_scores, threshold));
  }
  return r;
}

std::string FormatSelfCheck(const SelfCheckReport& r) {
  if (!r.ran()) return "self-check: not run";
  std::string out = "self-check: " + std::to_string(r.defects) + " synthetic defects pasted into held-out normal images, " +
                    "ranked against " + std::to_string(r.normal_images) + " held-out normals" +
                    (r.compressed_normals > 0
                         ? " (" + std::to_string(r.compressed_normals) + " of them JPEG-like compressed copies)\n"
                         : "\n");
  out += "  image ROCAUC " + Fixed(r.image_rocauc) + ", pixel ROCAUC " + Fixed(r.pixel_rocauc) + ", pixel AUPRO " +
         Fixed(r.pixel_aupro) + "\n";
  out += "  at the threshold: recall " + Percent(r.recall) + " of the synthetic defects, false-positive rate " +
         Percent(r.false_positive_rate) + " of the held-out normals";
  if (r.compressed_normals > 0)
    out += " (" + std::to_string(r.compressed_flagged) + " of the " + std::to_string(r.compressed_normals) +
           " compressed copies)";
  auto rows = [&out](const char* title, const std::vector<SelfCheckGroup>& groups) {
    for (const SelfCheckGroup& g : groups) {
      char line[160];
      std::snprintf(line, sizeof line, "\n  %-6s %-16s %3d defects, recall %6s, ROCAUC %s", title, g.name.c_str(),
                    g.defects, Percent(g.recall()).c_str(), Fixed(g.image_rocauc).c_str());
      out += line;
    }
  };
  rows("family", r.families);
  rows("size", r.sizes);
  return out;
}

}  // namespace anomalens
