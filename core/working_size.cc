#include "core/working_size.h"

#include <algorithm>

namespace anomalens {
namespace {

int RoundToMultiple(double v, int multiple, int max_value) {
  int n = static_cast<int>(v / multiple + 0.5);
  n = std::max(n, 1);
  while (n > 1 && n * multiple > max_value) --n;
  return n * multiple;
}

}  // namespace

Size ChooseWorkingSize(int width, int height, int short_side, int multiple) {
  const int shorter = std::min(width, height);
  double scale = static_cast<double>(short_side) / shorter;
  if (scale > 1.0) scale = 1.0;
  return {RoundToMultiple(width * scale, multiple, width), RoundToMultiple(height * scale, multiple, height)};
}

}  // namespace anomalens
