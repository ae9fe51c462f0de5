// WorkingGeometry: how an image maps onto the backbone's input and back.
//
// The image is scaled by one factor on both axes (its aspect ratio is kept
// exactly, never squashed) to the `content` size, then padded on the right
// and bottom, by repeating its edge pixels, to `padded`, whose sides are
// multiples of 16 as the backbone's stride-2 layers need. Anomaly maps are
// computed on the padded grid; cropping them to `content` and resizing by
// 1 / scale maps them back onto the original pixels.
#ifndef ANOMALENS_CORE_FEATURES_WORKING_GEOMETRY_H_
#define ANOMALENS_CORE_FEATURES_WORKING_GEOMETRY_H_

namespace anomalens {

struct Size {
  int width = 0;
  int height = 0;
  bool operator==(const Size& o) const { return width == o.width && height == o.height; }
};

struct WorkingGeometry {
  Size original;
  Size content;  // round(original * scale), at least 1 px
  Size padded;   // content rounded up to multiples of `multiple`
  double scale = 1;
};

// Returns the geometry of an image of `original` size at `scale`.
WorkingGeometry PlanGeometry(Size original, double scale, int multiple);

// The largest working scale any model uses: twice the image's own size
// (the configuration search's upsampled candidate, configuration_search.h).
constexpr double kMaxWorkingScale = 2.0;

// The most working pixels a detector analyses: the decoder's largest image
// (4096 x 4096, ImageLimits) at scale 1, so a model that upsamples (scale
// up to kMaxWorkingScale) needs no more memory than one that does not; it
// rejects a larger image (4x the pixels at 2x) with a clear error instead.
constexpr long long kMaxDetectWorkingPixels = 4096LL * 4096LL;

// The scale at which the shorter side of `original` becomes `short_side`
// pixels; never above `max_scale` (1: no upsampling past the native
// resolution; at most kMaxWorkingScale).
double ChooseScale(Size original, int short_side, double max_scale = 1.0);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_FEATURES_WORKING_GEOMETRY_H_
