#include "core/segmentation/segmentation_response.h"

#include <algorithm>
#include <string>

#include "core/image/png_encode.h"

namespace anomalens {

std::vector<Anomaly> AnomalyList(const Segmentation& segmentation, const std::vector<AnomalyClass>& classes) {
  const double total = static_cast<double>(segmentation.labels.size());
  std::vector<Anomaly> list{{"background", {1.0, kBackgroundColor}}};
  for (size_t k = 0; k < classes.size() && k < segmentation.class_pixels.size(); ++k) {
    if (segmentation.class_pixels[k] == 0) continue;
    const double area = segmentation.class_pixels[k] / total;
    list.push_back({classes[k].name, {area, classes[k].color}});
    list[0].pixel_anomaly.total_percentage_area -= area;
  }
  return list;
}

std::vector<uint8_t> RenderAnomalyMask(const Segmentation& segmentation, const std::vector<AnomalyClass>& classes) {
  std::vector<uint8_t> rgb(segmentation.labels.size() * 3);
  for (size_t i = 0; i < segmentation.labels.size(); ++i) {
    const uint8_t k = segmentation.labels[i];
    const uint32_t color = k == 0 || k > classes.size() ? kBackgroundColor : classes[k - 1].color;
    rgb[i * 3] = static_cast<uint8_t>(color >> 16);
    rgb[i * 3 + 1] = static_cast<uint8_t>(color >> 8);
    rgb[i * 3 + 2] = static_cast<uint8_t>(color);
  }
  return rgb;
}

StatusOr<std::vector<uint8_t>> EncodeAnomalyMask(const Segmentation& segmentation,
                                                 const std::vector<AnomalyClass>& classes,
                                                 const ParallelFor& parallel) {
  // A palette PNG: index 0 background, index k the k-th class, so the labels
  // are the indices (a label past the classes is background, as
  // RenderAnomalyMask draws it). A few colours pack into 1 to 4 bits a pixel:
  // smaller and faster than RGB, and decoders expand it to the same colours.
  std::vector<uint32_t> palette{kBackgroundColor};
  for (const AnomalyClass& c : classes) palette.push_back(c.color);
  if (palette.size() > 256) return Internal("an anomaly mask holds at most 255 defect types");
  const uint8_t* indices = segmentation.labels.data();
  std::vector<uint8_t> clamped;
  uint8_t largest = 0;  // a branch-free scan the compiler vectorizes
  for (uint8_t k : segmentation.labels) largest = std::max(largest, k);
  if (largest >= palette.size()) {
    clamped.assign(segmentation.labels.begin(), segmentation.labels.end());
    for (uint8_t& v : clamped) v = v < palette.size() ? v : 0;
    indices = clamped.data();
  }
  std::vector<uint8_t> png = EncodeIndexedPng(indices, segmentation.width, segmentation.height, palette, parallel);
  if (png.empty()) return Internal("could not encode the anomaly mask PNG");
  if (png.size() > kMaxAnomalyMaskBytes) {
    return Internal("the anomaly mask PNG is " + std::to_string(png.size()) + " bytes, over Lookout's limit of " +
                    std::to_string(kMaxAnomalyMaskBytes));
  }
  return png;
}

}  // namespace anomalens
