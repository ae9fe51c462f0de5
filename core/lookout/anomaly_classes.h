// AnomalyClass: a labelled defect type of a segmentation project ("cracked",
// #23A436), and the project's class list collected from its manifest lines.
//
//   ASSIGN_OR_RETURN(std::vector<AnomalyClass> classes, CollectAnomalyClasses(entries));
//   // classes.empty(): no masks, so a classification model.
#ifndef ANOMALENS_CORE_LOOKOUT_ANOMALY_CLASSES_H_
#define ANOMALENS_CORE_LOOKOUT_ANOMALY_CLASSES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/lookout/manifest.h"

namespace anomalens {

struct AnomalyClass {
  std::string name;    // "cracked"
  uint32_t color = 0;  // 0x23A436
};

// Lookout's limits on segmentation labels.
constexpr size_t kMaxProjectAnomalyClasses = 100;
constexpr size_t kMaxAnomalyClassesPerMask = 20;

// The background colour of AnomalyMask, and of Lookout's "background" entry.
constexpr uint32_t kBackgroundColor = 0xFFFFFF;

// Ground Truth's colour maps may name the background ("BACKGROUND", any
// case); such an entry marks background pixels and is not a defect type.
bool IsBackgroundClassName(const std::string& name);

// The defect types of every entry with a mask, in order of first appearance
// (manifest order, then colour-map key order). Errors, each naming the
// manifest line: a class given two colours, a colour given to two classes,
// white (#FFFFFF, AnomalyMask's background) as a class colour, a mask with
// more than 20 classes, a project with more than 100.
StatusOr<std::vector<AnomalyClass>> CollectAnomalyClasses(const std::vector<ManifestEntry>& entries);

// "#23A436" for 0x23A436.
std::string HexColor(uint32_t rgb);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_ANOMALY_CLASSES_H_
