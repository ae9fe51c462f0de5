#include "core/lookout/anomaly_classes.h"

#include <cctype>

namespace anomalens {

bool IsBackgroundClassName(const std::string& name) {
  static const char kBackground[] = "background";
  if (name.size() != sizeof(kBackground) - 1) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != kBackground[i]) return false;
  }
  return true;
}

std::string HexColor(uint32_t rgb) {
  static const char kDigits[] = "0123456789ABCDEF";
  std::string out = "#";
  for (int shift = 20; shift >= 0; shift -= 4) out += kDigits[(rgb >> shift) & 0xF];
  return out;
}

StatusOr<std::vector<AnomalyClass>> CollectAnomalyClasses(const std::vector<ManifestEntry>& entries) {
  std::vector<AnomalyClass> classes;
  for (const ManifestEntry& e : entries) {
    if (e.mask_ref.empty()) continue;
    const std::string where = "manifest line " + std::to_string(e.line_number) + " (" + e.source_ref + "): ";
    size_t defect_classes = 0;
    for (const MaskColor& c : e.color_map) {
      if (IsBackgroundClassName(c.class_name)) continue;
      ++defect_classes;
      if (c.rgb == kBackgroundColor) {
        return InvalidInput(where + "class '" + c.class_name +
                            "' is white (#FFFFFF), the colour AnomalyMask reserves for the background");
      }
      bool known = false;
      for (const AnomalyClass& k : classes) {
        if (k.name == c.class_name && k.color != c.rgb) {
          return InvalidInput(where + "class '" + c.class_name + "' is " + HexColor(c.rgb) + " here but " +
                              HexColor(k.color) + " on an earlier line; a class keeps one colour");
        }
        if (k.name != c.class_name && k.color == c.rgb) {
          return InvalidInput(where + "classes '" + k.name + "' and '" + c.class_name + "' share the colour " +
                              HexColor(c.rgb) + "; each class needs its own colour");
        }
        known = known || k.name == c.class_name;
      }
      if (!known) classes.push_back({c.class_name, c.rgb});
    }
    if (defect_classes > kMaxAnomalyClassesPerMask) {
      return InvalidInput(where + "the mask's colour map has " + std::to_string(defect_classes) +
                          " anomaly classes; the limit is " + std::to_string(kMaxAnomalyClassesPerMask) + " per mask");
    }
    if (classes.size() > kMaxProjectAnomalyClasses) {
      return InvalidInput(where + "the dataset has more than " + std::to_string(kMaxProjectAnomalyClasses) +
                          " anomaly classes, the limit per project");
    }
  }
  return classes;
}

}  // namespace anomalens
