#include "core/lookout/class_mask.h"

#include <cstdlib>
#include <string>

#include "core/image/image_decode.h"

namespace anomalens {
namespace {

int ChannelDistance(uint32_t rgb, const uint8_t* p) {
  int worst = 0;
  for (int c = 0; c < 3; ++c) {
    const int d = std::abs(static_cast<int>((rgb >> (16 - 8 * c)) & 0xFF) - p[c]);
    worst = d > worst ? d : worst;
  }
  return worst;
}

uint32_t Rgb(const uint8_t* p) { return (uint32_t(p[0]) << 16) | (uint32_t(p[1]) << 8) | p[2]; }

}  // namespace

bool ClassMask::any_defect() const {
  for (uint8_t v : labels)
    if (v != 0) return true;
  return false;
}

StatusOr<ClassMask> ReadClassMask(const RgbaImage& mask, const std::vector<MaskColor>& color_map,
                                  const std::vector<AnomalyClass>& classes) {
  const size_t count = static_cast<size_t>(mask.width) * static_cast<size_t>(mask.height);
  if (mask.width < 1 || mask.height < 1 || mask.pixels.size() != count * 4) {
    return InvalidInput("mask pixels do not match its size");
  }
  // Label each colour-map entry once: 0 for background, else 1 + its class.
  std::vector<uint8_t> entry_label(color_map.size(), 0);
  for (size_t m = 0; m < color_map.size(); ++m) {
    if (IsBackgroundClassName(color_map[m].class_name)) continue;
    size_t k = 0;
    while (k < classes.size() && classes[k].name != color_map[m].class_name) ++k;
    if (k == classes.size()) return InvalidInput("mask class '" + color_map[m].class_name + "' is not a project class");
    entry_label[m] = static_cast<uint8_t>(k + 1);
  }
  ClassMask out{mask.width, mask.height, std::vector<uint8_t>(count, 0)};
  size_t unknown = 0, first_unknown = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = &mask.pixels[i * 4];
    if (p[3] < 128) continue;
    int best = kMaskColorTolerance + 1;
    size_t best_entry = 0;
    for (size_t m = 0; m < color_map.size(); ++m) {
      const int d = ChannelDistance(color_map[m].rgb, p);
      if (d < best) best = d, best_entry = m;
    }
    if (best <= kMaskColorTolerance) {
      out.labels[i] = entry_label[best_entry];
    } else if (Rgb(p) != 0x000000 && Rgb(p) != 0xFFFFFF) {
      if (unknown++ == 0) first_unknown = i;
    }
  }
  if (unknown > 0) {
    std::string declared;
    for (const MaskColor& c : color_map) declared += (declared.empty() ? "" : ", ") + c.class_name + " " + HexColor(c.rgb);
    const uint8_t* p = &mask.pixels[first_unknown * 4];
    return InvalidInput("mask has " + std::to_string(unknown) + " opaque pixels of colours outside its internal-color-map, "
                        "the first " + HexColor(Rgb(p)) + " at x=" + std::to_string(first_unknown % mask.width) +
                        ", y=" + std::to_string(first_unknown / mask.width) + "; the map declares " +
                        (declared.empty() ? "no colours" : declared) + " (matched within " +
                        std::to_string(kMaskColorTolerance) + " levels a channel)");
  }
  return out;
}

StatusOr<ClassMask> DecodeClassMask(ByteSpan bytes, Size image_size, const std::vector<MaskColor>& color_map,
                                    const std::vector<AnomalyClass>& classes) {
  ASSIGN_OR_RETURN(RgbaImage mask, DecodeImageRgba(bytes, ""));
  if (mask.width != image_size.width || mask.height != image_size.height) {
    return InvalidInput("mask is " + std::to_string(mask.width) + "x" + std::to_string(mask.height) +
                        " but its image is " + std::to_string(image_size.width) + "x" +
                        std::to_string(image_size.height) + "; they must be the same size");
  }
  return ReadClassMask(mask, color_map, classes);
}

}  // namespace anomalens
