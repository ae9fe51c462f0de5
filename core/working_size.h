// The resolution an image is analysed at: aspect-preserving, each side a
// multiple of the backbone's input multiple, never larger than the original.
#ifndef ANOMALENS_CORE_WORKING_SIZE_H_
#define ANOMALENS_CORE_WORKING_SIZE_H_

namespace anomalens {

struct Size {
  int width = 0;
  int height = 0;
  bool operator==(const Size& o) const { return width == o.width && height == o.height; }
};

// Scales (width, height) so the shorter side is about `short_side`, keeping the
// aspect ratio, and rounds each side to the nearest multiple of `multiple`
// (at least one multiple). Never upscales past the original size.
Size ChooseWorkingSize(int width, int height, int short_side, int multiple);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_WORKING_SIZE_H_
