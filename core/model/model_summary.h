// What a trained model says about itself, as JSON for the npm package and
// the web page (`anomalens.describeModel(bytes)`): its configuration, how the
// configuration search chose it, its threshold rule, and its self-check.
// The CLI prints the same facts as text when it trains.
#ifndef ANOMALENS_CORE_MODEL_MODEL_SUMMARY_H_
#define ANOMALENS_CORE_MODEL_MODEL_SUMMARY_H_

#include <string>

#include "core/model/model.h"

namespace anomalens {

// {"normalModel", "shortSide", "scale", "coarseWeight", "darkSpots",
//  "thresholdRule", "falsePositiveRate", "normalImages", "anomalyImages",
//  "segmentationClasses": [names], "selfCheck": {...} or null,
//  "configurationSearch": [{...candidate, "name", "chosen"}] (empty: --quick)}
// Undefined figures are null.
std::string ModelSummaryJson(const Model& model);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_MODEL_MODEL_SUMMARY_H_
