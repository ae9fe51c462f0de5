// MapRefinement: the segmentation map made to follow the photo's edges. The
// anomaly map comes from stride-8 cells, upsampled and smoothed, so a
// region's outline follows the blur; a guided filter (core/image/
// guided_filter.h) with the working image as guide moves it onto the edges
// of what is in the picture (a crack's sides, a stain's rim). It runs on the
// padded working grid, before the pixel rule, in training's held-out maps and
// at detection alike, so the rule is chosen on maps like the ones it cuts.
#ifndef ANOMALENS_CORE_SEGMENTATION_MAP_REFINEMENT_H_
#define ANOMALENS_CORE_SEGMENTATION_MAP_REFINEMENT_H_

#include <vector>

#include "core/base/parallel.h"
#include "core/features/working_geometry.h"
#include "core/image/image.h"
#include "core/scoring/anomaly_map.h"

namespace anomalens {

// The largest radius a model file may ask for.
constexpr int kMaxGuidedFilterRadius = 64;

struct MapRefinement {
  int radius = 0;       // guided filter window radius in working pixels; 0: no refinement
  double epsilon = 0;   // its regularization, in grey levels (0..1) squared
  bool enabled() const { return radius > 0; }
};

// The guide: the image's grey levels (0..1, Rec. 601 weights) at the working
// size, on the padded grid with the edge pixels repeated, as the backbone
// sees it. `image` is the original or a smaller decode no smaller than the
// content (feature_extractor.h). `parallel`: its rows on the platform's
// threads; the same values.
std::vector<float> WorkingGuide(const RgbImage& image, const WorkingGeometry& geometry,
                                const ParallelFor& parallel = {});

// Refines `map` (on the padded grid of `guide`) in place; nothing when the
// refinement is disabled.
void RefineMap(const MapRefinement& refinement, const std::vector<float>& guide, AnomalyMap* map,
               const ParallelFor& parallel = {});

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SEGMENTATION_MAP_REFINEMENT_H_
