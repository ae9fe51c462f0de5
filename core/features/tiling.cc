#include "core/features/tiling.h"

#include <algorithm>

namespace anomalens {

TileAxis PlanTileAxis(int extent, int tile, int overlap, int multiple) {
  TileAxis axis;
  if (extent <= tile) {
    axis.start.push_back(0);
    axis.length.push_back(extent);
    return axis;
  }
  // The fewest tiles whose even spacing leaves at least `overlap` shared.
  const int step = std::max(multiple, tile - overlap);
  const int count = 1 + (extent - tile + step - 1) / step;
  for (int i = 0; i < count; ++i) {
    // Evenly spread starts, rounded down to the multiple; the last tile ends at the edge.
    const long long exact = static_cast<long long>(extent - tile) * i / (count - 1);
    const int start = i == count - 1 ? extent - tile : static_cast<int>(exact / multiple * multiple);
    axis.start.push_back(start);
    axis.length.push_back(tile);
  }
  return axis;
}

float TileBlendWeight(const TileAxis& axis, int i, int c, int cell) {
  const float centre = (c + 0.5f) * cell;  // the cell's centre, in pixels
  const int begin = axis.start[i], end = axis.start[i] + axis.length[i];
  float w = 1.0f;
  if (i > 0) {  // overlap with the previous tile: [begin, end of previous)
    const int prev_end = axis.start[i - 1] + axis.length[i - 1];
    if (prev_end > begin) w = std::min(w, (centre - begin) / static_cast<float>(prev_end - begin));
  }
  if (i + 1 < static_cast<int>(axis.start.size())) {  // overlap with the next: [start of next, end)
    const int next_begin = axis.start[i + 1];
    if (end > next_begin) w = std::min(w, (end - centre) / static_cast<float>(end - next_begin));
  }
  return std::clamp(w, 0.0f, 1.0f);
}

}  // namespace anomalens
