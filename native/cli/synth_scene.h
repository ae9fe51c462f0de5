// Writes one synthetic scene (core/synthetic/scene.h) as an MVTec folder, the
// layout `train --dataset` and `evaluate --dataset` read: train/good/ (normal
// images only), test/good/, test/<defect>/ and ground_truth/<defect>/NNN_mask.png
// (255 on the defect), plus SOURCE.md saying what the scene is.
#ifndef ANOMALENS_NATIVE_CLI_SYNTH_SCENE_H_
#define ANOMALENS_NATIVE_CLI_SYNTH_SCENE_H_

#include <cstdint>
#include <string>

#include "core/base/status.h"
#include "core/synthetic/scene.h"

namespace anomalens {

struct SceneCounts {
  int train_normal = 0;
  int test_normal = 0;
  int test_anomalous = 0;
};

// Writes `scene` for `seed` into `dir` (created if missing; refused when it is
// not empty); returns the number of images written.
StatusOr<int> WriteSceneDataset(const Scene& scene, uint64_t seed, const SceneCounts& counts, const std::string& dir);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_CLI_SYNTH_SCENE_H_
