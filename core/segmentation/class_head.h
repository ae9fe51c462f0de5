// ClassHead: one-vs-rest logistic regressions learned from a segmentation
// model's masks, naming which labelled type a defect cell shows from its
// patch features (issue 19). The alternative to the class memory
// (segmentation.h), which names a cell by its nearest labelled feature;
// training measures both on held-out folds and keeps the head only where
// it names more held-out defects correctly (trainer.cc, docs/model.md).
//
// Each class's regression is a DefectHead (defect_head.h) fitted on the
// same rows with that class against all others, so it is deterministic on
// every target for the same reasons: standardized inputs, the two sides
// weighed equally, L2, a fixed number of steps in double, a fixed order.
#ifndef ANOMALENS_CORE_SEGMENTATION_CLASS_HEAD_H_
#define ANOMALENS_CORE_SEGMENTATION_CLASS_HEAD_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/segmentation/defect_head.h"

namespace anomalens {

struct ClassHead {
  std::vector<DefectHead> classes;  // by class index; each classes[k] says "class k, not another"
  bool enabled() const { return !classes.empty(); }
};

// rows: count x dim floats; labels: each row's class, 0-based, below
// `classes`. Returns a disabled head unless every class has rows and there
// are at least 2 classes.
ClassHead FitClassHead(const std::vector<float>& rows, const std::vector<uint8_t>& labels, int dim, int classes);

// The class (0-based) of each row: the class whose regression is most sure
// of it (the largest logit; the lowest index on a tie).
std::vector<uint8_t> ClassHeadNames(const ClassHead& head, const std::vector<float>& rows);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SEGMENTATION_CLASS_HEAD_H_
