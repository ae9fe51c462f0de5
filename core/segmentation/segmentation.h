// Per-type segmentation: which pixels of an anomalous image are defects, and
// of which labelled type.
//
// The unsupervised anomaly map decides defect versus normal: pixels scoring
// at least the model's pixel cutoff (pixel_threshold.h, calibrated on
// held-out labelled masks at training) are defects. Each defect region (8-
// connected) takes the class most of its pixels' cells are named: by the
// per-class head (class_head.h) where training measured it naming more
// held-out defects correctly, else by a per-class memory of patch features
// taken from labelled mask cells (a cell is named by its nearest one). One
// class needs neither: every defect is of it.
#ifndef ANOMALENS_CORE_SEGMENTATION_SEGMENTATION_H_
#define ANOMALENS_CORE_SEGMENTATION_SEGMENTATION_H_

#include <cstdint>
#include <vector>

#include "core/base/parallel.h"
#include "core/features/patch_features.h"
#include "core/features/working_geometry.h"
#include "core/lookout/anomaly_classes.h"
#include "core/segmentation/class_head.h"
#include "core/segmentation/defect_head.h"
#include "core/segmentation/map_refinement.h"
#include "core/segmentation/pixel_threshold.h"

namespace anomalens {

// What a segmentation model adds to a classification one (model.h).
struct SegmentationModel {
  std::vector<AnomalyClass> classes;  // empty: a classification model
  // Learned from the masks: gates the map by how much each cell looks like
  // a labelled defect (defect_head.h); disabled in models trained before it
  // and where it was not learned (per-position models, no clean bank).
  DefectHead head;
  // How the map is refined with the image before the pixel rule
  // (map_refinement.h); disabled in models trained before it.
  MapRefinement refinement;
  // Which map values are defect pixels, on images called anomalous.
  PixelThresholdRule pixel_rule;
  // Patch features of labelled cells, feature_dim floats a row, and the
  // class (0-based index into `classes`) of each row. Empty with one class.
  std::vector<float> class_bank;
  std::vector<uint16_t> class_bank_labels;
  // Names the types instead of the class memory when enabled: on the
  // stride-8 patch features, one regression a class. Disabled with one
  // class, in models trained before it, and where it did not beat the
  // memory on held-out folds (the memory is kept either way).
  ClassHead class_head;
  // Patch features of the unlabelled parts of masked anomalous images,
  // feature_dim floats a row: normal for the segmentation map only
  // (image_scorer.h). May be empty.
  std::vector<float> clean_bank;

  bool enabled() const { return !classes.empty(); }
};

struct Segmentation {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> labels;       // width * height; 0 background, k: classes[k - 1]
  std::vector<size_t> class_pixels;  // pixels of each class, by class index
};

// Segments an image already called anomalous. `original_map` is its anomaly
// map on the original pixels (AnomalyMap::ToOriginal), `grid` its patch
// features on `geometry`'s working grid. Pixels at or above the rule's
// cutoff are defects; the cutoff never exceeds the image's peak, so an
// anomalous image always shows at least one defect, as Lookout's IsAnomalous
// and Anomalies agree. `parallel`: the peak and the cutoff's rows on the
// platform's threads; the same labels.
Segmentation SegmentAnomalies(const std::vector<float>& original_map, const PatchGrid& grid,
                              const WorkingGeometry& geometry, const SegmentationModel& model,
                              const ParallelFor& parallel = {});

// The class (1..) of each listed cell of `grid`: by the model's class head
// when enabled, else by the class memory (nearest labelled feature; 1 when
// the memory is empty).
std::vector<uint8_t> CellClasses(const PatchGrid& grid, const std::vector<size_t>& cells,
                                 const SegmentationModel& model);

// The empty segmentation of a normal image: all background.
Segmentation BackgroundOnly(int width, int height, size_t classes);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SEGMENTATION_SEGMENTATION_H_
