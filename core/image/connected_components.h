// LabelConnectedComponents: 8-connected component labelling of a binary
// mask, used to split a ground-truth mask into the defect regions that
// AUPRO averages over (MVTec AD labels regions with 8-connectivity too).
//
//   ComponentLabels regions = LabelConnectedComponents(mask.data(), width, height);
//   for (int32_t label : regions.labels) { ... }  // 0 background, 1..count
#ifndef ANOMALENS_CORE_IMAGE_CONNECTED_COMPONENTS_H_
#define ANOMALENS_CORE_IMAGE_CONNECTED_COMPONENTS_H_

#include <cstdint>
#include <vector>

#include "core/base/parallel.h"

namespace anomalens {

struct ComponentLabels {
  // width * height, row-major: 0 for background, 1..count for the component
  // a foreground pixel belongs to.
  std::vector<int32_t> labels;
  int count = 0;
};

// Labels the 8-connected components of `mask` (width * height bytes,
// row-major, nonzero = foreground). Components are numbered 1, 2, ... in the
// raster order of their first pixel, so the labelling is a function of the
// mask alone. Two passes with union-find, no recursion: memory is the label
// image plus one int32 per provisional label, whatever the shapes. Returns
// no labels and a count of 0 when a side is < 1, `mask` is null, or the mask
// has more than 2^31 - 1 pixels. `parallel`: bands of kLabelBandRows rows
// labelled side by side, then joined at their seams; the same labels.
ComponentLabels LabelConnectedComponents(const uint8_t* mask, int width, int height,
                                         const ParallelFor& parallel = {});

// Rows a band of LabelConnectedComponents' first pass.
constexpr int kLabelBandRows = 32;

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_CONNECTED_COMPONENTS_H_
