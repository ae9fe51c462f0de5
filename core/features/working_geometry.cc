#include "core/features/working_geometry.h"

#include <algorithm>
#include <cmath>

namespace anomalens {

WorkingGeometry PlanGeometry(Size original, double scale, int multiple) {
  WorkingGeometry g;
  g.original = original;
  g.scale = scale;
  g.content = {std::max(1, static_cast<int>(std::lround(original.width * scale))),
               std::max(1, static_cast<int>(std::lround(original.height * scale)))};
  auto round_up = [multiple](int v) { return std::max(multiple, (v + multiple - 1) / multiple * multiple); };
  g.padded = {round_up(g.content.width), round_up(g.content.height)};
  return g;
}

double ChooseScale(Size original, int short_side, double max_scale) {
  const int shorter = std::min(original.width, original.height);
  return std::min(std::clamp(max_scale, 1.0, kMaxWorkingScale), static_cast<double>(short_side) / shorter);
}

}  // namespace anomalens
