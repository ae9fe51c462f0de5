// Mask decode with colour-map matching: a label mask and the manifest line
// that declares its colours, both written by people. The input is the
// manifest line, a newline, then the mask file's bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/image/image_decode.h"
#include "core/lookout/anomaly_classes.h"
#include "core/lookout/class_mask.h"
#include "core/lookout/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace anomalens;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t newline = text.find('\n');
  if (newline == std::string_view::npos) return 0;
  auto entries = ParseManifest(text.substr(0, newline));
  std::vector<MaskColor> color_map;
  std::vector<AnomalyClass> classes;
  if (entries.ok() && !entries->empty()) {
    color_map = entries->front().color_map;
    auto collected = CollectAnomalyClasses(*entries);
    if (collected.ok()) classes = std::move(collected).value();
  }
  const ByteSpan mask(data + newline + 1, size - newline - 1);
  // Through the decoder at the mask's own size, and at a fixed image size
  // (the path where mask and image disagree).
  auto rgba = DecodeImageRgba(mask, "");
  if (rgba.ok()) {
    auto read = ReadClassMask(*rgba, color_map, classes);
    if (read.ok()) {
      if (read->labels.size() != static_cast<size_t>(read->width) * read->height) __builtin_trap();
      for (uint8_t label : read->labels) {
        if (label > classes.size()) __builtin_trap();  // indices stay within the project's classes
      }
    }
  }
  (void)DecodeClassMask(mask, Size{128, 96}, color_map, classes);
  return 0;
}
